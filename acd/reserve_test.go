package acd

import (
	"testing"
	"time"
)

// blended: one agent serves an inbound queue and the dialer's queue.
func blended() Spec {
	return Spec{DefaultExtension: "0",
		Queues: []QueueSpec{{Code: "inbound", Skills: map[string]int{"sales": 1}}, {Code: "outbound", Skills: map[string]int{"sales": 1}}},
		Agents: []AgentSpec{{ID: "a1", Endpoint: "PJSIP/1001", Skills: map[string]int{"sales": 1}},
			{ID: "a2", Endpoint: "PJSIP/1002", Skills: map[string]int{"sales": 1}}}}
}

func offeredTo(acts []Action, call string) string {
	for _, a := range acts {
		if a.Kind == Offer && a.CallID == call {
			return a.Agent
		}
	}
	return ""
}

// Agents the dialer counts on are not offered inbound calls: with one of
// two ready agents reserved for the outbound queue, an inbound call takes
// the other, the next waits; the dialer's call takes the reserved agent;
// lifting the reservation gives the waiting call an agent at once.
func TestReservedAgentsWaitForTheDialersCalls(t *testing.T) {
	h := newHarness(t, blended())
	h.login("a1", "a2")
	h.e.Reserve(h.now, "outbound", 1)
	if got := offeredTo(h.arrive("in1", "inbound", 5), "in1"); got != "a1" {
		t.Fatalf("in1 offered to %q, want a1 (a2 stays for the dialer)", got)
	}
	if got := offeredTo(h.arrive("in2", "inbound", 5), "in2"); got != "" {
		t.Fatalf("in2 offered to %q: the reserved agent was taken", got)
	}
	if got := offeredTo(h.arrive("out1", "outbound", 5), "out1"); got != "a2" {
		t.Fatalf("the dialer's call offered to %q, want a2", got)
	}
	h.must(h.e.OfferAnswered(h.now, "in1-1"))
	h.e.Hangup(h.now, "in1") // a1 goes to wrap-up (none configured): ready again
	h.take()
	h.e.Reserve(h.now, "outbound", 1)
	h.take()
	if c, _ := h.e.Call("in2"); c.State != Waiting {
		t.Fatalf("in2 %s while a1 is held for the dialer", c.State)
	}
	h.e.Reserve(h.now, "outbound", 0)
	if got := offeredTo(h.take(), "in2"); got != "a1" {
		t.Fatalf("in2 offered to %q after the reservation was lifted, want a1; %s", got, h.kinds())
	}
}

// A personal callback goes to its agent alone, even when another agent is
// idle longer; a held agent takes no other call; released, it takes the
// call waiting for it at once.
func TestPersonalCallsWaitForTheirAgent(t *testing.T) {
	h := newHarness(t, blended())
	h.login("a1", "a2") // a1 idle longest
	h.e.HoldAgents(h.now, []string{"a2"})
	if got := offeredTo(h.arrive("in1", "inbound", 5), "in1"); got != "a1" {
		t.Fatalf("in1 offered to %q, want a1 (a2 is held)", got)
	}
	if got := offeredTo(h.arrive("in2", "inbound", 1), "in2"); got != "" {
		t.Fatalf("in2 offered to the held agent %q", got)
	}
	acts := h.must(h.e.Arrive(h.now, Arrival{CallID: "cb1", CLID: "5550001", Queue: "outbound", Agent: "a2"}))
	if got := offeredTo(acts, "cb1"); got != "a2" {
		t.Fatalf("the personal call offered to %q, want a2", got)
	}
	// A personal call of an agent not ready waits, even with another
	// agent free, and goes to its agent when it is ready.
	h2 := newHarness(t, blended())
	h2.login("a1", "a2")
	h2.must(h2.e.NotReady(h2.now, "a2", ""))
	acts = h2.must(h2.e.Arrive(h2.now, Arrival{CallID: "cb2", CLID: "5550002", Queue: "outbound", Agent: "a2"}))
	if got := offeredTo(acts, "cb2"); got != "" {
		t.Fatalf("a personal call of a2 offered to %q", got)
	}
	if got := offeredTo(h2.must(h2.e.Ready(h2.now, "a2")), "cb2"); got != "a2" {
		t.Fatalf("cb2 offered to %q when a2 became ready, want a2", got)
	}
}

// A restart of ccd keeps a personal callback its agent's: restored from
// the event log, it is still offered to that agent alone, not to another
// one idle longer.
func TestPersonalCallStaysPersonalAcrossARestart(t *testing.T) {
	h := newHarness(t, blended())
	h.login("a1", "a2")
	h.must(h.e.NotReady(h.now, "a2", ""))
	acts := h.must(h.e.Arrive(h.now, Arrival{CallID: "cb1", CLID: "5550001", Queue: "outbound", Agent: "a2"}))
	if got := offeredTo(acts, "cb1"); got != "" {
		t.Fatalf("a personal call of a2 offered to %q", got)
	}
	snap := Fold(h.events)
	h2 := newHarness(t, blended())
	h2.now = h.now.Add(time.Second)
	h2.e.Restore(h2.now, snap, func(string) bool { return true })
	if got := offeredTo(h2.take(), "cb1"); got != "" {
		t.Fatalf("after the restart the personal call of a2 was offered to %q", got)
	}
	if got := offeredTo(h2.must(h2.e.Ready(h2.now, "a2")), "cb1"); got != "a2" {
		t.Fatalf("cb1 offered to %q when a2 became ready after the restart, want a2", got)
	}
}
