package stats_test

import (
	"testing"
	"time"

	"github.com/ccdhq/ccd/acd"
	"github.com/ccdhq/ccd/config"
	"github.com/ccdhq/ccd/dialplan/queue"
	"github.com/ccdhq/ccd/eventlog"
	"github.com/ccdhq/ccd/stats"
)

// overflowCenter is two queues: calls wait 5 s in "first", where nobody is
// logged in, then overflow to "second", where agent y answers.
type overflowCenter struct {
	t   *testing.T
	e   *acd.Engine
	evs []eventlog.Event
}

func newOverflowCenter(t *testing.T, start time.Time) *overflowCenter {
	e, err := acd.New(config.ACD{
		Queues: []config.Queue{
			{Code: "first", Groups: []string{"gx"}, Overflow: []config.Overflow{{AfterWait: 5 * time.Second, ToQueue: "second"}}},
			{Code: "second", Groups: []string{"gy"}},
		},
		Groups: []config.AgentGroup{{Name: "gx", Agents: []string{"x"}}, {Name: "gy", Agents: []string{"y"}}},
		Agents: []config.Agent{{ID: "x", Endpoint: "PJSIP/2001"}, {ID: "y", Endpoint: "PJSIP/2002"}},
	}.Spec())
	if err != nil {
		t.Fatal(err)
	}
	c := &overflowCenter{t: t, e: e}
	c.do(start, func(now time.Time) error { return e.Login(now, "y", "") })
	c.do(start, func(now time.Time) error { return e.Ready(now, "y") })
	return c
}

// do runs one step of the engine at now (timers included) and logs its events.
func (c *overflowCenter) do(now time.Time, step func(time.Time) error) {
	c.t.Helper()
	if err := step(now); err != nil {
		c.t.Fatal(err)
	}
	c.e.Tick(now)
	_, evs := c.e.Take()
	for _, ev := range evs {
		l := queue.ToLog(ev)
		l.ID = int64(len(c.evs) + 1)
		c.evs = append(c.evs, l)
	}
}

// overflowedCall arrives in "first" at t, overflows to "second" at t+5 s and
// rings y there; the caller waits 7 s in all before y answers or the caller
// hangs up (answer false), 2 s of them in "second".
func (c *overflowCenter) overflowedCall(id string, at time.Time, answer bool) {
	c.t.Helper()
	c.do(at, func(now time.Time) error {
		return c.e.Arrive(now, acd.Arrival{CallID: id, Queue: "first", DNIS: "5551000"})
	})
	c.do(at.Add(5*time.Second), func(time.Time) error { return nil })
	call, ok := c.e.Call(id)
	if !ok || call.State != acd.Ringing || call.Agent != "y" || call.Queue != "second" {
		c.t.Fatalf("call %s did not overflow to ring y in second: %+v", id, call)
	}
	end := at.Add(7 * time.Second)
	if answer {
		c.do(end, func(now time.Time) error { return c.e.OfferAnswered(now, call.Channel) })
		c.do(end.Add(30*time.Second), func(now time.Time) error { c.e.Hangup(now, id); return nil })
		return
	}
	c.do(end, func(now time.Time) error { c.e.Hangup(now, id); return nil })
}

// foldAll runs events through one aggregator and returns its rows and records.
func foldAll(t *testing.T, evs []eventlog.Event) (map[stats.RowKey]stats.Row, []stats.CallRecord) {
	t.Helper()
	a := stats.New(stats.Clock{Loc: time.UTC})
	for i := range evs {
		if err := a.Apply(&evs[i]); err != nil {
			t.Fatal(err)
		}
	}
	return a.Take()
}

// deviceSum adds column col of a device's DeviceStat rows over all intervals.
func deviceSum(rows map[stats.RowKey]stats.Row, name string, typ int16, col string) int64 {
	var n int64
	for k := range rows {
		if k.Table == stats.DeviceStat && k.Name == name && k.Type == typ {
			n += value(rows, k, col)
		}
	}
	return n
}

// TestOverflowedIntoIsInflowedNotOffered: a call overflowed into a queue is
// counted there as Inflowed and not as Offered (000 §4: "calls that were
// overflowed into this queue are not counted in this field"), so each call is
// Offered once, in the queue it was routed to.
func TestOverflowedIntoIsInflowedNotOffered(t *testing.T) {
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	c := newOverflowCenter(t, start)
	c.overflowedCall("c1", start.Add(time.Minute), true)
	c.overflowedCall("c2", start.Add(2*time.Minute), false)
	rows, _ := foldAll(t, c.evs)
	for _, want := range []struct {
		queue, col string
		n          int64
	}{
		{"first", "offered", 2}, {"first", "overflowedtime", 2}, {"first", "inflowed", 0},
		{"second", "offered", 0}, {"second", "inflowed", 2}, {"second", "answered", 1}, {"second", "abdringing", 1},
	} {
		if got := deviceSum(rows, want.queue, stats.DevQueue, want.col); got != want.n {
			t.Errorf("queue %s: %s = %d, want %d", want.queue, want.col, got, want.n)
		}
	}
	if got := deviceSum(rows, "5551000", stats.DevDNIS, "offered"); got != 2 {
		t.Errorf("DNIS offered %d calls, want 2", got)
	}
}

// TestQueueWaitCountsFromEnteringTheQueue: a queue's answer and abandon times
// of an inflowed call count from when the call entered that queue (2 s), the
// DNIS's from when it was first queued (7 s); the histograms agree.
func TestQueueWaitCountsFromEnteringTheQueue(t *testing.T) {
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	c := newOverflowCenter(t, start)
	c.overflowedCall("c1", start.Add(time.Minute), true)
	c.overflowedCall("c2", start.Add(2*time.Minute), false)
	rows, _ := foldAll(t, c.evs)
	for _, want := range []struct {
		name string
		typ  int16
		col  string
		secs int64
	}{
		{"second", stats.DevQueue, "sumanswertime", 2}, {"second", stats.DevQueue, "maxanswertime", 2},
		{"second", stats.DevQueue, "sumabdtime", 2},
		{"5551000", stats.DevDNIS, "sumanswertime", 7}, {"5551000", stats.DevDNIS, "sumabdtime", 7},
	} {
		if got := deviceSum(rows, want.name, want.typ, want.col); got != want.secs {
			t.Errorf("%s %s = %d s, want %d s", want.name, want.col, got, want.secs)
		}
	}
	frames := map[int32]int64{}
	for k := range rows {
		if k.Table == stats.DeviceTimes && k.Name == "second" && k.N1 == stats.TTQueueAnswerWait {
			frames[k.N2] += value(rows, k, "amount")
		}
	}
	if frames[int32(stats.TimeFrame(2))] != 1 || len(frames) != 1 {
		t.Errorf("queue answer wait histogram %v, want one call in the frame of 2 s", frames)
	}
}

// TestNoAgentOnACallAbandonedWhileRinging: CallsStat.Agent is the agent
// handling the call; a call abandoned while an agent's phone rang was handled
// by nobody.
func TestNoAgentOnACallAbandonedWhileRinging(t *testing.T) {
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	c := newOverflowCenter(t, start)
	c.overflowedCall("c1", start.Add(time.Minute), true)
	c.overflowedCall("c2", start.Add(2*time.Minute), false)
	_, recs := foldAll(t, c.evs)
	got := map[string]stats.CallRecord{}
	for _, r := range recs {
		got[r.UCID] = r
	}
	if r := got["c1"]; r.Agent != "y" || r.AgentExtension != "2002" || r.EndType != acd.EndTalked {
		t.Errorf("answered call: agent %q at %q, end %d; want y at 2002, talked", r.Agent, r.AgentExtension, r.EndType)
	}
	if r := got["c2"]; r.Agent != "" || r.AgentExtension != "" || r.EndType != acd.EndAbandonedRinging {
		t.Errorf("call abandoned while ringing: agent %q at %q, end %d; want none, abandoned ringing", r.Agent, r.AgentExtension, r.EndType)
	}
}
