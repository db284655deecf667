package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/lib/pq"
)

// CallbackRow is a row of callback: ccd.Callback's fields, stored.
type CallbackRow struct {
	ID, Queue, Number, Origin, CallID, CLID, DNIS string
	Priority                                      int
	AttachData, State                             string
	PlaceAt                                       time.Time
	NotBefore, NotAfter                           time.Time // zero: none
	Attempts, MaxAttempts                         int
	RetryInterval                                 time.Duration
	NextAttemptAt                                 time.Time
	LastResult, EndReason, Agent, RequestedBy     string
	CreatedAt, UpdatedAt                          time.Time
}

const callbackColumns = `id, queue, number, origin, call_id, clid, dnis, priority, attach_data, state, place_at,
	not_before, not_after, attempts, max_attempts, extract(epoch FROM retry_interval)::float8, next_attempt_at,
	last_result, end_reason, agent, requested_by, created_at, updated_at`

// PutCallback inserts or replaces a callback's row.
func (db *DB) PutCallback(ctx context.Context, r CallbackRow) error {
	_, err := db.ExecContext(ctx, `INSERT INTO callback (id, queue, number, origin, call_id, clid, dnis, priority,
		attach_data, state, place_at, not_before, not_after, attempts, max_attempts, retry_interval, next_attempt_at,
		last_result, end_reason, agent, requested_by, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, make_interval(secs => $16), $17,
			$18, $19, $20, $21, $22, $23)
		ON CONFLICT (id) DO UPDATE SET state = EXCLUDED.state, attempts = EXCLUDED.attempts,
			next_attempt_at = EXCLUDED.next_attempt_at, last_result = EXCLUDED.last_result,
			end_reason = EXCLUDED.end_reason, agent = EXCLUDED.agent, updated_at = EXCLUDED.updated_at`,
		r.ID, r.Queue, r.Number, r.Origin, r.CallID, r.CLID, r.DNIS, r.Priority, r.AttachData, r.State, r.PlaceAt,
		nullTime(r.NotBefore), nullTime(r.NotAfter), r.Attempts, r.MaxAttempts, r.RetryInterval.Seconds(), r.NextAttemptAt,
		r.LastResult, r.EndReason, r.Agent, r.RequestedBy, r.CreatedAt, r.UpdatedAt)
	if err != nil {
		return fmt.Errorf("store: put callback: %w", err)
	}
	return nil
}

// CallbackByID is one callback; false when there is none.
func (db *DB) CallbackByID(ctx context.Context, id string) (CallbackRow, bool, error) {
	rows, err := db.callbacks(ctx, `SELECT `+callbackColumns+` FROM callback WHERE id = $1`, id)
	if err != nil || len(rows) == 0 {
		return CallbackRow{}, false, err
	}
	return rows[0], true, nil
}

// CallbacksIn are the callbacks in one of states (all when states is
// empty), in the order they are due.
func (db *DB) CallbacksIn(ctx context.Context, states []string) ([]CallbackRow, error) {
	if len(states) == 0 {
		return db.callbacks(ctx, `SELECT `+callbackColumns+` FROM callback ORDER BY next_attempt_at, id`)
	}
	return db.callbacks(ctx, `SELECT `+callbackColumns+` FROM callback WHERE state = ANY($1) ORDER BY next_attempt_at, id`,
		pq.Array(states))
}

func (db *DB) callbacks(ctx context.Context, q string, args ...any) ([]CallbackRow, error) {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: callbacks: %w", err)
	}
	defer rows.Close()
	var out []CallbackRow
	for rows.Next() {
		var r CallbackRow
		var notBefore, notAfter sql.NullTime
		var retry float64
		if err := rows.Scan(&r.ID, &r.Queue, &r.Number, &r.Origin, &r.CallID, &r.CLID, &r.DNIS, &r.Priority, &r.AttachData,
			&r.State, &r.PlaceAt, &notBefore, &notAfter, &r.Attempts, &r.MaxAttempts, &retry, &r.NextAttemptAt,
			&r.LastResult, &r.EndReason, &r.Agent, &r.RequestedBy, &r.CreatedAt, &r.UpdatedAt); err != nil {
			return nil, fmt.Errorf("store: callbacks: %w", err)
		}
		r.NotBefore, r.NotAfter = notBefore.Time, notAfter.Time
		r.RetryInterval = time.Duration(retry * float64(time.Second))
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: callbacks: %w", err)
	}
	return out, nil
}

// ErrCallbackChanged: the callback is no longer in the state a change
// expected (another request or instance changed it first).
var ErrCallbackChanged = errors.New("store: the callback changed meanwhile")

// MoveCallback writes r when its stored state is still from: a cancel and
// an attempt's result never overwrite each other.
func (db *DB) MoveCallback(ctx context.Context, r CallbackRow, from string) error {
	res, err := db.ExecContext(ctx, `UPDATE callback SET state = $3, attempts = $4, next_attempt_at = $5,
		last_result = $6, end_reason = $7, agent = $8, updated_at = $9 WHERE id = $1 AND state = $2`,
		r.ID, from, r.State, r.Attempts, r.NextAttemptAt, r.LastResult, r.EndReason, r.Agent, r.UpdatedAt)
	if err != nil {
		return fmt.Errorf("store: move callback: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrCallbackChanged
	}
	return nil
}

func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

// WaitingCallbacks counts the callbacks waiting for an agent, by queue
// (the wallboard's "callbacks pending").
func (db *DB) WaitingCallbacks(ctx context.Context) (map[string]int, error) {
	rows, err := db.QueryContext(ctx, `SELECT queue, count(*) FROM callback WHERE state = $1 GROUP BY queue`, ccd.CallbackWaiting)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	n := map[string]int{}
	for rows.Next() {
		var q string
		var c int
		if err := rows.Scan(&q, &c); err != nil {
			return nil, err
		}
		n[q] = c
	}
	return n, rows.Err()
}
