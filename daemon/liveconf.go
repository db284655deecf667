package daemon

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/config"
	"github.com/ccdhq/ccd/eventlog"
	"github.com/ccdhq/ccd/liveconf"
	"github.com/ccdhq/ccd/store"
)

// liveConfig is the live configuration component. The configuration
// starts as the file's and becomes the database's once it is up (seeded
// from the file when empty); the admin API changes it while ccd runs, and
// a change made through another ccd on the same database reaches this one
// (Manager.Follow).
type liveConfig struct {
	w      *wiring
	mgr    *liveconf.Manager
	loaded chan struct{} // closed once the database's configuration is read (or found invalid)
	tasks  tasks
}

func newLiveConfig(w *wiring) component {
	w.live = &liveConfig{w: w, loaded: make(chan struct{})}
	return w.live
}

func (l *liveConfig) Name() string { return "live configuration" }

func (l *liveConfig) Start(ctx context.Context) error {
	w := l.w
	// Without the acd role nothing here runs queues: a configuration is
	// validated and stored, and the ccd that runs the ACD applies it.
	apply := func(context.Context, config.ACD) error { return nil }
	if w.acd != nil {
		apply = w.acd.apply
	}
	var err error
	if l.mgr, err = liveconf.New(w.cfg.ACD, apply, w.log); err != nil {
		return err
	}
	l.tasks.goRun(ctx, func(ctx context.Context) {
		db, ok := w.db.wait(ctx)
		if !ok {
			return
		}
		// The queues and agents of the database first: the event log's
		// agents are restored onto them (the ACD election waits for
		// loaded). The statistics' names and queue membership follow
		// every change.
		l.mgr.OnChange(func(c config.ACD) { syncDimensions(ctx, db, c, w.log) })
		running := loadLive(ctx, l.mgr, db, w.log)
		if !running {
			syncDimensions(ctx, db, l.mgr.Current(), w.log)
		}
		close(l.loaded)
		if running {
			// A change made through another ccd on the database (a
			// standby, an instance serving only the API) is applied here.
			l.mgr.Follow(ctx, db.Listen(ctx, store.ConfigChannel), liveResync)
		}
	})
	return nil
}

// liveResync is how often the live configuration is read again whatever
// the notifications said: a safety net for a change the listener missed
// without noticing.
const liveResync = 30 * time.Second

func (l *liveConfig) Close(context.Context) error {
	l.tasks.stop()
	return nil
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

// ImportConfig replaces the live configuration in the database (queues,
// agents, groups, routes, activities) by the file's acd section, and audits
// it in the event log; it returns how many items it stored. A ccd that runs
// meanwhile applies it (it follows the database's changes).
func ImportConfig(ctx context.Context, cfg config.Config, log *slog.Logger) (int, error) {
	db, _, stop, err := database(ctx, cfg, log, true)
	if err != nil {
		return 0, err
	}
	defer stop()
	items, err := liveconf.Items(cfg.ACD)
	if err != nil {
		return 0, err
	}
	audit := eventlog.Event{At: time.Now(), Kind: ccd.EventConfigChanged, Source: eventlog.SourceAPI, Key: eventlog.NewKey(),
		Payload: eventlog.Payload(ccd.ConfigChange{Action: ccd.ConfigImported, By: "ccd config import"})}
	if err := db.ReplaceACDConfig(ctx, items, audit); err != nil {
		return 0, err
	}
	return len(items), nil
}

// liveACD is the live configuration the database holds, or the file's acd
// section when it holds none yet.
func liveACD(ctx context.Context, db *store.DB, file config.ACD) (config.ACD, error) {
	items, err := db.ACDConfig(ctx)
	if err != nil || len(items) == 0 {
		return file, err
	}
	return liveconf.FromItems(file, items)
}
