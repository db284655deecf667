package acd

import (
	"errors"
	"testing"
	"time"

	"github.com/ccdhq/ccd"
)

// A skill given to an agent while calls wait moves the next offer to that
// agent at once, without a restart.
func TestApplySkillChangeMovesTheNextOffer(t *testing.T) {
	h := newHarness(t, basicConfig())
	h.login("a3") // support level 2: below the queue's minimum of 3
	none(t, h.arrive("c1", "support", 0), Offer)
	spec := basicConfig()
	spec.Agents[2].Skills = map[string]int{"support": 4}
	acts := h.must(h.e.Apply(h.now, spec))
	if off := only(t, acts, Offer); off.Agent != "a3" || off.CallID != "c1" {
		t.Fatalf("offer %+v", off)
	}
	// And a skill taken away stops the offers.
	h.advance(time.Second)
	h.must(h.e.OfferAnswered(h.now, "c1-1"))
	h.e.Hangup(h.now, "c1")
	h.take()
	spec.Agents[2].Skills = map[string]int{"support": 1}
	h.must(h.e.Apply(h.now, spec))
	h.advance(time.Minute) // wrap-up over, a3 ready
	none(t, h.arrive("c2", "support", 0), Offer)
}

// A queue and an agent added while running take calls at once.
func TestApplyAddsQueueAndAgent(t *testing.T) {
	h := newHarness(t, basicConfig())
	spec := basicConfig()
	spec.Queues = append(spec.Queues, QueueSpec{Code: "vip", Skills: map[string]int{"vip": 1}})
	spec.Agents = append(spec.Agents, AgentSpec{ID: "a9", Endpoint: "PJSIP/1009", Skills: map[string]int{"vip": 1}})
	h.must(h.e.Apply(h.now, spec))
	h.login("a9")
	if off := only(t, h.arrive("c1", "vip", 0), Offer); off.Agent != "a9" || off.Queue != "vip" {
		t.Fatalf("offer %+v", off)
	}
}

// A removed queue takes no new call and keeps its waiting callers until
// they are answered; then it is gone.
func TestApplyRemovedQueueDrains(t *testing.T) {
	h := newHarness(t, basicConfig())
	h.arrive("c1", "support", 0)
	h.arrive("c2", "support", 0)
	spec := basicConfig()
	spec.Queues = spec.Queues[:1]
	h.must(h.e.Apply(h.now, spec))
	var nf *ccd.Error
	if err := h.e.Arrive(h.now, Arrival{CallID: "c3", Queue: "support"}); !errors.As(err, &nf) || nf.Code != ccd.ENOTFOUND {
		t.Fatalf("a new call for the removed queue: %v", err)
	}
	if len(h.e.Calls()) != 2 || len(h.e.Queues(h.now)) != 2 {
		t.Fatalf("calls %d, queues %+v", len(h.e.Calls()), h.e.Queues(h.now))
	}
	h.login("a2") // support 5: still serves the draining queue
	h.take()
	h.must(h.e.OfferAnswered(h.now, "c1-1"))
	h.e.Hangup(h.now, "c2") // the other caller gives up
	h.take()
	if qs := h.e.Queues(h.now); len(qs) != 1 || qs[0].Code != "sales" {
		t.Fatalf("queues after draining: %+v", qs)
	}
	if c, _ := h.e.Call("c1"); c.State != Connected || c.Queue != "support" {
		t.Fatalf("the drained caller %+v", c)
	}
}

// An agent removed while on a call finishes it, then is logged out and
// forgotten; one removed while idle is logged out at once.
func TestApplyRemovedAgentFinishesItsCall(t *testing.T) {
	h := newHarness(t, basicConfig())
	h.login("a1", "a2")
	h.arrive("c1", "sales", 0) // a1, idle longest
	h.must(h.e.OfferAnswered(h.now, "c1-1"))
	spec := basicConfig()
	spec.Agents = spec.Agents[2:] // a1 and a2 go
	h.must(h.e.Apply(h.now, spec))
	if a, err := h.e.Agent("a2"); err == nil {
		t.Fatalf("idle a2 still there: %+v", a)
	}
	if a, _ := h.e.Agent("a1"); a.State != OnCall {
		t.Fatalf("a1 is %s", a.State)
	}
	h.advance(time.Second)
	h.e.Hangup(h.now, "c1")
	h.take()
	if _, err := h.e.Agent("a1"); err == nil {
		t.Fatal("a1 still there after its call")
	}
	if got := h.lastEnded("c1"); got.EndType != EndTalked || got.Agent != "a1" {
		t.Fatalf("the call's record %+v", got)
	}
	last := h.events[len(h.events)-1]
	if last.Kind != ccd.EventAgentLoggedOut || last.Agent != "a1" {
		t.Fatalf("last event %s %s, events %s", last.Kind, last.Agent, h.kinds())
	}
}

// A spec the engine cannot run changes nothing.
func TestApplyRefusesBadSpec(t *testing.T) {
	h := newHarness(t, basicConfig())
	spec := basicConfig()
	spec.Queues[0].Overflow = []OverflowSpec{{AfterWait: time.Second, ToQueue: "nowhere"}}
	spec.Agents = nil
	if err := h.e.Apply(h.now, spec); err == nil {
		t.Fatal("applied an overflow to an unknown queue")
	}
	if len(h.e.Agents()) != 3 {
		t.Fatalf("agents after a refused spec: %+v", h.e.Agents())
	}
}
