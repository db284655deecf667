package daemon

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/ccdhq/ccd/api"
	"github.com/ccdhq/ccd/config"
	"github.com/ccdhq/ccd/eventlog"
	"github.com/ccdhq/ccd/integrations/crmdb"
	"github.com/ccdhq/ccd/metrics"
	"github.com/ccdhq/ccd/store"
)

// sqlHooksLockID is the advisory lock of the SQL hooks: one ccd per database
// runs the write hooks, so that a CRM gets each once.
const sqlHooksLockID = 7233151 // arbitrary, constant: "ccd SQL hooks"

// sqlHooks is the SQL hooks' part of the daemon; nil hooks: none configured.
type sqlHooks struct {
	hooks *crmdb.Hooks
	feed  atomic.Pointer[crmdb.HookFeed]
	log   *slog.Logger
}

// openSQLHooks prepares the configured hooks (statements checked, no
// connection yet).
func openSQLHooks(cfg config.Config, m *metrics.Metrics, log *slog.Logger) (*sqlHooks, error) {
	s := &sqlHooks{log: log.With("part", "sql_hooks")}
	stat := func(f func(*crmdb.HookFeed) uint64) func() float64 {
		return func() float64 {
			if feed := s.feed.Load(); feed != nil {
				return float64(f(feed))
			}
			return 0
		}
	}
	m.Counter("ccd_sql_hooks_run_total", "SQL hooks run from the event log (call start, call end, agent logout).", nil,
		stat(func(f *crmdb.HookFeed) uint64 { return f.Ran.Load() }))
	m.Counter("ccd_sql_hooks_failed_total", "SQL hooks that failed after their retries (logged with the call id or agent).", nil,
		stat(func(f *crmdb.HookFeed) uint64 { return f.Failed.Load() }))
	if !cfg.SQLHooks.Enabled() {
		return s, nil
	}
	hooks, err := crmdb.OpenHooks(cfg.SQLHooks, nil)
	if err != nil {
		return nil, err
	}
	s.hooks = hooks
	return s, nil
}

// directory, with an Agent Login hook, lets agents log in by the CRM as
// well as by ccd's passwords.
func (s *sqlHooks) directory(dir api.AgentDirectory) api.AgentDirectory {
	if s == nil || s.hooks == nil || !s.hooks.Has("agent_login") || dir == nil {
		return dir
	}
	return &crmdb.LoginDirectory{AgentDirectory: dir, Hooks: s.hooks, Log: s.log}
}

// run, in the ccd holding the lock, follows the event log with the call and
// logout hooks until ctx ends.
func (s *sqlHooks) run(ctx context.Context, db *store.DB, hub *eventlog.Hub, emit func(eventlog.Event) error) {
	if s.hooks == nil {
		return
	}
	defer s.hooks.Close()
	lock := holdLock(ctx, db, sqlHooksLockID, "SQL hooks", s.log)
	if lock == nil {
		return
	}
	defer lock.Release(context.Background())
	feed := crmdb.NewHookFeed(db, s.hooks, s.log)
	feed.Emit = emit
	s.feed.Store(feed)
	wake, stop := hub.Wake()
	defer stop()
	feed.Run(ctx, wake, time.Second)
}

// sqlHooksPart is the SQL hooks component: the hooks are prepared at
// start (the REST API's agent login uses them), and run from the event log
// once the database is up.
type sqlHooksPart struct {
	w     *wiring
	tasks tasks
}

func newSQLHooks(w *wiring) component { return &sqlHooksPart{w: w} }

func (c *sqlHooksPart) Name() string { return "sql hooks" }

func (c *sqlHooksPart) Start(ctx context.Context) error {
	w := c.w
	hooks, err := openSQLHooks(w.cfg, w.m, w.log)
	if err != nil {
		return err
	}
	w.sqlHooks = hooks
	c.tasks.goRun(ctx, func(ctx context.Context) {
		db, ok := w.db.wait(ctx)
		if !ok {
			return
		}
		hooks.run(ctx, db, w.events.hub, w.events.writer.Add)
	})
	return nil
}

func (c *sqlHooksPart) Close(context.Context) error {
	c.tasks.stop()
	return nil
}
