package daemon

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/ccdhq/ccd/store"
)

// acdLockRetry is how often a standby tries the ACD lock, and how often the
// holder checks it still has it.
const acdLockRetry = time.Second

// errStandby is the acd readiness check of a ccd that waits for the ACD lock.
var errStandby = errors.New("standby: another ccd holds the ACD lock")

// acdElection decides which ccd on a database runs the ACD: the one holding
// the ACD advisory lock (store.ACDLockID). The others are standbys: they
// serve HTTP, the statistics and the AMI observer, keep away from ARI (the
// Stasis application belongs to one websocket) and take over, restoring the
// queues from the event log, when the lock comes free.
//
// It is a component: it waits for the database and the live configuration
// (the queues the event log's agents are restored onto), then for the
// lock, and tells the ACD component to lead. The lock is held until Close,
// which comes after the ACD component (later in the list) has closed: a
// standby never takes over while this ccd still drives calls.
type acdElection struct {
	w       *wiring
	log     *slog.Logger
	retry   time.Duration
	standby atomic.Bool // another ccd holds the lock
	tasks   tasks
}

func newACDElection(w *wiring) component {
	w.election = &acdElection{w: w, log: w.log, retry: acdLockRetry}
	return w.election
}

func (e *acdElection) Name() string { return "acd election" }

func (e *acdElection) Start(ctx context.Context) error {
	e.tasks.goRun(context.WithoutCancel(ctx), func(ctx context.Context) {
		db, ok := e.w.db.wait(ctx)
		if !ok {
			return
		}
		select {
		case <-e.w.live.loaded:
		case <-ctx.Done():
			return
		}
		if err := e.run(ctx, db, func() { e.w.acd.lead(db) }); err != nil {
			e.w.fail(err)
		}
	})
	return nil
}

// Close releases the lock.
func (e *acdElection) Close(context.Context) error {
	e.tasks.stop()
	return nil
}

// run waits for the lock, calls lead once it holds it, and keeps it until
// ctx ends. It returns an error when another ccd took the lock meanwhile
// (its connection to the database was lost for long enough): the caller
// stops, so that two ACDs never drive the same calls.
func (e *acdElection) run(ctx context.Context, db *store.DB, lead func()) error {
	lock := e.acquire(ctx, db)
	if lock == nil {
		return nil // ctx ended
	}
	lead()
	return e.keep(ctx, db, lock)
}

// acquire tries the lock until it gets it; nil when ctx ends first.
func (e *acdElection) acquire(ctx context.Context, db *store.DB) *store.SessionLock {
	for {
		lock, ok, err := db.TryLock(ctx, store.ACDLockID)
		switch {
		case ok:
			if e.standby.Swap(false) {
				e.log.Info("the ACD lock is free: taking over the queues")
			}
			return lock
		case err != nil && ctx.Err() == nil:
			e.log.Warn("cannot try the ACD lock", "err", err)
		case err == nil && !e.standby.Swap(true):
			e.log.Info("standby: another ccd holds the ACD lock; the queue application waits until it is free")
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(e.retry):
		}
	}
}

// keep checks the lock until ctx ends, then releases it. A lock lost with
// its connection (a database restart, a network cut) is taken again on a new
// one; the ACD runs on meanwhile, calls in progress are not dropped for a
// database that blinked.
func (e *acdElection) keep(ctx context.Context, db *store.DB, lock *store.SessionLock) error {
	defer func() {
		rctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		lock.Release(rctx)
	}()
	tick := time.NewTicker(e.retry)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		err := lock.Held(ctx)
		if err == nil || ctx.Err() != nil {
			continue
		}
		again, ok, terr := db.TryLock(ctx, store.ACDLockID)
		if ok {
			lock.Release(ctx)
			lock = again
			e.log.Warn("the ACD lock was lost with its database connection and is held again", "err", err)
			continue
		}
		if terr == nil {
			// Not free: held by another ccd, or still by the broken
			// connection until the server notices it is gone.
			var other bool
			if other, terr = db.HeldElsewhere(ctx, lock); terr == nil && other {
				return errors.New("another ccd took the ACD lock while this one had lost its database connection: stopping, so that one ACD drives the calls")
			}
		}
		if terr != nil {
			e.log.Warn("the ACD lock cannot be confirmed; the database is not reachable", "err", terr)
		}
	}
}
