package queue

import (
	"testing"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/ari/aritest"
)

// connectedCalls records what the queue tells the callback application.
type connectedCalls struct{ calls chan string }

func (c connectedCalls) Connected(callID, agent, agentChannel, queue string) {
	c.calls <- callID + " " + agent
}
func (c connectedCalls) Ended(string) {}

// A callback's place has no channel: an ARI reconnect that finds no such
// channel, and a ccd restart, keep it waiting in its queue; the agent who
// logs in is rung for it and its answer is handed to the callback
// application instead of bridging a caller.
func TestVirtualCallSurvivesReconnectAndRestart(t *testing.T) {
	sim := aritest.NewSim()
	defer sim.Close()
	answering(sim, "PJSIP/1001")
	e := newEnv(t, sim, testACD(), nil)
	cb := ccd.Callback{ID: "cb-1", Queue: "sales", Number: "0611223344", Priority: 5, PlaceAt: time.Now().Add(-time.Minute)}
	if err := e.app.Place(e.ctx, cb, "cb-1-1"); err != nil {
		t.Fatal(err)
	}
	if err := e.app.Place(e.ctx, cb, "cb-1-1"); err != nil { // placed again after a restart of the manager: kept
		t.Fatal(err)
	}
	e.waitEvent("call.queued", "cb-1-1", "")
	e.reconcile() // an ARI reconnect: no channel cb-1-1 in the application
	if calls, _ := e.app.Calls(e.ctx); len(calls) != 1 || !calls[0].Virtual {
		t.Fatalf("after a reconnect: %+v", calls)
	}
	e.close()

	e2 := load(t, sim, testACD(), e.log(), nil)
	got := connectedCalls{calls: make(chan string, 1)}
	// Set on the loop: the application already runs.
	if err := e2.app.do(e2.ctx, func() error { e2.app.SetVirtualCalls(got); return nil }); err != nil {
		t.Fatal(err)
	}
	e2.reconcile()
	if calls, _ := e2.app.Calls(e2.ctx); len(calls) != 1 || calls[0].ID != "cb-1-1" || !calls[0].OfferedAt.Equal(time.UnixMilli(cb.PlaceAt.UnixMilli())) {
		t.Fatalf("after a restart: %+v", calls)
	}
	e2.login("a1")
	select {
	case c := <-got.calls:
		if c != "cb-1-1 a1" {
			t.Fatalf("connected %q", c)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the agent's answer was not handed to the callback application")
	}
	for _, b := range sim.Bridges() {
		if len(b.Channels) > 0 {
			t.Fatalf("the queue bridged a call without a channel: %+v", b)
		}
	}
}
