package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/dialer"
	"github.com/lib/pq"
)

// Reservation is a preview campaign's target held for one agent
// (dialer.preview).
type Reservation struct {
	Agent      string    `db:"agent"`
	CampaignID int       `db:"campaign_id"`
	TargetID   int64     `db:"target_id"`
	Phone      string    `db:"phone"`
	PhoneIndex int       `db:"phone_index"`
	ReservedAt time.Time `db:"reserved_at"`
	ExpiresAt  time.Time `db:"expires_at"`
	// TargetBefore is the target as it was before the reservation
	// (PreviewOf): what an agent looking at it is to see.
	TargetBefore
}

// TargetBefore are the fields of a target a reservation changed.
type TargetBefore struct {
	StatusCode int        `db:"old_status_code"`
	LastCallTS *time.Time `db:"old_last_call_ts"`
}

// Unclaimed is t as it was before reservation r: the claim's counters and
// marks taken off.
func (r Reservation) Unclaimed(t dialer.Target) dialer.Target {
	t.StatusCode, t.LastCallTS = r.TargetBefore.StatusCode, r.TargetBefore.LastCallTS
	t.TotalDials--
	switch r.PhoneIndex {
	case 1:
		t.PhoneICounter--
	case 2:
		t.PhoneIICounter--
	case 3:
		t.PhoneIIICounter--
	}
	return t
}

// ReservePreview holds the next due target of preview campaign for agent
// (dialer.reserve_preview: the automatic modes' selection, behind the
// campaign's schedules). found is false when nothing is due. An agent who
// already holds a target gets that one again.
func (db *DB) ReservePreview(ctx context.Context, campaign int, agent string, now time.Time) (r Reservation, found bool, err error) {
	if held, ok, err := db.PreviewOf(ctx, agent); err != nil || ok {
		return held, ok, err
	}
	c, err := db.Campaign(ctx, campaign)
	if err != nil {
		return r, false, err
	}
	if c.Mode != "preview" {
		return r, false, errNotPreview(campaign)
	}
	in, err := db.InSchedule(ctx, c, now)
	if err != nil || !in {
		return r, false, err
	}
	for try := 0; ; try++ {
		err = db.GetContext(ctx, &r, `SELECT target_id, phone, phone_index, expires_at FROM dialer.reserve_preview($1, $2, $3)`,
			campaign, agent, now)
		if !errors.Is(err, sql.ErrNoRows) {
			break
		}
		// The claim skips the rows other claimers hold locked (a batch
		// each, for a moment): asked at once, an agent may find none free
		// while some are due. Ask again while some may be.
		if try == reserveTries-1 || !db.mayHaveDue(ctx, campaign, now) {
			return r, false, nil
		}
		time.Sleep(time.Duration(try+1) * 10 * time.Millisecond)
	}
	var pe *pq.Error
	if errors.As(err, &pe) && pe.Code == "23505" && pe.Constraint == "preview_agent_key" {
		// The same agent asked twice at once: the other request won.
		return db.PreviewOf(ctx, agent)
	}
	if err != nil {
		return r, false, err
	}
	r.Agent, r.CampaignID, r.ReservedAt = agent, campaign, now
	return r, true, nil
}

// reserveTries is how often ReservePreview asks when the claim finds
// nothing but targets are still due.
const reserveTries = 5

// mayHaveDue says whether campaign has a target no one dials or holds
// whose time has come (before the window, do-not-call and no-redial
// checks).
func (db *DB) mayHaveDue(ctx context.Context, campaign int, now time.Time) bool {
	var ok bool
	err := db.GetContext(ctx, &ok, `SELECT EXISTS (SELECT 1 FROM dialer.target t JOIN dialer.status_code s
		ON s.status_code = t.status_code AND NOT s.final WHERE t.campaign_id=$1 AND t.dialing_since IS NULL
		AND (t.next_call_ts IS NULL OR t.next_call_ts <= $2))`, campaign, now)
	return err == nil && ok
}

// PreviewOf is the reservation agent holds, if any.
func (db *DB) PreviewOf(ctx context.Context, agent string) (Reservation, bool, error) {
	var r Reservation
	err := db.GetContext(ctx, &r, `SELECT agent, campaign_id, target_id, phone, phone_index, reserved_at, expires_at,
		old_status_code, old_last_call_ts FROM dialer.preview WHERE agent=$1`, agent)
	if errors.Is(err, sql.ErrNoRows) {
		return r, false, nil
	}
	return r, err == nil, err
}

// ReleasePreview ends agent's reservation without a call: skipped (the
// target is due again after the campaign's skip delay, counted in
// preview_skips) or expired (it keeps its place). No attempt is counted.
// found is false when the agent holds none.
func (db *DB) ReleasePreview(ctx context.Context, agent string, now time.Time, skipped bool) (r Reservation, found bool, err error) {
	var due *time.Time
	if skipped {
		held, ok, err := db.PreviewOf(ctx, agent)
		if err != nil || !ok {
			return r, false, err
		}
		c, err := db.Campaign(ctx, held.CampaignID)
		if err != nil {
			return r, false, err
		}
		at := now.Add(dialer.SkipDelay(c))
		due = &at
	}
	err = db.GetContext(ctx, &r, `SELECT target_id, campaign_id FROM dialer.release_preview($1, $2)`, agent, due)
	if errors.Is(err, sql.ErrNoRows) {
		return r, false, nil
	}
	r.Agent = agent
	return r, err == nil, err
}

// ExpiredPreviews are the reservations whose time ran out at now.
func (db *DB) ExpiredPreviews(ctx context.Context, now time.Time) ([]Reservation, error) {
	var rs []Reservation
	err := db.SelectContext(ctx, &rs, `SELECT agent, campaign_id, target_id, phone, phone_index, reserved_at, expires_at
		FROM dialer.preview WHERE expires_at <= $1 ORDER BY expires_at`, now)
	return rs, err
}

// DialPreview turns agent's reservation into a claim on phone (1..3; 0:
// the one reserved), to be recorded with StartAttempt and ended with
// FinishAttempt like the automatic modes' claims. A phone that cannot be
// dialled is ECONFLICT naming phone; without a reservation, ECONFLICT.
func (db *DB) DialPreview(ctx context.Context, agent string, phone int, now time.Time) (campaign int, cl Claim, err error) {
	var row struct {
		Claim
		CampaignID int `db:"campaign_id"`
	}
	err = db.GetContext(ctx, &row, `SELECT target_id, campaign_id, phone, phone_index FROM dialer.dial_preview($1, $2, $3)`,
		agent, phone, now)
	var pe *pq.Error
	if errors.As(err, &pe) {
		switch pe.Code {
		case "P0002":
			return 0, cl, &ccd.Error{Code: ccd.ECONFLICT, Message: pe.Message}
		case "P0001":
			return 0, cl, &ccd.Error{Code: ccd.ECONFLICT, Field: "phone", Message: pe.Message}
		}
	}
	if err != nil {
		return 0, cl, err
	}
	return row.CampaignID, row.Claim, nil
}

// SetAttemptAgent records the agent who dialled a preview attempt.
func (db *DB) SetAttemptAgent(ctx context.Context, attempt int64, agent string) error {
	_, err := db.ExecContext(ctx, `UPDATE dialer.attempt SET agent=$2 WHERE attempt_id=$1`, attempt, agent)
	return err
}

// errNotPreview refuses a campaign that is not in preview mode.
func errNotPreview(id int) error {
	return &ccd.Error{Code: ccd.ECONFLICT, Field: "campaignId", Message: fmt.Sprintf("campaign %d is not a preview campaign", id)}
}

// UndialPreview takes back agent's dial of target (attempt), made when the
// agent's own phone did not answer: the customer was never called, so the
// attempt row goes and the target, counted as nothing, is the agent's
// preview again (held), or, when the agent meanwhile holds another target,
// given back with its place kept (dialer.undial_preview). found is false
// when the dial is not there to take back (the attempt ended, another dial
// of the agent replaced it).
func (db *DB) UndialPreview(ctx context.Context, agent string, target, attempt int64, now time.Time) (r Reservation, held, found bool, err error) {
	var row struct {
		Reservation
		Held bool `db:"held"`
	}
	err = db.GetContext(ctx, &row, `SELECT target_id, campaign_id, phone, phone_index, expires_at, held
		FROM dialer.undial_preview($1, $2, $3, $4)`, agent, target, attempt, now)
	if errors.Is(err, sql.ErrNoRows) {
		return r, false, false, nil
	}
	if err != nil {
		return r, false, false, err
	}
	r = row.Reservation
	r.Agent, r.ReservedAt = agent, now
	return r, row.Held, true, nil
}
