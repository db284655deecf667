// Package queue is ccd's queue application: it connects the call distributor
// (package acd) to Asterisk through ARI. Callers are handed to it by the
// Stasis dispatcher (package dialplan/stasis): routed inbound calls through
// Enqueue, "Stasis(ccd,queue,<code>[,<priority>])" directly; they hear music
// and announcements and are bridged with the agent whose phone ccd rang;
// agents' channels come back into the application with the arguments
// "agent,<call id>" when they answer.
//
// One goroutine owns the engine and takes every input in order (app.go): the
// channels and ARI events the dispatcher hands over (stasis.go), agent and call
// requests from the APIs (control.go), routing answers, timers. What it
// decides is carried out on Asterisk by one worker per call (actions.go), so
// that the loop never waits for Asterisk, a call's steps keep their order, and
// ringing an agent never queues behind another call's media. The state comes
// back from the event log after a restart (restore.go).
package queue

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/acd"
	"github.com/ccdhq/ccd/ari"
	"github.com/ccdhq/ccd/config"
	"github.com/ccdhq/ccd/dialplan/media"
	"github.com/ccdhq/ccd/dialplan/stasis"
	"github.com/ccdhq/ccd/eventlog"
)

// Owners is the part of the Stasis dispatcher the application uses: it claims
// the agent channels it creates and the calls it restores, and releases an
// agent channel Asterisk refused to create.
type Owners interface {
	Handoff(channel string, app stasis.App)
	Release(channel string)
}

// Config is what the application needs.
type Config struct {
	ACD config.ACD
	ARI *ari.Client
	App string // the Stasis application name
	// Owners is the dispatcher that hands the application its channels; nil
	// when the application is the dispatcher's fallback for every channel.
	Owners Owners
	// Emit appends to the event log; it must not block.
	Emit func(eventlog.Event) error
	// Node is the Asterisk node the application drives, for its events.
	Node string
	Log  *slog.Logger
	// Now is the clock (time.Now when nil); tests move it.
	Now func() time.Time
	// Workers carry out the steps on callers' channels at once (default 8);
	// ringing agents does not wait for them.
	Workers int
	// OfferStarted, when set, is told ccd's own share of a caller's first
	// offer: from the moment the caller reached the application (its
	// StasisStart read, or the handoff) to the agent's originate request
	// starting. What the offer takes beyond it is Asterisk's; operators see
	// the two apart (metric ccd_acd_offer_start_seconds).
	OfferStarted func(time.Duration)
}

// App is the running queue application.
type App struct {
	cfg    Config
	log    *slog.Logger
	now    func() time.Time
	engine *acd.Engine
	media  *media.Toolkit
	queues map[string]config.Queue
	// autoAnswer is the agents with auto_answer (owned by the loop).
	autoAnswer map[string]bool
	in         chan func()   // requests, answers of lookups and workers
	inbox      *stasis.Inbox // channels and ARI events from the dispatcher, in order
	done       chan struct{}
	workers    workers

	// Owned by the loop:
	calls map[string]*callMedia // caller channel -> media state
	setup map[string]func()     // answer / greeting of new callers, started after their offer
	// reached: when the callers that arrived in this turn of the loop
	// reached the application (real clock), for Config.OfferStarted: an
	// offer decided on arrival is ccd's share alone, a later one includes
	// the caller's wait for an agent. Emptied by flush.
	reached map[string]time.Time
	pending []acd.Call // calls read from the log, not yet checked against Asterisk
	// virtual: the calls without a channel (callbacks, virtual.go), told
	// to virtualCalls.
	virtual      map[string]bool
	virtualCalls VirtualCalls
	// offers and offerCfg: callbacks offered to waiting callers (offer.go).
	offers   CallbackOffers
	offerCfg config.Callbacks

	stats Stats
	// loaded: the state is read from the event log; agent requests are taken.
	loaded atomic.Bool
	// reconciled: the calls read from the log were checked against the channels
	// in the Stasis application; ARI events and call actions are taken.
	reconciled atomic.Bool
}

// callMedia is what the loop remembers of a caller's media.
type callMedia struct {
	playing  string // id of the playback in progress (greeting, announcement)
	moh      string // music class to resume after it; "" none
	waiting  bool   // in a queue: music is wanted
	announce int    // announcements played
	offer    *offerState
	// recordAs: the CRM asked for the call to be recorded under this name
	// before it was connected (crm.go); the connect starts it.
	recordAs string
}

// Stats are counters for metrics.
type Stats struct {
	Calls, Offers, ActionErrors atomic.Int64
}

// New builds the application; Run starts it.
func New(cfg Config) (*App, error) {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 8
	}
	if cfg.ACD.RecordingName == "" {
		cfg.ACD.RecordingName = "{date}-{queue}-{callid}"
	}
	eng, err := acd.New(cfg.ACD.Spec())
	if err != nil {
		return nil, err
	}
	a := &App{
		cfg: cfg, log: cfg.Log.With("component", "queue"), now: cfg.Now, engine: eng,
		media:  &media.Toolkit{ARI: cfg.ARI, App: cfg.App, Context: cfg.ACD.TransferContext},
		queues: map[string]config.Queue{}, autoAnswer: autoAnswerSet(cfg.ACD.Agents),
		in: make(chan func(), 1024), inbox: stasis.NewInbox(), done: make(chan struct{}), calls: map[string]*callMedia{},
		setup: map[string]func(){}, reached: map[string]time.Time{},
	}
	for _, q := range cfg.ACD.Queues {
		a.queues[q.Code] = q
	}
	return a, nil
}

// Stats returns the application's counters.
func (a *App) Stats() *Stats { return &a.stats }

// Run takes inputs until ctx ends.
func (a *App) Run(ctx context.Context) {
	a.workers.start(a.cfg.Workers)
	defer func() {
		close(a.done)
		a.workers.stop()
	}()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		a.flush()
		wait := time.Hour
		if at, ok := a.engine.NextDeadline(); ok {
			wait = max(at.Sub(a.now()), 0)
		}
		timer.Reset(wait)
		// Channels and ARI events wait in the inbox until the calls of
		// the last run are checked against Asterisk.
		var events <-chan struct{}
		if a.reconciled.Load() {
			events = a.inbox.Ready()
		}
		select {
		case <-ctx.Done():
			return
		case f := <-a.in:
			f()
		case <-events:
			for _, f := range a.inbox.Take() {
				f()
				a.engine.Tick(a.now())
				a.flush()
			}
		case <-timer.C:
		}
		a.engine.Tick(a.now())
	}
}

var (
	errStopped  = &ccd.Error{Code: ccd.EUNAVAILABLE, Message: "the queue application is stopping"}
	errStarting = &ccd.Error{Code: ccd.EUNAVAILABLE, Message: "the queue application is still reading its state from the event log; retry"}
	errNoARI    = &ccd.Error{Code: ccd.EUNAVAILABLE, Message: "ari not connected: this action needs Asterisk; retry when it is back"}
	// Between the ARI connection and the end of the first Reconcile.
	errReconciling = &ccd.Error{Code: ccd.EUNAVAILABLE, Message: "ari connected, the calls of the last run are still being checked against it; retry"}
)

// Loaded reports whether the application has read its state from the event log
// and takes agent requests.
func (a *App) Loaded() bool { return a.loaded.Load() }

// Reconciled reports whether the calls of the last run were checked against
// Asterisk, so that the application takes calls.
func (a *App) Reconciled() bool { return a.reconciled.Load() }

// request runs an agent or call request on the loop once the state is loaded:
// before that, a login would be overwritten by the load.
func (a *App) request(ctx context.Context, f func() error) error {
	return a.do(ctx, func() error {
		if !a.loaded.Load() {
			return errStarting
		}
		return f()
	})
}

// asteriskRequest is request for actions carried out on Asterisk (transfer,
// hold): they need the ARI link, and the calls checked against it.
func (a *App) asteriskRequest(ctx context.Context, f func() error) error {
	return a.request(ctx, func() error {
		if !a.cfg.ARI.Status().Connected {
			return errNoARI
		}
		if !a.reconciled.Load() {
			return errReconciling
		}
		return f()
	})
}

// do runs f on the loop and waits for it.
func (a *App) do(ctx context.Context, f func() error) error {
	done := make(chan error, 1)
	select {
	case a.in <- func() { done <- f() }:
	case <-ctx.Done():
		return ctx.Err()
	case <-a.done:
		return errStopped
	}
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	case <-a.done:
		return errStopped
	}
}

// send queues an input for the loop from another goroutine; after Run has
// returned it is dropped.
func (a *App) send(f func()) {
	select {
	case a.in <- f:
	case <-a.done:
	}
}
