package daemon

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/ccdhq/ccd/api"
	"github.com/ccdhq/ccd/config"
	"github.com/ccdhq/ccd/eventlog"
	"github.com/ccdhq/ccd/recordings"
	"github.com/ccdhq/ccd/store"
)

// mountRecordings serves the recordings of cfg.Recordings.Dir; the
// look-ups answer 503 until the database is up.
func mountRecordings(srv *api.Server, cfg config.Config, db *atomic.Pointer[store.DB], emit func(eventlog.Event) error, log *slog.Logger) *recordings.Library {
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
type lazyRecordings struct{ db *atomic.Pointer[store.DB] }

func (l lazyRecordings) get() (*store.DB, error) {
	if db := l.db.Load(); db != nil {
		return db, nil
	}
	return nil, errStatsNotReady
}

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
