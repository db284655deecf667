package daemon

import (
	"context"
	"time"

	"github.com/ccdhq/ccd/integrations/screenpop"
	"github.com/ccdhq/ccd/integrations/toolbar"
	"github.com/ccdhq/ccd/store"
)

// toolbarPart is the agent toolbar push (and the server-side screen pop
// GETs): it reads the queue application's present, so it runs with the ACD.
type toolbarPart struct {
	w     *wiring
	tasks tasks
}

func newToolbar(w *wiring) component { return &toolbarPart{w: w} }

func (c *toolbarPart) Name() string { return "toolbar" }

// Start mounts the toolbar's route and runs the push, and the screen pop
// GETs once the database is up.
func (c *toolbarPart) Start(ctx context.Context) error {
	w, cfg := c.w, c.w.cfg
	live, hub := w.live.mgr, w.events.hub
	svc := toolbar.New(toolbar.Options{Live: w.acd.queue(), Figures: lazyToolbarFigures{w.db}, ACD: live.Current, Toolbar: cfg.Toolbar,
		Loc: cfg.Location(), Log: w.log, Registerer: w.m.Registry})
	svc.Mount(w.srv)
	fetch := &toolbar.PopFetch{ACD: live.Current, Toolbar: cfg.Toolbar, Log: w.log.With("part", "screenpop"),
		Fetcher: screenpop.NewFetcher(cfg.Toolbar.FetchTimeout, cfg.Toolbar.FetchAllowLoopback)}
	fetch.RegisterMetrics(w.m.Registry)
	c.tasks.goRun(ctx, func(ctx context.Context) { svc.Run(ctx, hub) })
	c.tasks.goRun(ctx, func(ctx context.Context) {
		db, ok := w.db.wait(ctx)
		if !ok {
			return
		}
		fetch.DB = db
		wake, stop := hub.Wake()
		defer stop()
		fetch.Run(ctx, wake)
	})
	return nil
}

func (c *toolbarPart) Close(context.Context) error {
	c.tasks.stop()
	return nil
}

// lazyToolbarFigures reads the toolbar's figures once the database is up.
type lazyToolbarFigures struct{ db *databaseLink }

func (l lazyToolbarFigures) ToolbarQueues(ctx context.Context, since time.Time) (map[string]store.ToolbarQueue, error) {
	db, err := l.db.get()
	if err != nil {
		return nil, err
	}
	return db.ToolbarQueues(ctx, since)
}

func (l lazyToolbarFigures) ToolbarAgents(ctx context.Context, since time.Time) (map[string]store.ToolbarAgent, error) {
	db, err := l.db.get()
	if err != nil {
		return nil, err
	}
	return db.ToolbarAgents(ctx, since)
}
