package dialer_test

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/ari/aritest"
	"github.com/ccdhq/ccd/dialer"
	dialplanDialer "github.com/ccdhq/ccd/dialplan/dialer"
	"github.com/ccdhq/ccd/store"
)

// personalCallback adds a target of campaign that agent scheduled a
// personal callback of ("Agenda") at at.
func (r *runnerEnv) personalCallback(campaign int, phone, agent string, at time.Time) int64 {
	r.t.Helper()
	target := r.target(campaign, phone)
	opt, err := r.db.AddDispositionOption(r.ctx, store.DispositionOption{CampaignID: campaign, Name: "Call back " + phone,
		Kind: store.DispositionAgenda})
	if err != nil {
		r.t.Fatal(err)
	}
	if _, err := r.db.CreateDisposition(r.ctx, store.ContactRef{ID: target}, store.Disposition{DispositionOptionID: opt,
		Agent: agent, Agenda: &store.Agenda{At: at, Kind: "personal"}}); err != nil {
		r.t.Fatal(err)
	}
	return target
}

// answeredBy is the agent who answered the dialer's call of attempt.
func (r *runnerEnv) answeredBy(attempt int64) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, ev := range r.events {
		if ev.CallID == dialplanDialer.ChannelOf(attempt) && ev.Kind == ccd.EventCallAnswered {
			return ev.Agent
		}
	}
	return ""
}

// A personal callback due while its agent is logged out or not ready
// waits, even with another agent free; once its agent is ready the call is
// placed and the person is offered to that agent, not to the one idle
// longer; the callback is then done.
func TestPersonalCallbackWaitsForAndReachesItsAgent(t *testing.T) {
	r := newRunnerEnv(t, []string{"1001", "1002"}) // 1001 idle longest
	r.sim.SetDefaultBehavior(aritest.Behavior{Action: aritest.EndpointAnswer, Delay: 20 * time.Millisecond})
	c := r.campaign(campaign())
	target := r.personalCallback(c, "5550300", "1002", time.Now().Add(-time.Minute))
	if err := r.queue.Logout(r.ctx, "1002"); err != nil {
		t.Fatal(err)
	}
	r.tick()
	r.tick()
	if got := r.originates(); len(got) != 0 {
		t.Fatalf("dialled %v while the callback's agent was logged out", got)
	}
	if err := r.queue.Login(r.ctx, "1002", ""); err != nil {
		t.Fatal(err)
	}
	if err := r.queue.NotReady(r.ctx, "1002", ""); err != nil {
		t.Fatal(err)
	}
	r.tick()
	if got := r.originates(); len(got) != 0 {
		t.Fatalf("dialled %v while the callback's agent was not ready", got)
	}
	if err := r.queue.Ready(r.ctx, "1002"); err != nil {
		t.Fatal(err)
	}
	r.tick()
	if got := r.originates(); len(got) != 1 || got[0] != "PJSIP/5550300" {
		t.Fatalf("dialled %v, want the callback 5550300", got)
	}
	res := r.waitStored(1)[0]
	if res.Status != dialer.StatusAnswered || !res.Connected || res.Agent != "1002" {
		t.Fatalf("callback result %+v", res)
	}
	if got := r.answeredBy(res.AttemptID); got != "1002" {
		t.Fatalf("the callback was answered by %q, want 1002", got)
	}
	if kinds := r.kinds(dialplanDialer.ChannelOf(res.AttemptID)); !contains(kinds, ccd.EventDialerResult) {
		t.Fatalf("events %v", kinds)
	}
	list, err := r.db.AgentAgenda(r.ctx, "1002")
	if err != nil || len(list) != 0 {
		t.Fatalf("agenda after the answered callback: %+v %v", list, err)
	}
	tg, err := r.db.Target(r.ctx, target)
	if err != nil || tg.StatusCode != dialer.StatusAnswered {
		t.Fatalf("target %+v %v", tg, err)
	}
}

// With agendaFallbackMinutes, a callback whose agent did not take it goes
// to any agent of the campaign that many minutes after its time.
func TestPersonalCallbackFallsBackToAnyAgent(t *testing.T) {
	r := newRunnerEnv(t, []string{"1001", "1002"})
	r.sim.SetDefaultBehavior(aritest.Behavior{Action: aritest.EndpointAnswer, Delay: 20 * time.Millisecond})
	cp := campaign()
	fallback := 1
	cp.AgendaFallbackMinutes = &fallback
	c := r.campaign(cp)
	if err := r.queue.Logout(r.ctx, "1002"); err != nil {
		t.Fatal(err)
	}
	r.personalCallback(c, "5550301", "1002", time.Now().Add(-30*time.Second))
	r.tick()
	if got := r.originates(); len(got) != 0 {
		t.Fatalf("dialled %v before the fallback", got)
	}
	r.personalCallback(c, "5550302", "1002", time.Now().Add(-2*time.Minute))
	r.tick()
	if got := r.originates(); len(got) != 1 || got[0] != "PJSIP/5550302" {
		t.Fatalf("dialled %v, want the callback past its fallback (5550302)", got)
	}
	res := r.waitStored(1)[0]
	if res.Status != dialer.StatusAnswered || res.Agent != "" || r.answeredBy(res.AttemptID) != "1001" {
		t.Fatalf("fallback result %+v answered by %q, want 1001", res, r.answeredBy(res.AttemptID))
	}
}

// A personal callback waits while its agent talks, even with another
// agent free; the pacer, beside it, dials for the other agent only; the
// next callback of the agent goes out when the agent's call ends.
func TestPersonalCallbackWaitsWhileItsAgentIsBusy(t *testing.T) {
	r := newRunnerEnv(t, []string{"1001", "1002"})
	r.sim.SetDefaultBehavior(aritest.Behavior{Action: aritest.EndpointAnswer, Delay: 20 * time.Millisecond})
	c := r.campaign(campaign())
	r.personalCallback(c, "5550310", "1002", time.Now().Add(-2*time.Minute))
	r.personalCallback(c, "5550311", "1002", time.Now().Add(-time.Minute))
	r.target(c, "5550312")
	r.target(c, "5550313") // the pacer must not dial it: both agents are counted on
	r.tick()
	got := r.originates()
	if len(got) != 2 || !contains(got, "PJSIP/5550310") || !contains(got, "PJSIP/5550312") {
		t.Fatalf("dialled %v, want 1002's first callback and one call (only) for 1001", got)
	}
	first := map[string]dialplanDialer.Result{}
	for _, res := range r.waitStored(2) {
		first[res.Phone] = res
	}
	if by := r.answeredBy(first["5550310"].AttemptID); by != "1002" {
		t.Fatalf("1002's callback answered by %q", by)
	}
	if by := r.answeredBy(first["5550312"].AttemptID); by != "1001" {
		t.Fatalf("the campaign's call answered by %q, want 1001", by)
	}
	r.tick() // 1002 talks
	if got := r.originates(); len(got) != 2 {
		t.Fatalf("dialled %v while 1002 was on its callback", got)
	}
	if err := r.sim.Channel(dialplanDialer.ChannelOf(first["5550310"].AttemptID)).Hangup(16); err != nil {
		t.Fatal(err)
	}
	until(t, "1002 is ready again", func() bool {
		a, err := r.queue.Agent(r.ctx, "1002")
		return err == nil && a.State == ccd.AgentReady
	})
	r.tick()
	if got := r.originates(); len(got) != 3 || got[2] != "PJSIP/5550311" {
		t.Fatalf("dialled %v, want 1002's second callback once its call ended", got)
	}
	if res := r.waitStored(1)[0]; r.answeredBy(res.AttemptID) != "1002" {
		t.Fatalf("the second callback answered by %q", r.answeredBy(res.AttemptID))
	}
}

// A personal callback whose agent no longer serves the campaign's queue
// is not dialled for that agent (who could never take it: the person
// would be abandoned after 2 s): it goes to any agent of the campaign, at
// its time, with a log line naming the agent.
func TestPersonalCallbackOfAnAgentRemovedFromTheQueueGoesToAnyAgent(t *testing.T) {
	var logged bytes.Buffer
	var mu sync.Mutex
	r := newRunnerEnvConfig(t, []string{"1001", "1002"}, func(c *dialplanDialer.RunnerConfig) {
		// 1002 was taken off queue sales after it scheduled the callback
		c.Serves = func(agent, queue string) bool { return agent == "1001" }
		c.Log = slog.New(slog.NewTextHandler(lockedWriter{&mu, &logged}, nil))
	})
	r.sim.SetDefaultBehavior(aritest.Behavior{Action: aritest.EndpointAnswer, Delay: 20 * time.Millisecond})
	c := r.campaign(campaign())
	target := r.personalCallback(c, "5550303", "1002", time.Now().Add(-time.Minute))
	r.tick()
	if got := r.originates(); len(got) != 1 || got[0] != "PJSIP/5550303" {
		t.Fatalf("dialled %v, want the callback 5550303 for any agent", got)
	}
	res := r.waitStored(1)[0]
	if res.Agent != "" || res.Status != dialer.StatusAnswered || !res.Connected {
		t.Fatalf("result %+v, want an answered call for any agent, not a personal one for 1002", res)
	}
	if list, err := r.db.AgentAgenda(r.ctx, "1002"); err != nil || len(list) != 0 {
		t.Errorf("1002's agenda still lists %+v (%v)", list, err)
	}
	if tg, err := r.db.Target(r.ctx, target); err != nil || tg.StatusCode != dialer.StatusAnswered {
		t.Errorf("target %+v %v", tg, err)
	}
	mu.Lock()
	line := logged.String()
	mu.Unlock()
	if !strings.Contains(line, "no longer serves") || !strings.Contains(line, "agent=1002") {
		t.Errorf("no log line for the released callback: %q", line)
	}
}

// lockedWriter serialises a log's writes into a buffer the test reads.
type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
