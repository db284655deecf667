package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/jmoiron/sqlx"
)

// CampaignCall is the campaign and contact (target) a call of the dialer
// was placed for.
type CampaignCall struct {
	CallID     string
	CampaignID int   `db:"campaign_id"`
	TargetID   int64 `db:"target_id"`
}

// CampaignCallOf finds the dialer's attempt whose channel is callID (the
// ACD's id of a call the dialer handed to a queue); ok is false for a call
// the dialer did not place. The attempt rows are ccd's own record, unlike
// the attach data, which a transfer or a CRM may have changed.
func (db *DB) CampaignCallOf(ctx context.Context, callID string) (c CampaignCall, ok bool, err error) {
	err = db.GetContext(ctx, &c, `SELECT a.campaign_id, a.target_id FROM dialer.attempt a
		JOIN dialer.campaign c USING (campaign_id)
		WHERE a.channel_id=$1 AND NOT c.hidden ORDER BY a.attempt_id DESC LIMIT 1`, callID)
	if errors.Is(err, sql.ErrNoRows) {
		return c, false, nil
	}
	c.CallID = callID
	return c, err == nil, err
}

// CallDisposition is the disposition set for a call, with its callback.
type CallDisposition struct {
	ID                  int64  `json:"id" db:"disposition_id"`
	DispositionOptionID int    `json:"optionId" db:"disposition_option_id"`
	Agent               string `json:"agent" db:"agent"`
	Comments            string `json:"comments" db:"comments"`
	// AgendaAt and AgendaKind (personal, global) are the callback an
	// agenda option scheduled.
	AgendaAt   *time.Time `json:"agendaAt,omitempty" db:"callback_at"`
	AgendaKind *string    `json:"agendaKind,omitempty" db:"kind"`
}

// DispositionOfCall is the disposition of c's contact set for the call c
// (nil: none yet; one of an earlier call of the contact is not this call's).
func (db *DB) DispositionOfCall(ctx context.Context, c CampaignCall) (*CallDisposition, error) {
	var d CallDisposition
	err := db.GetContext(ctx, &d, `SELECT d.disposition_id, d.disposition_option_id, d.agent, d.comments, a.callback_at, a.kind
		FROM dialer.disposition d LEFT JOIN dialer.agenda a USING (disposition_id)
		WHERE d.campaign_id=$1 AND d.target_id=$2 AND d.callid=$3`, c.CampaignID, c.TargetID, c.CallID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &d, nil
}

// SetCallDisposition tags c's contact with d (its option, comments,
// callback) for the call c, by d.Agent: the contact's first disposition in
// the campaign is created (CreateDisposition), a later one — a correction,
// or the disposition of a callback's call — replaces the one the contact
// has (UpdateDisposition). Both write the dialer.disposition event; a
// creation that loses a race with another becomes the replacement.
// changed says whether a disposition was replaced.
func (db *DB) SetCallDisposition(ctx context.Context, c CampaignCall, d Disposition) (out Disposition, changed bool, err error) {
	d.CallID = c.CallID
	ref := ContactRef{ID: c.TargetID}
	id, found, err := db.contactDisposition(ctx, db.DB, c)
	if err != nil {
		return d, false, err
	}
	if !found {
		out, err = db.CreateDisposition(ctx, ref, d)
		if !errors.Is(err, ErrDuplicateDisposition) {
			return out, false, err
		}
		if id, found, err = db.contactDisposition(ctx, db.DB, c); err != nil || !found {
			return d, false, errors.Join(err, ErrDuplicateDisposition)
		}
	}
	d.ID = id
	out, err = db.UpdateDisposition(ctx, nil, ref, d)
	return out, true, err
}

func (db *DB) contactDisposition(ctx context.Context, q sqlx.QueryerContext, c CampaignCall) (int64, bool, error) {
	var id int64
	err := sqlx.GetContext(ctx, q, &id, `SELECT disposition_id FROM dialer.disposition WHERE campaign_id=$1 AND target_id=$2`,
		c.CampaignID, c.TargetID)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	return id, err == nil, err
}

// LastCallOfAgent is the call agent was last connected to (its newest
// agent.on_call event): in the wrap-up, the ACD has forgotten the call
// that ended, and the agent still sets its disposition. "" when none.
func (db *DB) LastCallOfAgent(ctx context.Context, agent string) (string, error) {
	var call string
	err := db.GetContext(ctx, &call, `SELECT call_id FROM call_event WHERE agent=$1 AND kind=$2 AND call_id <> ''
		ORDER BY at DESC, id DESC LIMIT 1`, agent, ccd.EventAgentOnCall)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return call, err
}
