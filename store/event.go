package store

import (
	"context"
	"fmt"
	"time"

	"github.com/ccdhq/ccd/eventlog"
	"github.com/lib/pq"
)

// EventSink appends events to call_event. It implements eventlog.Sink.
type EventSink struct{ DB *DB }

// Append inserts a batch in one statement: columns travel as arrays and are
// unnested server-side, which is one round trip per batch and lets ON CONFLICT
// drop events already stored (the idempotency key).
func (s EventSink) Append(ctx context.Context, evs []eventlog.Event) error {
	if len(evs) == 0 {
		return nil
	}
	n := len(evs)
	at := make([]time.Time, n)
	callID, kind, agent, queue := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	dnis, clid, source, key, payload := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	for i := range evs {
		e := &evs[i]
		at[i], callID[i], kind[i], agent[i], queue[i] = e.At, e.CallID, e.Kind, e.Agent, e.Queue
		dnis[i], clid[i], source[i], key[i] = e.DNIS, e.CLID, e.Source, e.Key
		if len(e.Payload) == 0 {
			payload[i] = "{}"
		} else {
			payload[i] = string(e.Payload)
		}
	}
	_, err := s.DB.ExecContext(ctx, `
		INSERT INTO call_event (at, call_id, kind, agent, queue, dnis, clid, source, key, payload)
		SELECT * FROM unnest($1::timestamptz[], $2::text[], $3::text[], $4::text[], $5::text[],
		                     $6::text[], $7::text[], $8::text[], $9::text[], $10::jsonb[])
		ON CONFLICT (key) DO NOTHING`,
		pq.Array(at), pq.Array(callID), pq.Array(kind), pq.Array(agent), pq.Array(queue),
		pq.Array(dnis), pq.Array(clid), pq.Array(source), pq.Array(key), pq.Array(payload))
	if err != nil {
		return fmt.Errorf("store: append %d events: %w", n, err)
	}
	return nil
}

// EventFilter selects events for Events. Zero fields do not filter.
type EventFilter struct {
	From, To time.Time
	CallID   string
	Kind     string
	AfterID  int64
	Limit    int
}

// Events reads events in log order (id).
func (db *DB) Events(ctx context.Context, f EventFilter) ([]eventlog.Event, error) {
	q := `SELECT id, at, call_id, kind, agent, queue, dnis, clid, source, key, payload FROM call_event WHERE id > $1`
	args := []any{f.AfterID}
	add := func(cond string, v any) {
		args = append(args, v)
		q += fmt.Sprintf(" AND "+cond, len(args))
	}
	if !f.From.IsZero() {
		add("at >= $%d", f.From)
	}
	if !f.To.IsZero() {
		add("at < $%d", f.To)
	}
	if f.CallID != "" {
		add("call_id = $%d", f.CallID)
	}
	if f.Kind != "" {
		add("kind = $%d", f.Kind)
	}
	q += " ORDER BY id"
	if f.Limit > 0 {
		q += fmt.Sprintf(" LIMIT %d", f.Limit)
	}
	var out []eventlog.Event
	if err := db.SelectContext(ctx, &out, q, args...); err != nil {
		return nil, fmt.Errorf("store: events: %w", err)
	}
	return out, nil
}
