package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/ccdhq/ccd/ami"
	"github.com/ccdhq/ccd/api"
	"github.com/ccdhq/ccd/ari"
	"github.com/ccdhq/ccd/callback"
	"github.com/ccdhq/ccd/config"
	"github.com/ccdhq/ccd/dialplan"
	"github.com/ccdhq/ccd/dialplan/inbound"
	"github.com/ccdhq/ccd/dialplan/media"
	"github.com/ccdhq/ccd/dialplan/queue"
	"github.com/ccdhq/ccd/dialplan/stasis"
	"github.com/ccdhq/ccd/eventlog"
	"github.com/ccdhq/ccd/integrations/crmdb"
	"github.com/ccdhq/ccd/metrics"
	"github.com/ccdhq/ccd/store"
	"github.com/prometheus/client_golang/prometheus"
)

// acdApp is the ACD component: the ARI link, the Stasis dispatcher in
// front of the applications, the inbound router and the queue
// application. The queue application runs from the start (agents' reads
// and the live configuration reach it), but ARI connects, and the queues
// are restored from the event log, only once the ACD election is won
// (lead): a standby keeps away from the Stasis application.
type acdApp struct {
	w         *wiring
	leading   chan struct{} // closed by lead
	lookups   *routeLookups
	link      *ariLink
	callbacks *callback.Manager
	tasks     tasks
}

func newACD(w *wiring) component {
	w.acd = &acdApp{w: w, leading: make(chan struct{}), lookups: &routeLookups{}}
	return w.acd
}

func (a *acdApp) Name() string { return "acd" }

func (a *acdApp) Start(ctx context.Context) error {
	w := a.w
	first, err := a.lookups.open(w.cfg.ACD.Routes)
	if err != nil {
		return err
	}
	rec := dialplan.NewRecorder(w.events.writer.Add, w.controlled, w.log)
	rec.SetNode(w.cfg.NodeName())
	// The link gets a context of its own: Close closes it explicitly, after
	// the events it holds have been handed over.
	if a.link, err = startARI(context.WithoutCancel(ctx), w.cfg, w.log, w.m, rec, w.events.writer.Add, first, a.leading); err != nil {
		return err
	}
	a.callbacks = wireCallbacks(w.srv, w.cfg, a.link, w.db, w.events.writer.Add, w.log)
	a.tasks.goRun(ctx, a.link.queue.Run)
	a.tasks.goRun(ctx, a.link.flows.app.Run)
	registerACDMetrics(w.m, a.link.queue)
	registerFlowMetrics(w.m, a.link.flows.app)
	standby := &w.election.standby
	w.addCheck(api.Check{Name: "ari", Func: func(context.Context) error {
		if standby.Load() {
			return errors.New("standby: not connected while another ccd holds the ACD lock")
		}
		st := a.link.client.Status()
		return linkError("ari", ami.Status{Connected: st.Connected, LastError: st.LastError})
	}})
	w.addCheck(api.Check{Name: "acd", Func: func(context.Context) error {
		switch {
		case standby.Load():
			return errStandby
		case !a.link.queue.Loaded():
			return errors.New("queues not restored from the event log yet")
		case !a.link.queue.Reconciled():
			return errors.New("the calls of the last run are not yet checked against Asterisk (ari)")
		}
		return nil
	}})
	return nil
}

// queue is the queue application: the agents' and the calls' control.
func (a *acdApp) queue() *queue.App { return a.link.queue }

// apply makes a live configuration the running one: the queues first (a
// route may name a queue the change adds), then the routes with their
// lookups.
func (a *acdApp) apply(ctx context.Context, acd config.ACD) error {
	lk, err := a.lookups.open(acd.Routes)
	if err != nil {
		return err
	}
	if err := a.link.queue.Apply(ctx, acd); err != nil {
		return err
	}
	if err := a.link.flows.apply(acd); err != nil { // before the routes that name them
		return err
	}
	return a.link.router.SetRoutes(acd.Routes, lk)
}

// lead is called once this ccd holds the ACD lock: ARI connects and the
// queues are restored from the event log.
func (a *acdApp) lead(db *store.DB) {
	close(a.leading)
	// On the context of Start's tasks (the queue loop's): parent is unused.
	a.tasks.goRun(context.Background(), func(ctx context.Context) {
		a.link.load(ctx, db, a.w.events.writer.Flush, a.w.log)
	})
	a.tasks.goRun(context.Background(), func(ctx context.Context) { runCallbacks(ctx, a.callbacks, a.w.log) })
}

// Close stops the queue loop, hands the events ARI delivered to the
// recorder, then closes the link and the route lookups' connections.
func (a *acdApp) Close(context.Context) error {
	a.tasks.stop()
	a.link.close()
	a.lookups.close()
	return nil
}

// ariLink runs ccd's Stasis application: the client hands every event to the
// dispatcher as it is read (ari.Config.OnEvent), which hands each channel to
// its application (the inbound router, the queue, ...). The recorder writes
// every event to the log from a subscription of its own: the event log may
// spill to disk, which must not hold up the websocket's reader.
type ariLink struct {
	client    *ari.Client
	queue     *queue.App
	router    *inbound.Router // the inbound entry: routes by DNIS, live-updated
	flows     *flowLink       // the call flows ("flow" entry, routes naming a flow)
	stasis    *stasis.Dispatcher
	recorded  *ari.Subscription // the recorder's
	recording chan struct{}     // closed when the recorder has taken its last event
	log       *slog.Logger

	// mu orders the reconciles: the one of a connection made before the queue
	// application was loaded runs after the load, and never after the one of a
	// later connection.
	mu     sync.Mutex
	loaded bool          // the queue application holds the event log's state
	early  bool          // a connection was made before the load
	inApp  []ari.Channel // channels in the application at that connection
}

func startARI(ctx context.Context, cfg config.Config, log *slog.Logger, m *metrics.Metrics, rec *dialplan.Recorder,
	emit func(eventlog.Event) error, lookups map[int]dialplan.Lookup, start <-chan struct{}) (*ariLink, error) {
	log = log.With("link", "ari")
	l := &ariLink{log: log}
	ready := make(chan struct{}) // l.queue and l.stasis are set
	c, err := ari.Connect(ctx, ari.Config{
		URL: cfg.ARI.URL, Username: cfg.ARI.Username, Password: cfg.ARI.Password, Application: cfg.ARI.Application, Logger: log,
		RESTOverWebSocket: cfg.ARI.RESTOverWebSocket,
		Start:             start, // a standby keeps away from the Stasis application
		OnConnect: func(ctx context.Context, c *ari.Client, inApp []ari.Channel) {
			m.Connected.WithLabelValues("ari").Set(1)
			if c.Status().Reconnects > 0 {
				m.Reconnects.WithLabelValues("ari").Inc()
			}
			rec.Adopt(inApp)
			select {
			case <-ready:
			case <-ctx.Done():
				return
			}
			l.stasis.Adopt(inApp)
			l.connected(ctx, inApp)
		},
		// Events flow once OnConnect has returned, which waits for the
		// dispatcher; only a client closed before it was built gets here first.
		OnEvent: func(e ari.Event) {
			select {
			case <-ready:
				l.stasis.Dispatch(e)
			default:
			}
		},
		OnDisconnect: func(err error) {
			m.Connected.WithLabelValues("ari").Set(0) // the client logs the reason
		},
	})
	if err != nil {
		return nil, err
	}
	l.client = c
	m.Counter("ccd_asterisk_parse_errors_total", "Malformed input from Asterisk that was skipped.", prometheus.Labels{"link": "ari"},
		func() float64 { return float64(c.Stats().Undecodable) })
	m.Gauge("ccd_ari_rest_over_websocket", "1 while ccd's REST requests to Asterisk go over the ARI event websocket "+
		"(ari.rest_over_websocket, and Asterisk answers there), 0 while they go over HTTP.", func() float64 {
		if c.RESTOverWebSocket() {
			return 1
		}
		return 0
	})
	if err := l.wire(cfg, log, m, emit, lookups); err != nil {
		c.Close()
		return nil, err
	}
	// Subscribed before ready: no event flows before OnConnect has returned.
	l.recorded, l.recording = c.Subscribe(), make(chan struct{})
	go func() {
		defer close(l.recording)
		for e := range l.recorded.C() {
			rec.Handle(e)
		}
	}()
	close(ready)
	return l, nil
}

// wire builds the Stasis applications and the dispatcher in front of them:
// "inbound" routes by DNIS and hands the caller to the queue application,
// which also takes "queue" (a queue named in the dialplan) and "agent" (an
// agent answering) and every event of a channel nobody owns.
func (l *ariLink) wire(cfg config.Config, log *slog.Logger, m *metrics.Metrics,
	emit func(eventlog.Event) error, lookups map[int]dialplan.Lookup) error {
	tk := &media.Toolkit{ARI: l.client, App: cfg.ARI.Application}
	var err error
	d := stasis.New(stasis.Config{Default: "inbound", Log: log,
		Observers: []func(ari.Event){
			func(e ari.Event) { m.EventsIn.WithLabelValues("ari", e.EventType()).Inc() },
		},
		Hangup: func(ch string) { _ = tk.Hangup(context.Background(), ch, "normal") },
	})
	l.queue, err = queue.New(queue.Config{ACD: cfg.ACD, ARI: l.client, App: cfg.ARI.Application, Owners: d, Emit: emit, Log: log,
		Node: cfg.NodeName(), OfferStarted: offerStartMetric(m)})
	if err != nil {
		return err
	}
	d.SetFallback(l.queue)
	l.router, err = inbound.New(cfg.ACD.Routes, lookups, d, l.queue)
	if err != nil {
		return err
	}
	d.Register("inbound", l.router)
	d.Register("queue", l.queue)
	d.Register("agent", l.queue)
	if l.flows, err = newFlowLink(cfg, l.client, d, l.queue, l.router, emit, log); err != nil {
		return err
	}
	l.stasis = d
	return nil
}

// connected reconciles the queue application with the channels Asterisk reports
// in the application at a connection, or keeps them for the end of the load.
func (l *ariLink) connected(ctx context.Context, inApp []ari.Channel) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.loaded {
		l.early, l.inApp = true, inApp
		return
	}
	l.reconcile(ctx, inApp)
}

func (l *ariLink) reconcile(ctx context.Context, inApp []ari.Channel) {
	if err := l.queue.Reconcile(ctx, inApp); err != nil {
		l.log.Warn("queue application: checking its calls against Asterisk", "err", err)
		return
	}
	l.flows.resume(ctx, inApp, l.stasis, l.router, l.log)
}

// load rebuilds the queue application from the event log, without waiting for
// Asterisk: agents can log in while the PBX is down. The calls of the last run
// are checked against Asterisk at its next connection, or now when it is up.
func (l *ariLink) load(ctx context.Context, db *store.DB, flush func(context.Context) error, log *slog.Logger) {
	for attempt := 0; ; attempt++ {
		err := flush(ctx) // what the last run left in the spill file comes first
		var rows []eventlog.Event
		if err == nil {
			rows, err = db.ACDOpenEvents(ctx, time.Now().Add(-24*time.Hour))
		}
		if err == nil {
			if err = l.queue.Load(ctx, rows); err == nil {
				l.loadDone(ctx)
				return
			}
		}
		log.Warn("queue application: cannot read its state from the event log yet", "err", err, "attempt", attempt+1)
		select {
		case <-time.After(min(time.Duration(attempt+1)*time.Second, 10*time.Second)):
		case <-ctx.Done():
			return
		}
	}
}

func (l *ariLink) loadDone(ctx context.Context) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.loaded = true
	// Channels listed by a connection that has dropped since are stale: the
	// next connection reconciles with its own.
	if l.early && l.client.Status().Connected {
		l.reconcile(ctx, l.inApp)
	}
	l.early, l.inApp = false, nil
}

// close records the events already received, then closes the client.
func (l *ariLink) close() {
	drain(l.recorded.Pending, 5*time.Second)
	l.client.Close()
	l.recorded.Close()
	<-l.recording
	if l.flows != nil {
		l.flows.dbs.Close()
	}
}

// routeLookups holds the external-database step of the routes that have
// one. Nothing connects yet: a CRM database that is down costs its calls
// the lookup (they go to the route's queue), not ccd its start. A change of
// the routes keeps the lookups that did not change, with their connections.
type routeLookups struct {
	mu   sync.Mutex
	held map[string]*crmdb.Lookup // by the lookup's settings
}

// open returns the lookup of each route by index, opening the new ones and
// closing those no route uses any more.
func (r *routeLookups) open(routes []config.Route) (map[int]dialplan.Lookup, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[int]dialplan.Lookup{}
	next := map[string]*crmdb.Lookup{}
	for i, rt := range routes {
		if rt.Lookup == nil {
			continue
		}
		key := fmt.Sprintf("%#v", *rt.Lookup)
		l := next[key]
		if l == nil {
			l = r.held[key]
		}
		if l == nil {
			var err error
			if l, err = crmdb.Open(*rt.Lookup, nil); err != nil {
				for k, opened := range next {
					if r.held[k] == nil {
						_ = opened.Close()
					}
				}
				return nil, &config.Error{Key: fmt.Sprintf("acd.routes[%d].lookup", i), Problem: err.Error()}
			}
		}
		next[key] = l
		out[i] = func(ctx context.Context, clid, dnis, attach string) (string, int, string, error) {
			res, err := l.Do(ctx, crmdb.Request{CLID: clid, DNIS: dnis, AttachData: attach})
			return res.Queue, res.Priority, res.AttachData, err
		}
	}
	for k, l := range r.held {
		if next[k] == nil {
			_ = l.Close()
		}
	}
	r.held = next
	return out, nil
}

func (r *routeLookups) close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, l := range r.held {
		_ = l.Close()
	}
	r.held = nil
}
