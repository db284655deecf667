package queue

import (
	"testing"

	"github.com/ccdhq/ccd/ari/aritest"
)

// An offer to an agent with auto_answer asks the agent's PJSIP phone to
// answer by itself (the originate carries the PJSIP_HEADER variables); the
// setting is live: once the admin turns it off, the next offer carries none.
func TestOfferAsksAutoAnswerAgentsPhoneToAnswer(t *testing.T) {
	sim := aritest.NewSim()
	defer sim.Close()
	sim.SetEndpoint("PJSIP/1001", aritest.Behavior{Action: aritest.EndpointRing})
	cfg := testACD()
	cfg.Agents[0].AutoAnswer = true
	e := newEnv(t, sim, cfg, nil)
	e.login("a1")

	headers := func(call string) (callInfo, alertInfo string, any bool) {
		t.Helper()
		ring := e.waitEvent("call.ringing", call, "a1")
		ch := sim.Channel(ring.Data.Channel)
		until(t, "the agent's phone rings", ch.Exists)
		ci, ciOK := ch.Variable("PJSIP_HEADER(add,Call-Info)")
		ai, aiOK := ch.Variable("PJSIP_HEADER(add,Alert-Info)")
		return ci, ai, ciOK || aiOK
	}

	caller := e.caller("c1", "100")
	if ci, ai, _ := headers("c1"); ci != "<sip:127.0.0.1>;answer-after=0" || ai != "<http://127.0.0.1>;info=alert-autoanswer;delay=0" {
		t.Fatalf("auto-answer agent rung with Call-Info %q, Alert-Info %q", ci, ai)
	}
	if err := caller.Hangup(16); err != nil {
		t.Fatal(err)
	}
	e.ended("c1")

	cfg.Agents[0].AutoAnswer = false
	if err := e.app.Apply(e.ctx, cfg); err != nil {
		t.Fatal(err)
	}
	e.caller("c2", "100")
	if ci, ai, any := headers("c2"); any {
		t.Fatalf("auto_answer turned off, yet rung with Call-Info %q, Alert-Info %q", ci, ai)
	}
}
