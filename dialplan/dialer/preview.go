package dialer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/dialer"
	"github.com/ccdhq/ccd/dialer/pacing"
	dc2c "github.com/ccdhq/ccd/dialplan/clicktocall"
	"github.com/ccdhq/ccd/eventlog"
	"github.com/ccdhq/ccd/store"
)

// PreviewStore is the database as preview campaigns use it (*store.DB).
type PreviewStore interface {
	Campaign(ctx context.Context, id int) (dialer.Campaign, error)
	Campaigns(ctx context.Context) ([]dialer.Campaign, error)
	Target(ctx context.Context, id int64) (dialer.Target, error)
	ReservePreview(ctx context.Context, campaign int, agent string, now time.Time) (store.Reservation, bool, error)
	PreviewOf(ctx context.Context, agent string) (store.Reservation, bool, error)
	ReleasePreview(ctx context.Context, agent string, now time.Time, skipped bool) (store.Reservation, bool, error)
	ExpiredPreviews(ctx context.Context, now time.Time) ([]store.Reservation, error)
	DialPreview(ctx context.Context, agent string, phone int, now time.Time) (int, store.Claim, error)
	UndialPreview(ctx context.Context, agent string, target, attempt int64, now time.Time) (store.Reservation, bool, bool, error)
	StartAttempt(ctx context.Context, a store.Attempt) (int64, error)
	SetAttemptAgent(ctx context.Context, attempt int64, agent string) error
}

// PreviewAgents is the queue application as preview needs it: the agent's
// state and phone, and holding the agent off queue calls.
type PreviewAgents interface {
	Agent(ctx context.Context, id string) (ccd.AgentStatus, error)
	DirectCall(endpoint string, on bool)
}

// CallPlacer rings the agent's phone, then the customer, into one bridge
// (the click-to-call application).
type CallPlacer interface {
	Place(ctx context.Context, r dc2c.Request) (ccd.ClickToCall, error)
}

// PreviewConfig is what Preview needs.
type PreviewConfig struct {
	Store  PreviewStore
	Agents PreviewAgents
	Calls  CallPlacer
	// Recorder logs and stores the attempts like the automatic modes'
	// (the Runner).
	Recorder interface {
		Started(Call, time.Time)
		Record(Result)
	}
	// Serves says whether an agent serves a queue (the live configuration).
	Serves func(agent, queue string) bool
	// Endpoint is how a number is dialled, with {number} (dialer.dial_endpoint).
	Endpoint string
	// Hold keeps a previewing agent from queue calls (the campaign
	// reserves its agents: dialer.inbound_first off).
	Hold bool
	Emit func(eventlog.Event) error
	Node string
	Log  *slog.Logger
	Now  func() time.Time
}

// PreviewState is what an agent of a preview campaign has in hand.
type PreviewState struct {
	Agent string `json:"agent"`
	// State: idle (nothing held), reserved (a target to skip or dial),
	// dialing (the agent's call to the target is on).
	State      string         `json:"state"`
	CampaignID int            `json:"campaignId,omitempty"`
	Campaign   string         `json:"campaignName,omitempty"`
	Target     *dialer.Target `json:"target,omitempty"`
	Phone      string         `json:"phone,omitempty"`
	PhoneIndex int            `json:"phoneIndex,omitempty"`
	ExpiresAt  time.Time      `json:"expiresAt,omitzero"`
	// AttachData is what the screen pop gets, as for the dialer's calls.
	AttachData string `json:"attachData,omitempty"`
	AttemptID  int64  `json:"attemptId,omitempty"`
	CallID     string `json:"callId,omitempty"` // the click-to-call's id
	// Message says why nothing is held (idle).
	Message string `json:"message,omitempty"`
	// PreviewCampaigns (idle only) is how many active preview campaigns
	// the agent serves: none, and a console has no preview to offer.
	PreviewCampaigns int `json:"previewCampaigns"`
}

// Preview states.
const (
	PreviewIdle     = "idle"
	PreviewReserved = "reserved"
	PreviewDialing  = "dialing"
)

// Preview lets agents work preview campaigns: next, skip, dial.
type Preview struct {
	cfg PreviewConfig
	log *slog.Logger

	mu      sync.Mutex
	held    map[string]string       // agent -> endpoint held off queue calls while it previews
	dialing map[string]*previewCall // agent -> its call in progress
	// notice is what an agent is told about its last dial until it acts
	// again: its phone did not answer, the target was not called.
	notice map[string]string
}

type previewCall struct{ state PreviewState }

// NewPreview builds the service.
func NewPreview(cfg PreviewConfig) *Preview {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Preview{cfg: cfg, log: cfg.Log.With("component", "preview"), held: map[string]string{},
		dialing: map[string]*previewCall{}, notice: map[string]string{}}
}

// Current is what agent holds.
func (p *Preview) Current(ctx context.Context, agent string) (PreviewState, error) {
	p.mu.Lock()
	if c := p.dialing[agent]; c != nil {
		st := c.state
		p.mu.Unlock()
		return st, nil
	}
	p.mu.Unlock()
	r, ok, err := p.cfg.Store.PreviewOf(ctx, agent)
	if err != nil {
		return PreviewState{Agent: agent, State: PreviewIdle}, err
	}
	if !ok {
		return p.idle(ctx, agent, p.noticeOf(agent))
	}
	st, err := p.describe(ctx, r)
	st.Message = p.noticeOf(agent)
	return st, err
}

func (p *Preview) noticeOf(agent string) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.notice[agent]
}

// forget ends the notice of agent's last dial: the agent acted again.
func (p *Preview) forget(agent string) {
	p.mu.Lock()
	delete(p.notice, agent)
	p.mu.Unlock()
}

// idle is the state of an agent who holds nothing, with the number of
// preview campaigns it could take a target of.
func (p *Preview) idle(ctx context.Context, agent, message string) (PreviewState, error) {
	st := PreviewState{Agent: agent, State: PreviewIdle, Message: message}
	campaigns, err := p.campaignsOf(ctx, agent, 0)
	var e *ccd.Error
	if err != nil && !(errors.As(err, &e) && e.Code == ccd.EFORBIDDEN) {
		return st, err
	}
	st.PreviewCampaigns = len(campaigns)
	return st, nil
}

// describe fills a reservation's state with its campaign and target.
func (p *Preview) describe(ctx context.Context, r store.Reservation) (PreviewState, error) {
	st := PreviewState{Agent: r.Agent, State: PreviewReserved, CampaignID: r.CampaignID, Phone: r.Phone,
		PhoneIndex: r.PhoneIndex, ExpiresAt: r.ExpiresAt.UTC()}
	c, err := p.cfg.Store.Campaign(ctx, r.CampaignID)
	if err != nil {
		return st, err
	}
	t, err := p.cfg.Store.Target(ctx, r.TargetID)
	if err != nil {
		return st, err
	}
	t = r.Unclaimed(t) // held, not called yet
	st.Campaign, st.Target = c.Name, &t
	st.AttachData = AttachData(Call{Campaign: c, Target: t})
	return st, nil
}

// Next holds the next due target of campaign (0: of the active preview
// campaigns agent serves, the highest campaignPriority first) for agent,
// who must be logged in and ready. An agent who holds one gets it again.
func (p *Preview) Next(ctx context.Context, agent string, campaign int) (PreviewState, error) {
	if st, err := p.Current(ctx, agent); err != nil || st.State != PreviewIdle {
		return st, err
	}
	ag, err := p.cfg.Agents.Agent(ctx, agent)
	if err != nil {
		return PreviewState{}, err
	}
	if ag.State != ccd.AgentReady {
		return PreviewState{}, &ccd.Error{Code: ccd.ECONFLICT, Field: "agent",
			Message: fmt.Sprintf("agent %q is %s: an agent takes a preview target when ready", agent, ag.State)}
	}
	campaigns, err := p.campaignsOf(ctx, agent, campaign)
	if err != nil {
		return PreviewState{}, err
	}
	now := p.cfg.Now()
	for _, c := range campaigns {
		r, ok, err := p.cfg.Store.ReservePreview(ctx, c.ID, agent, now)
		if err != nil {
			return PreviewState{}, err
		}
		if !ok {
			continue
		}
		p.forget(agent)
		p.hold(agent, ag.Endpoint)
		p.emit(now, ccd.EventPreviewReserved, c.QueueCode, ccd.DialerPreview{Agent: agent, CampaignID: c.ID,
			TargetID: r.TargetID, Phone: r.Phone, PhoneIndex: r.PhoneIndex, ExpiresAt: r.ExpiresAt.UTC()})
		return p.Current(ctx, agent)
	}
	return p.idle(ctx, agent, "no target is due now")
}

// campaignsOf are the campaigns agent may take a target of: the one
// asked for (refused unless it is an active preview campaign the agent
// serves), or all such campaigns.
func (p *Preview) campaignsOf(ctx context.Context, agent string, id int) ([]dialer.Campaign, error) {
	if id != 0 {
		c, err := p.cfg.Store.Campaign(ctx, id)
		if err != nil {
			return nil, err
		}
		switch {
		case c.Mode != string(pacing.Preview):
			return nil, &ccd.Error{Code: ccd.ECONFLICT, Field: "campaignId", Message: fmt.Sprintf("campaign %d is not a preview campaign", id)}
		case !c.IsActive:
			return nil, &ccd.Error{Code: ccd.ECONFLICT, Field: "campaignId", Message: fmt.Sprintf("campaign %d is not active", id)}
		case !p.cfg.Serves(agent, c.QueueCode):
			return nil, &ccd.Error{Code: ccd.EFORBIDDEN, Field: "campaignId",
				Message: fmt.Sprintf("agent %q does not serve campaign %d (queue %q)", agent, id, c.QueueCode)}
		}
		return []dialer.Campaign{c}, nil
	}
	all, err := p.cfg.Store.Campaigns(ctx)
	if err != nil {
		return nil, err
	}
	var out []dialer.Campaign
	for _, c := range all {
		if c.IsActive && c.Mode == string(pacing.Preview) && p.cfg.Serves(agent, c.QueueCode) {
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		return nil, &ccd.Error{Code: ccd.EFORBIDDEN, Field: "campaignId", Message: fmt.Sprintf("agent %q serves no active preview campaign", agent)}
	}
	// campaignPriority 1 is the highest
	slices.SortStableFunc(out, func(a, b dialer.Campaign) int { return a.CampaignPriority - b.CampaignPriority })
	return out, nil
}

// Skip lets agent's target go without a call: no attempt is counted, the
// target waits behind the others due.
func (p *Preview) Skip(ctx context.Context, agent string) (PreviewState, error) {
	return p.release(ctx, agent, true)
}

func (p *Preview) release(ctx context.Context, agent string, skipped bool) (PreviewState, error) {
	p.forget(agent)
	now := p.cfg.Now()
	r, ok, err := p.cfg.Store.ReleasePreview(ctx, agent, now, skipped)
	if err != nil {
		return PreviewState{}, err
	}
	if !ok {
		return PreviewState{}, &ccd.Error{Code: ccd.ECONFLICT, Message: fmt.Sprintf("agent %q holds no preview target", agent)}
	}
	p.unhold(agent)
	kind := ccd.EventPreviewExpired
	if skipped {
		kind = ccd.EventPreviewSkipped
	}
	p.emit(now, kind, p.queueOf(ctx, r.CampaignID), ccd.DialerPreview{Agent: agent, CampaignID: r.CampaignID, TargetID: r.TargetID})
	return p.idle(ctx, agent, "")
}

func (p *Preview) queueOf(ctx context.Context, campaign int) string {
	c, err := p.cfg.Store.Campaign(ctx, campaign)
	if err != nil {
		return ""
	}
	return c.QueueCode
}

// Dial calls agent's target on phone (1..3; 0: the one reserved): the
// agent's phone rings first, then the customer's, into one bridge. The
// attempt is recorded like the automatic modes' (attempt row, retry
// rules, dialer.attempt and dialer.result with mode preview).
func (p *Preview) Dial(ctx context.Context, agent string, phone int) (PreviewState, error) {
	if phone < 0 || phone > 3 {
		return PreviewState{}, ccd.Invalid("phone", "must be 1, 2 or 3 (phone I, II or III), or 0 for the one shown")
	}
	ag, err := p.cfg.Agents.Agent(ctx, agent)
	if err != nil {
		return PreviewState{}, err
	}
	if ag.Endpoint == "" || ag.State == ccd.AgentLoggedOut {
		return PreviewState{}, &ccd.Error{Code: ccd.ECONFLICT, Field: "agent", Message: fmt.Sprintf("agent %q is not logged in", agent)}
	}
	now := p.cfg.Now()
	campaign, cl, err := p.cfg.Store.DialPreview(ctx, agent, phone, now)
	if err != nil {
		return PreviewState{}, err
	}
	p.forget(agent)
	call, err := p.attempt(ctx, agent, campaign, cl, now)
	if err != nil {
		return PreviewState{}, err
	}
	st := PreviewState{Agent: agent, State: PreviewDialing, CampaignID: campaign, Campaign: call.Campaign.Name, Target: &call.Target,
		Phone: cl.Phone, PhoneIndex: cl.PhoneIndex, AttachData: AttachData(call), AttemptID: call.AttemptID}
	pc := &previewCall{state: st}
	p.mu.Lock()
	p.dialing[agent] = pc
	delete(p.held, agent) // the call holds the agent now, and frees it at its end
	p.mu.Unlock()
	p.emit(now, ccd.EventPreviewDialed, call.Campaign.QueueCode, ccd.DialerPreview{Agent: agent, CampaignID: campaign,
		TargetID: cl.TargetID, Phone: cl.Phone, PhoneIndex: cl.PhoneIndex, AttemptID: call.AttemptID})
	var once sync.Once
	var dialled atomic.Bool
	end := func(c ccd.ClickToCall) {
		once.Do(func() {
			if dialled.Load() {
				p.ended(agent, call, now, c)
			} else {
				p.agentDidNotAnswer(agent, ag.Endpoint, call, c)
			}
		})
	}
	// The attempt starts when the customer's number is dialled: an agent
	// whose own phone does not answer has called nobody.
	dial := func() {
		if dialled.CompareAndSwap(false, true) {
			p.cfg.Recorder.Started(call, p.cfg.Now())
		}
	}
	c2c, err := p.cfg.Calls.Place(ctx, dc2c.Request{Order: ccd.ClickToCallAgentFirst, Agent: agent, Phones: []string{ag.Endpoint},
		Number: cl.Phone, Customer: strings.ReplaceAll(p.cfg.Endpoint, "{number}", cl.Phone), Queue: call.Campaign.QueueCode,
		CallerID: call.Campaign.CallerID, Via: "preview", OnEnd: end, OnDial: dial,
		CustomerRing: time.Duration(dialer.RingSeconds(call.Campaign)) * time.Second})
	if err != nil {
		end(ccd.ClickToCall{Result: "failed", EndedAt: p.cfg.Now()})
		return PreviewState{}, err
	}
	p.mu.Lock()
	pc.state.CallID = c2c.ID
	st = pc.state
	p.mu.Unlock()
	return st, nil
}

// attempt records the attempt of a claim (its dialer.attempt event waits
// for the customer's number to be dialled); a claim that cannot be
// recorded is given back as congestion, as the runner does.
func (p *Preview) attempt(ctx context.Context, agent string, campaign int, cl store.Claim, now time.Time) (Call, error) {
	call := Call{Phone: cl.Phone, Mode: pacing.Preview, Agent: agent}
	var err error
	if call.Campaign, err = p.cfg.Store.Campaign(ctx, campaign); err == nil {
		if call.Target, err = p.cfg.Store.Target(ctx, cl.TargetID); err == nil {
			call.AttemptID, err = p.cfg.Store.StartAttempt(ctx, store.Attempt{CampaignID: campaign, TargetID: cl.TargetID,
				Phone: cl.Phone, PhoneIndex: cl.PhoneIndex, Mode: string(pacing.Preview), StartedAt: now})
		}
	}
	if err == nil {
		err = p.cfg.Store.SetAttemptAgent(ctx, call.AttemptID, agent)
	}
	if err != nil {
		p.log.Warn("preview: the attempt not recorded; target given back", "target", cl.TargetID, "err", err)
		p.cfg.Recorder.Record(Result{Call: call, Status: dialer.StatusCongestion, Placed: now, Ended: now, DialStatus: "NOT_RECORDED"})
		return call, err
	}
	return call, nil
}

// previewResults maps how the click-to-call ended, once the customer's
// number was dialled, to the dialer's result: the customer's side decides.
// A call that ended before (the agent's phone did not answer, or could not
// be rung) is no attempt: agentDidNotAnswer.
var previewResults = map[string]int{
	"answered": dialer.StatusAnswered, "busy": dialer.StatusBusy, "no_answer": dialer.StatusNoAnswer,
	"cancelled": dialer.StatusNoAnswer, "failed": dialer.StatusCongestion,
}

// ended records how the agent's call ended.
func (p *Preview) ended(agent string, call Call, placed time.Time, c ccd.ClickToCall) {
	p.mu.Lock()
	if pc := p.dialing[agent]; pc != nil && pc.state.AttemptID == call.AttemptID {
		delete(p.dialing, agent)
	}
	p.mu.Unlock()
	status, ok := previewResults[c.Result]
	if !ok {
		status = dialer.StatusNoAnswer
	}
	res := Result{Call: call, Status: status, Placed: placed, Ended: c.EndedAt, DialStatus: strings.ToUpper(c.Result)}
	if res.Ended.IsZero() {
		res.Ended = p.cfg.Now()
	}
	if status == dialer.StatusAnswered {
		res.Human, res.Answered = true, c.AnsweredAt
	}
	p.cfg.Recorder.Record(res)
}

// agentDidNotAnswer takes back a dial whose agent's phone did not answer
// (or could not be rung): the customer was never called, so it must not
// cost the target an attempt nor count as a result of the campaign. The
// attempt row goes and the target is the agent's preview again, for the
// campaign's previewTimeout, so that the agent dials again (its phone
// ready) or skips; the agent is held off queue calls again meanwhile. The
// agent learns it from its state's message and preview.agent_no_answer.
// A dial that cannot be taken back (the database failed) ends as before:
// congestion, so that the target is not left claimed.
func (p *Preview) agentDidNotAnswer(agent, endpoint string, call Call, c ccd.ClickToCall) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	now := p.cfg.Now()
	r, held, found, err := p.cfg.Store.UndialPreview(ctx, agent, call.Target.ID, call.AttemptID, now)
	p.mu.Lock()
	if pc := p.dialing[agent]; pc != nil && pc.state.AttemptID == call.AttemptID {
		delete(p.dialing, agent)
	}
	p.mu.Unlock()
	if err != nil || !found {
		p.log.Warn("preview: a dial the agent's phone did not answer could not be taken back; recorded as congestion",
			"agent", agent, "target", call.Target.ID, "attempt", call.AttemptID, "err", err)
		p.ended(agent, call, now, c)
		return
	}
	why := "did not answer"
	if c.Result != "agent_no_answer" {
		why = "could not be rung"
	}
	msg := fmt.Sprintf("your phone (%s) %s: %s was not called; dial again or skip", endpoint, why, call.Phone)
	if !held {
		msg = fmt.Sprintf("your phone (%s) %s: %s was not called and goes back to the campaign", endpoint, why, call.Phone)
	} else {
		p.hold(agent, endpoint)
	}
	p.mu.Lock()
	p.notice[agent] = msg
	p.mu.Unlock()
	p.log.Info("preview: the agent's phone did not answer; the target was not called", "agent", agent, "endpoint", endpoint,
		"target", call.Target.ID, "result", c.Result, "held", held)
	d := ccd.DialerPreview{Agent: agent, CampaignID: call.Campaign.ID, TargetID: call.Target.ID, Phone: r.Phone,
		PhoneIndex: r.PhoneIndex, AttemptID: call.AttemptID, Endpoint: endpoint, Result: c.Result}
	if held {
		d.ExpiresAt = r.ExpiresAt.UTC()
	}
	p.emit(now, ccd.EventPreviewAgentNoAnswer, call.Campaign.QueueCode, d)
}

// Expire releases the reservations whose time ran out.
func (p *Preview) Expire(ctx context.Context) error {
	rs, err := p.cfg.Store.ExpiredPreviews(ctx, p.cfg.Now())
	if err != nil {
		return err
	}
	for _, r := range rs {
		if _, err := p.release(ctx, r.Agent, false); err != nil && ccd.ErrorCode(err) != ccd.ECONFLICT {
			return err
		}
	}
	return nil
}

// Run holds again the agents whose reservations a stopped ccd left, then
// releases expired reservations every interval until ctx ends.
func (p *Preview) Run(ctx context.Context, interval time.Duration) {
	if rs, err := p.cfg.Store.ExpiredPreviews(ctx, time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)); err == nil {
		for _, r := range rs {
			if ag, err := p.cfg.Agents.Agent(ctx, r.Agent); err == nil && ag.Endpoint != "" {
				p.hold(r.Agent, ag.Endpoint)
			}
		}
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := p.Expire(ctx); err != nil && ctx.Err() == nil {
				p.log.Warn("preview: expired reservations not released", "err", err)
			}
		}
	}
}

// hold keeps a previewing agent from queue calls when the campaigns
// reserve their agents.
func (p *Preview) hold(agent, endpoint string) {
	if !p.cfg.Hold || endpoint == "" {
		return
	}
	p.mu.Lock()
	_, already := p.held[agent]
	p.held[agent] = endpoint
	p.mu.Unlock()
	if !already {
		p.cfg.Agents.DirectCall(endpoint, true)
	}
}

func (p *Preview) unhold(agent string) {
	p.mu.Lock()
	endpoint, ok := p.held[agent]
	delete(p.held, agent)
	p.mu.Unlock()
	if ok {
		p.cfg.Agents.DirectCall(endpoint, false)
	}
}

// emit appends a preview event; the call id is the target's. The source is
// the API (the agent's requests): the statistics count the attempt's
// dialer events, not these.
func (p *Preview) emit(at time.Time, kind ccd.EventKind, queue string, d ccd.DialerPreview) {
	if p.cfg.Emit == nil {
		return
	}
	ev := eventlog.Event{At: at.UTC(), Kind: kind, Source: eventlog.SourceAPI, Agent: d.Agent, Queue: queue, DNIS: d.Phone,
		CallID: fmt.Sprintf("preview-%d", d.TargetID), Node: p.cfg.Node, Key: eventlog.NewKey(), Payload: eventlog.Payload(d)}
	if err := p.cfg.Emit(ev); err != nil {
		p.log.Error("event log refused a preview event", "kind", kind, "agent", d.Agent, "err", err)
	}
}
