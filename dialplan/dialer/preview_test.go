package dialer_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/acd"
	"github.com/ccdhq/ccd/ari/aritest"
	"github.com/ccdhq/ccd/dialer"
	dc2c "github.com/ccdhq/ccd/dialplan/clicktocall"
	dialplanDialer "github.com/ccdhq/ccd/dialplan/dialer"
	"github.com/ccdhq/ccd/dialplan/media"
)

// previewEnv is the runner's environment with the click-to-call
// application and the preview service, on a clock the test moves.
type previewEnv struct {
	*runnerEnv
	preview *dialplanDialer.Preview
	calls   *dc2c.App
	mu      sync.Mutex
	now     time.Time
}

// serves is the configuration of newEnv: agents 1001.. serve queue sales.
var serves = acd.Spec{Queues: []acd.QueueSpec{{Code: "sales", Skills: map[string]int{"sales": 1}}, {Code: "support",
	Skills: map[string]int{"support": 1}}}, Agents: []acd.AgentSpec{{ID: "1001", Skills: map[string]int{"sales": 1}},
	{ID: "1002", Skills: map[string]int{"sales": 1}}}}.Serves

func newPreviewEnv(t *testing.T, agents ...string) *previewEnv {
	t.Helper()
	return newPreviewEnvWith(t, nil, agents...)
}

// newPreviewEnvWith is newPreviewEnv with the agents' auto_answer.
func newPreviewEnvWith(t *testing.T, autoAnswer func(agent string) bool, agents ...string) *previewEnv {
	t.Helper()
	p := &previewEnv{runnerEnv: newRunnerEnv(t, agents), now: time.Now()}
	calls := dc2c.New(dc2c.Config{ARI: p.client, App: "ccd", Owners: p.disp, Queue: p.queue, Emit: p.emit,
		RingTimeout: 5 * time.Second, AutoAnswer: autoAnswer})
	p.disp.Register(dc2c.Entry, calls)
	p.calls = calls
	p.preview = dialplanDialer.NewPreview(dialplanDialer.PreviewConfig{Store: p.db, Agents: p.queue, Calls: calls,
		Recorder: p.runner, Serves: serves, Endpoint: "PJSIP/{number}", Hold: true, Emit: p.emit, Now: p.clock})
	return p
}

func (p *previewEnv) clock() time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.now
}

func (p *previewEnv) advance(d time.Duration) {
	p.mu.Lock()
	p.now = p.now.Add(d)
	p.mu.Unlock()
}

func (p *previewEnv) previewCampaign(c dialer.Campaign) int {
	c.Mode = "preview"
	return p.campaign(c)
}

func (p *previewEnv) agentState(id string) string {
	p.t.Helper()
	st, err := p.queue.Agent(p.ctx, id)
	if err != nil {
		p.t.Fatal(err)
	}
	return st.State
}

func (p *previewEnv) kindsOf(kind string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.env.mu.Lock()
	defer p.env.mu.Unlock()
	n := 0
	for _, ev := range p.events {
		if ev.Kind == kind {
			n++
		}
	}
	return n
}

// The agent takes a target, the runner leaves the campaign alone, the
// agent dials phone II: its own phone rings first, then the customer's;
// the attempt is recorded with its result, the agent and the retry rules,
// and the agent is back to ready when the call ends.
func TestPreviewDialRingsTheAgentThenTheCustomer(t *testing.T) {
	p := newPreviewEnv(t, "1001")
	p.sim.SetEndpoint("PJSIP/5550200", aritest.Behavior{Action: aritest.EndpointBusy, Delay: 20 * time.Millisecond})
	p.sim.SetEndpoint("PJSIP/5550300", aritest.Behavior{Action: aritest.EndpointAnswer, Delay: 20 * time.Millisecond,
		HangupAfter: 300 * time.Millisecond})
	c := p.previewCampaign(campaign())
	first, err := p.db.AddTarget(p.ctx, dialer.Target{CampaignID: c, PhoneI: "5550100", PhoneII: "5550200", FirstName: "Ann",
		DataI: "contract-7"}.WithDefaults())
	if err != nil {
		t.Fatal(err)
	}
	second := p.target(c, "5550300")

	st, err := p.preview.Next(p.ctx, "1001", 0)
	if err != nil || st.State != dialplanDialer.PreviewReserved || st.Target == nil || st.Target.ID != first ||
		st.Target.FirstName != "Ann" || st.Target.DataI != "contract-7" || st.Phone != "5550100" ||
		st.Target.TotalDials != 0 || st.Target.StatusCode != dialer.StatusNew || st.Target.PhoneICounter != 0 {
		t.Fatalf("next: %+v %v", st, err)
	}
	if got := p.agentState("1001"); got != ccd.AgentOnDirectCall {
		t.Errorf("a previewing agent is %s, want held off queue calls", got)
	}
	p.tick()
	if got := p.originates(); len(got) != 0 {
		t.Fatalf("the runner dialled a preview campaign: %v", got)
	}
	st, err = p.preview.Dial(p.ctx, "1001", 2)
	if err != nil || st.State != dialplanDialer.PreviewDialing || st.Phone != "5550200" || st.CallID == "" {
		t.Fatalf("dial: %+v %v", st, err)
	}
	res := p.waitStored(1)[0]
	if res.Status != dialer.StatusBusy || res.Agent != "1001" || res.Target.ID != first || res.Phone != "5550200" {
		t.Fatalf("result %+v", res)
	}
	var order []string
	for _, req := range p.sim.Requests() {
		if req.Method == "POST" && strings.HasPrefix(req.Path, "/channels") && req.Query.Get("endpoint") != "" {
			order = append(order, req.Query.Get("endpoint"))
		}
	}
	if len(order) < 2 || order[0] != "PJSIP/1001" || order[1] != "PJSIP/5550200" {
		t.Errorf("rang %v, want the agent's phone, then phone II", order)
	}
	var attempt struct {
		Agent  string `db:"agent"`
		Result int    `db:"result"`
		Mode   string `db:"mode"`
	}
	if err := p.db.GetContext(p.ctx, &attempt, `SELECT agent, result, mode FROM dialer.attempt WHERE target_id=$1`, first); err != nil ||
		attempt.Agent != "1001" || attempt.Result != dialer.StatusBusy || attempt.Mode != "preview" {
		t.Errorf("attempt row %+v %v", attempt, err)
	}
	tg, _ := p.db.Target(p.ctx, first)
	if tg.PhoneIICounter != 1 || tg.PhoneICounter != 0 || tg.StatusCode != dialer.StatusBusy || tg.NextCallTS == nil {
		t.Errorf("target after busy: %+v", tg)
	}
	until(t, "the agent is ready again", func() bool { return p.agentState("1001") == ccd.AgentReady })

	// the next target answers and talks
	st, err = p.preview.Next(p.ctx, "1001", c)
	if err != nil || st.Target == nil || st.Target.ID != second {
		t.Fatalf("next: %+v %v", st, err)
	}
	if _, err := p.preview.Dial(p.ctx, "1001", 0); err != nil {
		t.Fatal(err)
	}
	res = p.waitStored(1)[0]
	if res.Status != dialer.StatusAnswered || !res.Human || res.Answered.IsZero() {
		t.Fatalf("answered result %+v", res)
	}
	for kind, n := range map[string]int{ccd.EventPreviewReserved: 2, ccd.EventPreviewDialed: 2, ccd.EventDialerAttempt: 2,
		ccd.EventDialerResult: 2, ccd.EventClickToCallEnded: 2} {
		if got := p.kindsOf(kind); got != n {
			t.Errorf("%d %s events, want %d", got, kind, n)
		}
	}
	if st, _ := p.preview.Current(p.ctx, "1001"); st.State != dialplanDialer.PreviewIdle {
		t.Errorf("after the call: %+v", st)
	}
}

// Skip gives the target back without an attempt and frees the agent; a
// reservation nobody acts on expires after the campaign's previewTimeout.
func TestPreviewSkipAndExpiry(t *testing.T) {
	p := newPreviewEnv(t, "1001", "1002")
	cp := campaign()
	cp.PreviewTimeout = 30
	c := p.previewCampaign(cp)
	a := p.target(c, "5550100")
	b := p.target(c, "5550101")
	st1, err := p.preview.Next(p.ctx, "1001", c)
	if err != nil || st1.Target == nil || st1.Target.ID != a {
		t.Fatalf("1001: %+v %v", st1, err)
	}
	st2, err := p.preview.Next(p.ctx, "1002", c)
	if err != nil || st2.Target == nil || st2.Target.ID != b {
		t.Fatalf("1002: %+v %v", st2, err)
	}
	if _, err := p.preview.Skip(p.ctx, "1001"); err != nil {
		t.Fatal(err)
	}
	if got := p.agentState("1001"); got != ccd.AgentReady {
		t.Errorf("after a skip the agent is %s", got)
	}
	tg, _ := p.db.Target(p.ctx, a)
	if tg.TotalDials != 0 || tg.StatusCode != dialer.StatusNew {
		t.Errorf("skip counted an attempt: %+v", tg)
	}
	if _, err := p.preview.Skip(p.ctx, "1001"); ccd.ErrorCode(err) != ccd.ECONFLICT {
		t.Errorf("a second skip: %v", err)
	}
	p.advance(29 * time.Second)
	if err := p.preview.Expire(p.ctx); err != nil {
		t.Fatal(err)
	}
	if st, _ := p.preview.Current(p.ctx, "1002"); st.State != dialplanDialer.PreviewReserved {
		t.Fatalf("expired early: %+v", st)
	}
	p.advance(time.Second)
	if err := p.preview.Expire(p.ctx); err != nil {
		t.Fatal(err)
	}
	if st, _ := p.preview.Current(p.ctx, "1002"); st.State != dialplanDialer.PreviewIdle {
		t.Fatalf("not expired: %+v", st)
	}
	if got := p.agentState("1002"); got != ccd.AgentReady {
		t.Errorf("after expiry the agent is %s", got)
	}
	if p.kindsOf(ccd.EventPreviewSkipped) != 1 || p.kindsOf(ccd.EventPreviewExpired) != 1 {
		t.Errorf("skip and expiry events: %d %d", p.kindsOf(ccd.EventPreviewSkipped), p.kindsOf(ccd.EventPreviewExpired))
	}
	// the expired target is first again (it kept its place)
	if st, err := p.preview.Next(p.ctx, "1001", c); err != nil || st.Target == nil || st.Target.ID != b {
		t.Errorf("after expiry: %+v %v", st, err)
	}
	if len(p.originates()) != 0 {
		t.Errorf("calls placed: %v", p.originates())
	}
}

// An agent takes targets only of preview campaigns whose queue it serves,
// only when ready.
func TestPreviewRefusesAgentOfAnotherCampaign(t *testing.T) {
	p := newPreviewEnv(t, "1001")
	cp := campaign()
	cp.QueueCode = "support"
	other := p.previewCampaign(cp)
	p.target(other, "5550100")
	if _, err := p.preview.Next(p.ctx, "1001", other); ccd.ErrorCode(err) != ccd.EFORBIDDEN {
		t.Errorf("another campaign's target: %v", err)
	}
	if _, err := p.preview.Next(p.ctx, "1001", 0); ccd.ErrorCode(err) != ccd.EFORBIDDEN {
		t.Errorf("no campaign of the agent's: %v", err)
	}
	// The console hides its preview panel for an agent who serves none.
	if st, err := p.preview.Current(p.ctx, "1001"); err != nil || st.State != dialplanDialer.PreviewIdle || st.PreviewCampaigns != 0 {
		t.Errorf("current of an agent without a preview campaign: %+v %v", st, err)
	}
	auto := p.campaign(campaign())
	if _, err := p.preview.Next(p.ctx, "1001", auto); ccd.ErrorCode(err) != ccd.ECONFLICT {
		t.Errorf("a progressive campaign: %v", err)
	}
	mine := p.previewCampaign(campaign())
	p.target(mine, "5550101")
	if st, err := p.preview.Current(p.ctx, "1001"); err != nil || st.PreviewCampaigns != 1 {
		t.Errorf("current of an agent with one preview campaign: %+v %v", st, err)
	}
	if err := p.queue.NotReady(p.ctx, "1001", "break"); err != nil {
		t.Fatal(err)
	}
	if _, err := p.preview.Next(p.ctx, "1001", mine); ccd.ErrorCode(err) != ccd.ECONFLICT {
		t.Errorf("an agent not ready: %v", err)
	}
	if _, err := p.preview.Dial(p.ctx, "1001", 0); ccd.ErrorCode(err) != ccd.ECONFLICT {
		t.Errorf("dial without a target: %v", err)
	}
	if _, err := p.preview.Dial(p.ctx, "1001", 4); ccd.ErrorCode(err) != ccd.EINVALID {
		t.Errorf("phone 4: %v", err)
	}
}

// The runner never dials a preview campaign's targets on its own, however
// many agents are free and targets due: only an agent's dial does.
func TestRunnerNeverDialsAPreviewCampaign(t *testing.T) {
	p := newPreviewEnv(t, "1001", "1002")
	c := p.previewCampaign(campaign())
	var ids []int64
	for _, n := range []string{"5550100", "5550101", "5550102"} {
		ids = append(ids, p.target(c, n))
	}
	for range 5 {
		p.tick()
	}
	if got := p.originates(); len(got) != 0 {
		t.Fatalf("the runner dialled %v", got)
	}
	for _, id := range ids {
		if tg, err := p.db.Target(p.ctx, id); err != nil || tg.TotalDials != 0 || tg.StatusCode != dialer.StatusNew {
			t.Errorf("target %+v %v", tg, err)
		}
	}
	for _, a := range []string{"1001", "1002"} {
		if got := p.agentState(a); got != ccd.AgentReady {
			t.Errorf("agent %s is %s", a, got)
		}
	}
}

// A preview dial rings the phone of an agent with auto_answer with the
// auto-answer headers, so the agent is talking before the customer is
// dialled; the customer's leg never carries them.
func TestPreviewDialAsksAnAutoAnswerAgentsPhoneToAnswer(t *testing.T) {
	p := newPreviewEnvWith(t, func(agent string) bool { return agent == "1001" }, "1001")
	p.sim.SetEndpoint("PJSIP/5550100", aritest.Behavior{Action: aritest.EndpointBusy, Delay: 20 * time.Millisecond})
	c := p.previewCampaign(campaign())
	p.target(c, "5550100")
	if _, err := p.preview.Next(p.ctx, "1001", 0); err != nil {
		t.Fatal(err)
	}
	if _, err := p.preview.Dial(p.ctx, "1001", 0); err != nil {
		t.Fatal(err)
	}
	p.waitStored(1)
	vars := originateVariables(p.sim)
	agent, ok := vars["PJSIP/1001"]
	if !ok || agent["PJSIP_HEADER(add,Call-Info)"] != media.AutoAnswerCallInfo || agent["PJSIP_HEADER(add,Alert-Info)"] != media.AutoAnswerAlertInfo {
		t.Errorf("agent's phone rung with %v (rung: %v)", agent, ok)
	}
	if customer, ok := vars["PJSIP/5550100"]; !ok || len(customer) != 0 {
		t.Errorf("customer's phone rung with %v (rung: %v)", customer, ok)
	}
}
