package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/ccdhq/ccd/eventlog"
	"github.com/jmoiron/sqlx"
)

// ExternalSites reads the stored external sites; found is false before
// anything was stored.
func (db *DB) ExternalSites(ctx context.Context) (raw json.RawMessage, found bool, err error) {
	err = db.GetContext(ctx, &raw, `SELECT config FROM external_sites WHERE id = 1`)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("store: external sites: %w", err)
	}
	return raw, true, nil
}

// SeedExternalSites stores raw unless sites are stored already; it
// reports whether it stored them.
func (db *DB) SeedExternalSites(ctx context.Context, raw json.RawMessage) (bool, error) {
	res, err := db.ExecContext(ctx, `INSERT INTO external_sites (id, config) VALUES (1, $1) ON CONFLICT (id) DO NOTHING`, []byte(raw))
	if err != nil {
		return false, fmt.Errorf("store: seed external sites: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// PutExternalSites replaces the stored external sites and appends the
// audit event in the same transaction.
func (db *DB) PutExternalSites(ctx context.Context, raw json.RawMessage, audit eventlog.Event) error {
	err := db.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO external_sites (id, config) VALUES (1, $1)
			ON CONFLICT (id) DO UPDATE SET config = excluded.config, changed_at = now()`, []byte(raw)); err != nil {
			return err
		}
		return appendInTx(ctx, tx, audit)
	})
	if err != nil {
		return fmt.Errorf("store: put external sites: %w", err)
	}
	return nil
}
