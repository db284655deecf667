// Package stasis is the one owner of ccd's Stasis application on Asterisk. The
// dispatcher reads the application's ARI events from a single subscription,
// lets observers (the recorder that writes every event to the log) see each of
// them, and hands each channel to the application that owns it:
//
//	Stasis(ccd,<entry>,<args...>) --StasisStart--> the app registered for <entry>
//	later events of that channel   --------------> its owner, in order
//	app A --Handoff(channel, B)---> app B owns the channel from then on
//
// A channel moves between applications only by such an explicit handoff (IVR
// to queue, queue to callback), never by leaving and re-entering Stasis.
package stasis

import (
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/ccdhq/ccd/ari"
)

// App is an application that receives channels from the dispatcher. Both
// methods are called on the dispatcher's goroutine, one event at a time, in the
// order Asterisk sent them: they must hand the event to the application's own
// loop and return at once.
type App interface {
	// Start receives a channel that entered the Stasis application with the
	// app's entry name; args are the Stasis arguments after the entry name.
	Start(e *ari.StasisStart, args []string)
	// Handle receives any other event of a channel the app owns.
	Handle(e ari.Event)
}

// Config is what the dispatcher needs.
type Config struct {
	// Default is the entry of channels whose first argument names no
	// registered entry (Stasis(ccd) alone, or an unknown word): they are
	// started there with all their arguments.
	Default string
	// Fallback receives the events of channels nobody owns (an agent
	// channel that was never claimed, bridges, events after StasisEnd): the
	// application that owned everything before channels had owners.
	Fallback App
	// Observers see every event, right after it is dispatched (the recorder
	// writing it to the log, metrics).
	Observers []func(ari.Event)
	// Hangup releases a channel the dispatcher refuses (a caller looping back
	// into Stasis); it runs on a goroutine of its own.
	Hangup func(channel string)
	Log    *slog.Logger
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// Dispatcher owns the Stasis application's subscription and the channels'
// owners.
type Dispatcher struct {
	cfg Config
	log *slog.Logger

	mu      sync.Mutex
	apps    map[string]App         // by entry name
	owner   map[string]App         // by channel id
	entries map[string][]time.Time // recent entries of each channel, to stop dialplan loops
	// returning: channels sent to the dialplan that come back into the
	// application (Returning); their StasisEnd keeps their owner.
	returning map[string]bool
}

// New returns a dispatcher; register the applications, then Run it.
func New(cfg Config) *Dispatcher {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Dispatcher{cfg: cfg, log: cfg.Log.With("component", "stasis"), apps: map[string]App{},
		owner: map[string]App{}, entries: map[string][]time.Time{}, returning: map[string]bool{}}
}

// SetFallback sets Config.Fallback, for a fallback application built after
// the dispatcher (it claims channels through it).
func (d *Dispatcher) SetFallback(app App) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.cfg.Fallback = app
}

// Register makes app the receiver of the channels entering with entry as first
// Stasis argument ("inbound", "queue", "agent", later "callback", "dialer").
func (d *Dispatcher) Register(entry string, app App) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.apps[entry] = app
}

// Handoff makes app the owner of channel: its next events go there. An
// application hands a channel over before it tells the next one about it (for
// example inbound routing before queue.Enqueue), and claims the channels it
// creates (an agent's leg) before asking Asterisk for them.
func (d *Dispatcher) Handoff(channel string, app App) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.owner[channel] = app
}

// Returning says that the owner of channel sends it to the dialplan and
// that it comes back into the application (the dialer's answering-machine
// detection, AMD() in the dialplan, then Stasis() again): its next StasisEnd
// keeps its owner, so that the events Asterisk sends while the channel is
// out (its hangup) still reach the owner.
func (d *Dispatcher) Returning(channel string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.returning[channel] = true
}

// Release forgets the owner of a channel that will send no more events (an
// originate Asterisk refused).
func (d *Dispatcher) Release(channel string) { d.forget(channel) }

// Owner returns the application that owns channel.
func (d *Dispatcher) Owner(channel string) (App, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	a, ok := d.owner[channel]
	return a, ok
}

// Adopt gives the channels found in the application at a (re)connection back
// to the application of their entry, when it is registered directly; the
// others (routed inbound calls) go to the fallback until an application claims
// them.
func (d *Dispatcher) Adopt(inApp []ari.Channel) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, ch := range inApp {
		if _, owned := d.owner[ch.ID]; owned {
			continue
		}
		if entry := entryOf(&ch); entry != "" {
			if app, ok := d.apps[entry]; ok && entry != d.cfg.Default {
				d.owner[ch.ID] = app
			}
		}
	}
}

// Run dispatches the events of sub until it is closed.
func (d *Dispatcher) Run(sub *ari.Subscription) {
	for e := range sub.C() {
		d.Dispatch(e)
	}
}

// Dispatch hands one event to its application, then shows it to the
// observers: writing the event to the log is not on the path of a call's
// next step.
func (d *Dispatcher) Dispatch(e ari.Event) {
	switch v := e.(type) {
	case *ari.StasisStart:
		d.start(v)
	case *ari.StasisEnd:
		d.deliver(e)
		if !d.comingBack(v.Channel.ID) {
			d.forget(v.Channel.ID)
		}
	case *ari.ChannelDestroyed:
		d.deliver(e)
		d.forget(v.Channel.ID)
	default:
		d.deliver(e)
	}
	for _, o := range d.cfg.Observers {
		o(e)
	}
}

func (d *Dispatcher) start(e *ari.StasisStart) {
	entry, args := d.entry(e.Args)
	app := d.app(entry)
	if app == nil {
		d.log.Error("a channel entered the Stasis application with no application for it", "channel", e.Channel.ID, "args", e.Args)
		d.refuse(e.Channel.ID)
		return
	}
	if entry != "agent" && d.looping(d.cfg.Now(), e.Channel.ID) {
		d.log.Error("a caller keeps coming back into ccd: the extension it is sent to runs Stasis() again; set acd.transfer_context",
			"call", e.Channel.ID, "dnis", e.Channel.Dialplan.Exten)
		d.refuse(e.Channel.ID)
		return
	}
	d.Handoff(e.Channel.ID, app)
	app.Start(e, args)
}

// entry picks the entry of a StasisStart's arguments.
func (d *Dispatcher) entry(args []string) (string, []string) {
	if len(args) > 0 && d.app(args[0]) != nil {
		return args[0], args[1:]
	}
	return d.cfg.Default, args
}

func (d *Dispatcher) app(entry string) App {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.apps[entry]
}

func (d *Dispatcher) refuse(channel string) {
	d.forget(channel)
	if d.cfg.Hangup != nil {
		go d.cfg.Hangup(channel)
	}
}

// deliver hands e to the owner of the first channel it names that has one.
func (d *Dispatcher) deliver(e ari.Event) {
	d.mu.Lock()
	var app App
	for _, k := range ari.Keys(e) {
		if k.Kind == ari.KindChannel {
			if a, ok := d.owner[k.ID]; ok {
				app = a
				break
			}
		}
	}
	if app == nil {
		app = d.cfg.Fallback
	}
	d.mu.Unlock()
	if app != nil {
		app.Handle(e)
	}
}

func (d *Dispatcher) forget(channel string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.owner, channel)
	delete(d.returning, channel)
}

// comingBack reports (once) that a channel leaving the application was
// marked Returning.
func (d *Dispatcher) comingBack(channel string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	back := d.returning[channel]
	delete(d.returning, channel)
	return back
}

// looping reports a caller entering the application for the 6th time within 10
// s: ccd sends it out and the dialplan sends it straight back. Coming back once
// or twice (a transfer to a number that queues again) is normal.
func (d *Dispatcher) looping(now time.Time, channel string) bool {
	const window, limit = 10 * time.Second, 5
	d.mu.Lock()
	defer d.mu.Unlock()
	recent := d.entries[channel][:0]
	for _, t := range d.entries[channel] {
		if now.Sub(t) < window {
			recent = append(recent, t)
		}
	}
	recent = append(recent, now)
	d.entries[channel] = recent
	if len(d.entries) > 10000 { // forget the old ones now and then
		for id, ts := range d.entries {
			if now.Sub(ts[len(ts)-1]) >= window {
				delete(d.entries, id)
			}
		}
	}
	return len(recent) > limit
}

// entryOf is the entry a channel in the application entered with, read from
// its Stasis() data ("ccd,queue,sales" -> "queue").
func entryOf(ch *ari.Channel) string {
	parts := strings.Split(ch.Dialplan.AppData, ",")
	if len(parts) < 2 {
		return ""
	}
	return strings.TrimSpace(parts[1])
}
