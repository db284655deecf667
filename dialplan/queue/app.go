// Package queue is ccd's queue application: it connects the call distributor
// (package acd) to Asterisk through ARI. Callers arrive in the Stasis
// application ("Stasis(ccd,inbound,<DNIS>)" or "Stasis(ccd,queue,<code>[,<priority>])"),
// are routed to a queue, hear music and announcements, and are bridged with the
// agent whose phone ccd rang; agents' channels come back into the application
// with the arguments "agent,<call id>" when they answer.
//
// One goroutine owns the engine and takes every input in order: ARI events,
// agent requests from the APIs, routing answers, timers. What it decides is
// carried out on Asterisk by a few workers, each call always on the same one,
// so that the loop never waits for Asterisk and a call's steps keep their
// order.
package queue

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/acd"
	"github.com/ccdhq/ccd/ari"
	"github.com/ccdhq/ccd/config"
	"github.com/ccdhq/ccd/dialplan"
	"github.com/ccdhq/ccd/eventlog"
)

// Lookup asks an external database where a call goes (the route's lookup
// step). A zero priority keeps the route's.
type Lookup func(ctx context.Context, clid, dnis, attach string) (queue string, priority int, attachOut string, err error)

// Config is what the application needs.
type Config struct {
	ACD config.ACD
	ARI *ari.Client
	App string // the Stasis application name
	// Emit appends to the event log; it must not block.
	Emit func(eventlog.Event) error
	// Node is the Asterisk node the application drives, for its events.
	Node string
	// Lookups holds the lookup of each route that has one, by index in
	// ACD.Routes.
	Lookups map[int]Lookup
	Log     *slog.Logger
	// Now is the clock (time.Now when nil); tests move it.
	Now func() time.Time
	// Workers carry actions out on Asterisk (default 8).
	Workers int
}

// App is the running queue application.
type App struct {
	cfg     Config
	log     *slog.Logger
	now     func() time.Time
	engine  *acd.Engine
	router  *dialplan.Router
	media   *dialplan.Media
	queues  map[string]config.Queue
	in      chan func()
	done    chan struct{} // closed when Run returns
	workers []chan func()
	wg      sync.WaitGroup

	// Owned by the loop:
	calls   map[string]*callMedia // caller channel -> media state
	sub     *ari.Subscription
	entries map[string][]time.Time // recent entries of each caller channel, to stop dialplan loops
	pending []acd.Call             // calls read from the log, not yet checked against Asterisk

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
	router, err := dialplan.NewRouter(cfg.ACD.Routes)
	if err != nil {
		return nil, err
	}
	a := &App{
		cfg: cfg, log: cfg.Log.With("component", "queue"), now: cfg.Now, engine: eng, router: router,
		media:  &dialplan.Media{ARI: cfg.ARI, App: cfg.App, Context: cfg.ACD.TransferContext},
		queues: map[string]config.Queue{},
		in:     make(chan func(), 1024), done: make(chan struct{}), calls: map[string]*callMedia{},
		entries: map[string][]time.Time{},
	}
	for _, q := range cfg.ACD.Queues {
		a.queues[q.Code] = q
	}
	return a, nil
}

// Stats returns the application's counters.
func (a *App) Stats() *Stats { return &a.stats }

// Attach gives the application its ARI events. Subscribe before the first
// event can arrive (in ari.Config.OnConnect): events are taken only after the
// first Reconcile, and wait in the subscription until then.
func (a *App) Attach(sub *ari.Subscription) { a.send(func() { a.sub = sub }) }

// Run takes inputs until ctx ends.
func (a *App) Run(ctx context.Context) {
	for i := 0; i < a.cfg.Workers; i++ {
		ch := make(chan func(), 256)
		a.workers = append(a.workers, ch)
		a.wg.Add(1)
		go func() {
			defer a.wg.Done()
			for f := range ch {
				f()
			}
		}()
	}
	defer func() {
		close(a.done)
		for _, w := range a.workers {
			close(w)
		}
		a.wg.Wait()
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
		var events <-chan ari.Event
		if a.reconciled.Load() && a.sub != nil {
			events = a.sub.C()
		}
		select {
		case <-ctx.Done():
			return
		case f := <-a.in:
			f()
		case e, ok := <-events:
			if !ok {
				a.sub = nil // closed: the client is shutting down
				continue
			}
			a.handle(e)
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

// worker runs f on the worker of a call: a call's steps on Asterisk run in the
// order they were decided.
func (a *App) worker(callID string, f func()) {
	h := uint32(2166136261)
	for i := 0; i < len(callID); i++ {
		h = (h ^ uint32(callID[i])) * 16777619
	}
	a.workers[h%uint32(len(a.workers))] <- f
}

// send queues an input for the loop from another goroutine; after Run has
// returned it is dropped.
func (a *App) send(f func()) {
	select {
	case a.in <- f:
	case <-a.done:
	}
}

// handle takes one ARI event.
func (a *App) handle(e ari.Event) {
	now := a.now()
	switch v := e.(type) {
	case *ari.StasisStart:
		a.stasisStart(now, v)
	case *ari.StasisEnd:
		if _, ok := a.calls[v.Channel.ID]; ok {
			delete(a.calls, v.Channel.ID)
			a.engine.Hangup(now, v.Channel.ID)
			return
		}
		if _, ok := a.engine.CallByChannel(v.Channel.ID); ok {
			a.engine.AgentGone(now, v.Channel.ID, "")
		}
	case *ari.Dial:
		// The result of ringing an agent. A busy or congested phone behind a
		// Local channel ends the originated channel with cause 0, so only the
		// Dial status says why; it arrives before the ChannelDestroyed.
		if reason := dialFailure(v.DialStatus); reason != "" {
			if _, ok := a.engine.CallByChannel(v.Peer.ID); ok {
				a.engine.AgentGone(now, v.Peer.ID, reason)
			}
		}
	case *ari.ChannelDestroyed:
		// An agent channel that ends before it answers never reaches Stasis.
		if _, ok := a.engine.CallByChannel(v.Channel.ID); ok {
			a.engine.AgentGone(now, v.Channel.ID, failReason(v.Cause))
		}
	case *ari.BridgeBlindTransfer:
		// The agent's phone transferred the caller (SIP REFER): Asterisk
		// has moved the caller already.
		if strings.EqualFold(v.Result, "Success") && a.engine.TransferredByPhone(now, v.Channel.ID, v.Exten) {
			if v.Transferee != nil {
				delete(a.calls, v.Transferee.ID)
			}
		}
	case *ari.PlaybackFinished:
		a.playbackFinished(v.Playback.ID)
	case *ari.ChannelHold:
		if id, ok := a.callOf(v.Channel.ID); ok {
			_ = a.engine.Hold(now, id)
		}
	case *ari.ChannelUnhold:
		if id, ok := a.callOf(v.Channel.ID); ok {
			_ = a.engine.Unhold(now, id)
		}
	}
}

func (a *App) callOf(channel string) (string, bool) {
	if _, ok := a.calls[channel]; ok {
		return channel, true
	}
	return a.engine.CallByChannel(channel)
}

// failReason maps the hangup cause of an agent channel that never answered.
func failReason(cause int) string {
	switch cause {
	case 17: // user busy
		return acd.Busy
	case 18, 19, 16: // no user responding, no answer; 16 when cancelled by the far end
		return acd.NoAnswer
	default: // 0 too: a Local channel to a missing extension, a failed dial
		return acd.Unavailable
	}
}

// dialFailure maps the final status of an agent's dial to the reason its offer
// failed; "" for the others (ringing, answered, ccd's own cancel, or no answer,
// which ccd's ring timeout decides).
func dialFailure(status string) string {
	switch status {
	case "BUSY":
		return acd.Busy
	case "CONGESTION", "CHANUNAVAIL":
		return acd.Unavailable
	}
	return ""
}

func (a *App) stasisStart(now time.Time, v *ari.StasisStart) {
	ch := v.Channel
	if len(v.Args) > 0 && v.Args[0] == "agent" {
		if err := a.engine.OfferAnswered(now, ch.ID); err != nil {
			// An answer to an offer ccd no longer makes (the caller left, or
			// ccd restarted): release the agent's phone.
			a.log.Info("agent answered a withdrawn offer", "channel", ch.ID)
			a.worker(ch.ID, func() { _ = a.media.Hangup(context.Background(), ch.ID, "normal") })
		}
		return
	}
	if a.looping(now, ch.ID) {
		a.log.Error("a caller keeps coming back into ccd: the extension it is sent to runs Stasis() again; set acd.transfer_context",
			"call", ch.ID, "dnis", ch.Dialplan.Exten)
		a.worker(ch.ID, func() { _ = a.media.Hangup(context.Background(), ch.ID, "normal") })
		return
	}
	a.stats.Calls.Add(1)
	cm := &callMedia{}
	a.calls[ch.ID] = cm
	in := acd.Arrival{CallID: ch.ID, CLID: ch.Caller.Number, DNIS: ch.Dialplan.Exten}
	route := dialplan.Match{Index: -1}
	routed := false
	switch {
	case len(v.Args) >= 2 && v.Args[0] == "queue":
		route.Queue = v.Args[1]
		if len(v.Args) >= 3 {
			route.Priority, _ = strconv.Atoi(v.Args[2])
		}
		_, routed = a.queues[route.Queue]
	default:
		if len(v.Args) >= 2 && v.Args[0] == "inbound" && v.Args[1] != "" {
			in.DNIS = v.Args[1]
		}
		route, routed = a.router.Route(in.DNIS)
	}
	if !routed {
		a.engine.Unrouted(now, in)
		return
	}
	in.Queue, in.Priority = route.Queue, route.Priority
	greeting := nonEmpty(route.Greeting, a.queues[route.Queue].Greeting)
	lookup := a.cfg.Lookups[route.Index] // nil for most routes
	playID := ""
	if len(greeting) > 0 {
		playID = greetingID(ch.ID)
		cm.playing = playID
	}
	a.worker(ch.ID, func() {
		ctx := context.Background()
		var err error
		switch {
		case playID != "":
			if err = a.answer(ctx, ch.ID); err == nil {
				if err = a.media.Play(ctx, ch.ID, playID, greeting...); err != nil {
					a.send(func() { a.playbackFinished(playID) })
				}
			}
		case lookup != nil:
			err = a.media.Wait(ctx, ch.ID, "") // music while the database answers
		default:
			err = a.answer(ctx, ch.ID) // the queue's music follows
		}
		if err != nil {
			a.actionFailed("answer", ch.ID, err)
		}
	})
	if lookup != nil {
		a.lookup(ch.ID, in, lookup)
		return
	}
	a.arrive(now, in)
}

// looping reports a caller entering the application for the 6th time within 10
// s: ccd sends it out and the dialplan sends it straight back. Coming back once
// or twice (a transfer to a number that queues again) is normal.
func (a *App) looping(now time.Time, channel string) bool {
	const window, limit = 10 * time.Second, 5
	recent := a.entries[channel][:0]
	for _, t := range a.entries[channel] {
		if now.Sub(t) < window {
			recent = append(recent, t)
		}
	}
	recent = append(recent, now)
	a.entries[channel] = recent
	if len(a.entries) > 10000 { // forget the old ones now and then
		for id, ts := range a.entries {
			if now.Sub(ts[len(ts)-1]) >= window {
				delete(a.entries, id)
			}
		}
	}
	return len(recent) > limit
}

func (a *App) answer(ctx context.Context, channel string) error {
	if err := a.cfg.ARI.Channel(channel).Answer(ctx); err != nil && !ari.IsPreconditionFailed(err) {
		return err
	}
	return nil
}

func nonEmpty(s ...string) []string {
	var out []string
	for _, x := range s {
		if x != "" {
			out = append(out, x)
		}
	}
	return out
}

// lookup asks the route's database, off the loop; the call enters its queue
// when the answer (or the timeout) comes back.
func (a *App) lookup(callID string, in acd.Arrival, l Lookup) {
	go func() {
		q, prio, attach, err := l(context.Background(), in.CLID, in.DNIS, in.AttachData)
		a.send(func() {
			if _, ok := a.calls[callID]; !ok {
				return // the caller left while the database was asked
			}
			if err != nil {
				a.log.Warn("routing lookup failed; using the route's queue", "call", callID, "dnis", in.DNIS, "err", err)
			} else {
				if _, ok := a.queues[q]; ok {
					in.Queue = q
				} else if q != "" {
					a.log.Warn("routing lookup named an unknown queue; using the route's", "call", callID, "queue", q)
				}
				if prio >= 1 && prio <= 9 {
					in.Priority = prio
				}
				in.AttachData = attach
			}
			a.arrive(a.now(), in)
		})
	}()
}

func (a *App) arrive(now time.Time, in acd.Arrival) {
	if err := a.engine.Arrive(now, in); err != nil {
		a.log.Warn("call not queued", "call", in.CallID, "err", err)
		a.engine.Unrouted(now, in)
	}
}

// Playback ids name their call: "greet-<call>" and "ann-<call>-<n>".
func greetingID(callID string) string { return "greet-" + callID }

func announcementID(callID string, n int) string { return fmt.Sprintf("ann-%s-%d", callID, n) }

// playbackCall is the call a playback id of the application names.
func playbackCall(id string) string {
	if c, ok := strings.CutPrefix(id, "greet-"); ok {
		return c
	}
	if c, ok := strings.CutPrefix(id, "ann-"); ok {
		if i := strings.LastIndexByte(c, '-'); i > 0 {
			return c[:i]
		}
	}
	return ""
}

// playbackFinished resumes music after a greeting or announcement.
func (a *App) playbackFinished(id string) {
	callID := playbackCall(id)
	cm := a.calls[callID]
	if cm == nil || cm.playing != id {
		return
	}
	cm.playing = ""
	if cm.waiting {
		class := cm.moh
		a.worker(callID, func() {
			if err := a.cfg.ARI.Channel(callID).StartMOH(context.Background(), class); err != nil && !ari.IsNotFound(err) {
				a.actionFailed("music", callID, err)
			}
		})
	}
}

// flush carries out what the engine decided and logs its events.
func (a *App) flush() {
	// Carrying an action out may produce more (a recording's name): until
	// the engine has nothing left.
	for {
		actions, events := a.engine.Take()
		if len(actions)+len(events) == 0 {
			return
		}
		for _, ev := range events {
			row := ToLog(ev)
			row.Node = a.cfg.Node
			if err := a.cfg.Emit(row); err != nil {
				a.log.Error("event log refused an ACD event", "kind", ev.Kind, "call", ev.CallID, "err", err)
			}
		}
		for _, act := range actions {
			a.carryOut(act)
		}
	}
}

func (a *App) actionFailed(what, channel string, err error) {
	if ari.IsNotFound(err) {
		return // the channel is gone; its StasisEnd or ChannelDestroyed tells the rest
	}
	a.stats.ActionErrors.Add(1)
	a.log.Warn("asterisk refused a queue action", "action", what, "channel", channel, "err", err)
}

// carryOut hands one action to the call's worker.
func (a *App) carryOut(act acd.Action) {
	ctx := context.Background()
	cm := a.calls[act.CallID]
	if cm == nil {
		cm = &callMedia{} // restored or already gone: act anyway
	}
	switch act.Kind {
	case acd.Offer:
		a.stats.Offers.Add(1)
		call := dialplan.AgentCall{ChannelID: act.Channel, CallID: act.CallID, Endpoint: act.Endpoint, CallerID: act.CallerID, Timeout: act.Timeout + 2*time.Second}
		// On the agent channel's worker: ringing the agent need not wait for
		// the caller's answer; a Cancel of this offer uses the same worker.
		a.worker(act.Channel, func() {
			if err := a.media.RingAgent(ctx, call); err != nil {
				a.log.Warn("cannot ring agent", "agent", act.Agent, "endpoint", act.Endpoint, "err", err)
				a.send(func() { a.engine.AgentGone(a.now(), act.Channel, acd.Unavailable) })
			}
		})
	case acd.Cancel, acd.HangupAgent:
		key := act.CallID
		if act.Kind == acd.Cancel {
			key = act.Channel // after its Offer
		}
		a.worker(key, func() {
			if err := a.media.Hangup(ctx, act.Channel, "normal"); err != nil {
				a.actionFailed("hangup agent", act.Channel, err)
			}
			if act.Kind == acd.HangupAgent {
				_ = a.media.DestroyBridge(ctx, bridgeOf(act.CallID))
			}
		})
	case acd.Music:
		cm.waiting, cm.moh = true, act.MOHClass
		if cm.playing != "" {
			return // resumed when the playback ends
		}
		a.worker(act.CallID, func() {
			if err := a.cfg.ARI.Channel(act.CallID).StartMOH(ctx, act.MOHClass); err != nil {
				a.actionFailed("music", act.CallID, err)
			}
		})
	case acd.Announce:
		if cm.playing != "" {
			return
		}
		cm.announce++
		id := announcementID(act.CallID, cm.announce)
		cm.playing = id
		media := dialplan.Announcement(act.Position, act.Expected)
		a.worker(act.CallID, func() {
			_ = a.cfg.ARI.Channel(act.CallID).StopMOH(ctx)
			if err := a.media.Play(ctx, act.CallID, id, media...); err != nil {
				a.actionFailed("announce", act.CallID, err)
				a.send(func() { a.playbackFinished(id) })
			}
		})
	case acd.Connect:
		cm.waiting = false
		playing := cm.playing
		cm.playing = ""
		bridge := bridgeOf(act.CallID)
		rec := ""
		if act.Record {
			c, _ := a.engine.Call(act.CallID)
			rec = dialplan.RecordingName(a.cfg.ACD.RecordingName, a.now(), map[string]string{
				"queue": act.Queue, "callid": act.CallID, "agent": act.Agent, "clid": c.CLID, "dnis": c.DNIS})
			if c.Recording != "" {
				// Connected before (transferred back into a queue): the first
				// leg's file exists, and recordings never overwrite.
				rec += "-" + strconv.Itoa(c.Offers)
			}
			a.engine.Recording(a.now(), act.CallID, rec)
		}
		agentName := ""
		if ag, err := a.engine.Agent(act.Agent); err == nil {
			agentName = ag.Name
		}
		a.worker(act.CallID, func() {
			if playing != "" {
				_ = a.cfg.ARI.Playback(playing).Stop(ctx)
			}
			// The caller's phone shows who answered (connected line).
			_ = a.cfg.ARI.Channel(act.CallID).SetVariable(ctx, "CONNECTEDLINE(num)", act.Agent)
			if agentName != "" {
				_ = a.cfg.ARI.Channel(act.CallID).SetVariable(ctx, "CONNECTEDLINE(name)", agentName)
			}
			if err := a.media.Connect(ctx, bridge, act.CallID, act.Channel, rec); err != nil {
				a.actionFailed("connect", act.CallID, err)
			}
		})
	case acd.SendTo:
		delete(a.calls, act.CallID)
		a.worker(act.CallID, func() {
			_ = a.cfg.ARI.Channel(act.CallID).StopMOH(ctx)
			if err := a.media.SendTo(ctx, act.CallID, act.Extension); err != nil {
				a.actionFailed("send to "+act.Extension, act.CallID, err)
				_ = a.media.Hangup(ctx, act.CallID, "normal")
			}
			_ = a.media.DestroyBridge(ctx, bridgeOf(act.CallID))
		})
	case acd.HangupCaller:
		delete(a.calls, act.CallID)
		a.worker(act.CallID, func() {
			if err := a.media.Hangup(ctx, act.CallID, "normal"); err != nil {
				a.actionFailed("hangup caller", act.CallID, err)
			}
			_ = a.media.DestroyBridge(ctx, bridgeOf(act.CallID))
		})
	}
}

// bridgeOf names the bridge of a call: one per call, so any step can find it.
func bridgeOf(callID string) string { return "ccd-" + callID }

// toLog turns an engine event into an event-log row.
func ToLog(ev acd.Event) eventlog.Event {
	return eventlog.Event{At: ev.At, CallID: ev.CallID, Kind: ev.Kind, Agent: ev.Agent, Queue: ev.Queue, DNIS: ev.DNIS,
		CLID: ev.CLID, Source: eventlog.SourceACD, Key: eventlog.NewKey(), Payload: eventlog.Payload(ev.Data)}
}

// FromLog turns event-log rows of the ACD back into engine events (for Fold).
func FromLog(rows []eventlog.Event) []acd.Event {
	out := make([]acd.Event, 0, len(rows))
	for _, r := range rows {
		if r.Source != eventlog.SourceACD {
			continue
		}
		ev := acd.Event{At: r.At, Kind: r.Kind, CallID: r.CallID, Agent: r.Agent, Queue: r.Queue, DNIS: r.DNIS, CLID: r.CLID}
		if len(r.Payload) > 0 {
			if err := json.Unmarshal(r.Payload, &ev.Data); err != nil {
				continue
			}
		}
		out = append(out, ev)
	}
	return out
}

// Load rebuilds the queues and agents from the event log after a start. It needs
// no Asterisk: agent requests are taken from then on. The calls of the last
// run wait for Reconcile, which knows whether their channels are still there.
func (a *App) Load(ctx context.Context, rows []eventlog.Event) error {
	return a.do(ctx, func() error {
		if a.loaded.Load() {
			return nil
		}
		snap := acd.Fold(FromLog(rows))
		a.engine.RestoreAgents(snap.Agents)
		a.pending = snap.Calls
		a.loaded.Store(true)
		return nil
	})
}

// Reconcile checks the application against the channels Asterisk reports in the
// Stasis application (inApp), at every ARI connection once Load has run. The
// first time it restores the calls read from the log: live callers are
// re-adopted, calls whose channels are gone are closed, ringing offers are
// withdrawn; ARI events are taken from then on. After a reconnect, calls whose
// channels are gone (Asterisk restarted) are closed.
func (a *App) Reconcile(ctx context.Context, inApp []ari.Channel) error {
	return a.do(ctx, func() error {
		if !a.loaded.Load() {
			return errStarting
		}
		live := map[string]bool{}
		for _, ch := range inApp {
			live[ch.ID] = true
		}
		if a.reconciled.Load() {
			a.closeGone(live)
			return nil
		}
		a.engine.RestoreCalls(a.now(), a.pending, func(id string) bool { return live[id] })
		for _, c := range a.engine.Calls() {
			a.calls[c.ID] = &callMedia{waiting: c.State != acd.Connected}
		}
		if n := len(a.pending); n > 0 {
			a.log.Info("restored calls from the event log", "calls", n, "in_application", len(a.calls))
		}
		a.pending = nil
		a.reconciled.Store(true)
		return nil
	})
}

// closeGone closes the calls whose caller, or whose agent, left the application.
func (a *App) closeGone(live map[string]bool) {
	now := a.now()
	for _, c := range a.engine.Calls() {
		switch {
		case !live[c.ID]:
			delete(a.calls, c.ID)
			a.engine.Hangup(now, c.ID)
		case c.State == acd.Connected && !live[c.Channel]:
			a.engine.AgentGone(now, c.Channel, "")
		}
	}
}

// DirectCall tells the engine an agent's endpoint is on a call ccd did not
// make (seen on AMI).
func (a *App) DirectCall(endpoint string, on bool) {
	a.send(func() { a.engine.DirectCall(a.now(), endpoint, on) })
}

// ---- ccd.AgentControl and ccd.CallControl ----

// Login implements ccd.AgentControl. The endpoint is one the API's endpoint
// policy resolved (acd/endpoints); "" keeps the agent's own.
func (a *App) Login(ctx context.Context, id, endpoint string) error {
	return a.request(ctx, func() error { return a.engine.Login(a.now(), id, endpoint) })
}

// Logout implements ccd.AgentControl.
func (a *App) Logout(ctx context.Context, id string) error {
	return a.request(ctx, func() error { return a.engine.Logout(a.now(), id) })
}

// Ready implements ccd.AgentControl.
func (a *App) Ready(ctx context.Context, id string) error {
	return a.request(ctx, func() error { return a.engine.Ready(a.now(), id) })
}

// NotReady implements ccd.AgentControl.
func (a *App) NotReady(ctx context.Context, id, activity string) error {
	return a.request(ctx, func() error { return a.engine.NotReady(a.now(), id, activity) })
}

// Agent implements ccd.AgentControl.
func (a *App) Agent(ctx context.Context, id string) (ccd.AgentStatus, error) {
	var st ccd.AgentStatus
	err := a.request(ctx, func() error {
		ag, err := a.engine.Agent(id)
		st = status(ag)
		return err
	})
	return st, err
}

// Agents implements ccd.AgentControl.
func (a *App) Agents(ctx context.Context) ([]ccd.AgentStatus, error) {
	var out []ccd.AgentStatus
	err := a.request(ctx, func() error {
		for _, ag := range a.engine.Agents() {
			out = append(out, status(ag))
		}
		return nil
	})
	return out, err
}

func status(ag acd.Agent) ccd.AgentStatus {
	st := ccd.AgentStatus{ID: ag.ID, Name: ag.Name, State: ag.State, Since: ag.Since, Activity: ag.Activity, CallID: ag.CallID}
	if ag.State != acd.LoggedOut {
		st.Endpoint = ag.Endpoint
	}
	return st
}

// Calls returns the calls in the ACD now.
func (a *App) Calls(ctx context.Context) ([]acd.Call, error) {
	var out []acd.Call
	err := a.request(ctx, func() error { out = a.engine.Calls(); return nil })
	return out, err
}

// Queues returns the queues' live figures.
func (a *App) Queues(ctx context.Context) ([]acd.QueueStatus, error) {
	var out []acd.QueueStatus
	err := a.request(ctx, func() error { out = a.engine.Queues(a.now()); return nil })
	return out, err
}

// Transfer transfers a connected call to a queue or a number.
func (a *App) Transfer(ctx context.Context, callID, toQueue, toNumber string) error {
	return a.asteriskRequest(ctx, func() error { return a.engine.Transfer(a.now(), callID, toQueue, toNumber) })
}

// Hold and Unhold put a connected call on hold and back (from the APIs; holds
// from the phone arrive as ARI events).
func (a *App) Hold(ctx context.Context, callID string, on bool) error {
	return a.asteriskRequest(ctx, func() error {
		c, ok := a.engine.Call(callID)
		if !ok {
			return &ccd.Error{Code: ccd.ENOTFOUND, Message: "no call " + strconv.Quote(callID)}
		}
		var err error
		if on {
			err = a.engine.Hold(a.now(), callID)
		} else {
			err = a.engine.Unhold(a.now(), callID)
		}
		if err == nil && c.State == acd.Connected {
			moh := a.queues[c.Queue].MOHClass // read on the loop: Apply replaces the queues
			a.worker(callID, func() {
				ch := a.cfg.ARI.Channel(callID)
				var err error
				if on {
					err = ch.StartMOH(context.Background(), moh)
				} else {
					err = ch.StopMOH(context.Background())
				}
				if err != nil {
					a.actionFailed("hold", callID, err)
				}
			})
		}
		return err
	})
}

var (
	_ ccd.AgentControl = (*App)(nil)
	_ ccd.CallControl  = (*App)(nil)
)
