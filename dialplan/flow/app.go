// Package flow is the Stasis application that runs ccd's call flows (package
// flow: IVR menus, time conditions, switches, identification, the HTTP
// module) on Asterisk. Channels come to it from the inbound router (a route
// that names a flow) or directly ("Stasis(ccd,flow,<name>)"); it walks each
// through its flow's engine, carries out the media actions with the media
// toolkit, and hands the call over at the end: to the queue application
// (explicit handoff, with the profile's priority and attach data), to the
// dialplan (a number, voicemail), or to another flow.
//
// One goroutine takes every input in order (the dispatcher's events, timers,
// HTTP answers); what it decides is carried out by one ordered worker per
// call, so the loop never waits for Asterisk or a remote service.
package flow

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/ari"
	"github.com/ccdhq/ccd/dialplan"
	"github.com/ccdhq/ccd/dialplan/media"
	"github.com/ccdhq/ccd/dialplan/stasis"
	"github.com/ccdhq/ccd/eventlog"
	"github.com/ccdhq/ccd/flow"
)

// Queue is the queue application as the target of a handoff.
type Queue interface {
	stasis.App
	Enqueue(dialplan.Arrival)
}

// Owners is the part of the dispatcher the application uses.
type Owners interface {
	Handoff(channel string, app stasis.App)
}

// Config is what the application needs.
type Config struct {
	ARI    *ari.Client
	Owners Owners
	Queue  Queue
	// Flows returns the running version of a flow; a call keeps the version
	// it got.
	Flows func(name string) (*flow.Compiled, bool)
	// Switches returns a switch's state now.
	Switches func(localnumber string) (flow.Switch, bool)
	// AgentNumber is the number an agent is dialled at directly ("" when
	// the agent has none).
	AgentNumber func(agent string) string
	// Location is the time zone of time conditions (pbx.time_zone).
	Location *time.Location
	// TransferContext is where numbers and voicemail continue in the
	// dialplan (acd.transfer_context).
	TransferContext string
	Fetcher         *flow.Fetcher
	// Databases run the database steps (nil: every step fails to its
	// error destination).
	Databases Databases
	// WaitMusicAfter is how long a database step or an HTTP request may
	// run before the caller hears music on hold until it answers (as on
	// Mitel); 0 is DefaultWaitMusicAfter.
	WaitMusicAfter time.Duration
	// WaitMusicClass is the music on hold class played meanwhile ("" is
	// Asterisk's default).
	WaitMusicClass string
	Emit           func(eventlog.Event) error
	Node           string
	Log            *slog.Logger
	Now            func() time.Time
}

// Databases run flows' database steps against the CRM databases; Run
// returns by the step's timeout.
type Databases interface {
	Run(ctx context.Context, q *flow.Query) flow.QueryResult
}

// DefaultWaitMusicAfter is Config.WaitMusicAfter's default: a quick
// answer keeps the caller's silence short, a slow one plays music.
const DefaultWaitMusicAfter = 500 * time.Millisecond

// VoicemailExtension is the extension of the transfer context a call is
// sent to for voicemail, with the mailbox in the channel variable
// CCD_VOICEMAIL: "exten => voicemail,1,VoiceMail(${CCD_VOICEMAIL})".
const VoicemailExtension = "voicemail"

// maxFlowHops bounds flows handing a call to each other.
const maxFlowHops = 8

// App is the running flow application.
type App struct {
	cfg   Config
	log   *slog.Logger
	media *media.Toolkit
	in    chan func()
	inbox *stasis.Inbox
	done  chan struct{}

	calls map[string]*call // by channel; owned by the loop

	Stats Stats
}

// Stats are counters for metrics.
type Stats struct {
	Calls, Transitions, Failures, HTTPRequests, Queries, ActionErrors atomic.Int64
}

// call is one channel in a flow.
type call struct {
	channel string
	dnis    string
	clid    string // the caller's number as the call came in (the profile's ani may change)
	engine  *flow.Call
	hops    int
	timer   *time.Timer
	work    *serial // the call's actions on Asterisk and services, in order (kept from flow to flow)
	ctx     context.Context
	cancel  context.CancelFunc // stops its requests when the caller hangs up
}

// New builds the application; Run starts it.
func New(cfg Config) *App {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Fetcher == nil {
		cfg.Fetcher = flow.NewFetcher()
	}
	if cfg.Location == nil {
		cfg.Location = time.Local
	}
	if cfg.WaitMusicAfter <= 0 {
		cfg.WaitMusicAfter = DefaultWaitMusicAfter
	}
	a := &App{cfg: cfg, log: cfg.Log.With("component", "flow"),
		media: &media.Toolkit{ARI: cfg.ARI, Context: cfg.TransferContext},
		in:    make(chan func(), 1024), inbox: stasis.NewInbox(), done: make(chan struct{}), calls: map[string]*call{}}
	return a
}

// Run takes inputs until ctx ends.
func (a *App) Run(ctx context.Context) {
	defer close(a.done)
	for {
		select {
		case <-ctx.Done():
			for _, c := range a.calls {
				c.stop()
			}
			return
		case f := <-a.in:
			f()
		case <-a.inbox.Ready():
			for _, f := range a.inbox.Take() {
				f()
			}
		}
	}
}

// send queues an input from another goroutine; dropped after Run ended.
func (a *App) send(f func()) {
	select {
	case a.in <- f:
	case <-a.done:
	}
}

// Start implements stasis.App: "Stasis(ccd,flow,<name>)".
func (a *App) Start(e *ari.StasisStart, args []string) {
	name := ""
	if len(args) > 0 {
		name = args[0]
	}
	ch := e.Channel
	in := dialplan.Arrival{CallID: ch.ID, CLID: ch.Caller.Number, DNIS: ch.Dialplan.Exten}
	callerName := ch.Caller.Name
	a.inbox.Push(func() { a.enter(in, callerName, name, nil) })
}

// Enter takes a caller the inbound router handed over (it made this
// application the channel's owner first) into the flow name.
func (a *App) Enter(in dialplan.Arrival, name string) {
	a.inbox.Push(func() { a.enter(in, "", name, nil) })
}

// Handle implements stasis.App: an event of a channel in a flow.
func (a *App) Handle(e ari.Event) {
	a.inbox.Push(func() { a.handle(e) })
}

var _ stasis.App = (*App)(nil)

func (a *App) handle(e ari.Event) {
	switch v := e.(type) {
	case *ari.ChannelDtmfReceived:
		if c := a.calls[v.Channel.ID]; c != nil {
			a.step(c, flow.Input{Kind: flow.InDigit, Digit: v.Digit})
		}
	case *ari.PlaybackFinished:
		if ch, hops, id, ok := parsePlaybackID(v.Playback.ID); ok {
			if c := a.calls[ch]; c != nil && c.hops == hops {
				a.step(c, flow.Input{Kind: flow.InPlayDone, ID: id})
			}
		}
	case *ari.StasisEnd:
		a.hangup(v.Channel.ID)
	case *ari.ChannelDestroyed:
		a.hangup(v.Channel.ID)
	}
}

func (a *App) hangup(channel string) {
	if c := a.calls[channel]; c != nil {
		a.step(c, flow.Input{Kind: flow.InHangup})
	}
}

// enter starts a call in the flow name; prev is the flow the call comes
// from (nil for a new call), whose profile and ordered actions it keeps.
func (a *App) enter(in dialplan.Arrival, callerName, name string, prev *call) {
	f, ok := a.cfg.Flows(name)
	if !ok {
		a.log.Error("a call was sent to a flow that does not exist; hanging up", "call", in.CallID, "flow", name)
		a.emit(in.CallID, in.DNIS, in.CLID, ccd.EventFlowStepFailed, ccd.FlowStep{Flow: name, Reason: "no such flow"})
		a.Stats.Failures.Add(1)
		ch := in.CallID
		if prev != nil {
			prev.work.run(func() { _ = a.media.Hangup(context.Background(), ch, "normal") })
			prev.work.run(prev.cancel)
			return
		}
		go func() { _ = a.media.Hangup(context.Background(), ch, "normal") }()
		return
	}
	var profile *flow.Profile
	if prev != nil {
		profile = prev.engine.Profile
	} else {
		initial := map[string]string{flow.FieldANI: in.CLID, flow.FieldDNIS: in.DNIS, flow.FieldCallID: in.CallID,
			flow.FieldCallerName: callerName}
		if in.Priority > 0 {
			initial[flow.FieldPriority] = strconv.Itoa(in.Priority)
		}
		profile = flow.NewProfile(initial)
	}
	c := &call{channel: in.CallID, dnis: in.DNIS, clid: in.CLID, engine: flow.NewCall(f, profile)}
	if prev != nil {
		prev.stopTimer()
		c.clid, c.hops, c.work, c.ctx, c.cancel = prev.clid, prev.hops+1, prev.work, prev.ctx, prev.cancel
	} else {
		if old := a.calls[c.channel]; old != nil {
			old.stop()
		}
		c.work = &serial{}
		c.ctx, c.cancel = context.WithCancel(context.Background())
	}
	a.calls[c.channel] = c
	a.Stats.Calls.Add(1)
	a.emitCall(c, ccd.EventFlowEntered, ccd.FlowStep{Flow: f.Flow.Name, Version: f.Version})
	if prev == nil {
		c.work.run(func() {
			if err := a.media.Answer(c.ctx, c.channel); err != nil && c.ctx.Err() == nil {
				a.actionFailed(c, "answer", err)
			}
		})
	}
	a.step(c, flow.Input{Kind: flow.InStart})
}

// step feeds the engine one input and carries out what it answers.
func (a *App) step(c *call, in flow.Input) {
	env := flow.Env{Now: a.cfg.Now(), Location: a.cfg.Location, Switch: a.cfg.Switches}
	actions := c.engine.Step(env, in)
	a.logProfile(c)
	for _, act := range actions {
		a.carryOut(c, act)
	}
	if c.engine.Done() && a.calls[c.channel] == c {
		delete(a.calls, c.channel)
		c.stopTimer()
	}
}

func (c *call) stopTimer() {
	if c.timer != nil {
		c.timer.Stop()
		c.timer = nil
	}
}

// stop ends everything the call still has running.
func (c *call) stop() {
	c.stopTimer()
	c.cancel()
}

func (a *App) carryOut(c *call, act flow.Action) {
	f := c.engine.Flow()
	switch act.Kind {
	case flow.ActEnter:
		a.Stats.Transitions.Add(1)
		n, _ := f.Node(act.Node)
		a.emitCall(c, ccd.EventFlowNodeIn, ccd.FlowStep{Flow: f.Flow.Name, Version: f.Version, Node: act.Node, NodeKind: n.Kind()})
	case flow.ActLeave:
		step := ccd.FlowStep{Flow: f.Flow.Name, Version: f.Version, Node: act.Node, To: act.Value, Reason: act.Reason}
		if act.Reason == "abandoned" {
			step.Adata1, step.Adata2 = c.engine.Profile.Adata(&f.Flow)
		}
		a.emitCall(c, ccd.EventFlowNodeOut, step)
		if act.Reason == "abandoned" {
			c.stop()
		}
	case flow.ActFailed:
		a.Stats.Failures.Add(1)
		a.log.Warn("a flow step failed; its fallback is taken", "call", c.channel, "flow", f.Flow.Name, "node", act.Node, "reason", act.Reason)
		a.emitCall(c, ccd.EventFlowStepFailed, ccd.FlowStep{Flow: f.Flow.Name, Version: f.Version, Node: act.Node, Reason: act.Reason})
	case flow.ActPlay:
		id := playbackID(c.channel, c.hops, act.ID)
		c.work.run(func() {
			if err := a.media.Play(c.ctx, c.channel, id, act.Media...); err != nil && c.ctx.Err() == nil {
				a.actionFailed(c, "play", err)
				// A prompt that cannot play ends at once: the flow goes on
				// (to its timer), never leaving the caller waiting for it.
				a.send(func() {
					if a.calls[c.channel] == c {
						a.step(c, flow.Input{Kind: flow.InPlayDone, ID: act.ID})
					}
				})
			}
		})
	case flow.ActStopPlay:
		id := playbackID(c.channel, c.hops, act.ID)
		c.work.run(func() { _ = a.media.StopPlayback(c.ctx, id) })
	case flow.ActTimer:
		c.stopTimer()
		id := act.ID
		c.timer = time.AfterFunc(act.After, func() {
			a.send(func() {
				if a.calls[c.channel] == c {
					a.step(c, flow.Input{Kind: flow.InTimer, ID: id})
				}
			})
		})
	case flow.ActHTTP:
		a.request(c, act)
	case flow.ActQuery:
		a.query(c, act)
	case flow.ActSetCallerID:
		v := act.Value
		c.work.run(func() { a.setVar(c, "CALLERID(num)", v) })
	case flow.ActSetCallerName:
		v := act.Value
		c.work.run(func() { a.setVar(c, "CALLERID(name)", v) })
	case flow.ActEnd:
		step := ccd.FlowStep{Flow: f.Flow.Name, Version: f.Version, To: act.Terminal.String()}
		step.Adata1, step.Adata2 = c.engine.Profile.Adata(&f.Flow)
		a.emitCall(c, ccd.EventFlowLeft, step)
		a.leave(c, *act.Terminal)
	}
}

// request makes a module's HTTP request off the loop; the answer comes
// back as an input. A caller who hangs up cancels it.
func (a *App) request(c *call, act flow.Action) {
	a.Stats.HTTPRequests.Add(1)
	n, _ := c.engine.Flow().Node(c.engine.NodeID())
	configured := ""
	switch {
	case n.HTTP != nil:
		configured = n.HTTP.URL
	case n.Identify != nil:
		configured = n.Identify.URL
	}
	req, id := act.Request, act.ID
	music := a.waitMusic(c)
	go func() {
		r := a.cfg.Fetcher.Do(c.ctx, configured, req)
		a.send(func() {
			music.stop()
			if a.calls[c.channel] == c {
				a.step(c, flow.Input{Kind: flow.InHTTP, ID: id, HTTP: r})
			}
		})
	}()
}

// waitingMusic is the music a caller hears while a step waits for a
// service; its fields belong to the loop.
type waitingMusic struct {
	timer    *time.Timer
	playing  bool
	answered bool
	stop     func()
}

// waitMusic starts music on hold for c when the step it begins has not
// answered within WaitMusicAfter; the returned stop, called on the loop
// when the answer comes, ends it before whatever the step does next (the
// call's work is ordered), so the step's own result is unchanged.
func (a *App) waitMusic(c *call) *waitingMusic {
	w := &waitingMusic{}
	w.timer = time.AfterFunc(a.cfg.WaitMusicAfter, func() {
		a.send(func() {
			if w.answered || a.calls[c.channel] != c {
				return
			}
			w.playing = true
			c.work.run(func() {
				if err := a.media.StartMOH(c.ctx, c.channel, a.cfg.WaitMusicClass); err != nil && c.ctx.Err() == nil {
					a.actionFailed(c, "music on hold", err)
				}
			})
		})
	})
	w.stop = func() {
		w.answered = true
		w.timer.Stop()
		if w.playing && a.calls[c.channel] == c {
			c.work.run(func() { _ = a.media.StopMOH(c.ctx, c.channel) })
		}
	}
	return w
}

// query runs a database step off the loop; the answer comes back as an
// input. A caller who hangs up cancels it.
func (a *App) query(c *call, act flow.Action) {
	a.Stats.Queries.Add(1)
	q, id := act.Query, act.ID
	music := a.waitMusic(c)
	go func() {
		r := flow.QueryResult{Err: errors.New("database step: no CRM databases are configured")}
		if a.cfg.Databases != nil {
			r = a.cfg.Databases.Run(c.ctx, q)
		}
		a.send(func() {
			music.stop()
			if a.calls[c.channel] == c {
				a.step(c, flow.Input{Kind: flow.InQuery, ID: id, Query: r})
			}
		})
	}()
}

func (a *App) setVar(c *call, name, value string) {
	if err := a.cfg.ARI.Channel(c.channel).SetVariable(c.ctx, name, value); err != nil && c.ctx.Err() == nil {
		a.actionFailed(c, "set "+name, err)
	}
}

// leave hands the call to where its flow ends.
func (a *App) leave(c *call, t flow.Terminal) {
	p := c.engine.Profile
	if t.Kind != flow.ToFlow {
		// Its context ends once its last action on Asterisk is carried out.
		defer c.work.run(c.cancel)
	}
	switch t.Kind {
	case flow.ToQueue:
		in := dialplan.Arrival{CallID: c.channel, CLID: p.Get(flow.FieldANI), DNIS: c.dnis, Queue: t.Target,
			Priority: t.Priority, AttachData: p.Get(flow.FieldAttachData)}
		// Queued after the call's last media action, so that a prompt's
		// stop never lands on the queue's greeting.
		c.work.run(func() {
			a.send(func() {
				a.cfg.Owners.Handoff(c.channel, a.cfg.Queue)
				a.cfg.Queue.Enqueue(in)
			})
		})
	case flow.ToFlow:
		if c.hops+1 >= maxFlowHops {
			a.log.Error("flows hand the call to each other in a circle; hanging up", "call", c.channel, "flow", t.Target)
			a.Stats.Failures.Add(1)
			a.emitCall(c, ccd.EventFlowStepFailed, ccd.FlowStep{Flow: t.Target, Reason: "flows hand the call to each other in a circle"})
			a.hangupCall(c)
			c.work.run(c.cancel)
			return
		}
		a.enter(dialplan.Arrival{CallID: c.channel, DNIS: c.dnis, CLID: c.clid}, "", t.Target, c)
	case flow.ToNumber:
		a.sendTo(c, t.Target)
	case flow.ToVoicemail:
		mailbox := t.Target
		c.work.run(func() {
			a.setVar(c, "CCD_VOICEMAIL", mailbox)
			a.continueTo(c, VoicemailExtension)
		})
	case flow.ToAgent:
		number := ""
		if a.cfg.AgentNumber != nil {
			number = a.cfg.AgentNumber(t.Target)
		}
		if number == "" {
			a.log.Warn("the flow sends the call to an agent with no number to dial; hanging up", "call", c.channel, "agent", t.Target)
			a.hangupCall(c)
			return
		}
		a.sendTo(c, number)
	default:
		a.hangupCall(c)
	}
}

func (a *App) sendTo(c *call, number string) {
	c.work.run(func() { a.continueTo(c, number) })
}

func (a *App) continueTo(c *call, extension string) {
	if err := a.media.SendTo(c.ctx, c.channel, extension); err != nil {
		a.actionFailed(c, "continue", err)
		_ = a.media.Hangup(context.Background(), c.channel, "normal")
	}
}

func (a *App) hangupCall(c *call) {
	c.work.run(func() { _ = a.media.Hangup(context.Background(), c.channel, "normal") })
}

func (a *App) actionFailed(c *call, what string, err error) {
	a.Stats.ActionErrors.Add(1)
	a.log.Warn("a flow action failed on Asterisk", "call", c.channel, "action", what, "err", err)
}

// logProfile writes the profile's changes to the log.
func (a *App) logProfile(c *call) {
	ch := c.engine.Profile.TakeChanges()
	if len(ch) == 0 {
		return
	}
	out := ccd.ProfileChange{Changes: make([]ccd.ProfileFieldChange, len(ch))}
	for i, x := range ch {
		out.Changes[i] = ccd.ProfileFieldChange{Field: x.Field, Old: x.Old, New: x.New}
	}
	a.emitCall(c, ccd.EventProfileChanged, out)
}

// emitCall logs an event of call c.
func (a *App) emitCall(c *call, kind string, payload any) {
	a.emit(c.channel, c.dnis, c.clid, kind, payload)
}

func (a *App) emit(callID, dnis, clid, kind string, payload any) {
	if a.cfg.Emit == nil {
		return
	}
	ev := eventlog.Event{At: a.cfg.Now(), CallID: callID, DNIS: dnis, CLID: clid, Kind: kind, Source: eventlog.SourceARI,
		Node: a.cfg.Node, Key: eventlog.NewKey(), Payload: eventlog.Payload(payload)}
	if err := a.cfg.Emit(ev); err != nil {
		a.log.Error("event log refused a flow event", "call", callID, "kind", kind, "err", err)
	}
}

// Playback ids name their call, the flow of the call (hops: a call handed
// from flow to flow numbers its prompts anew) and the engine's id:
// "flow-<hops>.<n>-<channel>".
func playbackID(channel string, hops, id int) string {
	return "flow-" + strconv.Itoa(hops) + "." + strconv.Itoa(id) + "-" + channel
}

func parsePlaybackID(s string) (channel string, hops, id int, ok bool) {
	rest, ok := strings.CutPrefix(s, "flow-")
	if !ok {
		return "", 0, 0, false
	}
	nums, channel, ok := strings.Cut(rest, "-")
	h, n, ok2 := strings.Cut(nums, ".")
	if !ok || !ok2 {
		return "", 0, 0, false
	}
	hops, err1 := strconv.Atoi(h)
	id, err2 := strconv.Atoi(n)
	return channel, hops, id, err1 == nil && err2 == nil
}

// serial runs one call's actions in order on a goroutine of its own while
// it has any.
type serial struct {
	mu      sync.Mutex
	queue   []func()
	running bool
}

func (s *serial) run(f func()) {
	s.mu.Lock()
	s.queue = append(s.queue, f)
	if s.running {
		s.mu.Unlock()
		return
	}
	s.running = true
	s.mu.Unlock()
	go func() {
		for {
			s.mu.Lock()
			if len(s.queue) == 0 {
				s.running = false
				s.mu.Unlock()
				return
			}
			next := s.queue[0]
			s.queue = s.queue[1:]
			s.mu.Unlock()
			next()
		}
	}()
}

// Orphans are the callers found in the Stasis application at a connection
// that no application holds and this one does not know: callers who were in
// a flow when ccd stopped (Asterisk kept them in the application, in
// silence). owner tells who holds a channel; agents' legs are left alone.
// The daemon starts them again from their Stasis entry.
func (a *App) Orphans(ctx context.Context, inApp []ari.Channel, owner func(channel string) (stasis.App, bool)) ([]ari.Channel, error) {
	reply := make(chan []ari.Channel, 1)
	select {
	case a.in <- func() {
		var out []ari.Channel
		for _, ch := range inApp {
			if args := StasisArgs(ch); len(args) > 0 && args[0] == "agent" {
				continue
			}
			if app, ok := owner(ch.ID); ok && app != stasis.App(a) {
				continue
			}
			if a.calls[ch.ID] == nil {
				out = append(out, ch)
			}
		}
		reply <- out
	}:
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-a.done:
		return nil, nil
	}
	select {
	case out := <-reply:
		return out, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// StasisArgs are the arguments a channel in the application entered with,
// read from its Stasis() data ("ccd,flow,main" -> flow, main).
func StasisArgs(ch ari.Channel) []string {
	parts := strings.Split(ch.Dialplan.AppData, ",")
	if len(parts) < 2 {
		return nil
	}
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	return parts[1:]
}
