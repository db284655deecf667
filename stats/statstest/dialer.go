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

// Disposition is one scripted disposition: option Option of campaign
// Campaign set At after the script's start (Changed: a PUT replacing one).
type Disposition struct {
	Campaign, Option int
	At               time.Duration
	Changed          bool
}

// DispositionLog returns the dialer.disposition events of ds as the store
// writes them (source api), in time order with ids from firstID.
func DispositionLog(start time.Time, firstID int64, ds []Disposition) []eventlog.Event {
	var evs []eventlog.Event
	for i, d := range ds {
		p := ccd.DialerDisposition{DispositionID: int64(i + 1), CampaignID: d.Campaign, TargetID: int64(i + 1), OptionID: d.Option,
			Option: fmt.Sprintf("option %d", d.Option), Kind: "normal", Agent: "1001", Changed: d.Changed}
		evs = append(evs, eventlog.Event{At: start.Add(d.At), Kind: ccd.EventDialerDisposition, Source: eventlog.SourceAPI,
			Key: fmt.Sprintf("%s-%d", ccd.EventDialerDisposition, i+1), Agent: "1001", Payload: eventlog.Payload(p)})
	}
	sort.SliceStable(evs, func(i, j int) bool { return evs[i].At.Before(evs[j].At) })
	for i := range evs {
		evs[i].ID = firstID + int64(i)
	}
	return evs
}
