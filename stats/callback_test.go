package stats_test

import (
	"testing"
	"time"

	"github.com/ccdhq/ccd/acd"
	"github.com/ccdhq/ccd/stats"
)

// A caller offered a callback twice who accepts it ends in the IVR (EndType
// 108), counted as OfferedCB twice and EndedInIVR once in the queue and the
// DNIS; the callback's attempt, answered by agent y, is an outbound call
// (CallType 2) and not a second call offered to the queue.
func TestCallbackStatistics(t *testing.T) {
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	c := newOverflowCenter(t, start)
	at := start.Add(time.Minute)
	c.do(at, func(now time.Time) error {
		return c.e.Arrive(now, acd.Arrival{CallID: "c1", Queue: "first", DNIS: "5551000", CLID: "0611"})
	})
	c.do(at.Add(time.Second), func(now time.Time) error { return c.e.CallbackOffered(now, "c1") })
	c.do(at.Add(2*time.Second), func(now time.Time) error { return c.e.CallbackOffered(now, "c1") })
	c.do(at.Add(3*time.Second), func(now time.Time) error { _, err := c.e.EndInIVR(now, "c1"); return err })
	c.do(at.Add(4*time.Second), func(now time.Time) error {
		return c.e.Arrive(now, acd.Arrival{CallID: "cb-1-1", Queue: "second", DNIS: "5551000", CLID: "0611",
			AttachData: "c1", Virtual: true, PlaceAt: at})
	})
	call, _ := c.e.Call("cb-1-1")
	c.do(at.Add(5*time.Second), func(now time.Time) error { return c.e.OfferAnswered(now, call.Channel) })
	c.do(at.Add(65*time.Second), func(now time.Time) error { c.e.Hangup(now, "cb-1-1"); return nil })

	// A second callback is cancelled while it waits: not an abandon.
	c.do(at.Add(70*time.Second), func(now time.Time) error {
		return c.e.Arrive(now, acd.Arrival{CallID: "cb-2-1", Queue: "first", DNIS: "5551000", Virtual: true, PlaceAt: at})
	})
	c.do(at.Add(80*time.Second), func(now time.Time) error { c.e.Hangup(now, "cb-2-1"); return nil })

	rows, recs := foldAll(t, c.evs)
	for _, want := range []struct {
		name string
		typ  int16
		col  string
		n    int64
	}{
		{"first", stats.DevQueue, "offered", 1}, {"first", stats.DevQueue, "offeredcb", 2}, {"first", stats.DevQueue, "endedinivr", 1},
		{"first", stats.DevQueue, "abandoned", 0},
		{"5551000", stats.DevDNIS, "offeredcb", 2}, {"5551000", stats.DevDNIS, "endedinivr", 1}, {"5551000", stats.DevDNIS, "offered", 1},
		{"second", stats.DevQueue, "offered", 0}, {"second", stats.DevQueue, "answered", 1},
	} {
		if got := deviceSum(rows, want.name, want.typ, want.col); got != want.n {
			t.Errorf("%s: %s = %d, want %d", want.name, want.col, got, want.n)
		}
	}
	if len(recs) != 3 {
		t.Fatalf("call records %+v", recs)
	}
	orig, attempt := recs[0], recs[1]
	if orig.UCID != "c1" || orig.EndType != acd.EndInIVR || orig.CallType != stats.CallACD {
		t.Errorf("original call %+v", orig)
	}
	if attempt.UCID != "cb-1-1" || attempt.CallType != stats.CallOutExternal || attempt.Adata1 != "c1" || attempt.Agent != "y" ||
		!attempt.OfferedTS.Equal(at) {
		t.Errorf("callback attempt %+v", attempt)
	}
}
