package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// ConsumerPosition is where a consumer of the event log stands (event_consumer):
// every event up to LastID is handled. State is what the consumer keeps with
// it; nil for a consumer that keeps nothing.
type ConsumerPosition struct {
	LastID int64
	State  json.RawMessage
}

// ErrConsumerMoved says a consumer's stored position is not the one it read
// its events from: someone else (another instance of it, a statistics
// rebuild) moved it meanwhile. Writing now would count the events between the
// two positions twice or skip them.
var ErrConsumerMoved = errors.New("store: the consumer's position moved")

// Consumer reads a consumer's position; found is false before it saved one.
func (db *DB) Consumer(ctx context.Context, name string) (pos ConsumerPosition, found bool, err error) {
	return consumerPosition(ctx, db, name)
}

// consumerPosition reads the position through q, a database or a transaction.
func consumerPosition(ctx context.Context, q rowQuerier, name string) (pos ConsumerPosition, found bool, err error) {
	var raw []byte
	err = q.QueryRowContext(ctx, `SELECT last_id, state FROM event_consumer WHERE name = $1`, name).Scan(&pos.LastID, &raw)
	if err == sql.ErrNoRows {
		return ConsumerPosition{}, false, nil
	}
	if err != nil {
		return ConsumerPosition{}, false, fmt.Errorf("store: consumer %s: %w", name, err)
	}
	pos.State = raw
	return pos, true, nil
}

// execer is a database or a transaction.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// AdvanceConsumer moves a consumer from the position it read its events after
// (from; found false when it had none) to to, inside q: a consumer that writes
// its own effects passes its transaction, so they and the position commit
// together. It fails with ErrConsumerMoved when the stored position is no
// longer from; nothing is changed then.
func AdvanceConsumer(ctx context.Context, q execer, name string, from ConsumerPosition, found bool, to ConsumerPosition) error {
	state := stateJSON(to.State)
	var (
		res sql.Result
		err error
	)
	if found {
		res, err = q.ExecContext(ctx, `UPDATE event_consumer SET last_id = $3, state = $4, updated_at = now()
			WHERE name = $1 AND last_id = $2`, name, from.LastID, to.LastID, state)
	} else {
		res, err = q.ExecContext(ctx, `INSERT INTO event_consumer (name, last_id, state) VALUES ($1, $2, $3)
			ON CONFLICT (name) DO NOTHING`, name, to.LastID, state)
	}
	if err != nil {
		return fmt.Errorf("store: consumer %s: %w", name, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("store: consumer %s: %w", name, err)
	} else if n != 1 {
		return fmt.Errorf("%w: consumer %s", ErrConsumerMoved, name)
	}
	return nil
}

// SetConsumer stores a consumer's position whatever it was, inside q: for the
// one who owns it outright (a statistics rebuild under the statistics lock).
func SetConsumer(ctx context.Context, q execer, name string, pos ConsumerPosition) error {
	_, err := q.ExecContext(ctx, `INSERT INTO event_consumer (name, last_id, state, updated_at) VALUES ($1, $2, $3, now())
		ON CONFLICT (name) DO UPDATE SET last_id = excluded.last_id, state = excluded.state, updated_at = now()`,
		name, pos.LastID, stateJSON(pos.State))
	if err != nil {
		return fmt.Errorf("store: consumer %s: %w", name, err)
	}
	return nil
}

func stateJSON(s json.RawMessage) string {
	if len(s) == 0 {
		return "{}"
	}
	return string(s)
}

// ConsumerLag is how far a consumer is behind the log.
type ConsumerLag struct {
	Name   string
	Events int64 // events after its position
	// Oldest is when the oldest event it has not handled was written; zero
	// when it has handled every event.
	Oldest time.Time
}

// ConsumerLags reads every consumer's lag, those not running included.
func (db *DB) ConsumerLags(ctx context.Context) ([]ConsumerLag, error) {
	// The head is read once; the oldest waiting event is one index probe per
	// consumer. The count is of ids, so ids that a rolled-back write used up
	// count too: an estimate that is exact whenever it is 0.
	rows, err := db.QueryContext(ctx, `
		SELECT c.name, greatest(h.id - c.last_id, 0),
		       (SELECT e.logged_at FROM call_event e WHERE e.id > c.last_id ORDER BY e.id LIMIT 1)
		FROM event_consumer c, (SELECT coalesce(max(id), 0) AS id FROM call_event) h
		ORDER BY c.name`)
	if err != nil {
		return nil, fmt.Errorf("store: consumer lag: %w", err)
	}
	defer rows.Close()
	var out []ConsumerLag
	for rows.Next() {
		var l ConsumerLag
		var oldest sql.NullTime
		if err := rows.Scan(&l.Name, &l.Events, &oldest); err != nil {
			return nil, fmt.Errorf("store: consumer lag: %w", err)
		}
		if oldest.Valid {
			l.Oldest = oldest.Time
		} else {
			l.Events = 0
		}
		out = append(out, l)
	}
	return out, rows.Err()
}
