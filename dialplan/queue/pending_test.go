package queue

import (
	"testing"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/ari/aritest"
)

// A not ready or a log out asked for on a call shows in the agent's status
// (and so in Agents, the live views' source) until the call ends; the
// status then is the state asked for, with nothing pending.
func TestAgentStatusShowsTheChangePendingOnACall(t *testing.T) {
	sim := aritest.NewSim()
	defer sim.Close()
	answering(sim, "PJSIP/1002")
	e := newEnv(t, sim, testACD(), nil)
	e.login("a2")
	e.caller("c1", "200")
	e.waitEvent("call.answered", "c1", "a2")
	if err := e.app.NotReady(e.ctx, "a2", "lunch"); err != nil {
		t.Fatal(err)
	}
	st, err := e.app.Agent(e.ctx, "a2")
	if err != nil || st.State != ccd.AgentOnCall || st.Pending == nil || *st.Pending != (ccd.PendingChange{Change: ccd.ChangeNotReady, Activity: "lunch"}) {
		t.Fatalf("not ready on a call: %+v %v", st, err)
	}
	if err := e.app.Logout(e.ctx, "a2"); err != nil {
		t.Fatal(err)
	}
	all, err := e.app.Agents(e.ctx)
	found := false
	for _, a := range all {
		if a.ID == "a2" {
			found = a.Pending != nil && *a.Pending == ccd.PendingChange{Change: ccd.ChangeLogout}
		}
	}
	if err != nil || !found {
		t.Fatalf("log out on a call, in Agents: %+v %v", all, err)
	}
	if err := e.app.Ready(e.ctx, "a2"); err != nil { // cancels the pending change
		t.Fatal(err)
	}
	if st, err := e.app.Agent(e.ctx, "a2"); err != nil || st.Pending != nil {
		t.Fatalf("ready cancels what was pending: %+v %v", st, err)
	}
}
