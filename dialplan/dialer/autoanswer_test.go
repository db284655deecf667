package dialer_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/ari/aritest"
	dc2c "github.com/ccdhq/ccd/dialplan/clicktocall"
	"github.com/ccdhq/ccd/dialplan/media"
)

// originateVariables are the variables of the originates so far, by
// endpoint.
func originateVariables(sim *aritest.Sim) map[string]map[string]string {
	vars := map[string]map[string]string{}
	for _, req := range sim.Requests() {
		if ep := req.Query.Get("endpoint"); req.Method == "POST" && strings.HasPrefix(req.Path, "/channels") && ep != "" {
			var body struct{ Variables map[string]string }
			_ = json.Unmarshal(req.Body, &body)
			vars[ep] = body.Variables
		}
	}
	return vars
}

// A customer-first click-to-call rings the agent's phone once the customer
// answered: with the auto-answer headers for an agent with auto_answer,
// while the customer's leg carries none.
func TestClickToCallCustomerFirstAsksAnAutoAnswerAgentsPhoneToAnswer(t *testing.T) {
	p := newPreviewEnvWith(t, func(agent string) bool { return agent == "1001" }, "1001")
	p.sim.SetEndpoint("PJSIP/5550100", aritest.Behavior{Action: aritest.EndpointAnswer, Delay: 20 * time.Millisecond})
	if _, err := p.calls.Place(p.ctx, dc2c.Request{Order: ccd.ClickToCallCustomerFirst, Agent: "1001", Phones: []string{"PJSIP/1001"},
		Number: "5550100", Customer: "PJSIP/5550100", CallerID: "5559999", Via: "test"}); err != nil {
		t.Fatal(err)
	}
	until(t, "the agent's phone rings", func() bool { _, ok := originateVariables(p.sim)["PJSIP/1001"]; return ok })
	vars := originateVariables(p.sim)
	if agent := vars["PJSIP/1001"]; agent["PJSIP_HEADER(add,Call-Info)"] != media.AutoAnswerCallInfo ||
		agent["PJSIP_HEADER(add,Alert-Info)"] != media.AutoAnswerAlertInfo {
		t.Errorf("agent's phone rung with %v", agent)
	}
	if customer := vars["PJSIP/5550100"]; len(customer) != 0 {
		t.Errorf("customer's phone rung with %v", customer)
	}
}
