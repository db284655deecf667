package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/ccdhq/ccd/dialer/pacing"
	"github.com/jmoiron/sqlx"
)

// Attempt is one call the dialer placed (dialer.attempt).
type Attempt struct {
	ID         int64
	CampaignID int
	TargetID   int64
	Phone      string
	PhoneIndex int
	Mode       string
	StartedAt  time.Time
}

// AttemptEnd is how an attempt ended.
type AttemptEnd struct {
	ID         int64
	AnsweredAt *time.Time // nil: nobody answered
	EndedAt    time.Time
	Result     int
	// Human: a person answered (not a machine); Abandoned: and got no
	// agent within the law's 2 seconds.
	Human, Abandoned    bool
	AMDStatus, AMDCause string
	HangupCause         int
	DialStatus          string
}

// StartAttempt records a call placed to a claimed target and returns its
// id; its channel is "dialer-<id>".
func (db *DB) StartAttempt(ctx context.Context, a Attempt) (int64, error) {
	var id int64
	err := db.QueryRowxContext(ctx, `WITH n AS (SELECT nextval('dialer.attempt_attempt_id_seq') AS id)
		INSERT INTO dialer.attempt (attempt_id, campaign_id, target_id, phone, phone_index, channel_id, mode, started_at)
		SELECT n.id, $1, $2, $3, $4, 'dialer-' || n.id, $5, $6 FROM n RETURNING attempt_id`,
		a.CampaignID, a.TargetID, a.Phone, a.PhoneIndex, a.Mode, a.StartedAt).Scan(&id)
	return id, err
}

// CampaignAMD are a campaign's answering-machine settings
// (dialer.campaign_amd); a campaign without a row detects with amd.conf's
// defaults and hangs up on machines.
type CampaignAMD struct {
	Enabled        bool   `json:"enabled" db:"enabled"`
	Params         string `json:"params" db:"params"`
	MachineMessage string `json:"machineMessage" db:"machine_message"`
	AbandonMessage string `json:"abandonMessage" db:"abandon_message"`
}

// DefaultCampaignAMD is the setting of a campaign that has none.
var DefaultCampaignAMD = CampaignAMD{Enabled: true}

// CampaignAMD reads campaign's answering-machine settings.
func (db *DB) CampaignAMD(ctx context.Context, campaign int) (CampaignAMD, error) {
	var c CampaignAMD
	err := db.GetContext(ctx, &c, `SELECT enabled, params, machine_message, abandon_message FROM dialer.campaign_amd
		WHERE campaign_id=$1`, campaign)
	if errors.Is(err, sql.ErrNoRows) {
		return DefaultCampaignAMD, nil
	}
	return c, err
}

// PutCampaignAMD sets campaign's answering-machine settings; an unknown
// campaign is ENOTFOUND naming campaignId.
func (db *DB) PutCampaignAMD(ctx context.Context, campaign int, c CampaignAMD) error {
	return db.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := checkCampaign(ctx, tx, "campaignId", campaign); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO dialer.campaign_amd (campaign_id, enabled, params, machine_message, abandon_message)
			VALUES ($1,$2,$3,$4,$5) ON CONFLICT (campaign_id) DO UPDATE SET enabled=EXCLUDED.enabled, params=EXCLUDED.params,
			machine_message=EXCLUDED.machine_message, abandon_message=EXCLUDED.abandon_message`,
			campaign, c.Enabled, c.Params, c.MachineMessage, c.AbandonMessage)
		return err
	})
}

// EndAttempt records how attempt e.ID ended.
func (db *DB) EndAttempt(ctx context.Context, e AttemptEnd) error {
	_, err := db.ExecContext(ctx, `UPDATE dialer.attempt SET answered_at=$2, ended_at=$3, result=$4, human=$5, abandoned=$6,
		amd_status=$7, amd_cause=$8, hangup_cause=$9, dial_status=$10 WHERE attempt_id=$1`,
		e.ID, e.AnsweredAt, e.EndedAt, e.Result, e.Human, e.Abandoned, e.AMDStatus, e.AMDCause, e.HangupCause, e.DialStatus)
	return err
}

// AbandonSpans are the windows the law looks at (the last 24 hours and the
// last 30 days) and the last hour, which the pacer watches too.
var AbandonSpans = []time.Duration{time.Hour, 24 * time.Hour, 30 * 24 * time.Hour}

// AbandonWindows counts, for each span before now, the calls of campaign a
// person answered and those of them abandoned.
func (db *DB) AbandonWindows(ctx context.Context, campaign int, now time.Time, spans ...time.Duration) ([]pacing.Window, error) {
	out := make([]pacing.Window, 0, len(spans))
	for _, span := range spans {
		var row struct {
			Answered  int `db:"answered"`
			Abandoned int `db:"abandoned"`
		}
		if err := db.GetContext(ctx, &row, `SELECT answered, abandoned FROM dialer.abandon_rate($1, $2, make_interval(secs => $3))`,
			campaign, now, span.Seconds()); err != nil {
			return nil, err
		}
		out = append(out, pacing.Window{Span: span, Answered: row.Answered, Abandoned: row.Abandoned})
	}
	return out, nil
}

// UnfinishedAttempts are the attempts without an end: those a stopped ccd
// left ringing or talking, when the dialer starts again.
func (db *DB) UnfinishedAttempts(ctx context.Context) ([]Attempt, error) {
	var rows []struct {
		ID         int64     `db:"attempt_id"`
		CampaignID int       `db:"campaign_id"`
		TargetID   int64     `db:"target_id"`
		Phone      string    `db:"phone"`
		PhoneIndex int       `db:"phone_index"`
		Mode       string    `db:"mode"`
		StartedAt  time.Time `db:"started_at"`
	}
	if err := db.SelectContext(ctx, &rows, `SELECT attempt_id, campaign_id, target_id, phone, phone_index, mode, started_at
		FROM dialer.attempt WHERE ended_at IS NULL ORDER BY attempt_id`); err != nil {
		return nil, err
	}
	out := make([]Attempt, len(rows))
	for i, r := range rows {
		out[i] = Attempt(r)
	}
	return out, nil
}
