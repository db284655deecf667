package dialer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/acd"
	"github.com/ccdhq/ccd/dialer"
	"github.com/ccdhq/ccd/dialer/pacing"
	"github.com/ccdhq/ccd/eventlog"
	"github.com/ccdhq/ccd/store"
)

// Store is the dialer's part of the database (*store.DB).
type Store interface {
	Campaigns(ctx context.Context) ([]dialer.Campaign, error)
	InSchedule(ctx context.Context, c dialer.Campaign, now time.Time) (bool, error)
	ClaimDue(ctx context.Context, campaign int, now time.Time, n int) ([]store.Claim, error)
	Target(ctx context.Context, id int64) (dialer.Target, error)
	StartAttempt(ctx context.Context, a store.Attempt) (int64, error)
	EndAttempt(ctx context.Context, e store.AttemptEnd) error
	FinishAttempt(ctx context.Context, targetID int64, result int, now time.Time) (dialer.Outcome, error)
	AbandonWindows(ctx context.Context, campaign int, now time.Time, spans ...time.Duration) ([]pacing.Window, error)
	CampaignAMD(ctx context.Context, campaign int) (store.CampaignAMD, error)
	UnfinishedAttempts(ctx context.Context) ([]store.Attempt, error)
	PendingAgendaAgents(ctx context.Context, now time.Time) (map[int][]string, error)
	ClaimAgenda(ctx context.Context, campaign int, agent string, now time.Time) (store.Claim, bool, error)
	ReleaseAgenda(ctx context.Context, campaign int, agent string) ([]int64, error)
}

// ACD is the queue application's live state: who is free, which calls
// are connected.
type ACD interface {
	Queues(ctx context.Context) ([]acd.QueueStatus, error)
	Calls(ctx context.Context) ([]acd.Call, error)
	Reserve(ctx context.Context, queue string, n int) error
	Agents(ctx context.Context) ([]ccd.AgentStatus, error)
	HoldAgents(ctx context.Context, ids []string) error
}

// Placer places calls (the App).
type Placer interface {
	Place(ctx context.Context, c Call)
	Ringing(campaign int, now time.Time) (ringing []time.Duration, waiting int)
	// Drop hangs up the channel of an attempt a stopped ccd left.
	Drop(ctx context.Context, attemptID int64)
	// HeldAgents are the agents of the personal callbacks in progress.
	HeldAgents() []string
}

// RunnerConfig is what the runner needs.
type RunnerConfig struct {
	Store  Store
	ACD    ACD
	Placer Placer
	// Emit appends to the event log; it must not block.
	Emit func(eventlog.Event) error
	Node string
	Log  *slog.Logger
	Now  func() time.Time
	// Results, when set, is told every finished attempt after it is
	// stored (metrics).
	Results func(Result)
	// InboundFirst leaves agents who also serve inbound queues free to
	// take inbound calls; otherwise the runner holds, in each campaign's
	// queue, as many ready agents as it has calls in flight there.
	InboundFirst bool
	// Serves says whether an agent serves a queue (the live
	// configuration; nil: every agent of a personal callback does). A
	// personal callback whose agent no longer serves its campaign's
	// queue goes to any agent of the campaign.
	Serves func(agent, queue string) bool
}

// samples is how many recent ring and talk times the pacer learns from.
const samples = 500

// Runner is the pacing loop: every tick, for each active campaign inside
// its schedule, it asks pacing.Pace how many calls to place, claims that
// many due targets and places them. A campaign whose schedule ends places
// no new call; calls in progress finish.
type Runner struct {
	cfg RunnerConfig
	log *slog.Logger

	mu        sync.Mutex
	stats     map[int]*learned         // by campaign
	connected map[string]connectedCall // dialer calls connected in the ACD, by call id
	reserved  map[string]int           // the reservation last asked per queue
	held      []string                 // the agents last held for personal callbacks
}

type connectedCall struct {
	campaign int
	answered time.Time
}

// learned is what a campaign's calls showed recently.
type learned struct {
	attempts, humans []bool // per attempt, whether a person answered
	ring, fail, talk []time.Duration
}

func push[T any](s []T, v T) []T {
	s = append(s, v)
	if len(s) > samples {
		s = s[len(s)-samples:]
	}
	return s
}

// NewRunner builds the runner; its App's Done must be the runner's Done.
func NewRunner(cfg RunnerConfig) *Runner {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Runner{cfg: cfg, log: cfg.Log.With("component", "dialer"), stats: map[int]*learned{},
		connected: map[string]connectedCall{}}
}

// Recover ends the attempts a stopped ccd left unfinished: their calls are
// gone with it (or no longer the dialer's), and their targets would stay
// "dialling" for ever. They count as congestion, retried by the rules.
func (r *Runner) Recover(ctx context.Context) error {
	left, err := r.cfg.Store.UnfinishedAttempts(ctx)
	if err != nil {
		return err
	}
	now := r.cfg.Now()
	for _, a := range left {
		r.cfg.Placer.Drop(ctx, a.ID)
		if err := r.cfg.Store.EndAttempt(ctx, store.AttemptEnd{ID: a.ID, EndedAt: now, Result: dialer.StatusCongestion,
			DialStatus: "INTERRUPTED"}); err != nil {
			return err
		}
		if _, err := r.cfg.Store.FinishAttempt(ctx, a.TargetID, dialer.StatusCongestion, now); err != nil && !isConflict(err) {
			return err
		}
	}
	if len(left) > 0 {
		r.log.Info("dialer: attempts of the last run ended as interrupted", "attempts", len(left))
	}
	return nil
}

func isConflict(err error) bool {
	var ce *ccd.Error
	return errors.As(err, &ce) && ce.Code == ccd.ECONFLICT
}

// Run recovers the last run's attempts, then ticks every interval until
// ctx ends.
func (r *Runner) Run(ctx context.Context, interval time.Duration) {
	for {
		err := r.Recover(ctx)
		if err == nil {
			break
		}
		r.log.Warn("dialer: cannot end the last run's attempts; retrying", "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if err := r.Tick(ctx); err != nil && ctx.Err() == nil {
			r.log.Warn("dialer tick failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Tick paces every active campaign once.
func (r *Runner) Tick(ctx context.Context) error {
	now := r.cfg.Now()
	campaigns, err := r.cfg.Store.Campaigns(ctx)
	if err != nil {
		return err
	}
	queues, err := r.cfg.ACD.Queues(ctx)
	if err != nil {
		return err
	}
	calls, err := r.cfg.ACD.Calls(ctx)
	if err != nil {
		return err
	}
	busy := r.followTalks(now, calls)
	// Personal callbacks first: their agents are held before the pacer
	// counts the free ones, and their calls count as ringing there.
	if err := r.callBack(ctx, now, campaigns); err != nil {
		r.log.Warn("dialer: personal callbacks not placed", "err", err)
	}
	if err := r.hold(ctx); err != nil {
		return err
	}
	for _, c := range campaigns {
		if !c.IsActive || c.Mode == string(pacing.Preview) {
			continue
		}
		if err := r.pace(ctx, now, c, queues, busy[c.ID]); err != nil {
			r.log.Warn("dialer: campaign not paced", "campaign", c.ID, "err", err)
		}
	}
	return r.reserve(ctx, campaigns)
}

// callBack places the personal callbacks that are due, each only when its
// agent is ready and has no other one in progress: the person is offered
// to that agent alone (held meanwhile). A callback of an agent logged out
// or busy waits (a campaign's agendaFallbackMinutes later any agent may
// take it, through the ordinary claims).
func (r *Runner) callBack(ctx context.Context, now time.Time, campaigns []dialer.Campaign) error {
	due, err := r.cfg.Store.PendingAgendaAgents(ctx, now)
	if err != nil || len(due) == 0 {
		return err
	}
	agents, err := r.cfg.ACD.Agents(ctx)
	if err != nil {
		return err
	}
	ready := map[string]bool{}
	for _, a := range agents {
		ready[a.ID] = a.State == ccd.AgentReady
	}
	for _, a := range r.cfg.Placer.HeldAgents() {
		ready[a] = false
	}
	for _, c := range campaigns {
		due[c.ID] = r.releaseStrays(ctx, c, due[c.ID])
		if !c.IsActive || !slices.ContainsFunc(due[c.ID], func(a string) bool { return ready[a] }) {
			continue
		}
		if in, err := r.cfg.Store.InSchedule(ctx, c, now); err != nil || !in {
			continue
		}
		amd, err := r.cfg.Store.CampaignAMD(ctx, c.ID)
		if err != nil {
			return err
		}
		for _, agent := range due[c.ID] {
			if !ready[agent] {
				continue
			}
			cl, ok, err := r.cfg.Store.ClaimAgenda(ctx, c.ID, agent, now)
			if err != nil {
				return err
			}
			if ok {
				ready[agent] = false
				r.place(ctx, now, c, amd, pacing.Progressive, cl, agent)
			}
		}
	}
	return nil
}

// releaseStrays gives the personal callbacks of campaign c whose agent no
// longer serves its queue to any agent of the campaign (the ordinary
// claims take them at their time): offered to that agent alone, the person
// would wait for someone who can never take the call and be abandoned. It
// returns the agents whose callbacks stay personal.
func (r *Runner) releaseStrays(ctx context.Context, c dialer.Campaign, agents []string) []string {
	if r.cfg.Serves == nil {
		return agents
	}
	kept := agents[:0:0]
	for _, agent := range agents {
		if r.cfg.Serves(agent, c.QueueCode) {
			kept = append(kept, agent)
			continue
		}
		targets, err := r.cfg.Store.ReleaseAgenda(ctx, c.ID, agent)
		if err != nil {
			r.log.Warn("dialer: personal callbacks of an agent outside the campaign's queue not released", "campaign", c.ID,
				"agent", agent, "err", err)
			continue
		}
		if len(targets) > 0 {
			r.log.Warn("dialer: agent no longer serves the campaign's queue; its personal callbacks go to any agent of the campaign",
				"campaign", c.ID, "queue", c.QueueCode, "agent", agent, "targets", targets)
		}
	}
	return kept
}

// hold keeps the agents of the personal callbacks in progress for them
// (acd.Engine.HoldAgents), asked again only when the set changes.
func (r *Runner) hold(ctx context.Context) error {
	want := r.cfg.Placer.HeldAgents()
	r.mu.Lock()
	same := slices.Equal(want, r.held)
	r.mu.Unlock()
	if same {
		return nil
	}
	if err := r.cfg.ACD.HoldAgents(ctx, want); err != nil {
		return err
	}
	r.mu.Lock()
	r.held = want
	r.mu.Unlock()
	return nil
}

// reserve holds, in each campaign queue, a ready agent per call in flight
// there (ringing, in detection, waiting for its agent), so that an inbound
// call does not take the agent the pacer counted on.
func (r *Runner) reserve(ctx context.Context, campaigns []dialer.Campaign) error {
	if r.cfg.InboundFirst {
		return nil
	}
	now := r.cfg.Now()
	want := map[string]int{}
	for _, c := range campaigns {
		ringing, waiting := r.cfg.Placer.Ringing(c.ID, now)
		want[c.QueueCode] += len(ringing) + waiting
	}
	r.mu.Lock()
	last := r.reserved
	r.reserved = want
	r.mu.Unlock()
	for q, n := range last {
		if _, still := want[q]; !still && n > 0 {
			want[q] = 0
		}
	}
	for q, n := range want {
		if last[q] == n {
			continue
		}
		if err := r.cfg.ACD.Reserve(ctx, q, n); err != nil {
			return err
		}
	}
	return nil
}

// followTalks learns the talk times of the dialer's calls from the ACD's
// connected calls: a call seen connected that is gone has ended. It
// returns, per campaign, how long each connected call has lasted.
func (r *Runner) followTalks(now time.Time, calls []acd.Call) map[int][]time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	busy := map[int][]time.Duration{}
	seen := map[string]bool{}
	for _, c := range calls {
		cc, ours := r.connected[c.ID]
		if !ours || c.State != acd.Connected || c.AnsweredAt.IsZero() {
			continue
		}
		seen[c.ID] = true
		cc.answered = c.AnsweredAt
		r.connected[c.ID] = cc
		busy[cc.campaign] = append(busy[cc.campaign], now.Sub(c.AnsweredAt))
	}
	for id, cc := range r.connected {
		if seen[id] {
			continue
		}
		// Gone: it ended. One that ended before a tick saw it talking
		// leaves no sample.
		if !cc.answered.IsZero() {
			l := r.learnedLocked(cc.campaign)
			l.talk = push(l.talk, now.Sub(cc.answered))
		}
		delete(r.connected, id)
	}
	return busy
}

func (r *Runner) learnedLocked(campaign int) *learned {
	l := r.stats[campaign]
	if l == nil {
		l = &learned{}
		r.stats[campaign] = l
	}
	return l
}

// pace decides for one campaign and places its calls.
func (r *Runner) pace(ctx context.Context, now time.Time, c dialer.Campaign, queues []acd.QueueStatus, busy []time.Duration) error {
	in, err := r.cfg.Store.InSchedule(ctx, c, now)
	if err != nil || !in {
		return err
	}
	obs, err := r.observe(ctx, now, c, queues, busy)
	if err != nil {
		return err
	}
	d := pacing.Pace(c.Settings(), obs)
	if d.Calls <= 0 {
		return nil
	}
	claims, err := r.cfg.Store.ClaimDue(ctx, c.ID, now, d.Calls)
	if err != nil {
		return err
	}
	amd, err := r.cfg.Store.CampaignAMD(ctx, c.ID)
	if err != nil {
		return err
	}
	for _, cl := range claims {
		r.place(ctx, now, c, amd, d.Mode, cl, "")
	}
	return nil
}

// observe gathers what the pacer looks at.
func (r *Runner) observe(ctx context.Context, now time.Time, c dialer.Campaign, queues []acd.QueueStatus, busy []time.Duration) (pacing.Observation, error) {
	windows, err := r.cfg.Store.AbandonWindows(ctx, c.ID, now, store.AbandonSpans...)
	if err != nil {
		return pacing.Observation{}, err
	}
	obs := pacing.Observation{Now: now, Busy: busy, Windows: windows}
	for _, q := range queues {
		if q.Code == c.QueueCode {
			obs.FreeAgents = q.AgentsByState[ccd.AgentReady]
		}
	}
	obs.Ringing, obs.Waiting = r.cfg.Placer.Ringing(c.ID, now)
	r.mu.Lock()
	l := r.learnedLocked(c.ID)
	if n := len(l.attempts); n > 0 {
		h := 0
		for _, x := range l.humans {
			if x {
				h++
			}
		}
		obs.AnswerRate = float64(h) / float64(n)
	}
	obs.RingTimes, obs.FailTimes, obs.TalkTimes = pacing.NewDist(l.ring), pacing.NewDist(l.fail), pacing.NewDist(l.talk)
	r.mu.Unlock()
	return obs, nil
}

// place records the attempt and originates it (for agent alone when
// set); a claim that cannot be recorded is given back as congestion
// (retried by the rules).
func (r *Runner) place(ctx context.Context, now time.Time, c dialer.Campaign, amd store.CampaignAMD, mode pacing.Mode, cl store.Claim, agent string) {
	t, err := r.cfg.Store.Target(ctx, cl.TargetID)
	if err == nil {
		var id int64
		id, err = r.cfg.Store.StartAttempt(ctx, store.Attempt{CampaignID: c.ID, TargetID: cl.TargetID, Phone: cl.Phone,
			PhoneIndex: cl.PhoneIndex, Mode: string(mode), StartedAt: now})
		if err == nil {
			call := Call{AttemptID: id, Campaign: c, Target: t, Phone: cl.Phone, Mode: mode, AMD: AMD{Enabled: amd.Enabled,
				Params: amd.Params, MachineMessage: amd.MachineMessage, AbandonMessage: amd.AbandonMessage}, Agent: agent}
			r.event(now, ccd.EventDialerAttempt, call, ccd.DialerAttempt{Mode: string(mode)})
			r.cfg.Placer.Place(ctx, call)
			return
		}
	}
	r.log.Warn("dialer: claimed target not placed", "campaign", c.ID, "target", cl.TargetID, "err", err)
	if _, err := r.cfg.Store.FinishAttempt(ctx, cl.TargetID, dialer.StatusCongestion, now); err != nil {
		r.log.Warn("dialer: claimed target left dialling", "target", cl.TargetID, "err", err)
	}
}

// Done is the App's Done: it learns from the attempt, stores it and
// applies the retry rules, off the application's goroutine.
func (r *Runner) Done(res Result) {
	r.learn(res)
	go r.store(res)
}

// Started logs an attempt the runner did not place (a preview call an
// agent dialled) like its own.
func (r *Runner) Started(c Call, at time.Time) {
	r.event(at, ccd.EventDialerAttempt, c, ccd.DialerAttempt{Mode: string(c.Mode)})
}

// Record stores the end of an attempt the runner did not place like its
// own, without learning from it for the pacing.
func (r *Runner) Record(res Result) { go r.store(res) }

func (r *Runner) learn(res Result) {
	r.mu.Lock()
	defer r.mu.Unlock()
	l := r.learnedLocked(res.Campaign.ID)
	l.attempts = push(l.attempts, true)
	l.humans = push(l.humans, res.Human)
	if res.Human {
		l.ring = push(l.ring, res.Answered.Sub(res.Placed))
	} else {
		l.fail = push(l.fail, res.Ended.Sub(res.Placed))
	}
	if res.Connected {
		r.connected[ChannelOf(res.AttemptID)] = connectedCall{campaign: res.Campaign.ID}
	}
}

func (r *Runner) store(res Result) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	end := store.AttemptEnd{ID: res.AttemptID, EndedAt: res.Ended, Result: res.Status, Human: res.Human,
		Abandoned: res.Abandoned, AMDStatus: res.AMDStatus, AMDCause: res.AMDCause, HangupCause: res.Cause, DialStatus: res.DialStatus}
	if !res.Answered.IsZero() {
		at := res.Answered
		end.AnsweredAt = &at
	}
	if err := r.cfg.Store.EndAttempt(ctx, end); err != nil {
		r.log.Warn("dialer: attempt not recorded", "attempt", res.AttemptID, "err", err)
	}
	if _, err := r.cfg.Store.FinishAttempt(ctx, res.Target.ID, res.Status, res.Ended); err != nil {
		r.log.Warn("dialer: retry rules not applied", "attempt", res.AttemptID, "target", res.Target.ID, "err", err)
	}
	ring := res.Ended
	if !res.Answered.IsZero() {
		ring = res.Answered
	}
	p := ccd.DialerAttempt{Result: res.Status, Status: StatusName(res.Status),
		AMDStatus: res.AMDStatus, AMDCause: res.AMDCause, Cause: res.Cause, DialStatus: res.DialStatus,
		RingMS: ring.Sub(res.Placed).Milliseconds(), Abandoned: res.Abandoned}
	if res.Mode == pacing.Preview && !res.Answered.IsZero() {
		// No queue call carries a preview call's talk: its result does.
		p.TalkMS = res.Ended.Sub(res.Answered).Milliseconds()
	}
	r.event(res.Ended, ccd.EventDialerResult, res.Call, p)
	if r.cfg.Results != nil {
		r.cfg.Results(res)
	}
}

// event appends a dialer event; the call id is the attempt's channel.
func (r *Runner) event(at time.Time, kind ccd.EventKind, c Call, p ccd.DialerAttempt) {
	if r.cfg.Emit == nil {
		return
	}
	p.AttemptID, p.CampaignID, p.TargetID, p.Phone, p.Queue = c.AttemptID, c.Campaign.ID, c.Target.ID, c.Phone, c.Campaign.QueueCode
	p.Agent = c.Agent
	if c.Mode == pacing.Preview {
		p.Mode = string(c.Mode)
	}
	ev := eventlog.Event{At: at, Kind: kind, Source: eventlog.SourceARI, Key: fmt.Sprintf("%s-%d", kind, c.AttemptID),
		CallID: ChannelOf(c.AttemptID), Queue: c.Campaign.QueueCode, DNIS: c.Phone, Node: r.cfg.Node, Payload: eventlog.Payload(p)}
	if err := r.cfg.Emit(ev); err != nil {
		r.log.Error("event log refused a dialer event", "kind", kind, "attempt", c.AttemptID, "err", err)
	}
}

// statusNames are the names of dialer.status_code.
var statusNames = map[int]string{
	dialer.StatusAnswered: "answered", dialer.StatusNoAnswer: "no_answer", dialer.StatusBusy: "busy",
	dialer.StatusCongestion: "congestion", dialer.StatusRejected: "rejected", dialer.StatusInvalidNumber: "invalid_number",
	dialer.StatusMachine: "machine", dialer.StatusAbandoned: "abandoned",
}

// StatusName is the name of a result.
func StatusName(code int) string {
	if n, ok := statusNames[code]; ok {
		return n
	}
	return strings.ToLower(fmt.Sprint(code))
}
