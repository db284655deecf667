// Package daemon wires ccd together out of components: the database link,
// the event log writer, the ACD (election, ARI, Stasis dispatcher and queue
// application), the live configuration, the AMI observer, the statistics,
// the REST interfaces and the HTTP server. Each component starts in the
// order of the components list and closes in the reverse order; the roles
// key of the configuration switches components off (see config.Runs).
// cmd/ccd calls Run; the e2e suite runs the same wiring against a real
// Asterisk.
package daemon

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ccdhq/ccd/ami"
	"github.com/ccdhq/ccd/api"
	"github.com/ccdhq/ccd/ari"
	"github.com/ccdhq/ccd/config"
	"github.com/ccdhq/ccd/liveconf"
	"github.com/ccdhq/ccd/metrics"
	"github.com/ccdhq/ccd/pbx"
)

// component is one part of the daemon. Start sets the part up and starts
// its goroutines without waiting for anything outside ccd (the database,
// Asterisk): what needs those waits for them in the background. Close
// stops what Start started, and hands over what the part holds to the
// components before it in the list, which are still running.
type component interface {
	Name() string
	Start(ctx context.Context) error
	Close(ctx context.Context) error
}

// components are ccd's parts in the order they start: each may use the
// parts before it once started, and the channels and pointers any other
// part sets up in its constructor (all are built before the first
// starts). role names the config role that switches a part on; "" is
// always on.
//
// To add a part: a file with a type implementing component and a
// constructor func(*wiring) component (which records the part in wiring
// when others use it), and one line here at the place its dependencies
// give it.
var components = []struct {
	role string
	new  func(*wiring) component
}{
	{"", newDatabaseLink},                  // the database; may come up after ccd
	{"", newEventLog},                      // the event log writer and the in-process fan-out
	{config.RoleACD, newACDElection},       // one ACD per database (an advisory lock)
	{config.RoleACD, newACD},               // ARI, the Stasis dispatcher, the inbound router, the queue application
	{config.RoleACD, newSupervision},       // listen, whisper, barge: snoop channels to the supervisors' phones
	{config.RoleACD, newDialerApp},         // the outbound dialer: its Stasis application and the pacing loop
	{"", newLiveConfig},                    // the live configuration, from the database, followed across instances
	{"", newAgendaCheck},                   // personal callbacks only for agents of the campaign's queue
	{config.RoleACD, newClickToCall},       // click-to-call: its Stasis application and the interfaces that start calls
	{config.RoleACD, newPreview},           // preview campaigns: agents take, skip and dial targets
	{"", newSoundCheck},                    // a flow naming a sound Asterisk does not have is refused when saved
	{config.RoleObserver, newObserver},     // the AMI observer
	{config.RoleStats, newStatsAggregator}, // the live statistics and the BI role
	{"", newCRMRole},                       // the CRM's database role for the dialer's SQL interface
	{"", newSQLHooks},                      // the customer's SQL hooks (agent login, call start/end, logout)
	{"", newDialLists},                     // campaigns' dial lists in external SQL tables: import, results written back
	{"", newWebhooks},                      // the employee webhooks: admin API, outbox, deliverer
	{"", newRecordings},                    // recordings: look-up, download, retention
	{"", newExtSites},                      // CRM external sites: rendered for the desktop, server-side ones sent from the event log
	{config.RoleAPI, newRESTAPI},           // the REST interfaces
	{config.RoleACD, newToolbar},           // the agent toolbar push and the server-side screen pops
	{config.RoleACD, newCRMCalls},          // the queue acts on the CRM's answers for calls (skills, recording, transfer number)
	{"", newHTTPServer},                    // serves HTTP: health, readiness, metrics and the routes mounted
}

// wiring is what the components share: the process-wide parts, and each
// component that others use, recorded by its constructor (nil when its
// role is off).
type wiring struct {
	cfg        config.Config
	log        *slog.Logger
	m          *metrics.Metrics
	srv        *api.Server
	ln         net.Listener    // taken before anything starts; the HTTP server serves on it
	controlled *pbx.Controlled // channels ccd's Stasis application drives, which the observer leaves alone

	db          *databaseLink
	events      *eventLog
	election    *acdElection
	acd         *acdApp
	spy         *supervision
	live        *liveConfig
	sqlHooks    *sqlHooks // nil before its Start
	clickToCall *clickToCall
	dialer      *dialerApp
	preview     *previewPart
	// statsFolded signals that the statistics job committed new events'
	// figures (nil without the stats role here).
	statsFolded chan struct{}

	mu     sync.Mutex
	checks []api.Check // also watched by announceReady
	fatal  chan error
}

// addCheck adds a readiness check; components add theirs in Start, and
// the HTTP server component puts them in place before it serves.
func (w *wiring) addCheck(c api.Check) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.checks = append(w.checks, c)
}

// fail stops ccd with err: a part that cannot go on (a migration that
// fails, another ccd that took the ACD lock).
func (w *wiring) fail(err error) {
	select {
	case w.fatal <- err:
	default: // already stopping for an earlier failure
	}
}

// tasks are a component's goroutines, stopped and awaited by its Close.
type tasks struct {
	mu      sync.Mutex
	ctx     context.Context
	cancel  context.CancelFunc
	stopped bool
	wg      sync.WaitGroup
}

// goRun runs f in a goroutine on a context that ends with parent (the
// first goRun's) or at stop. After stop it runs nothing: a component that
// another starts work on while closing does not start it.
func (t *tasks) goRun(parent context.Context, f func(ctx context.Context)) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.stopped {
		return
	}
	if t.cancel == nil {
		t.ctx, t.cancel = context.WithCancel(parent)
	}
	t.wg.Add(1)
	go func() {
		defer t.wg.Done()
		f(t.ctx)
	}()
}

func (t *tasks) stop() {
	t.mu.Lock()
	t.stopped = true
	if t.cancel != nil {
		t.cancel()
	}
	t.mu.Unlock()
	t.wg.Wait()
}

// ServerHook, when set, is called with the HTTP server once every route is
// mounted and before it serves. The regression suite that sends hostile values
// to every route reads the routes of the real wiring through it, so that a new
// route cannot escape that suite.
var ServerHook func(*api.Server)

// Run runs the daemon until ctx ends, or a component fails, then closes the
// components in the reverse order of their start: the Asterisk links hand
// over the events they hold, the event log flushes (or keeps on disk), the
// database goes last.
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
	w := &wiring{cfg: cfg, log: log, m: m, ln: ln, srv: api.NewServer(log, m.Registry, serverOptions(cfg)),
		controlled: pbx.NewControlled(), fatal: make(chan error, 1)}
	var parts []component
	for _, c := range components {
		if c.role == "" || cfg.Runs(c.role) {
			parts = append(parts, c.new(w))
		}
	}
	var started []component
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		for _, c := range slices.Backward(started) {
			if err := c.Close(cctx); err != nil {
				log.Error("closing "+c.Name(), "err", err)
			}
		}
	}()
	for _, c := range parts {
		if err := c.Start(ctx); err != nil {
			log.Error("cannot start "+c.Name(), "err", err)
			return err
		}
		started = append(started, c)
	}
	select {
	case <-ctx.Done():
	case err := <-w.fatal:
		log.Error("ccd stopping", "err", err)
		return err
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

// drain waits, up to limit, until a subscription's queue is empty.
func drain(pending func() int, limit time.Duration) {
	deadline := time.Now().Add(limit)
	for pending() > 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
}

// agentAuth is the agent interfaces' settings: the agents, their passwords
// and endpoints come from the live configuration.
func agentAuth(cfg config.Config, live *liveconf.Manager) api.AgentAuth {
	return api.AgentAuth{Directory: live, SIP: live.SIPCredentials, AutoAnswer: live.AutoAnswer, TokenTTL: cfg.API.TokenTTL, MaxSessions: cfg.API.MaxSessions,
		LoginMaxFailures: cfg.API.LoginMaxFailures, LoginWindow: cfg.API.LoginWindow}
}

// serverOptions are the HTTP server's limits and transport from the
// configuration.
func serverOptions(cfg config.Config) api.Options {
	a := cfg.API
	return api.Options{MaxBodyBytes: a.MaxBodyBytes, ReadHeaderTimeout: a.ReadHeaderTimeout, ReadTimeout: a.ReadTimeout,
		WriteTimeout: a.WriteTimeout, IdleTimeout: a.IdleTimeout, TLSCertFile: a.TLSCertFile, TLSKeyFile: a.TLSKeyFile,
		Token: a.Token, AdminToken: a.AdminToken, SupervisorToken: a.SupervisorToken}
}
