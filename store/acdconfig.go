package store

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/ccdhq/ccd/eventlog"
	"github.com/jmoiron/sqlx"
)

// ConfigItem is one item of the ACD's live configuration (acd_config): a
// queue, an agent, a group, a route or an activity, as the JSON object of
// its keys in the file.
type ConfigItem struct {
	Kind     string          `db:"kind"`
	ID       string          `db:"id"`
	Position int64           `db:"position"`
	Item     json.RawMessage `db:"item"`
}

// ACDConfig reads the whole live configuration, each kind in its order.
func (db *DB) ACDConfig(ctx context.Context) ([]ConfigItem, error) {
	var out []ConfigItem
	if err := db.SelectContext(ctx, &out, `SELECT kind, id, position, item FROM acd_config ORDER BY kind, position, id`); err != nil {
		return nil, fmt.Errorf("store: acd config: %w", err)
	}
	return out, nil
}

// SeedACDConfig stores items as the live configuration when there is none
// yet, and tells whether it did: the file seeds an empty database only, so
// that what the admin changed survives a restart. Two instances starting
// together seed once.
// items is called only then (it hashes the agents' passwords); audit is
// appended to the event log with the seed.
func (db *DB) SeedACDConfig(ctx context.Context, items func() ([]ConfigItem, error), audit eventlog.Event) (bool, error) {
	seeded := false
	err := db.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `LOCK TABLE acd_config IN EXCLUSIVE MODE`); err != nil {
			return err
		}
		var n int
		if err := tx.GetContext(ctx, &n, `SELECT count(*) FROM acd_config`); err != nil || n > 0 {
			return err
		}
		seed, err := items()
		if err != nil {
			return err
		}
		seeded = true
		if err := insertConfig(ctx, tx, seed); err != nil {
			return err
		}
		return appendInTx(ctx, tx, audit)
	})
	if err != nil {
		return false, fmt.Errorf("store: seeding the acd config: %w", err)
	}
	return seeded, nil
}

// ReplaceACDConfig makes items the whole live configuration (ccd config
// import), audited by audit in the same transaction.
func (db *DB) ReplaceACDConfig(ctx context.Context, items []ConfigItem, audit eventlog.Event) error {
	err := db.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM acd_config`); err != nil {
			return err
		}
		if err := insertConfig(ctx, tx, items); err != nil {
			return err
		}
		return appendInTx(ctx, tx, audit)
	})
	if err != nil {
		return fmt.Errorf("store: importing the acd config: %w", err)
	}
	return nil
}

// PutACDConfig creates or replaces one item; a new one goes after the
// others of its kind, a replaced one keeps its place. audit is appended to
// the event log in the same transaction: the change and its audit are
// committed together, or neither is.
func (db *DB) PutACDConfig(ctx context.Context, kind, id string, item json.RawMessage, audit eventlog.Event) error {
	err := db.inTx(ctx, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, `
			INSERT INTO acd_config (kind, id, position, item)
			VALUES ($1, $2, (SELECT coalesce(max(position), 0) + 1 FROM acd_config WHERE kind = $1), $3)
			ON CONFLICT (kind, id) DO UPDATE SET item = EXCLUDED.item, updated_at = now()`, kind, id, []byte(item))
		if err != nil {
			return err
		}
		return appendInTx(ctx, tx, audit)
	})
	if err != nil {
		return fmt.Errorf("store: acd config %s %q: %w", kind, id, err)
	}
	return nil
}

// DeleteACDConfig removes one item, audited by audit in the same
// transaction.
func (db *DB) DeleteACDConfig(ctx context.Context, kind, id string, audit eventlog.Event) error {
	err := db.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM acd_config WHERE kind = $1 AND id = $2`, kind, id); err != nil {
			return err
		}
		return appendInTx(ctx, tx, audit)
	})
	if err != nil {
		return fmt.Errorf("store: acd config %s %q: %w", kind, id, err)
	}
	return nil
}

func insertConfig(ctx context.Context, tx *sqlx.Tx, items []ConfigItem) error {
	for _, it := range items {
		if _, err := tx.ExecContext(ctx, `INSERT INTO acd_config (kind, id, position, item) VALUES ($1, $2, $3, $4)`,
			it.Kind, it.ID, it.Position, []byte(it.Item)); err != nil {
			return err
		}
	}
	return nil
}

// appendInTx appends ev to the event log within tx, last: the event log's
// append lock (migration 0009) is held from there to the commit only.
func appendInTx(ctx context.Context, tx *sqlx.Tx, ev eventlog.Event) error {
	if err := ev.Validate(); err != nil {
		return err
	}
	q, args := appendStatement([]eventlog.Event{ev})
	if _, err := tx.ExecContext(ctx, q, args...); err != nil {
		return appendError(1, err)
	}
	return nil
}

// inTx runs f in a transaction, committed when f returns nil.
func (db *DB) inTx(ctx context.Context, f func(tx *sqlx.Tx) error) error {
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	if err := f(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}
