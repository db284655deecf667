package daemon

import (
	"context"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ccdhq/ccd/api"
	"github.com/ccdhq/ccd/config"
	"github.com/ccdhq/ccd/eventlog"
	"github.com/ccdhq/ccd/integrations/webhook"
	"github.com/ccdhq/ccd/metrics"
	"github.com/ccdhq/ccd/store"
)

// webhookLockID is the advisory lock of the webhook deliverer: one ccd per
// database feeds the outbox and sends it, so that two instances never send
// the same letter at once.
const webhookLockID = 7233150 // arbitrary, constant: "ccd webhooks"

// webhooks is the employee webhooks' part of the daemon.
type webhooks struct {
	cfg    config.Webhooks
	loc    *time.Location
	policy webhook.Policy
	del    atomic.Pointer[webhook.Deliverer]
	log    *slog.Logger
}

// mountWebhooks checks the configured subscriptions' targets, mounts the
// admin API and registers the metrics; startWebhooks runs the rest once the
// database is up.
func mountWebhooks(cfg config.Config, srv *api.Server, m *metrics.Metrics, db *databaseLink, log *slog.Logger) (*webhooks, error) {
	w := &webhooks{cfg: cfg.Webhooks, loc: cfg.Location(), policy: webhook.Policy{Allow: cfg.Webhooks.Networks()}, log: log.With("part", "webhook")}
	for i, s := range cfg.Webhooks.Subscriptions {
		if err := w.policy.CheckURL(s.URL); err != nil {
			return nil, &config.Error{Key: "webhooks.subscriptions[" + strconv.Itoa(i) + "].url", Problem: err.Error() + " (allow its network in webhooks.allow_networks)"}
		}
	}
	if cfg.Runs(config.RoleAPI) {
		webhook.Mount(srv, &webhook.Admin{DB: db.load, Policy: w.policy, Kick: w.kick})
	}
	w.metrics(m, db)
	return w, nil
}

func (w *webhooks) kick() {
	if d := w.del.Load(); d != nil {
		d.Kick()
	}
}

func (w *webhooks) stat(f func(*webhook.Stats) uint64) func() float64 {
	return func() float64 {
		if d := w.del.Load(); d != nil {
			return float64(f(&d.Stats))
		}
		return 0
	}
}

func (w *webhooks) metrics(m *metrics.Metrics, db *databaseLink) {
	m.Counter("ccd_webhook_delivered_total", "Webhook letters the receivers acknowledged (2xx).", nil,
		w.stat(func(s *webhook.Stats) uint64 { return s.Delivered.Load() }))
	m.Counter("ccd_webhook_failed_total", "Webhook delivery attempts that failed (no answer, refused target, non-2xx).", nil,
		w.stat(func(s *webhook.Stats) uint64 { return s.Failed.Load() }))
	m.Counter("ccd_webhook_dead_letters_total", "Webhook letters that failed every attempt of the schedule.", nil,
		w.stat(func(s *webhook.Stats) uint64 { return s.Dead.Load() }))
	m.Counter("ccd_webhook_disabled_total", "Webhook subscriptions disabled by a 410 Gone answer.", nil,
		w.stat(func(s *webhook.Stats) uint64 { return s.Disabled.Load() }))
	backlog := func() webhook.Backlog {
		d := db.load()
		if d == nil {
			return webhook.Backlog{}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		b, _ := webhook.Store{DB: d}.Backlog(ctx)
		return b
	}
	m.Gauge("ccd_webhook_pending", "Webhook letters waiting in the outbox.", func() float64 { return float64(backlog().Pending) })
	m.Gauge("ccd_webhook_dead", "Webhook dead letters an admin may replay.", func() float64 { return float64(backlog().Dead) })
	m.Gauge("ccd_webhook_lag_seconds", "Age of the event of the oldest webhook letter not delivered yet; 0 when none waits.", func() float64 {
		if b := backlog(); !b.Oldest.IsZero() {
			return max(time.Since(b.Oldest).Seconds(), 0)
		}
		return 0
	})
}

// seed stores the configured subscriptions as soon as the database is up,
// before the API serves them.
func (w *webhooks) seed(ctx context.Context, db *store.DB) {
	if err := webhook.SeedConfig(ctx, webhook.Store{DB: db}, w.policy, w.cfg.Subscriptions); err != nil {
		w.log.Error("cannot store the configured webhook subscriptions", "err", err)
	}
}

// start, in the ccd holding the webhook lock, feeds the outbox from the
// event log (woken by the hub) and delivers it, until ctx ends.
func (w *webhooks) start(ctx context.Context, db *store.DB, hub *eventlog.Hub) {
	st := webhook.Store{DB: db}
	lock := holdLock(ctx, db, webhookLockID, "webhooks", w.log)
	if lock == nil {
		return
	}
	defer lock.Release(context.Background())
	del := webhook.NewDeliverer(st, webhook.Options{Client: w.policy.Client(w.cfg.Timeout), Logger: w.log})
	w.del.Store(del)
	feed := webhook.NewFeeder(db, webhook.Translator{AccountID: w.cfg.AccountID, Loc: w.loc}, nil)
	feed.Enqueued = del.Kick
	wake, stop := hub.Wake()
	defer stop()
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Add(1)
	go func() {
		defer wg.Done()
		feed.Run(ctx, wake, time.Second, w.log)
	}()
	del.Run(ctx, w.cfg.Retention)
}

// holdLock waits for the advisory lock id, for the part named what; nil
// when ctx ends first. One ccd per database runs that part.
func holdLock(ctx context.Context, db *store.DB, id int64, what string, log *slog.Logger) *store.SessionLock {
	said := false
	for {
		lock, ok, err := db.TryLock(ctx, id)
		switch {
		case ok:
			return lock
		case err != nil && ctx.Err() == nil:
			log.Warn("cannot try the lock of the "+what, "err", err)
		case !said:
			log.Info("another ccd runs the " + what + "; this one waits until it stops")
			said = true
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(2 * time.Second):
		}
	}
}

// webhookPart is the employee webhooks component: the admin API from the
// start, the outbox feeder and deliverer once the database is up (in the
// ccd that holds their lock).
type webhookPart struct {
	w     *wiring
	tasks tasks
}

func newWebhooks(w *wiring) component { return &webhookPart{w: w} }

func (c *webhookPart) Name() string { return "webhooks" }

func (c *webhookPart) Start(ctx context.Context) error {
	w := c.w
	hooks, err := mountWebhooks(w.cfg, w.srv, w.m, w.db, w.log)
	if err != nil {
		return err
	}
	c.tasks.goRun(ctx, func(ctx context.Context) {
		db, ok := w.db.wait(ctx)
		if !ok {
			return
		}
		hooks.seed(ctx, db)
		hooks.start(ctx, db, w.events.hub)
	})
	return nil
}

func (c *webhookPart) Close(context.Context) error {
	c.tasks.stop()
	return nil
}
