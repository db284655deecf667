package webhook

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/ccdhq/ccd/eventlog"
	"github.com/ccdhq/ccd/eventlog/consume"
	"github.com/ccdhq/ccd/store"
	"github.com/jmoiron/sqlx"
)

// ConsumerName is the feeder's cursor in event_consumer.
const ConsumerName = "webhook"

// Feeder fills the outbox from the event log: a durable consumer whose
// letters and cursor commit in one transaction, so each message enters the
// outbox exactly once, after a crash or a restart too.
type Feeder struct {
	store Store
	cons  *consume.Consumer
	tr    Translator
	now   func() time.Time
	// Enqueued is called after a batch put letters into the outbox (the
	// deliverer's Kick), so that they leave at once instead of at its next
	// poll.
	Enqueued func()
	Batch    int
}

// NewFeeder returns the feeder over db.
func NewFeeder(db *store.DB, tr Translator, now func() time.Time) *Feeder {
	if now == nil {
		now = time.Now
	}
	return &Feeder{store: Store{db}, cons: consume.New(db, ConsumerName), tr: tr, now: now, Batch: 1000}
}

// Step moves the next batch of events into the outbox; it returns how many
// events it read.
func (f *Feeder) Step(ctx context.Context) (int, error) {
	evs, err := f.cons.Next(ctx, f.Batch)
	if err != nil || len(evs) == 0 {
		return 0, err
	}
	var added int64
	err = f.cons.Apply(ctx, func(ctx context.Context, tx *sqlx.Tx) (store.ConsumerPosition, error) {
		// Letters and cursor are lost together if the server crashes before
		// they reach the disk, and then are made again from the log, which
		// keeps the events: waiting for the flush would only add latency.
		if _, err := tx.ExecContext(ctx, `SET LOCAL synchronous_commit = off`); err != nil {
			return store.ConsumerPosition{}, err
		}
		var subs []Subscription
		if err := tx.SelectContext(ctx, &subs, `SELECT * FROM webhook_subscription WHERE enabled ORDER BY id`); err != nil {
			return store.ConsumerPosition{}, fmt.Errorf("webhook: subscriptions: %w", err)
		}
		n, err := enqueue(ctx, tx, f.letters(evs, subs))
		added = n
		return store.ConsumerPosition{LastID: evs[len(evs)-1].ID}, err
	})
	if err != nil {
		return 0, err
	}
	if added > 0 && f.Enqueued != nil {
		f.Enqueued()
	}
	return len(evs), nil
}

// letters are the outbox rows of a batch of events for the subscriptions.
// A letter's msg_id is the event id and the message kind: the same event
// always gives the same id, the receiver's key to drop repeats.
func (f *Feeder) letters(evs []eventlog.Event, subs []Subscription) []Letter {
	if len(subs) == 0 {
		return nil
	}
	now := f.now()
	var out []Letter
	for _, ev := range evs {
		for _, m := range f.tr.Messages(ev) {
			fields := fieldsJSON(m.Fields)
			for _, s := range subs {
				if !s.wants(m.Type) {
					continue
				}
				out = append(out, Letter{Subscription: s.ID, MsgID: fmt.Sprintf("msg_%d_%s", ev.ID, m.Type), EventID: ev.ID,
					Type: m.Type, FieldsJSON: fields, NextAt: now, EventAt: ev.At})
			}
		}
	}
	return out
}

// Run feeds the outbox until ctx ends: at once when wake fires (the event
// log's Hub, for this process's commits), else every interval; errors are
// logged and retried with backoff.
func (f *Feeder) Run(ctx context.Context, wake <-chan struct{}, interval time.Duration, log *slog.Logger) {
	delay := time.Duration(0)
	for {
		n, err := f.Step(ctx)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			delay = min(max(2*delay, interval), 30*time.Second)
			log.Warn("webhook outbox behind the event log: will retry", "err", err, "retry_in", delay.String())
		case n == f.Batch:
			continue
		default:
			delay = interval
		}
		w := wake
		if err != nil {
			w = nil
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		case <-w:
			t.Stop()
		}
	}
}
