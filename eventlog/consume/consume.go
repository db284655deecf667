// Package consume gives the consumers of the event log (the live statistics,
// webhooks, SQL hooks, the toolbar push, the wallboard) a durable, named cursor
// in PostgreSQL (table event_consumer): a consumer reads the events after its
// cursor in log order, handles them, and moves the cursor. After a restart it
// continues where the cursor stands.
//
// Two ways to move the cursor:
//   - Commit, after handling a batch: at least once. A crash between handling
//     and Commit hands the batch over again, so the handler must be idempotent
//     (a webhook carries the event id for the receiver to drop repeats).
//   - Apply, inside the consumer's own transaction: exactly once. The
//     consumer's writes and its new cursor commit together or not at all (the
//     statistics aggregator).
//
// # Ordering
//
// Events are delivered in the order of their ids, and every event is
// delivered: the log guarantees that ids become visible in increasing order.
// Every INSERT into call_event takes the log's append lock (a trigger, so a
// second ccd instance or any other writer takes it too) before its rows get
// ids and holds it until its transaction ends; so when a reader sees id N,
// every id below N is committed or was rolled back, and no event can appear
// later below a cursor. Ids may have gaps (rolled-back writes, events stored
// already); a cursor never waits for them. Writers queue for the lock one
// batch at a time; readers never take it.
//
// For live views that must not wait for a poll, eventlog.Hub hands each batch
// this process commits to in-process subscribers as it commits; a subscriber
// that missed some reads them from the log (ids between the last it saw and
// the next it gets), which has them, in the same order.
package consume

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/ccdhq/ccd/eventlog"
	"github.com/ccdhq/ccd/store"
	"github.com/jmoiron/sqlx"
)

// ErrMoved says the stored cursor is not where this consumer read from:
// another instance of the same consumer (or, for the statistics, a rebuild)
// moved it. Nothing was written; the consumer reloads its position.
var ErrMoved = store.ErrConsumerMoved

// Consumer is one named reader of the event log. It is not safe for
// concurrent use: a consumer handles its events one batch after the other.
type Consumer struct {
	db   *store.DB
	name string

	loaded bool
	pos    store.ConsumerPosition
	found  bool // pos was stored (or saved since)
}

// New returns the consumer name over db. Its position is read on first use.
func New(db *store.DB, name string) *Consumer {
	return &Consumer{db: db, name: name}
}

// Name is the consumer's name, its row in event_consumer.
func (c *Consumer) Name() string { return c.name }

// Position returns where the consumer stands: every event up to LastID is
// handled. found is false for a consumer that never moved; it starts at the
// beginning of the log.
func (c *Consumer) Position(ctx context.Context) (pos store.ConsumerPosition, found bool, err error) {
	if !c.loaded {
		if c.pos, c.found, err = c.db.Consumer(ctx, c.name); err != nil {
			return store.ConsumerPosition{}, false, err
		}
		c.loaded = true
	}
	return c.pos, c.found, nil
}

// Reload forgets the position held in memory: the next call reads the stored
// one (after a write failed, or ErrMoved).
func (c *Consumer) Reload() { c.loaded = false }

// Next reads up to limit events after the position, in log order. It does not
// move the position.
func (c *Consumer) Next(ctx context.Context, limit int) ([]eventlog.Event, error) {
	pos, _, err := c.Position(ctx)
	if err != nil {
		return nil, err
	}
	return c.db.Events(ctx, store.EventFilter{AfterID: pos.LastID, Limit: limit})
}

// Commit moves the position to to, after the consumer handled every event up
// to to.LastID: at least once.
func (c *Consumer) Commit(ctx context.Context, to store.ConsumerPosition) error {
	if _, _, err := c.Position(ctx); err != nil {
		return err
	}
	if err := store.AdvanceConsumer(ctx, c.db, c.name, c.pos, c.found, to); err != nil {
		c.Reload()
		return err
	}
	c.pos, c.found = to, true
	return nil
}

// Apply runs fn in a transaction and moves the position to what fn returns in
// that same transaction: fn's writes and the position commit together, so
// each event takes effect exactly once. When fn fails, or the stored position
// is not the one the consumer read from (ErrMoved), nothing is written and
// the position is read again at the next call.
func (c *Consumer) Apply(ctx context.Context, fn func(ctx context.Context, tx *sqlx.Tx) (store.ConsumerPosition, error)) error {
	if _, _, err := c.Position(ctx); err != nil {
		return err
	}
	err := c.apply(ctx, fn)
	if err != nil {
		c.Reload()
	}
	return err
}

func (c *Consumer) apply(ctx context.Context, fn func(ctx context.Context, tx *sqlx.Tx) (store.ConsumerPosition, error)) error {
	tx, err := c.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("consume %s: %w", c.name, err)
	}
	defer tx.Rollback()
	to, err := fn(ctx, tx)
	if err != nil {
		return err
	}
	if err := store.AdvanceConsumer(ctx, tx, c.name, c.pos, c.found, to); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("consume %s: %w", c.name, err)
	}
	c.pos, c.found = to, true
	return nil
}

// Handler handles events in log order. An error leaves them unhandled: the
// same events (and maybe more) come again.
type Handler func(ctx context.Context, evs []eventlog.Event) error

// Options tune Run.
type Options struct {
	Batch    int           // events per call of the handler; default 1000
	Interval time.Duration // how often the log is read when nothing wakes the consumer; default 1s
	// Wake, when set, starts a read at once: eventlog.Hub.Wake pokes it each
	// time this process commits events, so a consumer follows the log without
	// waiting for Interval.
	Wake   <-chan struct{}
	Logger *slog.Logger
}

// Run hands the events after the position to h, a batch at a time, and
// commits the position after each batch (at least once), until ctx ends.
// Database errors and handler errors are logged and retried with backoff.
func (c *Consumer) Run(ctx context.Context, opt Options, h Handler) {
	if opt.Batch <= 0 {
		opt.Batch = 1000
	}
	if opt.Interval <= 0 {
		opt.Interval = time.Second
	}
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	log := opt.Logger.With("consumer", c.name)
	delay := time.Duration(0)
	for {
		n, err := c.Step(ctx, opt.Batch, h)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			delay = min(max(2*delay, opt.Interval), 30*time.Second)
			log.Warn("event log consumer behind: will retry", "err", err, "retry_in", delay.String())
		case n == opt.Batch:
			continue // more is waiting
		default:
			delay = opt.Interval
		}
		if !wait(ctx, delay, opt.Wake, err == nil) {
			return
		}
	}
}

// wait sleeps for d, or until wake fires when wakeable; it reports false
// when ctx ended.
func wait(ctx context.Context, d time.Duration, wake <-chan struct{}, wakeable bool) bool {
	if !wakeable {
		wake = nil // after an error, back off whatever is committed
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
	case <-wake:
	}
	return true
}

// Step hands the next batch of up to limit events to h and commits the
// position after it. It returns how many events h handled.
func (c *Consumer) Step(ctx context.Context, limit int, h Handler) (int, error) {
	evs, err := c.Next(ctx, limit)
	if err != nil || len(evs) == 0 {
		return 0, err
	}
	if err := h(ctx, evs); err != nil {
		return 0, fmt.Errorf("consume %s: handler: %w", c.name, err)
	}
	pos, _, _ := c.Position(ctx) // loaded by Next
	pos.LastID = evs[len(evs)-1].ID
	if err := c.Commit(ctx, pos); err != nil {
		if errors.Is(err, ErrMoved) {
			return 0, fmt.Errorf("consume %s: another instance moved the position; continuing from there: %w", c.name, err)
		}
		return 0, err
	}
	return len(evs), nil
}
