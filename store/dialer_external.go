package store

import (
	"context"
	"database/sql"
	"errors"

	"github.com/jmoiron/sqlx"

	"github.com/ccdhq/ccd/dialer"
)

// ExternalUpsert is what PutExternalTarget did with one row of a dial list.
type ExternalUpsert int

const (
	ExternalAdded     ExternalUpsert = iota // a new target
	ExternalUpdated                         // an open target got the row's data
	ExternalUnchanged                       // finished or being dialled: left as it is
)

// PutExternalTarget adds t (validated, with its ExternalTargetID) to its
// campaign, or gives the campaign's target with that external id the row's
// names, phones, data and priority. It never touches a status: a finished
// target (answered, retries exhausted, DNC, removed) is not reopened and a
// target being dialled is left alone. The campaign row is locked so that
// two imports of one list cannot both insert the same external id.
func (db *DB) PutExternalTarget(ctx context.Context, t dialer.Target) (ExternalUpsert, int64, error) {
	var res ExternalUpsert
	var id int64
	err := db.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := checkCampaign(ctx, tx, "campaignId", t.CampaignID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `SELECT 1 FROM dialer.campaign WHERE campaign_id=$1 FOR UPDATE`, t.CampaignID); err != nil {
			return err
		}
		var cur struct {
			ID      int64         `db:"target_id"`
			Status  int           `db:"status_code"`
			Dialing sql.NullInt64 `db:"dialing_phone"`
		}
		err := tx.GetContext(ctx, &cur, `SELECT target_id, status_code, dialing_phone FROM dialer.target
			WHERE campaign_id=$1 AND external_target_id=$2 ORDER BY target_id LIMIT 1`, t.CampaignID, t.ExternalTargetID)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			res = ExternalAdded
			return tx.QueryRowxContext(ctx, `INSERT INTO dialer.target (campaign_id, first_name, last_name, phone_i, phone_ii,
				phone_iii, data_i, data_ii, data_iii, priority, file_number, external_target_id, time_zone)
				VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13) RETURNING target_id`,
				t.CampaignID, t.FirstName, t.LastName, t.PhoneI, t.PhoneII, t.PhoneIII, t.DataI, t.DataII, t.DataIII,
				t.Priority, t.FileNumber, t.ExternalTargetID, t.TimeZone).Scan(&id)
		case err != nil:
			return err
		}
		id = cur.ID
		if cur.Dialing.Valid || !(cur.Status == dialer.StatusNew || dialer.RetryableStatus(cur.Status)) {
			res = ExternalUnchanged
			return nil
		}
		r, err := tx.ExecContext(ctx, `UPDATE dialer.target SET first_name=$2, last_name=$3, phone_i=$4, phone_ii=$5,
			phone_iii=$6, data_i=$7, data_ii=$8, data_iii=$9, priority=$10
			WHERE target_id=$1 AND (first_name, last_name, phone_i, phone_ii, phone_iii, data_i, data_ii, data_iii, priority)
			IS DISTINCT FROM ($2, $3, $4, $5, $6, $7, $8, $9, $10)`,
			id, t.FirstName, t.LastName, t.PhoneI, t.PhoneII, t.PhoneIII, t.DataI, t.DataII, t.DataIII, t.Priority)
		if err != nil {
			return err
		}
		res = ExternalUnchanged
		if n, _ := r.RowsAffected(); n > 0 {
			res = ExternalUpdated
		}
		return nil
	})
	return res, id, err
}
