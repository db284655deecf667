package daemon

import (
	"context"
	"log/slog"
	"time"

	"github.com/ccdhq/ccd/api"
	"github.com/ccdhq/ccd/config"
	"github.com/ccdhq/ccd/eventlog"
	"github.com/ccdhq/ccd/recordings"
	"github.com/ccdhq/ccd/store"
)

// mountRecordings serves the recordings of cfg.Recordings.Dir; the
// look-ups answer 503 until the database is up.
func mountRecordings(srv *api.Server, cfg config.Config, db *databaseLink, emit func(eventlog.Event) error, log *slog.Logger) *recordings.Library {
	lib := recordings.New(lazyRecordings{db}, cfg.Recordings.Dir, emit, log.With("part", "recordings"))
	srv.MountRecordings(lib, func() []config.RetentionRule { return cfg.Recordings.Retention }, cfg.Location())
	return lib
}

// runRetention applies the retention rules on their schedule until ctx ends.
func runRetention(ctx context.Context, cfg config.Config, lib *recordings.Library, log *slog.Logger) {
	if len(cfg.Recordings.Retention) == 0 {
		return
	}
	if err := lib.Schedule(ctx, cfg.Recordings.RetentionSchedule, cfg.Location(),
		func() []config.RetentionRule { return cfg.Recordings.Retention }); err != nil {
		log.Error("recording retention not scheduled", "err", err)
	}
}

// lazyRecordings reads the database once it is up.
type lazyRecordings struct{ db *databaseLink }

func (l lazyRecordings) get() (*store.DB, error) { return l.db.get() }

func (l lazyRecordings) RecordingOfCall(ctx context.Context, id int64) (store.Recording, bool, error) {
	db, err := l.get()
	if err != nil {
		return store.Recording{}, false, err
	}
	return db.RecordingOfCall(ctx, id)
}

func (l lazyRecordings) RecordingsOfCLID(ctx context.Context, from, till time.Time, clid string) ([]store.Recording, error) {
	db, err := l.get()
	if err != nil {
		return nil, err
	}
	return db.RecordingsOfCLID(ctx, from, till, clid)
}

func (l lazyRecordings) ExpiredRecordings(ctx context.Context, queue string, cutoff time.Time, limit int) ([]store.Recording, error) {
	db, err := l.get()
	if err != nil {
		return nil, err
	}
	return db.ExpiredRecordings(ctx, queue, cutoff, limit)
}

func (l lazyRecordings) RecordingDeleted(ctx context.Context, r store.Recording, at time.Time) error {
	db, err := l.get()
	if err != nil {
		return err
	}
	return db.RecordingDeleted(ctx, r, at)
}

func (l lazyRecordings) AgentAnswered(ctx context.Context, ucid, agent string) (bool, error) {
	db, err := l.get()
	if err != nil {
		return false, err
	}
	return db.AgentAnswered(ctx, ucid, agent)
}

// recordingsPart is the recordings component: the look-up and download
// routes, and the retention on its schedule.
type recordingsPart struct {
	w     *wiring
	tasks tasks
}

func newRecordings(w *wiring) component { return &recordingsPart{w: w} }

func (c *recordingsPart) Name() string { return "recordings" }

func (c *recordingsPart) Start(ctx context.Context) error {
	w := c.w
	lib := mountRecordings(w.srv, w.cfg, w.db, w.events.writer.Add, w.log)
	c.tasks.goRun(ctx, func(ctx context.Context) { runRetention(ctx, w.cfg, lib, w.log) })
	return nil
}

func (c *recordingsPart) Close(context.Context) error {
	c.tasks.stop()
	return nil
}
