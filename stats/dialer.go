package stats

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/acd"
	"github.com/ccdhq/ccd/eventlog"
)

// dialerCallPrefix starts the call id of every call the dialer places (its
// channel, "dialer-<attempt>").
const dialerCallPrefix = "dialer-"

// isDialerCall says whether a queue call is one the dialer placed: a
// person it reached, handed to the campaign's queue.
func isDialerCall(callID string) bool { return strings.HasPrefix(callID, dialerCallPrefix) }

// dialerResult is the CallsStat row of a dialer attempt that never reached
// a queue (nobody answered, busy, a machine, a hangup during the
// detection): an outbound call (CallType 2), EndType 107. The attempts a
// person answered are the queue's calls, whose rows record marks outbound.
func (a *Aggregator) dialerResult(ev *eventlog.Event) error {
	var p ccd.DialerAttempt
	if err := json.Unmarshal(ev.Payload, &p); err != nil {
		return &DecodeError{ID: ev.ID, Kind: ev.Kind, Err: err}
	}
	if p.Status == "answered" || p.Status == "abandoned" || !a.inWindow(ev.At.Unix()) {
		return nil
	}
	a.records = append(a.records, CallRecord{CallID: ev.ID, UCID: ev.CallID, CallType: CallOutExternal, DNIS: p.Phone,
		OfferedTS: ev.At.Add(-time.Duration(p.RingMS) * time.Millisecond), InitialQueue: p.Queue, EndType: acd.EndOutboundUnanswered,
		Adata1: fmt.Sprintf("campaign=%d;target=%d;status=%s", p.CampaignID, p.TargetID, p.Status), LastTS: ev.At})
	return nil
}
