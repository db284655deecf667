package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/config"
)

// Click-to-call on a real Asterisk: the agent's phone (a Local channel into
// [agents], which answers after 1 s and hangs up 5 s later) rings first,
// then the customer (a Local channel into the same context); both enter
// the click-to-call's bridge, the agent's hang-up ends the call, and it is
// the agent's outbound call in the event log and the statistics.
func TestClickToCallConnectsAgentAndCustomer(t *testing.T) {
	e := setup(t)
	e.checkDialplan(t, e.amiClient(t), "agents")
	e.queueFor(false, config.Agent{ID: "1001", Endpoint: "Local/1001@agents"})
	e.cfg.ClickToCall.DialEndpoint = "Local/{number}@agents"
	e.cfg.ClickToCall.Queues = []config.ClickToCallQueue{{Queue: "itest", CallerID: "4570000000"}}
	e.startDaemon(t)
	ctx := ctxT(t, 2*time.Minute)
	e.agentRequest(t, ctx, "1001", "login")

	call := e.clickToCall(t, ctx, `{"agent": "1001", "number": "5550123", "queue": "itest"}`)
	agentLeg, customerLeg := call.ID+"-a1", call.ID+"-c"
	agentUp := e.waitEvent(t, "ari.StasisStart", agentLeg, 15*time.Second)
	e.waitEvent(t, "ari.ChannelEnteredBridge", agentLeg, 10*time.Second)
	customerUp := e.waitEvent(t, "ari.StasisStart", customerLeg, 15*time.Second)
	if customerUp.ID < agentUp.ID {
		t.Fatalf("the customer answered (event %d) before the agent (event %d)", customerUp.ID, agentUp.ID)
	}
	e.waitEvent(t, "ari.ChannelEnteredBridge", customerLeg, 10*time.Second)
	e.waitEvent(t, ccd.EventClickToCallAnswered, call.ID, 10*time.Second)
	ended := e.waitEvent(t, ccd.EventClickToCallEnded, call.ID, 20*time.Second)
	var c ccd.ClickToCall
	if err := json.Unmarshal(ended.Payload, &c); err != nil {
		t.Fatal(err)
	}
	if c.Result != "answered" || c.Agent != "1001" || c.AnsweredAt.IsZero() || c.CallerID != "4570000000" {
		t.Fatalf("clicktocall.ended %s", ended.Payload)
	}
	e.waitEvent(t, "ari.StasisEnd", customerLeg, 10*time.Second)
	waitFor(t, 20*time.Second, "the agent's outbound call in the statistics", func() bool {
		var n int
		_ = e.db.Get(&n, `SELECT coalesce(sum(extansweredto), 0) FROM stat.agentstat s
			JOIN stat.code a ON a.kind = 'agent' AND a.code = s.usercode AND a.name = '1001'`)
		return n == 1
	})
}

// Customer first on a real Asterisk: the customer answers first, then the
// phone given rings and both are bridged.
func TestClickToCallCustomerFirst(t *testing.T) {
	e := setup(t)
	e.checkDialplan(t, e.amiClient(t), "agents")
	e.queueFor(false)
	e.cfg.ClickToCall.DialEndpoint = "Local/{number}@agents"
	e.startDaemon(t)
	ctx := ctxT(t, 2*time.Minute)
	call := e.clickToCall(t, ctx, `{"order": "customer_first", "phone": "Local/1002@agents", "number": "5550124"}`)
	customerUp := e.waitEvent(t, "ari.StasisStart", call.ID+"-c", 15*time.Second)
	phoneUp := e.waitEvent(t, "ari.StasisStart", call.ID+"-a1", 15*time.Second)
	if phoneUp.ID < customerUp.ID {
		t.Fatalf("the phone answered (event %d) before the customer (event %d)", phoneUp.ID, customerUp.ID)
	}
	e.waitEvent(t, "ari.ChannelEnteredBridge", call.ID+"-a1", 10*time.Second)
	e.waitEvent(t, "ari.ChannelEnteredBridge", call.ID+"-c", 10*time.Second)
	ended := e.waitEvent(t, ccd.EventClickToCallEnded, call.ID, 20*time.Second)
	var c ccd.ClickToCall
	if err := json.Unmarshal(ended.Payload, &c); err != nil || c.Result != "answered" {
		t.Fatalf("clicktocall.ended %s", ended.Payload)
	}
}

// clickToCall places a click-to-call with ccd's API token and returns it.
func (e *env) clickToCall(t *testing.T, ctx context.Context, body string) ccd.ClickToCall {
	t.Helper()
	code, b := e.send(t, ctx, http.MethodPost, "/api/clicktocall", e.cfg.API.Token, json.RawMessage(body))
	if code != http.StatusCreated {
		t.Fatalf("POST /api/clicktocall: HTTP %d %s", code, b)
	}
	var call ccd.ClickToCall
	if err := json.Unmarshal(b, &call); err != nil {
		t.Fatal(err)
	}
	return call
}
