package acd

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"
)

func propertyConfig() Spec {
	return Spec{
		DefaultExtension: "0",
		Queues: []QueueSpec{
			{Code: "q1", Skills: map[string]int{"s1": 2}, WrapUp: 3 * time.Second, AnnounceEvery: 25 * time.Second,
				Overflow: []OverflowSpec{{AfterWait: 40 * time.Second, ToQueue: "q2", Expand: true}}},
			{Code: "q2", Skills: map[string]int{"s2": 1}, Strategy: "skill_level", MaxWaiting: 6, FullDestination: "q3",
				Overflow: []OverflowSpec{{AfterWait: 90 * time.Second, ToQueue: "q3"}}},
			{Code: "q3", Groups: []string{"g"}, Strategy: "weighted", RingTimeout: 8 * time.Second,
				Overflow: []OverflowSpec{{PositionAbove: 5, ToNumber: "555"}, {NoAgentsLoggedIn: true, ToDefault: true}}},
		},
		Groups: []GroupSpec{{Name: "g", Agents: []string{"a4", "a5"}}},
		Agents: []AgentSpec{
			{ID: "a1", Endpoint: "E/1", Skills: map[string]int{"s1": 3}},
			{ID: "a2", Endpoint: "E/2", Skills: map[string]int{"s1": 1, "s2": 4}},
			{ID: "a3", Endpoint: "E/3", Skills: map[string]int{"s1": 5, "s2": 1}},
			{ID: "a4", Endpoint: "E/4", Skills: map[string]int{"s2": 2}},
			{ID: "a5", Endpoint: "E/5"},
			{ID: "a6", Endpoint: "E/6", Skills: map[string]int{"s1": 1}}, // qualifies for nothing
		},
	}
}

// TestProperties drives engines with random calls and agent actions and checks,
// after every step, what must always hold.
func TestProperties(t *testing.T) {
	seeds := 200
	if testing.Short() {
		seeds = 30
	}
	for seed := range seeds {
		t.Run(fmt.Sprint(seed), func(t *testing.T) { runProperty(t, uint64(seed), 400) })
	}
}

func runProperty(t *testing.T, seed uint64, steps int) {
	r := rand.New(rand.NewPCG(seed, 7))
	h := newHarness(t, propertyConfig())
	agents := []string{"a1", "a2", "a3", "a4", "a5", "a6"}
	queues := []string{"q1", "q2", "q3"}
	var nextCall int
	for step := 0; step < steps; step++ {
		h.now = h.now.Add(time.Duration(r.IntN(4000)) * time.Millisecond)
		calls := h.e.Calls()
		pickCall := func() (Call, bool) {
			if len(calls) == 0 {
				return Call{}, false
			}
			return calls[r.IntN(len(calls))], true
		}
		var op string
		switch n := r.IntN(100); {
		case n < 25:
			nextCall++
			op = "arrive"
			_ = h.e.Arrive(h.now, Arrival{CallID: fmt.Sprint("c", nextCall), Queue: queues[r.IntN(3)], Priority: r.IntN(10)})
		case n < 35:
			op = "hangup"
			if c, ok := pickCall(); ok {
				h.e.Hangup(h.now, c.ID)
			}
		case n < 50:
			op = "answer"
			if c, ok := pickCall(); ok && c.State == Ringing {
				_ = h.e.OfferAnswered(h.now, c.Channel)
			}
		case n < 55:
			op = "offer-failed"
			if c, ok := pickCall(); ok && c.State == Ringing {
				h.e.AgentGone(h.now, c.Channel, []string{Busy, Unavailable, NoAnswer}[r.IntN(3)])
			}
		case n < 62:
			op = "agent-hangup"
			if c, ok := pickCall(); ok && c.State == Connected {
				h.e.AgentGone(h.now, c.Channel, "")
			}
		case n < 70:
			op = "login"
			_ = h.e.Login(h.now, agents[r.IntN(len(agents))], "")
		case n < 74:
			op = "logout"
			_ = h.e.Logout(h.now, agents[r.IntN(len(agents))])
		case n < 80:
			op = "ready"
			_ = h.e.Ready(h.now, agents[r.IntN(len(agents))])
		case n < 85:
			op = "not-ready"
			_ = h.e.NotReady(h.now, agents[r.IntN(len(agents))], fmt.Sprint("act", r.IntN(3)))
		case n < 88:
			op = "transfer"
			if c, ok := pickCall(); ok {
				switch r.IntN(3) {
				case 0:
					_ = h.e.Transfer(h.now, c.ID, queues[r.IntN(3)], "")
				case 1:
					_ = h.e.Transfer(h.now, c.ID, "", "777")
				default:
					h.e.TransferredByPhone(h.now, c.Channel, "888")
				}
			}
		case n < 92:
			op = "hold"
			if c, ok := pickCall(); ok {
				if c.HeldSince.IsZero() {
					_ = h.e.Hold(h.now, c.ID)
				} else {
					_ = h.e.Unhold(h.now, c.ID)
				}
			}
		case n < 95:
			op = "direct"
			h.e.DirectCall(h.now, fmt.Sprint("E/", 1+r.IntN(6)), r.IntN(2) == 0)
		default:
			op = "tick"
			h.now = h.now.Add(time.Duration(r.IntN(60)) * time.Second)
		}
		h.e.Tick(h.now)
		acts := h.take()
		if err := checkInvariants(h, acts, step%10 == 0); err != nil {
			t.Fatalf("seed %d step %d (%s): %v\nevents: %s", seed, step, op, err, h.kinds())
		}
	}
	// A restart with every channel still there keeps every call and agent.
	before := h.e.Snapshot()
	h2 := newHarness(t, propertyConfig())
	h2.now = h.now
	h2.e.Restore(h.now, Fold(h.events), func(string) bool { return true })
	h2.events = append(h2.events, h.events...)
	acts := h2.take()
	if err := checkInvariants(h2, acts, true); err != nil {
		t.Fatalf("seed %d after restore: %v", seed, err)
	}
	after := h2.e.Snapshot()
	if len(after.Calls) != len(before.Calls) {
		t.Fatalf("seed %d: %d calls before the restart, %d after", seed, len(before.Calls), len(after.Calls))
	}
	for i, c := range before.Calls {
		a := after.Calls[i]
		if a.ID != c.ID || (c.State == Connected) != (a.State == Connected) || a.Agent != c.Agent && c.State == Connected ||
			!slices.Equal(a.Queues, c.Queues) && c.State == Waiting {
			t.Fatalf("seed %d: call before the restart %+v\nafter %+v", seed, c, a)
		}
	}
}

func checkInvariants(h *harness, acts []Action, fold bool) error {
	e := h.e
	// Offers go to agents qualified for the call's queue.
	for _, a := range acts {
		if a.Kind != Offer {
			continue
		}
		q := e.queues[a.Queue]
		if !slices.ContainsFunc(q.eligible, func(x *agent) bool { return x.ID == a.Agent }) {
			return fmt.Errorf("offer of %s to %s, who does not qualify for %s", a.CallID, a.Agent, a.Queue)
		}
	}
	// An agent has at most one call, and its state says so.
	busy := map[string]string{}
	for _, c := range e.calls {
		if c.State == Ringing || c.State == Connected {
			if other, dup := busy[c.Agent]; dup {
				return fmt.Errorf("agent %s has calls %s and %s", c.Agent, other, c.ID)
			}
			busy[c.Agent] = c.ID
			a := e.agents[c.Agent]
			want := map[string]string{Ringing: Ringing, Connected: OnCall}[c.State]
			if a.State != want || a.call != c {
				return fmt.Errorf("call %s is %s with %s, but the agent is %s", c.ID, c.State, c.Agent, a.State)
			}
		}
		// Waiting and ringing calls keep their places; connected ones have none.
		if (c.State == Connected) == (len(c.members) > 0) {
			return fmt.Errorf("call %s is %s in queues %v", c.ID, c.State, c.Queues)
		}
	}
	for _, a := range e.agentList {
		if (a.State == Ringing || a.State == OnCall) && busy[a.ID] == "" {
			return fmt.Errorf("agent %s is %s without a call", a.ID, a.State)
		}
		if a.loggedIn != (a.State != LoggedOut) {
			return fmt.Errorf("agent %s is %s, logged in %v", a.ID, a.State, a.loggedIn)
		}
		// Nobody ready while a call they may take waits.
		if a.State == Ready {
			for _, q := range a.queues {
				if q.waiting.Len() > 0 {
					return fmt.Errorf("agent %s is ready while %d calls wait in %s", a.ID, q.waiting.Len(), q.cfg.Code)
				}
			}
		}
	}
	for _, q := range e.queueList {
		n := 0
		for _, a := range q.eligible {
			if a.loggedIn {
				n++
			}
		}
		if n != q.loggedIn {
			return fmt.Errorf("queue %s counts %d agents logged in, has %d", q.cfg.Code, q.loggedIn, n)
		}
		for i, m := range q.waiting.items {
			if m.idx != i || m.gone || m.c.State != Waiting {
				return fmt.Errorf("queue %s holds a stale entry for %s (%s)", q.cfg.Code, m.c.ID, m.c.State)
			}
			if i > 0 && before(m, q.waiting.items[(i-1)/2]) {
				return fmt.Errorf("queue %s is out of order", q.cfg.Code)
			}
		}
	}
	// Every call offered is either in the engine or ended exactly once.
	offered, ended := map[string]bool{}, map[string]int{}
	for _, ev := range h.events {
		switch ev.Kind {
		case "call.offered":
			offered[ev.CallID] = true
		case "call.ended":
			ended[ev.CallID]++
			if s := ev.Data.Summary; s.EndType < EndTalked || s.EndType > EndNoAction {
				return fmt.Errorf("call %s ended with type %d", ev.CallID, s.EndType)
			}
		}
	}
	for id := range offered {
		_, open := e.calls[id]
		if open == (ended[id] > 0) || ended[id] > 1 {
			return fmt.Errorf("call %s: open %v, ended %d times", id, open, ended[id])
		}
	}
	// The events alone rebuild the state.
	if !fold {
		return nil
	}
	return sameSnapshot(Fold(h.events), e.Snapshot())
}

func sameSnapshot(folded, live Snapshot) error {
	if len(folded.Calls) != len(live.Calls) {
		return fmt.Errorf("fold has %d calls, the engine %d", len(folded.Calls), len(live.Calls))
	}
	for i := range live.Calls {
		f, l := folded.Calls[i], live.Calls[i]
		// The expansion flag and the announcement state are not in the call record.
		if !reflect.DeepEqual(normalize(f), normalize(l)) {
			return fmt.Errorf("call %s:\n fold   %+v\n engine %+v", l.ID, f, l)
		}
	}
	fa := map[string]Agent{}
	for _, a := range folded.Agents {
		fa[a.ID] = a
	}
	for _, l := range live.Agents {
		f := fa[l.ID]
		if f.State != l.State || !f.Since.Equal(l.Since) || f.Activity != l.Activity || f.Endpoint != l.Endpoint ||
			f.Forced != l.Forced || f.CallID != l.CallID || !f.IdleSince.Equal(l.IdleSince) || !f.Until.Equal(l.Until) {
			return fmt.Errorf("agent %s:\n fold   %+v\n engine %+v", l.ID, f, l)
		}
	}
	return nil
}

func normalize(c Call) Call {
	if len(c.Queues) == 0 {
		c.Queues, c.QueuedSince = nil, nil
	}
	return c
}
