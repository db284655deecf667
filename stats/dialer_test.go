package stats_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/acd"
	"github.com/ccdhq/ccd/eventlog"
	"github.com/ccdhq/ccd/stats"
)

// The dialer's calls are outbound calls (CallType 2): one nobody answered
// is a row of its own with EndType 107; a person it reached and handed to
// a queue is the queue's call, marked outbound, counted once.
func TestDialerCallsAreOutbound(t *testing.T) {
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	c := newOverflowCenter(t, start)
	at := start.Add(time.Minute)
	// Attempt 1: a person, handed to queue "second" and answered by y.
	c.do(at, func(now time.Time) error {
		return c.e.Arrive(now, acd.Arrival{CallID: "dialer-1", Queue: "second", DNIS: "5550100", CLID: "5550100",
			AttachData: "campaign=7;target=70"})
	})
	call, _ := c.e.Call("dialer-1")
	c.do(at.Add(time.Second), func(now time.Time) error { return c.e.OfferAnswered(now, call.Channel) })
	c.do(at.Add(61*time.Second), func(now time.Time) error { c.e.Hangup(now, "dialer-1"); return nil })
	evs := c.evs
	result := func(id int64, attempt int64, status string, code int) eventlog.Event {
		return eventlog.Event{ID: id, At: at.Add(20 * time.Second), Kind: ccd.EventDialerResult, Source: eventlog.SourceARI,
			CallID: "dialer-" + strconv.FormatInt(attempt, 10), Queue: "second",
			Payload: eventlog.Payload(ccd.DialerAttempt{AttemptID: attempt, CampaignID: 7, TargetID: attempt * 10, Phone: "555010" + strconv.FormatInt(attempt, 10),
				Queue: "second", Result: code, Status: status, RingMS: 15000})}
	}
	n := int64(len(evs))
	evs = append(evs, result(n+1, 1, "answered", 2), result(n+2, 2, "busy", 4), result(n+3, 3, "machine", 8))
	_, recs := foldAll(t, evs)
	if len(recs) != 3 {
		t.Fatalf("records %+v", recs)
	}
	byUCID := map[string]stats.CallRecord{}
	for _, r := range recs {
		byUCID[r.UCID] = r
	}
	if r := byUCID["dialer-1"]; r.CallType != stats.CallOutExternal || r.EndType != acd.EndTalked || r.Agent != "y" {
		t.Fatalf("answered: %+v", r)
	}
	for _, id := range []string{"dialer-2", "dialer-3"} {
		r := byUCID[id]
		if r.CallType != stats.CallOutExternal || r.EndType != acd.EndOutboundUnanswered || r.InitialQueue != "second" ||
			!r.OfferedTS.Equal(at.Add(5*time.Second)) || r.AnsweredTS != (time.Time{}) {
			t.Fatalf("%s: %+v", id, r)
		}
	}
}
