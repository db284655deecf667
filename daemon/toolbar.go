package daemon

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ccdhq/ccd/api"
	"github.com/ccdhq/ccd/config"
	"github.com/ccdhq/ccd/eventlog"
	"github.com/ccdhq/ccd/integrations/screenpop"
	"github.com/ccdhq/ccd/integrations/toolbar"
	"github.com/ccdhq/ccd/liveconf"
	"github.com/ccdhq/ccd/metrics"
	"github.com/ccdhq/ccd/store"
)

// startToolbar mounts the agent toolbar push and runs it, with the
// server-side screen pop GETs once the database is up, until ctx ends.
func startToolbar(ctx context.Context, wg *sync.WaitGroup, cfg config.Config, log *slog.Logger, m *metrics.Metrics,
	srv *api.Server, acd toolbar.Live, live *liveconf.Manager, hub *eventlog.Hub, db *atomic.Pointer[store.DB]) {
	svc := toolbar.New(toolbar.Options{Live: acd, Figures: lazyToolbarFigures{db}, ACD: live.Current, Toolbar: cfg.Toolbar,
		Loc: cfg.Location(), Log: log, Registerer: m.Registry})
	svc.Mount(srv)
	fetch := &toolbar.PopFetch{ACD: live.Current, Toolbar: cfg.Toolbar, Log: log.With("part", "screenpop"),
		Fetcher: screenpop.NewFetcher(cfg.Toolbar.FetchTimeout, cfg.Toolbar.FetchAllowLoopback)}
	fetch.RegisterMetrics(m.Registry)
	wg.Add(2)
	go func() {
		defer wg.Done()
		svc.Run(ctx, hub)
	}()
	go func() {
		defer wg.Done()
		for fetch.DB = db.Load(); fetch.DB == nil; fetch.DB = db.Load() {
			select {
			case <-ctx.Done():
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
		wake, stop := hub.Wake()
		defer stop()
		fetch.Run(ctx, wake)
	}()
}

// lazyToolbarFigures reads the toolbar's figures once the database is up.
type lazyToolbarFigures struct{ db *atomic.Pointer[store.DB] }

func (l lazyToolbarFigures) ToolbarQueues(ctx context.Context, since time.Time) (map[string]store.ToolbarQueue, error) {
	if db := l.db.Load(); db != nil {
		return db.ToolbarQueues(ctx, since)
	}
	return nil, errStatsNotReady
}

func (l lazyToolbarFigures) ToolbarAgents(ctx context.Context, since time.Time) (map[string]store.ToolbarAgent, error) {
	if db := l.db.Load(); db != nil {
		return db.ToolbarAgents(ctx, since)
	}
	return nil, errStatsNotReady
}
