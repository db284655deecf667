package store

import (
	"context"
	"crypto/sha256"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/ccdhq/ccd/eventlog"
	"github.com/ccdhq/ccd/internal/textcheck"
	"github.com/lib/pq"
)

// EventSink appends events to call_event. It implements eventlog.Sink.
type EventSink struct{ DB *DB }

// Append inserts a batch in one statement: columns travel as arrays and are
// unnested server-side, which is one round trip per batch and lets ON CONFLICT
// drop events already stored (the idempotency key). The table's append lock
// (migration 0009) makes ids visible in commit order, whoever writes.
func (s EventSink) Append(ctx context.Context, evs []eventlog.Event) error {
	if len(evs) == 0 {
		return nil
	}
	q, args := appendStatement(evs)
	if _, err := s.DB.ExecContext(ctx, q, args...); err != nil {
		return appendError(len(evs), err)
	}
	return nil
}

// AppendIDs is Append that also returns the id each event got, 0 for an
// event stored already (eventlog.IDSink): the writer publishes what it
// committed.
func (s EventSink) AppendIDs(ctx context.Context, evs []eventlog.Event) ([]int64, error) {
	if len(evs) == 0 {
		return nil, nil
	}
	q, args := appendStatement(evs)
	rows, err := s.DB.QueryContext(ctx, q+` RETURNING id, key`, args...)
	if err != nil {
		return nil, appendError(len(evs), err)
	}
	defer rows.Close()
	byKey := make(map[string]int64, len(evs))
	for rows.Next() {
		var id int64
		var key string
		if err := rows.Scan(&id, &key); err != nil {
			return nil, appendError(len(evs), err)
		}
		byKey[key] = id
	}
	if err := rows.Err(); err != nil {
		return nil, appendError(len(evs), err)
	}
	ids := make([]int64, len(evs))
	for i := range evs {
		// A key twice in one batch is one event: the first holds its id.
		ids[i] = byKey[evs[i].Key]
		delete(byKey, evs[i].Key)
	}
	return ids, nil
}

// appendStatement is the INSERT of a batch and its arguments.
func appendStatement(evs []eventlog.Event) (string, []any) {
	n := len(evs)
	at := make([]time.Time, n)
	callID, kind, agent, queue := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	dnis, clid, source, key, payload := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	node := make([]string, n)
	for i := range evs {
		e := &evs[i]
		at[i], callID[i], kind[i], agent[i], queue[i] = e.At, e.CallID, e.Kind, e.Agent, e.Queue
		dnis[i], clid[i], source[i], key[i], node[i] = e.DNIS, e.CLID, e.Source, e.Key, e.Node
		if len(e.Payload) == 0 {
			payload[i] = "{}"
		} else {
			payload[i] = string(e.Payload)
		}
	}
	return `
		INSERT INTO call_event (at, call_id, kind, agent, queue, dnis, clid, source, key, payload, node)
		SELECT * FROM unnest($1::timestamptz[], $2::text[], $3::text[], $4::text[], $5::text[],
		                     $6::text[], $7::text[], $8::text[], $9::text[], $10::jsonb[], $11::text[])
		ON CONFLICT (key) DO NOTHING`,
		[]any{pq.Array(at), pq.Array(callID), pq.Array(kind), pq.Array(agent), pq.Array(queue),
			pq.Array(dnis), pq.Array(clid), pq.Array(source), pq.Array(key), pq.Array(payload), pq.Array(node)}
}

// appendError says whether the database refused the batch for what it holds
// (PostgreSQL's classes 22, data exception: a NUL byte, invalid UTF-8, JSON that
// jsonb refuses, a time out of range; and 54, program limit exceeded: a key too
// long for its index) or could not be reached or failed otherwise. Only the
// first kind is eventlog.ErrRejected: retrying it would fail forever, whereas
// anything else may pass later and is retried.
func appendError(n int, err error) error {
	var pe *pq.Error
	if errors.As(err, &pe) {
		switch pe.Code.Class() {
		case "22", "54":
			return fmt.Errorf("store: append %d events: %w: %s", n, eventlog.ErrRejected, describe(pe))
		}
	}
	return fmt.Errorf("store: append %d events: %w", n, err)
}

// describe is a PostgreSQL error with what an operator needs to find the value
// at fault: SQLSTATE, detail and where.
func describe(pe *pq.Error) string {
	s := pe.Message + " (SQLSTATE " + string(pe.Code) + ")"
	for _, more := range []string{pe.Detail, pe.Where} {
		if more != "" {
			s += "; " + more
		}
	}
	return s
}

// Quarantine keeps an event the event log cannot write in event_quarantine.
// Every text is made storable (textcheck.Clean; Validate bounds the time) and the
// event itself is kept as bytes, so the row fits whatever the event holds. It
// implements eventlog.QuarantineSink.
func (s EventSink) Quarantine(ctx context.Context, q eventlog.Quarantined) (stored bool, err error) {
	line, err := json.Marshal(q.Event)
	if err != nil {
		return false, fmt.Errorf("store: quarantine: %w", err)
	}
	digest := sha256.Sum256(line)
	res, err := s.DB.ExecContext(ctx, `
		INSERT INTO event_quarantine (quarantined_at, key, kind, at, error, event, digest)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (digest) DO NOTHING`,
		q.At, textcheck.Clean(q.Event.Key), textcheck.Clean(q.Event.Kind), q.Event.At, textcheck.Clean(q.Reason), line, digest[:])
	if err != nil {
		return false, fmt.Errorf("store: quarantine: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
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
	q := `SELECT id, at, call_id, kind, agent, queue, dnis, clid, source, node, key, payload FROM call_event WHERE id > $1`
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

// StatEvents streams, in log order, the events a statistics rebuild of [from,
// to) reads: those of the range up to id maxID, preceded by what the range
// needs from before it (each agent's last state, and the earlier events of the
// calls still in progress at from, in a queue or in a flow: calls are assumed
// to last less than a day).
// fn gets batches; the slice is reused after fn returns.
func (db *DB) StatEvents(ctx context.Context, from, to time.Time, maxID int64, fn func([]eventlog.Event) error) error {
	const cols = `id, at, call_id, kind, agent, queue, dnis, clid, source, payload`
	seed := `
		SELECT * FROM (
			SELECT DISTINCT ON (agent) ` + cols + ` FROM call_event
			WHERE agent <> '' AND source = 'acd' AND kind LIKE 'agent.%' AND at < $1 AND id <= $2
			ORDER BY agent, at DESC, id DESC) a
		UNION ALL
		SELECT ` + cols + ` FROM call_event
		WHERE (source = 'acd' AND kind LIKE 'call.%' OR source = 'ari' AND kind LIKE 'flow.%')
		  AND at >= $1 - interval '1 day' AND at < $1 AND id <= $2
		  AND call_id IN (
			SELECT call_id FROM call_event WHERE kind IN ('call.offered', 'flow.entered') AND at >= $1 - interval '1 day' AND at < $1
			EXCEPT
			SELECT call_id FROM call_event WHERE kind = 'call.ended' AND at >= $1 - interval '1 day' AND at < $1)
		ORDER BY id`
	if err := db.streamEvents(ctx, fn, seed, from, maxID); err != nil {
		return err
	}
	// The bulk of a rebuild is reading: only the kinds the statistics count are
	// read, and payloads whose fields they do not use are not sent.
	return db.streamEvents(ctx, fn, `
		SELECT id, at, call_id, kind, agent, queue, dnis, CASE WHEN kind = 'flow.entered' THEN clid ELSE '' END, source,
		       CASE WHEN kind IN ('call.offered', 'call.ringing', 'call.transferred') THEN '{}'::jsonb ELSE payload END
		FROM call_event
		WHERE at >= $1 AND at < $2 AND id <= $3
		  AND (source = 'acd' AND kind NOT IN ('call.recording', 'call.hold') OR kind IN ('pbx.cdr', 'pbx.unhold', 'dialer.result', 'dialer.attempt', 'dialer.disposition')
		       OR source = 'ari' AND kind LIKE 'flow.%')
		ORDER BY id`, from, to, maxID)
}

// streamEvents runs q and hands its rows to fn in batches, without holding the
// whole result: a month is ten million events. The events' payloads share one
// buffer per batch, never reused, so they outlive the batch slice.
func (db *DB) streamEvents(ctx context.Context, fn func([]eventlog.Event) error, q string, args ...any) error {
	return db.rawQuery(ctx, nil, nil, q, args, func(rows driver.Rows) error {
		const batchSize = 1024
		if n := len(rows.Columns()); n != 10 {
			return fmt.Errorf("store: stat events: %d columns, want 10", n)
		}
		batch := make([]eventlog.Event, 0, batchSize)
		var payloads []byte
		dest := make([]driver.Value, 10)
		for {
			if err := rows.Next(dest); err == io.EOF {
				break
			} else if err != nil {
				return fmt.Errorf("store: stat events: %w", err)
			}
			var e eventlog.Event
			var ok [9]bool
			e.ID, ok[0] = dest[0].(int64)
			e.At, ok[1] = dest[1].(time.Time)
			strs := [...]*string{&e.CallID, &e.Kind, &e.Agent, &e.Queue, &e.DNIS, &e.CLID, &e.Source}
			for i, p := range strs {
				*p, ok[2+i] = dest[2+i].(string)
			}
			for i, good := range ok {
				if !good {
					return fmt.Errorf("store: stat events: column %d is %T", i+1, dest[i])
				}
			}
			if p, isBytes := dest[9].([]byte); isBytes && len(p) > 0 {
				if cap(payloads)-len(payloads) < len(p) {
					payloads = make([]byte, 0, max(64<<10, len(p)))
				}
				start := len(payloads)
				payloads = append(payloads, p...)
				e.Payload = payloads[start:len(payloads):len(payloads)]
			}
			batch = append(batch, e)
			if len(batch) == batchSize {
				if err := fn(batch); err != nil {
					return err
				}
				batch = batch[:0]
			}
		}
		if len(batch) > 0 {
			return fn(batch)
		}
		return nil
	})
}
