package daemon

import (
	"context"
	"log/slog"
	"time"

	"github.com/ccdhq/ccd/config"
	"github.com/ccdhq/ccd/eventlog/consume"
	"github.com/ccdhq/ccd/integrations/extsites"
	"github.com/ccdhq/ccd/integrations/webhook"
	"github.com/ccdhq/ccd/store"
)

// extSitesLockID is the advisory lock of the server-side external sites:
// one ccd per database sends them.
const extSitesLockID = 7233152 // arbitrary, constant: "ccd external sites"

// extSitesConsumer is the durable consumer that sends the server-side
// external sites.
const extSitesConsumer = "external_sites"

// extSites is the CRM external sites part: the desktop's rendered URLs
// over REST, and the server-side sites sent from the event log.
type extSites struct {
	w      *wiring
	reg    *extsites.Registry
	sender *extsites.Sender
	tasks  tasks
}

func newExtSites(w *wiring) component { return &extSites{w: w} }

func (e *extSites) Name() string { return "external sites" }

func (e *extSites) Start(ctx context.Context) error {
	w, cfg := e.w, e.w.cfg
	acd := w.live.mgr.Current
	policy := webhook.Policy{Allow: cfg.Webhooks.Networks()}
	log := w.log.With("part", "external_sites")
	e.reg = extsites.NewRegistry(cfg.ExternalSites, policy, log)
	if cfg.Runs(config.RoleAPI) {
		extsites.Mount(w.srv, e.reg.Current, acd, func() extsites.Querier {
			if db := w.db.load(); db != nil {
				return db
			}
			return nil
		})
		e.reg.MountAdmin(w.srv, func() extsites.Store {
			if db := w.db.load(); db != nil {
				return db
			}
			return nil
		})
	}
	e.sender = &extsites.Sender{Sites: e.reg.Current, Timeout: cfg.ExternalSites.Timeout, ACD: acd, Policy: policy,
		Log: log, Retries: 2, Backoff: time.Second}
	w.m.Counter("ccd_external_sites_sent_total", "Server-side external site requests the CRM acknowledged (2xx).", nil,
		func() float64 { return float64(e.sender.Sent.Load()) })
	w.m.Counter("ccd_external_sites_failed_total", "Server-side external site request attempts that failed.", nil,
		func() float64 { return float64(e.sender.Failed.Load() + e.sender.Refused.Load()) })
	e.tasks.goRun(ctx, func(ctx context.Context) {
		db, ok := w.db.wait(ctx)
		if !ok {
			return
		}
		e.tasks.goRun(ctx, func(ctx context.Context) { e.reg.Follow(ctx, db, 5*time.Second) })
		e.run(ctx, db, log)
	})
	return nil
}

// run follows the event log from where the consumer stopped; a consumer
// that never ran starts at the log's end, not with every call of the past.
func (e *extSites) run(ctx context.Context, db *store.DB, log *slog.Logger) {
	lock := holdLock(ctx, db, extSitesLockID, "external sites", log)
	if lock == nil {
		return
	}
	defer lock.Release(context.Background())
	c := consume.New(db, extSitesConsumer)
	for {
		_, found, err := c.Position(ctx)
		if err == nil && !found {
			var last int64
			if err = db.GetContext(ctx, &last, `SELECT coalesce(max(id), 0) FROM call_event`); err == nil {
				err = c.Commit(ctx, store.ConsumerPosition{LastID: last})
			}
		}
		if err == nil {
			break
		}
		log.Warn("external sites: cannot read the consumer's position; retrying", "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
	}
	e.sender.DB = db
	wake, stop := e.w.events.hub.Wake()
	defer stop()
	c.Run(ctx, consume.Options{Batch: 200, Wake: wake, Logger: log}, e.sender.Handle)
}

func (e *extSites) Close(context.Context) error {
	e.tasks.stop()
	return nil
}
