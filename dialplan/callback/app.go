// Package callback is the "callback" Stasis application: it calls a
// customer back once the queue has reserved an agent for the callback.
// The queue (dialplan/queue) keeps the callback's place as a call without
// a channel and rings the agent first, like for any call; when the agent
// answers, this application whispers the callback to the agent (that it is
// a callback, the queue, the number), dials the customer into the agent's
// bridge, and reports how the attempt ended to the callback manager
// (package callback), which retries or ends the callback.
//
//	queue: agent answered ──Connected──▶ bridge + whisper to the agent
//	                                     originate customer (Stasis(ccd,callback,<call id>))
//	customer StasisStart ──────────────▶ into the bridge: answered (done)
//	customer destroyed before answer ──▶ busy / no answer / failed: the agent is released, retry later
//	either side hangs up ──────────────▶ the other is hung up
package callback

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/ari"
	cb "github.com/ccdhq/ccd/callback"
	"github.com/ccdhq/ccd/config"
	"github.com/ccdhq/ccd/dialplan/media"
	"github.com/ccdhq/ccd/dialplan/stasis"
)

// Entry is the Stasis entry of the customers' legs.
const Entry = "callback"

// Queue is the queue application's side: it ends a callback's call (the
// customer hung up or could not be reached), and takes back or ends the
// call of a caller offered a callback.
type Queue interface {
	VirtualEnded(callID string)
	OfferDeclined(callID string)
	OfferAccepted(ctx context.Context, callID string) (ccd.Call, error)
	OfferCallerLeft(callID string)
}

// Owners is the dispatcher: the application claims the customer legs it
// originates.
type Owners interface {
	Handoff(channel string, app stasis.App)
	Release(channel string)
}

// Config is what the application needs.
type Config struct {
	ARI       *ari.Client
	App       string // the Stasis application name
	Callbacks config.Callbacks
	Manager   *cb.Manager
	Queue     Queue
	Owners    Owners
	Log       *slog.Logger
}

// App is the running callback application.
type App struct {
	cfg   Config
	log   *slog.Logger
	media *media.Toolkit

	mu       sync.Mutex
	attempts map[string]*attempt // by the callback's call id
	legs     map[string]*attempt // by the customer's channel id
	dialogs  map[string]*dialog  // callers offered a callback, by channel id
	prompts  int                 // offer prompts played, for their ids
}

// attempt is one call to a customer, with its agent.
type attempt struct {
	callID, agent, agentChannel, queue string
	customer                           string // the customer's channel id
	answered, ended                    bool
}

// New builds the application.
func New(cfg Config) *App {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	return &App{cfg: cfg, log: cfg.Log.With("component", "callback"), media: &media.Toolkit{ARI: cfg.ARI, App: cfg.App},
		attempts: map[string]*attempt{}, legs: map[string]*attempt{}, dialogs: map[string]*dialog{}}
}

// Connected is the queue telling that an agent answered a callback's offer.
func (a *App) Connected(callID, agent, agentChannel, queue string) {
	at := &attempt{callID: callID, agent: agent, agentChannel: agentChannel, queue: queue, customer: callID + "-customer"}
	a.mu.Lock()
	a.attempts[callID] = at
	a.legs[at.customer] = at
	a.mu.Unlock()
	go a.call(at)
}

// Ended is the queue telling that a callback's call left it: its agent hung
// up. The customer goes too.
func (a *App) Ended(callID string) {
	a.mu.Lock()
	at := a.attempts[callID]
	a.mu.Unlock()
	if at == nil {
		return
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = a.media.Hangup(ctx, at.customer, "normal")
		// An agent who hung up before the customer answered costs the
		// callback no attempt.
		a.finish(ctx, at, cb.Interrupted, false)
	}()
}

// call whispers to the agent and dials the customer into the agent's bridge.
func (a *App) call(at *attempt) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	m := a.cfg.Manager
	cbk, err := m.Callback(ctx, cb.CallbackOf(at.callID))
	if err == nil {
		err = m.AttemptStarted(ctx, at.callID, at.agent)
	}
	if err != nil {
		a.log.Warn("callback not called: it changed meanwhile", "call", at.callID, "err", err)
		a.forget(at)
		a.cfg.Queue.VirtualEnded(at.callID)
		return
	}
	bridge := bridgeOf(at.callID)
	if _, err := a.cfg.ARI.Bridge(bridge).Create(ctx, ari.CreateBridgeParams{Type: "mixing", Name: bridge}); err != nil {
		a.fail(ctx, at, "create bridge", err)
		return
	}
	if err := a.cfg.ARI.Bridge(bridge).AddChannels(ctx, at.agentChannel); err != nil {
		a.fail(ctx, at, "bridge the agent", err)
		return
	}
	if err := a.media.Play(ctx, at.agentChannel, at.callID+"-whisper", Whisper(at.queue, cbk.Number)...); err != nil {
		a.log.Warn("callback whisper not played", "call", at.callID, "err", err)
	}
	if a.cfg.Owners != nil {
		a.cfg.Owners.Handoff(at.customer, a)
	}
	secs := int((a.cfg.Callbacks.DialTimeout + time.Second - 1) / time.Second)
	_, err = a.cfg.ARI.Originate(ctx, ari.OriginateParams{
		Endpoint: strings.ReplaceAll(a.cfg.Callbacks.DialEndpoint, "{number}", cbk.Number), App: a.cfg.App,
		AppArgs: Entry + "," + at.callID, ChannelID: at.customer, CallerID: a.cfg.Callbacks.CallerID, Timeout: secs,
	})
	if err != nil {
		if a.cfg.Owners != nil {
			a.cfg.Owners.Release(at.customer)
		}
		a.log.Warn("cannot dial the customer of a callback", "call", at.callID, "err", err)
		a.finish(ctx, at, cb.DialFailed, true)
	}
}

// Whisper is what the agent hears before the customer is dialled: a
// callback, from which queue, to which number.
func Whisper(queue, number string) []string {
	return []string{"sound:beep", "characters:" + queue, "digits:" + strings.TrimPrefix(number, "+")}
}

// Start receives the customer's leg: it answered.
func (a *App) Start(e *ari.StasisStart, args []string) {
	a.mu.Lock()
	at := a.legs[e.Channel.ID]
	if at != nil {
		at.answered = true
	}
	a.mu.Unlock()
	if at == nil {
		a.log.Warn("a channel entered the callback application for no callback", "channel", e.Channel.ID, "args", args)
		go func() { _ = a.media.Hangup(context.Background(), e.Channel.ID, "normal") }()
		return
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = a.media.StopPlayback(ctx, at.callID+"-whisper")
		if err := a.cfg.ARI.Bridge(bridgeOf(at.callID)).AddChannels(ctx, at.customer); err != nil {
			a.log.Warn("cannot bridge the customer of a callback", "call", at.callID, "err", err)
		}
		if _, err := a.cfg.Manager.AttemptEnded(ctx, at.callID, cb.Answered); err != nil {
			a.log.Warn("callback answered but not recorded as done", "call", at.callID, "err", err)
		}
	}()
}

// Handle receives the events of the callers offered a callback and of the
// customers' legs.
func (a *App) Handle(e ari.Event) {
	if a.handleDialog(e) {
		return
	}
	var id string
	var cause int
	switch v := e.(type) {
	case *ari.ChannelDestroyed:
		id, cause = v.Channel.ID, v.Cause
	case *ari.StasisEnd:
		id = v.Channel.ID
	default:
		return
	}
	a.mu.Lock()
	at := a.legs[id]
	a.mu.Unlock()
	if at == nil {
		return
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		a.finish(ctx, at, resultOf(cause), true)
	}()
}

// resultOf is the result of an attempt whose customer leg ended unanswered
// with an ISDN cause.
func resultOf(cause int) string {
	switch cause {
	case 17: // user busy
		return cb.Busy
	case 18, 19, 0: // no user responding, no answer (0: the originate timed out)
		return cb.NoAnswer
	default:
		return cb.DialFailed
	}
}

// finish ends an attempt once: an answered one only hangs the agent up
// (the callback is done already); an unanswered one reports result. With
// releaseAgent the queue ends the callback's call, which hangs the agent
// up.
func (a *App) finish(ctx context.Context, at *attempt, result string, releaseAgent bool) {
	a.mu.Lock()
	if at.ended {
		a.mu.Unlock()
		return
	}
	at.ended = true
	answered := at.answered
	a.mu.Unlock()
	a.forget(at)
	if !answered {
		if _, err := a.cfg.Manager.AttemptEnded(ctx, at.callID, result); err != nil {
			a.log.Warn("callback attempt result not recorded", "call", at.callID, "result", result, "err", err)
		}
	}
	_ = a.media.DestroyBridge(ctx, bridgeOf(at.callID))
	if releaseAgent {
		a.cfg.Queue.VirtualEnded(at.callID)
	}
}

func (a *App) fail(ctx context.Context, at *attempt, what string, err error) {
	a.log.Warn("callback attempt failed", "step", what, "call", at.callID, "err", err)
	a.finish(ctx, at, cb.Interrupted, true)
}

func (a *App) forget(at *attempt) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.legs, at.customer)
	if a.attempts[at.callID] == at {
		delete(a.attempts, at.callID)
	}
}

// bridgeOf is the bridge of a callback's call: the queue's name for it.
func bridgeOf(callID string) string { return "ccd-" + callID }
