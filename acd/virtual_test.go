package acd

import (
	"testing"
	"time"
)

// A call without a channel (a callback) hears nothing, keeps the place of
// the time it gives (ahead of calls that came later), rings the agent like
// any call and asks for a Connect marked virtual; restored from its events
// it keeps that place.
func TestVirtualCallKeepsItsPlace(t *testing.T) {
	h := newHarness(t, basicConfig())
	h.arrive("c1", "sales", 0) // arrives at t0
	h.now = h.now.Add(time.Minute)
	h.arrive("c2", "sales", 0)
	h.now = h.now.Add(time.Minute)
	place := t0.Add(30 * time.Second) // between c1 and c2
	acts := h.must(h.e.Arrive(h.now, Arrival{CallID: "cb-1-1", CLID: "0611", Queue: "sales", Virtual: true, PlaceAt: place}))
	none(t, acts, Music)
	none(t, acts, Announce)

	restored := New2(t, basicConfig(), h.events)
	for _, e := range []*Engine{h.e, restored} {
		c, ok := e.Call("cb-1-1")
		if !ok || !c.Virtual || !c.OfferedAt.Equal(place) {
			t.Fatalf("virtual call %+v %v", c, ok)
		}
	}
	// The agent takes c1, then the callback before c2.
	var order []string
	for _, id := range []string{"a1", "a2"} {
		acts := h.must(h.e.Login(h.now, id, ""))
		off := only(t, acts, Offer)
		order = append(order, off.CallID)
		if off.CallID == "cb-1-1" {
			if !off.Virtual || off.CallerID != "0611" {
				t.Fatalf("offer of the callback %+v", off)
			}
			conn := only(t, h.must(h.e.OfferAnswered(h.now, off.Channel)), Connect)
			if !conn.Virtual {
				t.Fatalf("connect of the callback %+v", conn)
			}
		}
	}
	if order[0] != "c1" || order[1] != "cb-1-1" {
		t.Fatalf("offers in order %v, want c1 then the callback", order)
	}
}

// New2 is an engine restored from events, as after a restart.
func New2(t *testing.T, spec Spec, events []Event) *Engine {
	t.Helper()
	e, err := New(spec)
	if err != nil {
		t.Fatal(err)
	}
	e.Restore(t0.Add(time.Hour), Fold(events), func(string) bool { return true })
	return e
}

// A caller who accepts a callback ends in the IVR (108) while waiting; one
// whose agent is already ringing cannot.
func TestEndInIVR(t *testing.T) {
	h := newHarness(t, basicConfig())
	h.arrive("c1", "sales", 0)
	h.must(h.e.CallbackOffered(h.now, "c1"))
	c, err := h.e.EndInIVR(h.now, "c1")
	if err != nil || c.ID != "c1" {
		t.Fatalf("%+v %v", c, err)
	}
	h.take()
	if got := h.lastEnded("c1"); got.EndType != EndInIVR {
		t.Fatalf("ended %+v", got)
	}
	h.login("a1")
	h.arrive("c2", "sales", 0)
	if _, err := h.e.EndInIVR(h.now, "c2"); err == nil {
		t.Fatal("a ringing call ended in the IVR")
	}
}

// A callback's place never leaves for a number or the default extension
// (nobody is on the line to send there): the position, no-agents,
// waiting-time and full-queue rules that send callers out keep it in its
// queue, where the next agent takes it.
func TestVirtualCallIsNotSentOut(t *testing.T) {
	cfg := basicConfig()
	cfg.Queues[0].Overflow = []OverflowSpec{{PositionAbove: 1, ToNumber: "5550000"}, {AfterWait: time.Minute, ToDefault: true}}
	cfg.Queues[0].MaxWaiting = 2
	cfg.Queues[0].FullDestination = "5551111"
	cfg.Queues[1].Overflow = []OverflowSpec{{NoAgentsLoggedIn: true, ToDefault: true}}
	h := newHarness(t, cfg)
	h.arrive("c1", "sales", 0)
	h.arrive("c2", "sales", 0) // sales is full now
	for _, in := range []Arrival{
		{CallID: "cb-1-1", CLID: "0611", Queue: "sales", Virtual: true, PlaceAt: h.now},   // position 3, full
		{CallID: "cb-2-1", CLID: "0622", Queue: "support", Virtual: true, PlaceAt: h.now}, // no agents logged in
	} {
		none(t, h.must(h.e.Arrive(h.now, in)), SendTo)
	}
	for _, act := range h.advance(2 * time.Minute) { // c1 and c2 go to the default extension
		if act.Kind == SendTo && act.CallID != "c1" && act.CallID != "c2" {
			t.Fatalf("sent out: %+v", act)
		}
	}
	for _, id := range []string{"cb-1-1", "cb-2-1"} {
		if c, ok := h.e.Call(id); !ok || c.State != Waiting {
			t.Fatalf("callback %s: %+v %v, want waiting in its queue", id, c, ok)
		}
	}
	if off := only(t, h.must(h.e.Login(h.now, "a1", "")), Offer); off.CallID != "cb-1-1" {
		t.Fatalf("offer %+v, want the callback", off)
	}
}
