package dialer_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/acd"
	"github.com/ccdhq/ccd/ari"
	"github.com/ccdhq/ccd/ari/aritest"
	"github.com/ccdhq/ccd/dialer"
	dialplanDialer "github.com/ccdhq/ccd/dialplan/dialer"
	"github.com/ccdhq/ccd/internal/pgtest"
	"github.com/ccdhq/ccd/store"
)

// runnerEnv is the runner over a real database, the dialer and queue
// applications on the ARI simulation.
type runnerEnv struct {
	*env
	db     *store.DB
	runner *dialplanDialer.Runner
	stored chan dialplanDialer.Result
}

func newRunnerEnv(t *testing.T, agents []string) *runnerEnv {
	t.Helper()
	return newRunnerEnvWith(t, agents, false)
}

func newRunnerEnvWith(t *testing.T, agents []string, inboundFirst bool) *runnerEnv {
	t.Helper()
	return newRunnerEnvConfig(t, agents, func(c *dialplanDialer.RunnerConfig) { c.InboundFirst = inboundFirst })
}

// newRunnerEnvConfig is newRunnerEnv with the runner's configuration
// changed by set.
func newRunnerEnvConfig(t *testing.T, agents []string, set func(*dialplanDialer.RunnerConfig)) *runnerEnv {
	t.Helper()
	db := pgtest.NewDB(t)
	r := &runnerEnv{db: db, stored: make(chan dialplanDialer.Result, 100)}
	var runner *dialplanDialer.Runner
	r.env = newEnv(t, agents, func(res dialplanDialer.Result) { runner.Done(res) })
	cfg := dialplanDialer.RunnerConfig{Store: db, ACD: r.queue, Placer: r.app, Emit: r.emit,
		Results: func(res dialplanDialer.Result) { r.stored <- res }}
	set(&cfg)
	runner = dialplanDialer.NewRunner(cfg)
	r.runner = runner
	return r
}

func (r *runnerEnv) campaign(c dialer.Campaign) int {
	r.t.Helper()
	c.ID = 0
	c.WindowStart, c.WindowEnd = "00:00", "23:59:59"
	if err := c.Validate(); err != nil {
		r.t.Fatal(err)
	}
	id, err := r.db.CreateCampaign(r.ctx, c)
	if err != nil {
		r.t.Fatal(err)
	}
	return id
}

func (r *runnerEnv) target(campaign int, phone string) int64 {
	r.t.Helper()
	id, err := r.db.AddTarget(r.ctx, dialer.Target{CampaignID: campaign, PhoneI: phone, FirstName: "T" + phone}.WithDefaults())
	if err != nil {
		r.t.Fatal(err)
	}
	return id
}

func (r *runnerEnv) tick() {
	r.t.Helper()
	if err := r.runner.Tick(r.ctx); err != nil {
		r.t.Fatal(err)
	}
}

// originates lists the endpoints the dialer dialled.
func (r *runnerEnv) originates() []string {
	var out []string
	for _, req := range r.sim.Requests() {
		if req.Method == "POST" && strings.HasPrefix(req.Path, "/channels") && req.Query.Get("appArgs") != "" &&
			strings.HasPrefix(req.Query.Get("appArgs"), "dialer,") {
			out = append(out, req.Query.Get("endpoint"))
		}
	}
	return out
}

func (r *runnerEnv) waitStored(n int) []dialplanDialer.Result {
	r.t.Helper()
	var out []dialplanDialer.Result
	for len(out) < n {
		select {
		case res := <-r.stored:
			out = append(out, res)
		case <-time.After(10 * time.Second):
			r.t.Fatalf("%d of %d results stored", len(out), n)
		}
	}
	return out
}

// Progressive: one call per free agent, the calls ringing count; a number
// being dialled for one target is not dialled for another at the same
// time; the results go through the retry rules into the targets and the
// attempts table, with a dialer.attempt and a dialer.result event each.
func TestRunnerPacesClaimsAndAppliesResults(t *testing.T) {
	r := newRunnerEnv(t, []string{"1001", "1002"})
	for _, p := range []string{"5550100", "5550101", "5550102"} {
		r.sim.SetEndpoint("PJSIP/"+p, aritest.Behavior{Action: aritest.EndpointRing})
	}
	c := r.campaign(campaign())
	shared1 := r.target(c, "5550100")
	r.target(c, "5550100") // the same number: never dialled while the first rings
	other := r.target(c, "5550101")
	r.target(c, "5550102")
	r.tick()
	r.tick() // both agents are covered by a ringing call: nothing more
	got := r.originates()
	if len(got) != 2 || got[0] == got[1] || !contains(got, "PJSIP/5550100") || !contains(got, "PJSIP/5550101") {
		t.Fatalf("dialled %v, want one call each to 5550100 and 5550101", got)
	}
	before := time.Now()
	for _, ch := range r.sim.Channels() {
		if strings.HasPrefix(ch.ID, "dialer-") {
			if err := r.sim.Channel(ch.ID).Busy(); err != nil {
				t.Fatal(err)
			}
		}
	}
	results := r.waitStored(2)
	for _, res := range results {
		if res.Status != dialer.StatusBusy {
			t.Fatalf("%+v", res)
		}
	}
	for _, id := range []int64{shared1, other} {
		tg, err := r.db.Target(r.ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		// Busy is retried after 10 minutes by default.
		if tg.StatusCode != dialer.StatusBusy || tg.TotalDials != 1 || tg.NextCallTS == nil ||
			tg.NextCallTS.Before(before.Add(9*time.Minute)) || tg.NextCallTS.After(time.Now().Add(11*time.Minute)) {
			t.Fatalf("target %d after a busy attempt: %+v", id, tg)
		}
	}
	var n int
	if err := r.db.GetContext(r.ctx, &n, `SELECT count(*) FROM dialer.attempt WHERE result = 4 AND ended_at IS NOT NULL
		AND dial_status = 'BUSY' AND hangup_cause = 17`); err != nil || n != 2 {
		t.Fatalf("attempt rows: %d, %v", n, err)
	}
	for _, res := range results {
		kinds := r.kinds(dialplanDialer.ChannelOf(res.AttemptID))
		if !contains(kinds, ccd.EventDialerAttempt) || !contains(kinds, ccd.EventDialerResult) {
			t.Fatalf("events of attempt %d: %v", res.AttemptID, kinds)
		}
	}
	// The agents are free again: the next due targets (the shared number's
	// second target among them) are dialled.
	r.tick()
	if got := r.originates(); len(got) != 4 || !contains(got[2:], "PJSIP/5550100") || !contains(got[2:], "PJSIP/5550102") {
		t.Fatalf("second round dialled %v", got)
	}
}

// A campaign outside its schedule places no call; one inside it does.
func TestRunnerPlacesNoCallOutsideTheSchedule(t *testing.T) {
	r := newRunnerEnv(t, []string{"1001"})
	r.sim.SetDefaultBehavior(aritest.Behavior{Action: aritest.EndpointRing})
	past, err := r.db.CreateSchedule(r.ctx, dialer.Schedule{ScheduleName: "last year", IsMonday: true, IsTuesday: true,
		IsWednesday: true, IsThursday: true, IsFriday: true, IsSaturday: true, IsSunday: true,
		FromDateTime: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), ToDateTime: time.Date(2020, 12, 31, 23, 59, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	outside := campaign()
	outside.ScheduleIDs = []int{past}
	id := r.campaign(outside)
	r.target(id, "5550200")
	r.tick()
	r.tick()
	if got := r.originates(); len(got) != 0 {
		t.Fatalf("dialled %v outside the schedule", got)
	}
	inside := r.campaign(campaign())
	r.target(inside, "5550201")
	r.tick()
	if got := r.originates(); len(got) != 1 || got[0] != "PJSIP/5550201" {
		t.Fatalf("dialled %v, want 5550201 of the campaign inside its schedule", got)
	}
}

// Abandoned calls count in the campaign's windows (abandoned / answered by
// a person), which the pacer and the API read.
func TestAbandonedAttemptsCountInTheWindows(t *testing.T) {
	r := newRunnerEnv(t, nil) // nobody to answer: the person is abandoned
	r.sim.SetDefaultBehavior(aritest.Behavior{Action: aritest.EndpointAnswer, Delay: 10 * time.Millisecond})
	c := campaign()
	c.Mode = "power"
	c.DialRatio = 1
	id := r.campaign(c)
	tg := r.target(id, "5550300")
	// Nobody is free: the pacer places nothing.
	r.tick()
	if got := r.originates(); len(got) != 0 {
		t.Fatalf("dialled %v with no agent", got)
	}
	claims, err := r.db.ClaimDue(r.ctx, id, time.Now(), 1)
	if err != nil || len(claims) != 1 {
		t.Fatalf("claims %v %v", claims, err)
	}
	attempt, err := r.db.StartAttempt(r.ctx, store.Attempt{CampaignID: id, TargetID: tg, Phone: claims[0].Phone, PhoneIndex: 1, StartedAt: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	full, _ := r.db.Campaign(context.Background(), id)
	target, _ := r.db.Target(r.ctx, tg)
	r.app.Place(r.ctx, dialplanDialer.Call{AttemptID: attempt, Campaign: full, Target: target, Phone: claims[0].Phone,
		AMD: dialplanDialer.AMD{Enabled: true}})
	res := r.waitStored(1)[0]
	if res.Status != dialer.StatusAbandoned {
		t.Fatalf("%+v", res)
	}
	w, err := r.db.AbandonWindows(r.ctx, id, time.Now().Add(time.Second), store.AbandonSpans...)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range w {
		if x.Answered != 1 || x.Abandoned != 1 || x.Rate() != 1 {
			t.Fatalf("windows %+v", w)
		}
	}
	if tgt, _ := r.db.Target(r.ctx, tg); tgt.StatusCode != dialer.StatusAbandoned || tgt.NextCallTS == nil {
		t.Fatalf("target after an abandoned call: %+v", tgt)
	}
}

func contains[T comparable](s []T, v T) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// Attempts a stopped ccd left unfinished end as interrupted at the next
// start: their targets are free to be claimed again.
func TestRecoverEndsTheLastRunsAttempts(t *testing.T) {
	r := newRunnerEnv(t, nil)
	id := r.campaign(campaign())
	tg := r.target(id, "5550400")
	claims, err := r.db.ClaimDue(r.ctx, id, time.Now(), 1)
	if err != nil || len(claims) != 1 {
		t.Fatalf("claims %v %v", claims, err)
	}
	attempt, err := r.db.StartAttempt(r.ctx, store.Attempt{CampaignID: id, TargetID: tg, Phone: "5550400", PhoneIndex: 1, StartedAt: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	// Its call still rings (placed by the last run): it is hung up.
	r.sim.SetEndpoint("PJSIP/5550400", aritest.Behavior{Action: aritest.EndpointRing})
	if _, err := r.client.Originate(r.ctx, ari.OriginateParams{Endpoint: "PJSIP/5550400", App: "ccd",
		AppArgs: "dialer," + strconv.FormatInt(attempt, 10), ChannelID: dialplanDialer.ChannelOf(attempt)}); err != nil {
		t.Fatal(err)
	}
	if err := r.runner.Recover(r.ctx); err != nil {
		t.Fatal(err)
	}
	left, err := r.db.UnfinishedAttempts(r.ctx)
	if err != nil || len(left) != 0 {
		t.Fatalf("left %v %v", left, err)
	}
	target, _ := r.db.Target(r.ctx, tg)
	if target.StatusCode != dialer.StatusCongestion || target.NextCallTS == nil {
		t.Fatalf("%+v", target)
	}
	if r.sim.Channel(dialplanDialer.ChannelOf(attempt)).Exists() {
		t.Fatal("the last run's call still rings")
	}
	// Claimable again once due.
	if c, err := r.db.ClaimDue(r.ctx, id, target.NextCallTS.Add(time.Second), 1); err != nil || len(c) != 1 {
		t.Fatalf("not claimable again: %v %v", c, err)
	}
}

// The agent the pacer counts on for a ringing call is held for it: a caller
// of another queue the agent serves waits, and gets the agent once the
// dialer's call ended. With inbound first the caller gets the agent at once.
func TestAgentsAreHeldForTheDialersCallsUnlessInboundFirst(t *testing.T) {
	for _, inboundFirst := range []bool{false, true} {
		r := newRunnerEnvWith(t, []string{"1001"}, inboundFirst)
		r.sim.SetEndpoint("PJSIP/5550500", aritest.Behavior{Action: aritest.EndpointRing})
		r.sim.SetEndpoint("PJSIP/1001", aritest.Behavior{Action: aritest.EndpointRing})
		id := r.campaign(campaign())
		r.target(id, "5550500")
		r.tick()
		if len(r.originates()) != 1 {
			t.Fatalf("dialled %v", r.originates())
		}
		if _, err := r.sim.NewCaller(aritest.CallerOptions{Args: []string{"queue", "inbound"}, Number: "5557777", ChannelID: "caller-1",
			Endpoint: "PJSIP/trunk"}); err != nil {
			t.Fatal(err)
		}
		ringing := func() bool {
			st, err := r.queue.Agent(r.ctx, "1001")
			return err == nil && st.CallID == "caller-1"
		}
		if inboundFirst {
			until(t, "the caller gets the agent at once", ringing)
			continue
		}
		until(t, "the caller waits in its queue", func() bool {
			calls, err := r.queue.Calls(r.ctx)
			return err == nil && len(calls) == 1 && calls[0].ID == "caller-1" && calls[0].State == acd.Waiting
		})
		if ringing() {
			t.Fatal("the caller took the agent held for the dialer's ringing call")
		}
		for _, ch := range r.sim.Channels() {
			if strings.HasPrefix(ch.ID, "dialer-") {
				if err := r.sim.Channel(ch.ID).Busy(); err != nil {
					t.Fatal(err)
				}
			}
		}
		r.waitStored(1)
		r.tick() // nothing due (busy retries in 10 minutes): the reservation is lifted
		until(t, "the caller gets the agent once the dialer's call ended", ringing)
	}
}

// A call in progress when its campaign's schedule ends finishes and is
// recorded; no new call is placed.
func TestACallInProgressFinishesAfterTheScheduleEnds(t *testing.T) {
	r := newRunnerEnv(t, []string{"1001", "1002"})
	r.sim.SetDefaultBehavior(aritest.Behavior{Action: aritest.EndpointRing})
	c := campaign()
	id := r.campaign(c)
	first := r.target(id, "5550600")
	r.tick()
	if len(r.originates()) != 1 {
		t.Fatalf("dialled %v", r.originates())
	}
	past, err := r.db.CreateSchedule(r.ctx, dialer.Schedule{ScheduleName: "over", IsMonday: true, IsTuesday: true,
		IsWednesday: true, IsThursday: true, IsFriday: true, IsSaturday: true, IsSunday: true,
		FromDateTime: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), ToDateTime: time.Date(2020, 12, 31, 23, 59, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	full, err := r.db.Campaign(r.ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	full.ScheduleIDs = []int{past}
	if err := r.db.UpdateCampaign(r.ctx, full); err != nil {
		t.Fatal(err)
	}
	r.target(id, "5550601") // due, but the schedule has ended
	r.tick()
	if got := r.originates(); len(got) != 1 {
		t.Fatalf("dialled %v after the schedule ended", got)
	}
	if err := r.sim.Channel(dialplanDialer.ChannelOf(1)).Busy(); err != nil {
		t.Fatal(err)
	}
	if res := r.waitStored(1)[0]; res.Status != dialer.StatusBusy || res.Target.ID != first {
		t.Fatalf("%+v", res)
	}
	if tg, _ := r.db.Target(r.ctx, first); tg.StatusCode != dialer.StatusBusy {
		t.Fatalf("the finished call was not recorded: %+v", tg)
	}
}
