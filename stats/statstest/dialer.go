package statstest

import (
	"fmt"
	"sort"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/eventlog"
)

// DialerCall is one scripted dialer attempt: placed at Placed after the
// script's start, ended Ended after it with Status (a dialer.status_code
// name); Abandoned marks a person who got no agent within 2 s.
type DialerCall struct {
	Campaign  int
	Placed    time.Duration
	Ended     time.Duration
	Status    string
	Abandoned bool
}

// DialerLog returns the dialer.attempt and dialer.result events of calls as
// the dialer writes them (source ari, call id "dialer-<attempt>"), in time
// order with ids 1, 2, ..., attempts numbered from 1 in the order given.
func DialerLog(start time.Time, calls []DialerCall) []eventlog.Event {
	var evs []eventlog.Event
	for i, c := range calls {
		attempt := int64(i + 1)
		p := ccd.DialerAttempt{AttemptID: attempt, CampaignID: c.Campaign, TargetID: attempt, Phone: fmt.Sprintf("555%04d", attempt),
			Queue: "sales"}
		evs = append(evs, dialerEvent(start.Add(c.Placed), ccd.EventDialerAttempt, p))
		p.Status, p.Abandoned, p.RingMS = c.Status, c.Abandoned, (c.Ended - c.Placed).Milliseconds()
		evs = append(evs, dialerEvent(start.Add(c.Ended), ccd.EventDialerResult, p))
	}
	sort.SliceStable(evs, func(i, j int) bool { return evs[i].At.Before(evs[j].At) })
	for i := range evs {
		evs[i].ID = int64(i + 1)
	}
	return evs
}

func dialerEvent(at time.Time, kind ccd.EventKind, p ccd.DialerAttempt) eventlog.Event {
	return eventlog.Event{At: at, Kind: kind, Source: eventlog.SourceARI, Key: fmt.Sprintf("%s-%d", kind, p.AttemptID),
		CallID: fmt.Sprintf("dialer-%d", p.AttemptID), Queue: p.Queue, DNIS: p.Phone, Payload: eventlog.Payload(p)}
}
