package dialer_test

import (
	"strings"
	"testing"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/ari/aritest"
	"github.com/ccdhq/ccd/dialer"
	dialplanDialer "github.com/ccdhq/ccd/dialplan/dialer"
)

// originateTimeouts are the ring timeouts (seconds, as asked of ARI) of
// the calls placed, by endpoint.
func originateTimeouts(sim *aritest.Sim) map[string]string {
	out := map[string]string{}
	for _, req := range sim.Requests() {
		if ep := req.Query.Get("endpoint"); req.Method == "POST" && strings.HasPrefix(req.Path, "/channels") && ep != "" {
			out[ep] = req.Query.Get("timeout")
		}
	}
	return out
}

// A preview dial rings the customer for the campaign's noAnswerDuration
// (the law's no-answer time), not for the click-to-call's ring timeout,
// which stays the agent's phone's.
func TestPreviewRingsTheCustomerForTheCampaignsNoAnswerDuration(t *testing.T) {
	p := newPreviewEnv(t, "1001")
	p.sim.SetEndpoint("PJSIP/5550100", aritest.Behavior{Action: aritest.EndpointBusy, Delay: 20 * time.Millisecond})
	cp := campaign()
	cp.NoAnswerDuration = 40
	c := p.previewCampaign(cp)
	p.target(c, "5550100")
	if _, err := p.preview.Next(p.ctx, "1001", c); err != nil {
		t.Fatal(err)
	}
	if _, err := p.preview.Dial(p.ctx, "1001", 0); err != nil {
		t.Fatal(err)
	}
	p.waitStored(1)
	got := originateTimeouts(p.sim)
	if got["PJSIP/5550100"] != "40" {
		t.Errorf("the customer rang with timeout %q, want the campaign's 40 s (all: %v)", got["PJSIP/5550100"], got)
	}
	if got["PJSIP/1001"] != "5" {
		t.Errorf("the agent's phone rang with timeout %q, want click-to-call's 5 s", got["PJSIP/1001"])
	}
}

// An agent whose own phone does not answer has called nobody: the target
// is its preview again with nothing counted (no attempt row, no
// dialer.attempt or dialer.result, counters and status as before), the
// customer's number is never dialled, the agent is told (state message,
// preview.agent_no_answer) and stays held off queue calls; dialling
// again with its phone answering makes the one attempt.
func TestPreviewAgentPhoneNotAnsweringCostsTheTargetNothing(t *testing.T) {
	p := newPreviewEnv(t, "1001")
	p.sim.SetEndpoint("PJSIP/1001", aritest.Behavior{Action: aritest.EndpointFail, Delay: 20 * time.Millisecond,
		Cause: 19, DialStatus: "NOANSWER"})
	p.sim.SetEndpoint("PJSIP/5550200", aritest.Behavior{Action: aritest.EndpointBusy, Delay: 20 * time.Millisecond})
	c := p.previewCampaign(campaign())
	id, err := p.db.AddTarget(p.ctx, dialer.Target{CampaignID: c, PhoneI: "5550100", PhoneII: "5550200"}.WithDefaults())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.preview.Next(p.ctx, "1001", c); err != nil {
		t.Fatal(err)
	}
	if _, err := p.preview.Dial(p.ctx, "1001", 2); err != nil {
		t.Fatal(err)
	}
	until(t, "preview.agent_no_answer", func() bool { return p.kindsOf(ccd.EventPreviewAgentNoAnswer) == 1 })
	st, err := p.preview.Current(p.ctx, "1001")
	if err != nil || st.State != dialplanDialer.PreviewReserved || st.Target == nil || st.Target.ID != id ||
		st.PhoneIndex != 2 || !strings.Contains(st.Message, "did not answer") {
		t.Fatalf("after the agent's phone did not answer: %+v %v", st, err)
	}
	if st.Target.TotalDials != 0 || st.Target.PhoneIICounter != 0 || st.Target.StatusCode != dialer.StatusNew {
		t.Errorf("the target shown counts an attempt: %+v", st.Target)
	}
	for _, kind := range []string{ccd.EventDialerAttempt, ccd.EventDialerResult} {
		if n := p.kindsOf(kind); n != 0 {
			t.Errorf("%d %s events for a customer never called", n, kind)
		}
	}
	var rows int
	if err := p.db.GetContext(p.ctx, &rows, `SELECT count(*) FROM dialer.attempt WHERE target_id=$1`, id); err != nil || rows != 0 {
		t.Errorf("%d attempt rows (%v), want none", rows, err)
	}
	for _, ep := range p.originatedEndpoints() {
		if ep == "PJSIP/5550200" || ep == "PJSIP/5550100" {
			t.Errorf("the customer was dialled: %v", p.originatedEndpoints())
		}
	}
	until(t, "the agent held off queue calls again", func() bool { return p.agentState("1001") == ccd.AgentOnDirectCall })
	select {
	case res := <-p.stored:
		t.Fatalf("a result was recorded: %+v", res)
	default:
	}

	// the phone answers now: the dial is the target's one attempt
	p.sim.SetEndpoint("PJSIP/1001", aritest.Behavior{Action: aritest.EndpointAnswer, Delay: 20 * time.Millisecond})
	if _, err := p.preview.Dial(p.ctx, "1001", 0); err != nil {
		t.Fatal(err)
	}
	if res := p.waitStored(1)[0]; res.Status != dialer.StatusBusy || res.Phone != "5550200" {
		t.Fatalf("result %+v", res)
	}
	tg, err := p.db.Target(p.ctx, id)
	if err != nil || tg.TotalDials != 1 || tg.PhoneIICounter != 1 || tg.PhoneICounter != 0 || tg.StatusCode != dialer.StatusBusy {
		t.Errorf("target after the call: %+v %v", tg, err)
	}
	if p.kindsOf(ccd.EventDialerAttempt) != 1 || p.kindsOf(ccd.EventDialerResult) != 1 {
		t.Errorf("dialer events: %d attempt, %d result", p.kindsOf(ccd.EventDialerAttempt), p.kindsOf(ccd.EventDialerResult))
	}
	if st, _ := p.preview.Current(p.ctx, "1001"); st.Message != "" {
		t.Errorf("the notice outlived the next dial: %q", st.Message)
	}
}

// A target an agent's unanswered dial gives back while the agent holds
// nothing else is not counted either when the agent then skips it: its
// status, counters and number are as before the reservation.
func TestPreviewAgentNoAnswerThenSkipLeavesTheTargetAsItWas(t *testing.T) {
	p := newPreviewEnv(t, "1001")
	p.sim.SetEndpoint("PJSIP/1001", aritest.Behavior{Action: aritest.EndpointBusy, Delay: 20 * time.Millisecond})
	c := p.previewCampaign(campaign())
	id := p.target(c, "5550100")
	if _, err := p.preview.Next(p.ctx, "1001", c); err != nil {
		t.Fatal(err)
	}
	if _, err := p.preview.Dial(p.ctx, "1001", 0); err != nil {
		t.Fatal(err)
	}
	until(t, "preview.agent_no_answer", func() bool { return p.kindsOf(ccd.EventPreviewAgentNoAnswer) == 1 })
	if _, err := p.preview.Skip(p.ctx, "1001"); err != nil {
		t.Fatal(err)
	}
	tg, err := p.db.Target(p.ctx, id)
	if err != nil || tg.TotalDials != 0 || tg.PhoneICounter != 0 || tg.StatusCode != dialer.StatusNew || tg.LastCallTS != nil {
		t.Errorf("target after the agent's phone did not answer and a skip: %+v %v", tg, err)
	}
	var dialing int
	if err := p.db.GetContext(p.ctx, &dialing, `SELECT count(*) FROM dialer.phone_dial WHERE dialing`); err != nil || dialing != 0 {
		t.Errorf("%d numbers left marked dialling (%v)", dialing, err)
	}
}

// originatedEndpoints lists every endpoint rung.
func (p *previewEnv) originatedEndpoints() []string {
	var out []string
	for ep := range originateTimeouts(p.sim) {
		out = append(out, ep)
	}
	return out
}
