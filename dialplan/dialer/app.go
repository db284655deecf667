// Package dialer is the "dialer" Stasis application: it places the
// outbound calls the pacer (Runner) decides, detects answering machines
// with Asterisk's AMD() and hands the people who answer to the queue
// application, within the law's 2 seconds.
//
//	originate (Stasis(ccd,dialer,<attempt>)) ── Dial / ChannelDestroyed ──▶ no answer, busy, congestion, rejected, invalid
//	answered: StasisStart ──continue──▶ [ccd-dialer-amd] AMD() ──▶ Stasis(ccd,dialer,amd)
//	  AMDSTATUS=MACHINE ──▶ the campaign's message (after the beep) or a hangup
//	  HUMAN / NOTSURE   ──▶ handoff to the queue (queue, priority, attach data)
//	  no agent within 2 s ──▶ taken back, the abandon message, hangup (abandoned)
//
// The application never waits for the pacer or the database: it tells
// Done how each attempt ended.
package dialer

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ccdhq/ccd/ari"
	"github.com/ccdhq/ccd/dialer"
	"github.com/ccdhq/ccd/dialer/pacing"
	"github.com/ccdhq/ccd/dialplan"
	"github.com/ccdhq/ccd/dialplan/media"
	"github.com/ccdhq/ccd/dialplan/queue"
	"github.com/ccdhq/ccd/dialplan/stasis"
)

// Entry is the Stasis entry of the dialer's calls.
const Entry = "dialer"

// AMDArg is the Stasis argument of a call coming back from the AMD context.
const AMDArg = "amd"

// DefaultAMDContext is the dialplan context that runs AMD() (ccd
// asterisk-config prints it).
const DefaultAMDContext = "ccd-dialer-amd"

// DefaultAbandonMessage is what a person hears when no agent is free within
// the grace time, when the campaign names no message of its own.
const DefaultAbandonMessage = "sound:tt-allbusy"

// Queue is the queue application as the target of the dialer's handoff.
type Queue interface {
	stasis.App
	Enqueue(dialplan.Arrival)
	TakeBack(ctx context.Context, callID string, to stasis.App) (queue.TakeBack, error)
}

// Owners is the dispatcher: the application claims the channels it
// originates, and keeps them while AMD() runs in the dialplan.
type Owners interface {
	Handoff(channel string, app stasis.App)
	Release(channel string)
	Returning(channel string)
}

// Config is what the application needs.
type Config struct {
	ARI *ari.Client
	App string // the Stasis application name
	// Endpoint is how a number is dialled, with {number}
	// ("PJSIP/{number}@trunk", "Local/{number}@outbound").
	Endpoint string
	// AMDContext is the context with AMD() (DefaultAMDContext when "").
	AMDContext string
	Queue      Queue
	Owners     Owners
	// Done is told how each attempt ended; it must return at once.
	Done func(Result)
	// Grace is how long an answered person may wait for an agent
	// (pacing.Grace, the law's 2 s, when 0).
	Grace time.Duration
	Log   *slog.Logger
	Now   func() time.Time
}

// AMD are a campaign's answering-machine settings.
type AMD struct {
	// Enabled sends answered calls through AMD(); without it every answer
	// counts as a person.
	Enabled bool
	// Params are AMD()'s arguments, comma separated, in its order
	// (initialSilence,greeting,afterGreetingSilence,totalAnalysisTime,
	// miniumWordLength,betweenWordSilence,maximumNumberOfWords,
	// silenceThreshold,maximumWordLength); "" or an empty one keeps
	// amd.conf's value.
	Params string
	// MachineMessage is played to a machine after its beep; "" hangs up.
	MachineMessage string
	// AbandonMessage is the information message of an abandoned call
	// (DefaultAbandonMessage when "").
	AbandonMessage string
}

// Call is an attempt the runner asks to place.
type Call struct {
	AttemptID int64
	Campaign  dialer.Campaign
	Target    dialer.Target
	Phone     string
	AMD       AMD
	Mode      pacing.Mode
	// Agent, when set, is the agent the call is for: a personal callback's
	// agent (the person is offered to that agent alone) or the agent who
	// dialled a preview attempt.
	Agent string
}

// Result is how an attempt ended.
type Result struct {
	Call
	Status int // dialer.Status*
	// Placed, Answered (zero without an answer) and Ended.
	Placed, Answered, Ended time.Time
	Human, Abandoned        bool
	// Connected: the person reached an agent (the talk goes on in the queue).
	Connected           bool
	AMDStatus, AMDCause string
	Cause               int
	DialStatus          string
}

// App is the running dialer application.
type App struct {
	cfg   Config
	log   *slog.Logger
	media *media.Toolkit

	mu    sync.Mutex
	calls map[string]*attempt // by channel id
}

// attempt is one call in progress.
type attempt struct {
	Result
	channel string
	stage   stage
	grace   *time.Timer
	done    bool
}

type stage int

const (
	dialing stage = iota
	detecting
	queued
	finishing // playing the machine's or the abandon message, hanging up
)

// New builds the application.
func New(cfg Config) *App {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Grace <= 0 {
		cfg.Grace = pacing.Grace
	}
	if cfg.AMDContext == "" {
		cfg.AMDContext = DefaultAMDContext
	}
	return &App{cfg: cfg, log: cfg.Log.With("component", "dialer"), media: &media.Toolkit{ARI: cfg.ARI, App: cfg.App},
		calls: map[string]*attempt{}}
}

// ChannelOf is the channel id of an attempt.
func ChannelOf(attemptID int64) string { return "dialer-" + strconv.FormatInt(attemptID, 10) }

// InFlight is the number of attempts in progress.
func (a *App) InFlight() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.calls)
}

// Ringing returns, for each call of campaign not answered yet, how long it
// has rung, and the number answered and waiting for AMD or an agent.
func (a *App) Ringing(campaign int, now time.Time) (ringing []time.Duration, waiting int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, at := range a.calls {
		if at.Campaign.ID != campaign {
			continue
		}
		switch at.stage {
		case dialing:
			ringing = append(ringing, now.Sub(at.Placed))
		case detecting, queued:
			waiting++
		}
	}
	return ringing, waiting
}

// HeldAgents lists the agents of the personal callbacks in progress: each
// is kept for its call until the attempt ends.
func (a *App) HeldAgents() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []string
	for _, at := range a.calls {
		if at.Agent != "" {
			out = append(out, at.Agent)
		}
	}
	slices.Sort(out)
	return out
}

// Place originates the call. A call Asterisk refuses ends at once (Done is
// told, congestion).
func (a *App) Place(ctx context.Context, c Call) {
	at := &attempt{Result: Result{Call: c, Placed: a.cfg.Now()}, channel: ChannelOf(c.AttemptID)}
	a.mu.Lock()
	a.calls[at.channel] = at
	a.mu.Unlock()
	// The channel is the application's before Asterisk knows it: its first
	// events (Dial, ChannelDestroyed) come here.
	a.cfg.Owners.Handoff(at.channel, a)
	vars := map[string]string{"CCD_AMD": c.AMD.Params, "CCD_MACHINE": "hangup"}
	if c.AMD.MachineMessage != "" {
		vars["CCD_MACHINE"] = "message"
	}
	_, err := a.cfg.ARI.Originate(ctx, ari.OriginateParams{
		Endpoint: strings.ReplaceAll(a.cfg.Endpoint, "{number}", c.Phone), App: a.cfg.App,
		AppArgs: Entry + "," + strconv.FormatInt(c.AttemptID, 10), ChannelID: at.channel, CallerID: c.Campaign.CallerID,
		Timeout: dialer.RingSeconds(c.Campaign), Variables: vars,
	})
	if err != nil {
		a.cfg.Owners.Release(at.channel)
		a.log.Warn("asterisk refused a dialer call", "campaign", c.Campaign.ID, "attempt", c.AttemptID, "err", err)
		at.DialStatus = "REFUSED"
		a.finish(at, dialer.StatusCongestion)
	}
}

// Drop hangs up the channel of an attempt a stopped ccd left (still
// ringing, or with its person waiting): the attempt is no longer followed.
// One of this run is left alone.
func (a *App) Drop(ctx context.Context, attemptID int64) {
	ch := ChannelOf(attemptID)
	if a.attempt(ch) != nil {
		return
	}
	if err := a.media.Hangup(ctx, ch, "normal"); err != nil {
		a.log.Warn("cannot hang up a dialer call of the last run", "channel", ch, "err", err)
	}
}

// Start receives an answered call: first from the originate, then back
// from the AMD context.
func (a *App) Start(e *ari.StasisStart, args []string) {
	at := a.attempt(e.Channel.ID)
	if at == nil {
		a.log.Warn("a channel entered the dialer application for no attempt", "channel", e.Channel.ID, "args", args)
		go func() { _ = a.media.Hangup(context.Background(), e.Channel.ID, "normal") }()
		return
	}
	fromAMD := len(args) > 0 && args[0] == AMDArg
	a.mu.Lock()
	if !fromAMD {
		at.Answered = a.cfg.Now()
		at.stage = detecting
	}
	amd := at.AMD.Enabled
	a.mu.Unlock()
	switch {
	case fromAMD:
		go a.detected(at)
	case amd:
		go a.detect(at)
	default:
		go a.human(at)
	}
}

// detect sends the answered call through AMD() in the dialplan; it comes
// back into the application with the argument "amd".
func (a *App) detect(at *attempt) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	a.cfg.Owners.Returning(at.channel)
	if err := a.cfg.ARI.Channel(at.channel).Continue(ctx, ari.ContinueParams{Context: a.cfg.AMDContext, Extension: "s", Priority: 1}); err != nil {
		a.log.Warn("cannot send a dialer call to answering-machine detection; taking it as a person", "attempt", at.AttemptID, "err", err)
		a.human(at)
	}
}

// detected reads AMD()'s verdict.
func (a *App) detected(at *attempt) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ch := a.cfg.ARI.Channel(at.channel)
	status, err := ch.GetVariable(ctx, "AMDSTATUS")
	if err != nil {
		a.log.Warn("cannot read AMDSTATUS; taking the call as a person", "attempt", at.AttemptID, "err", err)
	}
	cause, _ := ch.GetVariable(ctx, "AMDCAUSE")
	a.mu.Lock()
	at.AMDStatus, at.AMDCause = status, cause
	a.mu.Unlock()
	if status == "MACHINE" {
		a.machine(ctx, at)
		return
	}
	a.human(at) // HUMAN, NOTSURE: a person may be there
}

// machine plays the campaign's message (AMD's context waited for the beep)
// or hangs up.
func (a *App) machine(ctx context.Context, at *attempt) {
	a.mu.Lock()
	at.stage, at.Status = finishing, dialer.StatusMachine
	msg := at.AMD.MachineMessage
	a.mu.Unlock()
	if msg != "" {
		if err := a.media.Play(ctx, at.channel, playbackOf(at), msg); err == nil {
			return // hung up when it ends
		}
	}
	_ = a.media.Hangup(ctx, at.channel, "normal")
}

// human hands a person to the campaign's queue and starts the grace timer.
func (a *App) human(at *attempt) {
	a.mu.Lock()
	at.Human, at.stage = true, queued
	c := at.Call
	a.mu.Unlock()
	a.cfg.Owners.Handoff(at.channel, a.cfg.Queue)
	a.cfg.Queue.Enqueue(dialplan.Arrival{CallID: at.channel, CLID: c.Phone, DNIS: c.Phone, Queue: c.Campaign.QueueCode,
		Priority: c.Campaign.CallPriority, AttachData: AttachData(c), Agent: c.Agent})
	a.mu.Lock()
	at.grace = time.AfterFunc(a.cfg.Grace, func() { a.graceOver(at) })
	a.mu.Unlock()
}

// AttachData is what the agent's screen pop gets: the campaign, the
// target and its data.
func AttachData(c Call) string {
	t := c.Target
	return fmt.Sprintf("campaign=%d;target=%d;fName=%s;lName=%s;dataI=%s;dataII=%s;dataIII=%s", c.Campaign.ID, t.ID,
		t.FirstName, t.LastName, t.DataI, t.DataII, t.DataIII)
}

// graceOver applies the law: a person no agent answered within the grace
// time is taken back from the queue, hears the abandon message, and is
// hung up.
func (a *App) graceOver(at *attempt) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := a.cfg.Queue.TakeBack(ctx, at.channel, a)
	if err != nil {
		a.log.Warn("cannot check a dialer call's agent; counting it abandoned", "attempt", at.AttemptID, "err", err)
		res = queue.CallGone
	}
	switch res {
	case queue.CallConnected:
		a.mu.Lock()
		at.Connected = true
		a.mu.Unlock()
		a.finish(at, dialer.StatusAnswered)
		return
	case queue.CallGone:
		// The person hung up before an agent answered: abandoned too.
		a.mu.Lock()
		at.Abandoned = true
		a.mu.Unlock()
		a.finish(at, dialer.StatusAbandoned)
		return
	}
	a.mu.Lock()
	at.stage, at.Status, at.Abandoned = finishing, dialer.StatusAbandoned, true
	msg := at.AMD.AbandonMessage
	a.mu.Unlock()
	if msg == "" {
		msg = DefaultAbandonMessage
	}
	_ = a.media.StopMOH(ctx, at.channel)
	if err := a.media.Play(ctx, at.channel, playbackOf(at), msg); err != nil {
		a.log.Warn("abandon message not played", "attempt", at.AttemptID, "err", err)
		_ = a.media.Hangup(ctx, at.channel, "normal")
	}
}

func playbackOf(at *attempt) string { return "dialer-msg-" + strconv.FormatInt(at.AttemptID, 10) }

// Handle receives the events of the dialer's channels.
func (a *App) Handle(e ari.Event) {
	if ch := channelIn(e); ch != "" && a.attempt(ch) == nil {
		a.notOurs(ch, e)
		return
	}
	switch v := e.(type) {
	case *ari.Dial:
		if at := a.attempt(v.Peer.ID); at != nil && v.DialStatus != "" && v.DialStatus != "RINGING" && v.DialStatus != "PROGRESS" {
			a.mu.Lock()
			at.DialStatus = v.DialStatus
			a.mu.Unlock()
		}
	case *ari.PlaybackFinished:
		if id, ok := strings.CutPrefix(v.Playback.ID, "dialer-msg-"); ok {
			if n, err := strconv.ParseInt(id, 10, 64); err == nil {
				go func() { _ = a.media.Hangup(context.Background(), ChannelOf(n), "normal") }()
			}
		}
	case *ari.StasisEnd:
		a.left(v.Channel.ID, 0, false)
	case *ari.ChannelDestroyed:
		a.left(v.Channel.ID, v.Cause, true)
	}
}

// notOurs passes on the event of a dialer channel the application does not
// follow: after a restart the dispatcher gives the channels that entered
// with the entry "dialer" back here, but a person talking to an agent is
// the queue's call (restored from the event log); the queue takes the
// channel from now on. (One left ringing is hung up by the runner.)
func (a *App) notOurs(channel string, e ari.Event) {
	a.cfg.Owners.Handoff(channel, a.cfg.Queue)
	a.cfg.Queue.Handle(e)
}

// channelIn is the first channel an event names.
func channelIn(e ari.Event) string {
	for _, k := range ari.Keys(e) {
		if k.Kind == ari.KindChannel {
			return k.ID
		}
	}
	return ""
}

// left ends an attempt whose channel left the application or ended.
func (a *App) left(channel string, cause int, destroyed bool) {
	at := a.attempt(channel)
	if at == nil {
		return
	}
	a.mu.Lock()
	st, status, answered := at.stage, at.Status, !at.Answered.IsZero()
	if cause != 0 {
		at.Cause = cause
	}
	a.mu.Unlock()
	switch {
	case !answered:
		a.finish(at, unanswered(cause, at.DialStatus))
	case st == detecting:
		// Out of the application for AMD(): a StasisEnd is expected, a
		// hangup there means the person left before it decided.
		if destroyed {
			a.finish(at, dialer.StatusNoAnswer)
		}
	case st == finishing:
		a.finish(at, status)
	}
}

// unanswered maps how a call that was never answered ended: its hangup
// cause (ISDN, Q.850) first, then the dial status.
func unanswered(cause int, dialStatus string) int {
	switch cause {
	case 17: // user busy
		return dialer.StatusBusy
	case 18, 19, 20: // no user responding, no answer, subscriber absent
		return dialer.StatusNoAnswer
	case 21: // call rejected
		return dialer.StatusRejected
	case 1, 3, 22, 28: // unallocated number, no route, number changed, invalid format
		return dialer.StatusInvalidNumber
	case 34, 38, 41, 42, 44, 47: // congestion, network out of order, temporary failure, ...
		return dialer.StatusCongestion
	}
	switch dialStatus {
	case "BUSY":
		return dialer.StatusBusy
	case "NOANSWER", "CANCEL":
		return dialer.StatusNoAnswer
	case "CONGESTION", "CHANUNAVAIL":
		return dialer.StatusCongestion
	case "INVALIDARGS":
		return dialer.StatusInvalidNumber
	}
	return dialer.StatusNoAnswer
}

// finish ends an attempt once and tells Done.
func (a *App) finish(at *attempt, status int) {
	a.mu.Lock()
	if at.done {
		a.mu.Unlock()
		return
	}
	at.done = true
	if at.grace != nil && status != dialer.StatusAnswered {
		at.grace.Stop()
	}
	at.Status, at.Ended = status, a.cfg.Now()
	delete(a.calls, at.channel)
	res := at.Result
	a.mu.Unlock()
	if a.cfg.Done != nil {
		a.cfg.Done(res)
	}
}

func (a *App) attempt(channel string) *attempt {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.calls[channel]
}

var _ stasis.App = (*App)(nil)
