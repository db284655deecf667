package acd

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ccdhq/ccd"
)

// A supervisor sends a waiting call to another queue: it leaves sales, waits
// in support, an agent of support gets it, and the event log folds to the
// same place.
func TestMoveWaitingToAnotherQueue(t *testing.T) {
	h := newHarness(t, basicConfig())
	h.arrive("c1", "sales", 5)
	h.must(h.e.MoveWaiting(h.now, "c1", "support"))
	c, _ := h.e.Call("c1")
	if !slices.Equal(c.Queues, []string{"support"}) || c.Queue != "support" || c.QueueHops != 1 {
		t.Fatalf("after the move: %+v", c)
	}
	if snap := Fold(h.events); len(snap.Calls) != 1 || !slices.Equal(snap.Calls[0].Queues, []string{"support"}) {
		t.Fatalf("folded: %+v", snap.Calls)
	}
	h.login("a2")
	if off := h.actions[len(h.actions)-1]; off.Kind != Offer || off.CallID != "c1" || off.Queue != "support" {
		t.Fatalf("want c1 offered to a2 in support, got %+v", off)
	}
	if err := h.e.MoveWaiting(h.now, "c1", "sales"); ccd.ErrorCode(err) != ccd.ECONFLICT {
		t.Fatalf("moving a ringing call: %v, want a conflict", err)
	}
	if err := h.e.MoveWaiting(h.now, "gone", "sales"); ccd.ErrorCode(err) != ccd.ECONFLICT {
		t.Fatalf("moving an ended call: %v, want a conflict", err)
	}
}

// A supervisor rings a chosen agent, even one without the queue's skills;
// an agent logged out or busy is a conflict.
func TestOfferToChosenAgent(t *testing.T) {
	h := newHarness(t, basicConfig())
	h.arrive("c1", "support", 5)
	if err := h.e.OfferTo(h.now, "c1", "a3"); ccd.ErrorCode(err) != ccd.ECONFLICT {
		t.Fatalf("offer to a logged-out agent: %v, want a conflict", err)
	}
	h.login("a3") // below support's minimum: never picked by the queue
	if len(h.e.offers) != 0 {
		t.Fatal("a3 was offered support's call by the queue")
	}
	acts := h.must(h.e.OfferTo(h.now, "c1", "a3"))
	if off := only(t, acts, Offer); off.Agent != "a3" || off.CallID != "c1" {
		t.Fatalf("offer %+v", off)
	}
	h.login("a1")
	if err := h.e.OfferTo(h.now, "c1", "a1"); ccd.ErrorCode(err) != ccd.ECONFLICT {
		t.Fatalf("offer of a ringing call: %v, want a conflict", err)
	}
	// No answer: back to its place, a3 not ready.
	h.advance(11 * time.Second)
	if c, _ := h.e.Call("c1"); c.State != Waiting {
		t.Fatalf("after no answer the call is %s", c.State)
	}
}

// Raising a call's priority puts it first; the priority survives a fold of
// the event log (a restart).
func TestSetPriorityReorders(t *testing.T) {
	h := newHarness(t, basicConfig())
	h.arrive("c1", "sales", 5)
	h.now = h.now.Add(time.Second)
	h.arrive("c2", "sales", 5)
	if err := h.e.SetPriority(h.now, "c2", 0); ccd.ErrorCode(err) != ccd.EINVALID {
		t.Fatalf("priority 0: %v", err)
	}
	h.must(h.e.SetPriority(h.now, "c2", 1))
	if !strings.Contains(h.kinds(), "call.priority:c2") {
		t.Fatalf("no call.priority event: %s", h.kinds())
	}
	for _, c := range Fold(h.events).Calls {
		if c.ID == "c2" && c.Priority != 1 {
			t.Fatalf("folded priority %d", c.Priority)
		}
	}
	h.login("a1")
	if off := h.actions[len(h.actions)-1]; off.Kind != Offer || off.CallID != "c2" {
		t.Fatalf("want c2 offered first, got %+v", off)
	}
	h.must(h.e.OfferAnswered(h.now, h.actions[len(h.actions)-1].Channel))
	if err := h.e.SetPriority(h.now, "c2", 3); ccd.ErrorCode(err) != ccd.ECONFLICT {
		t.Fatalf("priority of a connected call: %v, want a conflict", err)
	}
}
