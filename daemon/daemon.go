// Package daemon wires ccd together: the database (or a private cluster), the event
// log writer, the AMI observer, the Stasis applications on ARI and the HTTP server.
// cmd/ccd calls Run; the integration suite runs the same wiring against a real
// Asterisk.
package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ccdhq/ccd/ami"
	"github.com/ccdhq/ccd/api"
	"github.com/ccdhq/ccd/ari"
	"github.com/ccdhq/ccd/config"
	"github.com/ccdhq/ccd/dialplan"
	"github.com/ccdhq/ccd/dialplan/inbound"
	"github.com/ccdhq/ccd/dialplan/media"
	"github.com/ccdhq/ccd/dialplan/queue"
	"github.com/ccdhq/ccd/dialplan/stasis"
	"github.com/ccdhq/ccd/eventlog"
	"github.com/ccdhq/ccd/integrations/crmdb"
	"github.com/ccdhq/ccd/integrations/omnileads"
	"github.com/ccdhq/ccd/integrations/optimus"
	"github.com/ccdhq/ccd/internal/localpg"
	"github.com/ccdhq/ccd/liveconf"
	"github.com/ccdhq/ccd/metrics"
	"github.com/ccdhq/ccd/pbx"
	"github.com/ccdhq/ccd/store"
	"github.com/prometheus/client_golang/prometheus"
)

// database opens the configured database, or starts the private cluster under the
// state directory when none is configured. stop undoes what it started.
func database(ctx context.Context, cfg config.Config, log *slog.Logger) (*store.DB, func(), error) {
	dsn := cfg.Database.URL
	stop := func() {}
	if dsn == "" {
		dir := filepath.Join(cfg.StateDir, "postgres")
		cluster, err := localpg.Open(dir)
		if err != nil {
			return nil, stop, err
		}
		adopted, err := cluster.StartOrAdopt(ctx)
		if err != nil {
			return nil, stop, err
		}
		if adopted {
			log.Info("no database.url configured: adopting the private PostgreSQL cluster left running at "+dir, "dir", dir)
		} else {
			log.Info("no database.url configured: started a private PostgreSQL cluster", "dir", dir)
		}
		stop = func() {
			sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := cluster.Stop(sctx); err != nil {
				log.Warn("stopping the private PostgreSQL cluster", "err", err)
			}
		}
		if dsn, err = cluster.EnsureDatabase(ctx, "ccd"); err != nil {
			stop()
			return nil, func() {}, err
		}
	}
	db, err := store.Open(ctx, dsn, cfg.Database.MaxOpenConns, log)
	if err != nil {
		stop()
		return nil, func() {}, err
	}
	if _, err := db.Migrate(ctx); err != nil {
		db.Close()
		stop()
		return nil, func() {}, err
	}
	return db, func() { db.Close(); stop() }, nil
}

// Migrate brings the database schema up to date.
func Migrate(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	_, stop, err := database(ctx, cfg, log)
	if err != nil {
		return err
	}
	stop()
	log.Info("database is up to date")
	return nil
}

// lazySink lets the event writer start before the database is reachable: producers
// are never held up by a database that is late or down.
type lazySink struct{ db atomic.Pointer[store.DB] }

func (s *lazySink) Append(ctx context.Context, evs []eventlog.Event) error {
	sink, err := s.sink()
	if err != nil {
		return err
	}
	return sink.Append(ctx, evs)
}

func (s *lazySink) AppendIDs(ctx context.Context, evs []eventlog.Event) ([]int64, error) {
	sink, err := s.sink()
	if err != nil {
		return nil, err
	}
	return sink.AppendIDs(ctx, evs)
}

func (s *lazySink) Quarantine(ctx context.Context, q eventlog.Quarantined) (bool, error) {
	sink, err := s.sink()
	if err != nil {
		return false, err
	}
	return sink.Quarantine(ctx, q)
}

func (s *lazySink) sink() (store.EventSink, error) {
	db := s.db.Load()
	if db == nil {
		return store.EventSink{}, errors.New("database not connected yet")
	}
	return store.EventSink{DB: db}, nil
}

// ServerHook, when set, is called with the HTTP server once every route is
// mounted and before it serves. The regression suite that sends hostile values
// to every route reads the routes of the real wiring through it, so that a new
// route cannot escape that suite.
var ServerHook func(*api.Server)

// Run runs the daemon until ctx ends, then shuts down in order: Asterisk links,
// event log (flushed, or kept on disk), database.
func Run(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	// The listening address is taken first: a port that is in use (another
	// ccd?) stops the start at once with that reason, before anything else
	// starts and fails for it.
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return &config.Error{Key: "listen", Problem: err.Error()}
	}
	defer ln.Close() // for the early returns; the server closes it on shutdown
	m := metrics.New()
	zeroSeries(m)
	statsLive := statsMetrics(m)
	srv := api.NewServer(log, m.Registry, serverOptions(cfg))
	var checks []api.Check // also watched by announceReady
	addCheck := func(c api.Check) {
		checks = append(checks, c)
		srv.AddCheck(c)
	}

	sink := &lazySink{}
	var dbReady atomic.Pointer[store.DB]
	// Every batch the log commits goes to the hub's in-process subscribers
	// (live views); durable consumers follow the log itself.
	hub := eventlog.NewHub()
	registerConsumerMetrics(m, &dbReady, hub)
	if FanoutHook != nil {
		FanoutHook(hub)
	}
	writer, err := eventlog.NewWriter(sink, eventlog.Options{
		Hub:       hub,
		BatchSize: cfg.EventLog.BatchSize, FlushInterval: cfg.EventLog.FlushInterval, MemoryLimit: cfg.EventLog.MemoryLimit,
		SpillPath: filepath.Join(cfg.StateDir, "spill", "events.jsonl"), Logger: log, MaxEventBytes: cfg.EventLog.MaxEventBytes,
		Observe: func(n int, d time.Duration, err error) {
			m.DBLatency.WithLabelValues("append").Observe(d.Seconds())
			switch {
			case err == nil:
				m.EventLogWritten.Add(float64(n))
			case !errors.Is(err, eventlog.ErrRejected): // refused content is quarantined, not retried
				m.EventLogFailures.Inc()
			}
		},
		OnQuarantine: m.EventLogQuarantined.Inc,
	})
	if err != nil {
		return err
	}
	m.Gauge("ccd_eventlog_pending", "Events accepted and not yet in the database (memory and spill file).",
		func() float64 { return float64(writer.Stats().Pending) })
	// A database that refuses writes for long is not ready even when it answers
	// pings: nothing reaches the log or the statistics.
	addCheck(api.Check{Name: "eventlog", Func: func(context.Context) error {
		return writer.Health().Unready(time.Now(), cfg.EventLog.UnreadyAfter)
	}})

	// Shutdown runs in dependency order whatever the path out of Run: the
	// Asterisk links hand over the events they hold, then the writer flushes (or
	// keeps on disk) everything it accepted, then the database goes.
	var (
		amiL   *amiLink
		ariL   *ariLink
		stopDB = func() {}
	)
	defer func() {
		if ariL != nil {
			ariL.close()
		}
		if amiL != nil {
			amiL.close()
		}
		cctx, ccancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer ccancel()
		if err := writer.Close(cctx); err != nil {
			log.Error("closing the event log", "err", err)
		}
		stopDB()
	}()

	cls, err := pbx.NewClassifier(cfg.PBX.InternalNumbers)
	if err != nil {
		return err
	}
	controlled := pbx.NewControlled()
	observer := pbx.NewObserver(cls, controlled, writer.Add, log)
	recorder := dialplan.NewRecorder(writer.Add, controlled, log)
	observer.SetNode(cfg.NodeName())
	recorder.SetNode(cfg.NodeName())

	var wg sync.WaitGroup
	defer wg.Wait()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	// The links get a context of their own: on shutdown they are closed
	// explicitly, after the events they hold have been handed over.
	linkCtx := context.WithoutCancel(ctx)
	// The live configuration starts as the file's and becomes the
	// database's once it is up; the admin API changes it while ccd runs.
	lookups := &routeLookups{}
	defer lookups.close()
	live, err := liveconf.New(cfg.ACD, func(ctx context.Context, acd config.ACD) error {
		lk, err := lookups.open(acd.Routes)
		if err != nil {
			return err
		}
		// Queues first: a route may name a queue this change adds.
		if err := ariL.queue.Apply(ctx, acd); err != nil {
			return err
		}
		return ariL.router.SetRoutes(acd.Routes, lk)
	}, writer.Add, log)
	if err != nil {
		return err
	}
	auth := agentAuth(cfg, live)
	auth.Sessions = dbSessions{db: &dbReady, log: log}
	amiL = newAMILink(cfg, log, m, observer)
	if err := amiL.start(linkCtx); err != nil {
		amiL = nil
		return err
	}
	first, err := lookups.open(cfg.ACD.Routes)
	if err != nil {
		return err
	}
	// The ACD runs in one ccd per database: ARI is connected, and the queues
	// restored, once this one holds the ACD lock (see acdElection).
	election := &acdElection{log: log, retry: acdLockRetry}
	leading := make(chan struct{})
	if ariL, err = startARI(linkCtx, cfg, log, m, recorder, writer.Add, first, leading); err != nil {
		return err
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		ariL.queue.Run(ctx)
	}()
	agents := srv.MountAgents(ariL.queue, auth)
	omnileads.Mount(srv, agents)
	optimus.Mount(srv, agents, optimus.Credentials{User: cfg.API.OptimusUser, Password: cfg.API.OptimusPassword})
	srv.MountAdmin(live)
	srv.MountOpenAPI()
	registerACDMetrics(m, ariL.queue)
	direct := ariL.queue.DirectCall
	amiL.direct.Store(&direct)

	addCheck(api.Check{Name: "ami", Func: func(context.Context) error { return amiL.status() }})
	addCheck(api.Check{Name: "ari", Func: func(context.Context) error {
		if election.standby.Load() {
			return errors.New("standby: not connected while another ccd holds the ACD lock")
		}
		st := ariL.client.Status()
		return linkError("ari", ami.Status{Connected: st.Connected, LastError: st.LastError})
	}})
	addCheck(api.Check{Name: "acd", Func: func(context.Context) error {
		switch {
		case election.standby.Load():
			return errStandby
		case !ariL.queue.Loaded():
			return errors.New("queues not restored from the event log yet")
		case !ariL.queue.Reconciled():
			return errors.New("the calls of the last run are not yet checked against Asterisk (ari)")
		}
		return nil
	}})
	realtime := srv.MountStats(lazyStats{&dbReady}, ariL.queue, cfg.Location(), nil)
	if realtime != nil { // nil: no credential may read statistics, the views are off
		realtime.ServiceLevelsFrom(func() map[string]time.Duration { return serviceLevels(live.Current()) })
	}
	omnileads.MountSupervision(srv, realtime)
	addCheck(api.Check{Name: "database", Func: func(ctx context.Context) error {
		db := dbReady.Load()
		if db == nil {
			return errors.New("not connected yet")
		}
		d, err := db.Ping(ctx)
		m.DBLatency.WithLabelValues("ping").Observe(d.Seconds())
		return err
	}})

	if ServerHook != nil {
		ServerHook(srv)
	}
	// HTTP before the database, so /healthz and /readyz answer while it comes up;
	// after every route and check is in place (the links connect in the background).
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := srv.ServeListener(ctx, ln); err != nil {
			log.Error("http server", "err", err)
			cancel()
		}
	}()
	wg.Add(1)
	go func() { // after the last addCheck: it reads the checks without a lock
		defer wg.Done()
		announceReady(ctx, cfg, checks, log)
	}()

	db, stop, err := database(ctx, cfg, log)
	if err != nil {
		return err
	}
	stopDB = stop
	sink.db.Store(db)
	dbReady.Store(db)
	lost := make(chan error, 1)
	wg.Add(1)
	go func() {
		defer wg.Done()
		// The queues and agents of the database first: the event log's
		// agents are restored onto them. The statistics' names and queue
		// membership follow every change.
		live.OnChange(func(c config.ACD) { syncDimensions(ctx, db, c, log) })
		if !loadLive(ctx, live, db, log) {
			syncDimensions(ctx, db, live.Current(), log)
		}
		lost <- election.run(ctx, db, func() {
			close(leading)
			wg.Add(1)
			go func() {
				defer wg.Done()
				ariL.load(ctx, db, writer.Flush, log)
			}()
		})
	}()
	wg.Add(1)
	go func() {
		defer wg.Done()
		startStats(ctx, cfg, db, log, statsLive)
	}()
	if open, err := db.OpenPBXChannels(ctx, time.Now().Add(-24*time.Hour)); err != nil {
		log.Warn("cannot read channels open at the last stop", "err", err)
	} else {
		observer.Restore(open)
		amiL.restored(ctx)
	}
	select {
	case <-ctx.Done():
	case err := <-lost:
		if err != nil {
			log.Error("ccd stopping", "err", err)
			return err
		}
		<-ctx.Done()
	}
	log.Info("ccd shutting down")
	return nil
}

// zeroSeries creates the labelled series whose labels are known at start, so that
// they read 0 before anything happened and an alert on them can fire (a series
// that does not exist never fires).
func zeroSeries(m *metrics.Metrics) {
	for _, link := range []string{"ami", "ari"} {
		m.Connected.WithLabelValues(link)
		m.Reconnects.WithLabelValues(link)
	}
	for _, op := range []string{"append", "ping"} {
		m.DBLatency.WithLabelValues(op)
	}
	for _, typ := range pbx.Events {
		m.EventsIn.WithLabelValues("ami", typ)
	}
	for _, typ := range ari.EventTypes {
		m.EventsIn.WithLabelValues("ari", typ)
	}
}

// announceReady logs "ccd ready" once every readiness check passes, and until
// then what it waits for: the log never says ready while /readyz does not.
func announceReady(ctx context.Context, cfg config.Config, checks []api.Check, log *slog.Logger) {
	missing := failingChecks(ctx, checks)
	if len(missing) > 0 {
		log.Info("ccd started; waiting for "+strings.Join(missing, ", "), "listen", cfg.Listen)
		if slices.Contains(missing, "ami") || slices.Contains(missing, "ari") {
			log.Info("waiting for Asterisk; `ccd asterisk-config` prints the configuration it needs",
				"ari", cfg.ARI.URL, "ami", cfg.AMI.Addr)
		}
	}
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for len(missing) > 0 {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		missing = failingChecks(ctx, checks)
	}
	log.Info("ccd ready", "listen", cfg.Listen)
}

// failingChecks names the readiness checks that do not pass now.
func failingChecks(ctx context.Context, checks []api.Check) []string {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	var out []string
	for _, c := range checks {
		if err := c.Func(ctx); err != nil {
			out = append(out, c.Name)
		}
	}
	return out
}

func linkError(name string, st ami.Status) error {
	if st.Connected {
		return nil
	}
	if st.LastError != nil {
		return fmt.Errorf("%s not connected: %w", name, st.LastError)
	}
	return fmt.Errorf("%s not connected yet", name)
}

// amiLink reads the AMI event stream into the observer.
type amiLink struct {
	cfg      config.Config
	log      *slog.Logger
	m        *metrics.Metrics
	observer *pbx.Observer
	client   *ami.Client
	sub      *ami.Subscription
	done     chan struct{}
	ready    atomic.Bool // the observer holds what the event log says is open
	// synced: since the last connection, the open channels were checked
	// against what Asterisk lists (CoreShowChannels). Until then the AMI link
	// is not ready: the event log may still hold channels that ended.
	synced atomic.Bool
	// direct, once set, hears when a phone starts or ends a call (agents on
	// direct calls are not offered queue calls).
	direct atomic.Pointer[func(endpoint string, busy bool)]
}

func newAMILink(cfg config.Config, log *slog.Logger, m *metrics.Metrics, o *pbx.Observer) *amiLink {
	return &amiLink{cfg: cfg, log: log.With("link", "ami"), m: m, observer: o, done: make(chan struct{})}
}

func (l *amiLink) start(ctx context.Context) error {
	c, err := ami.Connect(ctx, ami.Config{
		Addr: l.cfg.AMI.Addr, Username: l.cfg.AMI.Username, Secret: l.cfg.AMI.Secret, Logger: l.log,
		OnConnect: func(ctx context.Context, c *ami.Client) {
			l.m.Connected.WithLabelValues("ami").Set(1)
			if c.Status().Reconnects > 0 {
				l.m.Reconnects.WithLabelValues("ami").Inc()
			}
			if l.ready.Load() {
				l.resync(ctx, c)
			}
		},
		OnDisconnect: func(err error) {
			l.synced.Store(false)
			l.m.Connected.WithLabelValues("ami").Set(0) // the client logs the reason
		},
	})
	if err != nil {
		return err
	}
	l.client = c
	labels := prometheus.Labels{"link": "ami"}
	l.m.Counter("ccd_asterisk_parse_errors_total", "Malformed input from Asterisk that was skipped.", labels,
		func() float64 { return float64(c.Stats().ParseErrors) })
	l.m.Counter("ccd_asterisk_frames_skipped_total", "Events dropped unparsed because nothing reads them.", labels,
		func() float64 { return float64(c.Stats().Skipped) })
	l.sub = c.Subscribe(pbx.Events...)
	phones := pbx.NewEndpointCalls()
	go func() {
		defer close(l.done)
		for msg := range l.sub.C() {
			l.m.EventsIn.WithLabelValues("ami", msg.Event()).Inc()
			l.observer.Handle(msg)
			if ep, busy, changed := phones.Handle(msg); changed {
				if f := l.direct.Load(); f != nil {
					(*f)(ep, busy)
				}
			}
		}
	}()
	return nil
}

// restored is called once the observer knows the channels open at the last stop.
func (l *amiLink) restored(ctx context.Context) {
	l.ready.Store(true)
	if l.client.Status().Connected {
		l.resync(ctx, l.client)
	}
}

// status is the AMI link's readiness: connected, and the channels the event
// log holds open checked against Asterisk's list.
func (l *amiLink) status() error {
	if err := linkError("ami", l.client.Status()); err != nil {
		return err
	}
	if !l.synced.Load() {
		return errors.New("ami connected; open channels not yet checked against Asterisk (CoreShowChannels)")
	}
	return nil
}

// resync closes the records of channels that ended while ccd was not listening.
// A failed CoreShowChannels is tried again, with backoff, for as long as the
// connection (ctx) lasts; without a connection the next one resyncs.
func (l *amiLink) resync(ctx context.Context, c *ami.Client) {
	var list []*ami.Message
	var mark uint64
	for attempt := 1; ; attempt++ {
		var err error
		mark = l.observer.Mark()
		if _, list, err = c.ListAction(ctx, ami.Action{Name: "CoreShowChannels"}); err == nil {
			break
		}
		if errors.Is(err, ami.ErrNotConnected) || errors.Is(err, ami.ErrClosed) {
			return
		}
		l.log.Warn("CoreShowChannels failed; open channels not checked yet", "err", err, "attempt", attempt)
		select {
		case <-time.After(min(time.Duration(attempt)*time.Second, 10*time.Second)):
		case <-ctx.Done():
			return
		}
	}
	live := map[string]bool{}
	for _, ch := range list {
		if id := ch.Get("Uniqueid"); id != "" {
			live[id] = true
		}
	}
	if n := l.observer.Resync(live, mark); n > 0 {
		l.log.Info("closed channels that ended while ccd was not listening", "channels", n)
	}
	l.synced.Store(true)
}

// close hands the events already received to the observer before closing: a
// subscription discards what is still queued when it closes.
func (l *amiLink) close() {
	drain(l.sub.Pending, 5*time.Second)
	l.client.Close()
	l.sub.Close()
	<-l.done
}

// drain waits, up to limit, until a subscription's queue is empty.
func drain(pending func() int, limit time.Duration) {
	deadline := time.Now().Add(limit)
	for pending() > 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
}

// ariLink runs ccd's Stasis application: the client hands every event to the
// dispatcher as it is read (ari.Config.OnEvent), which hands each channel to
// its application (the inbound router, the queue). The recorder writes every
// event to the log from a subscription of its own: the event log may spill to
// disk, which must not hold up the websocket's reader.
type ariLink struct {
	client    *ari.Client
	queue     *queue.App
	router    *inbound.Router // the inbound entry: routes by DNIS, live-updated
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
		Start: start, // a standby keeps away from the Stasis application
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
		Node: cfg.NodeName()})
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
	}
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
}

// agentAuth is the agent interfaces' settings: the agents, their passwords
// and endpoints come from the live configuration.
func agentAuth(cfg config.Config, live *liveconf.Manager) api.AgentAuth {
	return api.AgentAuth{Directory: live, TokenTTL: cfg.API.TokenTTL, MaxSessions: cfg.API.MaxSessions,
		LoginMaxFailures: cfg.API.LoginMaxFailures, LoginWindow: cfg.API.LoginWindow}
}

// loadLive reads the live configuration from the database (seeding it from
// the file when empty) and applies it, retrying while the database fails. A
// configuration the database holds that does not validate is reported, and
// the file's stays running.
// It tells whether the database's configuration runs.
func loadLive(ctx context.Context, live *liveconf.Manager, db *store.DB, log *slog.Logger) bool {
	for attempt := 1; ; attempt++ {
		err := live.Load(ctx, db)
		if err == nil {
			return true
		}
		var ce *config.Error
		if errors.As(err, &ce) {
			log.Error("the live configuration in the database is not valid; running the file's acd section", "err", err)
			return false
		}
		log.Warn("cannot read the live configuration from the database yet", "err", err, "attempt", attempt)
		select {
		case <-time.After(min(time.Duration(attempt)*time.Second, 10*time.Second)):
		case <-ctx.Done():
			return false
		}
	}
}

// serverOptions are the HTTP server's limits and transport from the
// configuration.
func serverOptions(cfg config.Config) api.Options {
	a := cfg.API
	return api.Options{MaxBodyBytes: a.MaxBodyBytes, ReadHeaderTimeout: a.ReadHeaderTimeout, ReadTimeout: a.ReadTimeout,
		WriteTimeout: a.WriteTimeout, IdleTimeout: a.IdleTimeout, TLSCertFile: a.TLSCertFile, TLSKeyFile: a.TLSKeyFile,
		Token: a.Token, AdminToken: a.AdminToken}
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
