package daemon

import (
	"context"
	"log/slog"
	"time"

	"github.com/ccdhq/ccd/api"
	"github.com/ccdhq/ccd/callback"
	"github.com/ccdhq/ccd/config"
	dcallback "github.com/ccdhq/ccd/dialplan/callback"
	"github.com/ccdhq/ccd/eventlog"
	"github.com/ccdhq/ccd/store"
)

// wireCallbacks builds the callback manager and the "callback" Stasis
// application beside the queue (before the queue application runs), and
// serves /api/callbacks.
func wireCallbacks(srv *api.Server, cfg config.Config, l *ariLink, db *databaseLink, emit func(eventlog.Event) error, log *slog.Logger) *callback.Manager {
	log = log.With("part", "callbacks")
	mgr := callback.New(lazyCallbacks{db}, cfg.Callbacks, emit, log)
	app := dcallback.New(dcallback.Config{ARI: l.client, App: cfg.ARI.Application, Callbacks: cfg.Callbacks, Manager: mgr,
		Queue: l.queue, Owners: l.stasis, Log: log})
	l.stasis.Register(dcallback.Entry, app)
	l.queue.SetVirtualCalls(app)
	l.queue.SetCallbackOffers(app, cfg.Callbacks)
	mgr.SetPlacer(l.queue)
	srv.MountCallbacks(mgr, cfg.Location())
	return mgr
}

// runCallbacks drives the callbacks while this ccd runs the ACD: the ones
// cut by the last stop wait again, then the due ones are placed in their
// queues every second.
func runCallbacks(ctx context.Context, mgr *callback.Manager, log *slog.Logger) {
	for {
		err := mgr.Recover(ctx)
		if err == nil {
			break
		}
		log.Warn("callbacks: cannot recover the callbacks of the last run; retrying", "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
	}
	mgr.Run(ctx, time.Second)
}

// lazyCallbacks reads the database once it is up.
type lazyCallbacks struct{ db *databaseLink }

func (l lazyCallbacks) get() (*store.DB, error) { return l.db.get() }

func (l lazyCallbacks) PutCallback(ctx context.Context, r store.CallbackRow) error {
	db, err := l.get()
	if err != nil {
		return err
	}
	return db.PutCallback(ctx, r)
}

func (l lazyCallbacks) CallbackByID(ctx context.Context, id string) (store.CallbackRow, bool, error) {
	db, err := l.get()
	if err != nil {
		return store.CallbackRow{}, false, err
	}
	return db.CallbackByID(ctx, id)
}

func (l lazyCallbacks) CallbacksIn(ctx context.Context, states []string) ([]store.CallbackRow, error) {
	db, err := l.get()
	if err != nil {
		return nil, err
	}
	return db.CallbacksIn(ctx, states)
}

func (l lazyCallbacks) MoveCallback(ctx context.Context, r store.CallbackRow, from string) error {
	db, err := l.get()
	if err != nil {
		return err
	}
	return db.MoveCallback(ctx, r, from)
}
