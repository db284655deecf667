package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/dialer"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

const campaignColumns = `campaign_id, name, campaign_priority, campaign_type, retry_number, no_answer_duration, chase,
	queue_code, call_priority, is_active, mode, dial_ratio::float8 AS dial_ratio, max_dial_ratio::float8 AS max_dial_ratio,
	max_abandon_rate::float8 AS max_abandon_rate, caller_id, to_char(window_start, 'HH24:MI') AS window_start,
	to_char(window_end, 'HH24:MI') AS window_end, time_zone, no_redial_hours, agenda_fallback_minutes, preview_timeout`

// errUnknownCampaign names the field a client gave the campaign id in.
func errUnknownCampaign(field string, id int) error {
	return &ccd.Error{Code: ccd.ENOTFOUND, Field: field, Message: fmt.Sprintf("no campaign %d", id)}
}

// CreateCampaign stores a validated campaign and returns its id.
func (db *DB) CreateCampaign(ctx context.Context, c dialer.Campaign) (int, error) {
	var id int
	err := db.inTx(ctx, func(tx *sqlx.Tx) error {
		err := tx.QueryRowxContext(ctx, `INSERT INTO dialer.campaign (name, campaign_priority, campaign_type, retry_number,
			no_answer_duration, chase, queue_code, call_priority, is_active, mode, dial_ratio, max_dial_ratio, max_abandon_rate,
			caller_id, window_start, window_end, time_zone, no_redial_hours, preview_timeout)
			VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19) RETURNING campaign_id`,
			c.Name, c.CampaignPriority, c.CampaignType, c.RetryNumber, c.NoAnswerDuration, c.Chase, c.QueueCode, c.CallPriority,
			c.IsActive, c.Mode, c.DialRatio, c.MaxDialRatio, c.MaxAbandonRate, c.CallerID, c.WindowStart, c.WindowEnd,
			c.TimeZone, c.NoRedialHours, cmp.Or(c.PreviewTimeout, dialer.DefaultPreviewTimeout)).Scan(&id)
		if err != nil {
			return err
		}
		return putCampaignParts(ctx, tx, id, c)
	})
	return id, err
}

// UpdateCampaign replaces campaign c.ID; an unknown or deleted one is
// ENOTFOUND naming campaignId. Calls in progress go on; the next ones follow
// the new settings.
func (db *DB) UpdateCampaign(ctx context.Context, c dialer.Campaign) error {
	return db.inTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE dialer.campaign SET name=$2, campaign_priority=$3, campaign_type=$4,
			retry_number=$5, no_answer_duration=$6, chase=$7, queue_code=$8, call_priority=$9, is_active=$10, mode=$11,
			dial_ratio=$12, max_dial_ratio=$13, max_abandon_rate=$14, caller_id=$15, window_start=$16, window_end=$17,
			time_zone=$18, no_redial_hours=$19, preview_timeout=$20, updated_at=now()
			WHERE campaign_id=$1 AND NOT hidden`,
			c.ID, c.Name, c.CampaignPriority, c.CampaignType, c.RetryNumber, c.NoAnswerDuration, c.Chase, c.QueueCode,
			c.CallPriority, c.IsActive, c.Mode, c.DialRatio, c.MaxDialRatio, c.MaxAbandonRate, c.CallerID, c.WindowStart,
			c.WindowEnd, c.TimeZone, c.NoRedialHours, cmp.Or(c.PreviewTimeout, dialer.DefaultPreviewTimeout))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errUnknownCampaign("campaignId", c.ID)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM dialer.retry_rule WHERE campaign_id=$1`, c.ID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM dialer.campaign_schedule WHERE campaign_id=$1`, c.ID); err != nil {
			return err
		}
		return putCampaignParts(ctx, tx, c.ID, c)
	})
}

func putCampaignParts(ctx context.Context, tx *sqlx.Tx, id int, c dialer.Campaign) error {
	if _, err := tx.ExecContext(ctx, `UPDATE dialer.campaign SET agenda_fallback_minutes=$2 WHERE campaign_id=$1`,
		id, c.AgendaFallbackMinutes); err != nil {
		return err
	}
	for _, r := range c.RetryRules {
		if _, err := tx.ExecContext(ctx, `INSERT INTO dialer.retry_rule (campaign_id, status_code, delay_minutes, max_attempts)
			VALUES ($1,$2,$3,$4) ON CONFLICT (campaign_id, status_code) DO UPDATE SET delay_minutes=EXCLUDED.delay_minutes,
			max_attempts=EXCLUDED.max_attempts`, id, r.StatusCode, r.DelayMinutes, r.MaxAttempts); err != nil {
			return err
		}
	}
	for _, s := range c.ScheduleIDs {
		res, err := tx.ExecContext(ctx, `INSERT INTO dialer.campaign_schedule (campaign_id, schedule_id)
			SELECT $1, schedule_id FROM dialer.schedule WHERE schedule_id=$2 AND NOT hidden ON CONFLICT DO NOTHING`, id, s)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			var exists bool
			if err := tx.GetContext(ctx, &exists, `SELECT EXISTS (SELECT 1 FROM dialer.campaign_schedule
				WHERE campaign_id=$1 AND schedule_id=$2)`, id, s); err != nil {
				return err
			}
			if !exists {
				return ccd.Invalid("scheduleIds", fmt.Sprintf("no schedule %d", s))
			}
		}
	}
	return nil
}

// Campaign reads campaign id (not a deleted one).
func (db *DB) Campaign(ctx context.Context, id int) (dialer.Campaign, error) {
	var c dialer.Campaign
	err := db.GetContext(ctx, &c, `SELECT `+campaignColumns+` FROM dialer.campaign WHERE campaign_id=$1 AND NOT hidden`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return c, errUnknownCampaign("campaignId", id)
	}
	if err != nil {
		return c, err
	}
	return c, db.campaignParts(ctx, &c)
}

// Campaigns lists the campaigns that are not deleted.
func (db *DB) Campaigns(ctx context.Context) ([]dialer.Campaign, error) {
	var cs []dialer.Campaign
	if err := db.SelectContext(ctx, &cs, `SELECT `+campaignColumns+` FROM dialer.campaign WHERE NOT hidden ORDER BY campaign_id`); err != nil {
		return nil, err
	}
	for i := range cs {
		if err := db.campaignParts(ctx, &cs[i]); err != nil {
			return nil, err
		}
	}
	return cs, nil
}

func (db *DB) campaignParts(ctx context.Context, c *dialer.Campaign) error {
	c.RetryRules, c.ScheduleIDs = []dialer.RetryRule{}, []int{}
	if err := db.SelectContext(ctx, &c.RetryRules, `SELECT status_code, delay_minutes, max_attempts FROM dialer.retry_rule
		WHERE campaign_id=$1 ORDER BY status_code`, c.ID); err != nil {
		return err
	}
	return db.SelectContext(ctx, &c.ScheduleIDs, `SELECT schedule_id FROM dialer.campaign_schedule WHERE campaign_id=$1
		ORDER BY schedule_id`, c.ID)
}

// HideCampaign is Optimus DeleteCampaign: the campaign stops and disappears
// from the lists, its rows stay. It reports whether there was one.
func (db *DB) HideCampaign(ctx context.Context, id int) (bool, error) {
	res, err := db.ExecContext(ctx, `UPDATE dialer.campaign SET hidden=true, is_active=false, updated_at=now()
		WHERE campaign_id=$1 AND NOT hidden`, id)
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// SetCampaignActive is Optimus SetCampaignData.
func (db *DB) SetCampaignActive(ctx context.Context, id int, active bool) (bool, error) {
	res, err := db.ExecContext(ctx, `UPDATE dialer.campaign SET is_active=$2, updated_at=now() WHERE campaign_id=$1 AND NOT hidden`, id, active)
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

const scheduleColumns = `schedule_id, schedule_name, from_date_time, to_date_time, is_special_days, is_sunday, is_monday,
	is_tuesday, is_wednesday, is_thursday, is_friday, is_saturday`

// CreateSchedule stores a validated schedule and returns its id.
func (db *DB) CreateSchedule(ctx context.Context, s dialer.Schedule) (int, error) {
	var id int
	err := db.QueryRowxContext(ctx, `INSERT INTO dialer.schedule (schedule_name, from_date_time, to_date_time, is_special_days,
		is_sunday, is_monday, is_tuesday, is_wednesday, is_thursday, is_friday, is_saturday)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11) RETURNING schedule_id`,
		s.ScheduleName, wall(s.FromDateTime), wall(s.ToDateTime), s.IsSpecialDays, s.IsSunday, s.IsMonday, s.IsTuesday,
		s.IsWednesday, s.IsThursday, s.IsFriday, s.IsSaturday).Scan(&id)
	return id, err
}

// UpdateSchedule replaces schedule s.ID; an unknown one is ENOTFOUND naming scheduleId.
func (db *DB) UpdateSchedule(ctx context.Context, s dialer.Schedule) error {
	res, err := db.ExecContext(ctx, `UPDATE dialer.schedule SET schedule_name=coalesce(nullif($2, ''), schedule_name),
		from_date_time=$3, to_date_time=$4, is_special_days=$5, is_sunday=$6, is_monday=$7, is_tuesday=$8, is_wednesday=$9,
		is_thursday=$10, is_friday=$11, is_saturday=$12 WHERE schedule_id=$1 AND NOT hidden`,
		s.ID, s.ScheduleName, wall(s.FromDateTime), wall(s.ToDateTime), s.IsSpecialDays, s.IsSunday, s.IsMonday,
		s.IsTuesday, s.IsWednesday, s.IsThursday, s.IsFriday, s.IsSaturday)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return &ccd.Error{Code: ccd.ENOTFOUND, Field: "scheduleId", Message: fmt.Sprintf("no schedule %d", s.ID)}
	}
	return nil
}

// HideSchedule is Optimus DeleteSchedule: detached from its campaigns, kept.
func (db *DB) HideSchedule(ctx context.Context, id int) (bool, error) {
	var found bool
	err := db.inTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE dialer.schedule SET hidden=true WHERE schedule_id=$1 AND NOT hidden`, id)
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		found = n > 0
		_, err = tx.ExecContext(ctx, `DELETE FROM dialer.campaign_schedule WHERE schedule_id=$1`, id)
		return err
	})
	return found, err
}

// CampaignSchedules reads the schedules of campaign id.
func (db *DB) CampaignSchedules(ctx context.Context, id int) ([]dialer.Schedule, error) {
	var ss []dialer.Schedule
	err := db.SelectContext(ctx, &ss, `SELECT `+scheduleColumns+` FROM dialer.schedule s
		JOIN dialer.campaign_schedule cs USING (schedule_id) WHERE cs.campaign_id=$1 ORDER BY schedule_id`, id)
	return ss, err
}

// wall keeps a schedule time's wall clock: the column has no zone, the
// times are the campaign's local times.
func wall(t time.Time) string { return t.Format("2006-01-02 15:04:05") }

// AddSpecialDay marks a date as a special day (a holiday).
func (db *DB) AddSpecialDay(ctx context.Context, day time.Time, description string) error {
	_, err := db.ExecContext(ctx, `INSERT INTO dialer.special_day (day, description) VALUES ($1, $2)
		ON CONFLICT (day) DO UPDATE SET description=EXCLUDED.description`, day.Format(time.DateOnly), description)
	return err
}

// IsSpecialDay says whether day is a special day.
func (db *DB) IsSpecialDay(ctx context.Context, day time.Time) (bool, error) {
	var ok bool
	err := db.GetContext(ctx, &ok, `SELECT EXISTS (SELECT 1 FROM dialer.special_day WHERE day=$1)`, day.Format(time.DateOnly))
	return ok, err
}

const targetColumns = `target_id, campaign_id, first_name, last_name, phone_i, phone_ii, phone_iii, data_i, data_ii, data_iii,
	priority, file_number, external_target_id, time_zone, status_code, last_call_ts, next_call_ts, next_phone,
	phone_i_counter, phone_ii_counter, phone_iii_counter, total_dials`

// checkCampaign fails with ENOTFOUND naming field unless campaign id exists
// and is not deleted; it locks the campaign row against a concurrent delete.
func checkCampaign(ctx context.Context, q sqlx.QueryerContext, field string, id int) error {
	var one int
	err := sqlx.GetContext(ctx, q, &one, `SELECT 1 FROM dialer.campaign WHERE campaign_id=$1 AND NOT hidden FOR SHARE`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return errUnknownCampaign(field, id)
	}
	return err
}

// AddTarget adds a validated target to its campaign and returns its id.
func (db *DB) AddTarget(ctx context.Context, t dialer.Target) (int64, error) {
	var id int64
	err := db.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := checkCampaign(ctx, tx, "campaignId", t.CampaignID); err != nil {
			return err
		}
		return tx.QueryRowxContext(ctx, `INSERT INTO dialer.target (campaign_id, first_name, last_name, phone_i, phone_ii,
			phone_iii, data_i, data_ii, data_iii, priority, file_number, external_target_id, time_zone)
			VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13) RETURNING target_id`,
			t.CampaignID, t.FirstName, t.LastName, t.PhoneI, t.PhoneII, t.PhoneIII, t.DataI, t.DataII, t.DataIII,
			t.Priority, t.FileNumber, t.ExternalTargetID, t.TimeZone).Scan(&id)
	})
	return id, err
}

// Target reads target id.
func (db *DB) Target(ctx context.Context, id int64) (dialer.Target, error) {
	var t dialer.Target
	err := db.GetContext(ctx, &t, `SELECT `+targetColumns+` FROM dialer.target WHERE target_id=$1`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return t, &ccd.Error{Code: ccd.ENOTFOUND, Field: "targetId", Message: fmt.Sprintf("no target %d", id)}
	}
	return t, err
}

// RemoveTargets is Optimus RemoveTargetFromCampaign: the campaign's targets
// with phone among their numbers get the status "removed" and are never
// dialled again (a call in progress finishes). It returns how many.
func (db *DB) RemoveTargets(ctx context.Context, campaign int, phone string) (int, error) {
	var n int64
	err := db.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := checkCampaign(ctx, tx, "campaignId", campaign); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE dialer.target SET status_code=$3, next_call_ts=NULL
			WHERE campaign_id=$1 AND $2 IN (phone_i, phone_ii, phone_iii) AND status_code <> $3`, campaign, phone, dialer.StatusRemoved)
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		return nil
	})
	return int(n), err
}

// TargetMatch selects targets as Optimus GetTargetStatus does: the fields
// given ("" = any).
type TargetMatch struct {
	PhoneI, PhoneII, PhoneIII, DataI, DataII, DataIII string
}

// TargetStatus is Optimus GetTargetStatus: the status code of the newest
// target of the campaign that matches, and Sum, the dial attempts it took.
// found is false when none matches.
func (db *DB) TargetStatus(ctx context.Context, campaign int, m TargetMatch) (code, sum int, found bool, err error) {
	if err := checkCampaign(ctx, db, "campaignId", campaign); err != nil {
		return 0, 0, false, err
	}
	var row struct {
		Code int `db:"status_code"`
		Sum  int `db:"total_dials"`
	}
	err = db.GetContext(ctx, &row, `SELECT status_code, total_dials FROM dialer.target WHERE campaign_id=$1
		AND ($2 = '' OR phone_i=$2) AND ($3 = '' OR phone_ii=$3) AND ($4 = '' OR phone_iii=$4)
		AND ($5 = '' OR data_i=$5) AND ($6 = '' OR data_ii=$6) AND ($7 = '' OR data_iii=$7)
		ORDER BY target_id DESC LIMIT 1`, campaign, m.PhoneI, m.PhoneII, m.PhoneIII, m.DataI, m.DataII, m.DataIII)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, 0, false, nil
	}
	return row.Code, row.Sum, err == nil, err
}

// Claim is a target the dialer may call now, marked as being dialled.
type Claim struct {
	TargetID   int64  `db:"target_id"`
	Phone      string `db:"phone"`
	PhoneIndex int    `db:"phone_index"`
}

// ClaimTargets picks up to n targets of campaign due at now and marks them as
// being dialled (dialer.claim_targets: calling window, do-not-call lists,
// no-redial hours, never twice at once). The caller has checked the
// campaign's schedule.
func (db *DB) ClaimTargets(ctx context.Context, campaign int, now time.Time, n int) ([]Claim, error) {
	var cs []Claim
	err := db.SelectContext(ctx, &cs, `SELECT target_id, phone, phone_index FROM dialer.claim_targets($1, $2, $3)`, campaign, now, n)
	return cs, err
}

// FinishAttempt records how an attempt to a claimed target ended at now and
// applies the campaign's retry rules; the target and its number are free to
// be claimed again (when due). A removed target stays removed.
func (db *DB) FinishAttempt(ctx context.Context, targetID int64, result int, now time.Time) (dialer.Outcome, error) {
	var out dialer.Outcome
	err := db.inTx(ctx, func(tx *sqlx.Tx) error {
		var t dialer.Target
		if err := tx.GetContext(ctx, &t, `SELECT `+targetColumns+` FROM dialer.target WHERE target_id=$1 FOR UPDATE`, targetID); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return &ccd.Error{Code: ccd.ENOTFOUND, Field: "targetId", Message: fmt.Sprintf("no target %d", targetID)}
			}
			return err
		}
		var phone sql.NullInt64
		if err := tx.GetContext(ctx, &phone, `SELECT dialing_phone FROM dialer.target WHERE target_id=$1`, targetID); err != nil {
			return err
		}
		if !phone.Valid {
			return &ccd.Error{Code: ccd.ECONFLICT, Field: "targetId", Message: "no attempt of this target is in progress"}
		}
		c, err := campaignWithRules(ctx, tx, t.CampaignID)
		if err != nil {
			return err
		}
		out = dialer.AfterAttempt(c, t, int(phone.Int64), result, t.TotalDials, now)
		switch t.StatusCode {
		case dialer.StatusRemoved:
			out = dialer.Outcome{StatusCode: dialer.StatusRemoved, NextPhone: t.NextPhone}
		case dialer.StatusCallback:
			// An agent scheduled a callback while the call was up (the claim
			// set the status to dialling): the callback stands, the result
			// is the attempt's.
			out = dialer.Outcome{StatusCode: dialer.StatusCallback, NextCall: t.NextCallTS, NextPhone: t.NextPhone}
		default:
			if err := followPersonalAgenda(ctx, tx, c, targetID, &out, now); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE dialer.target SET status_code=$2, next_call_ts=$3, next_phone=$4,
			dialing_since=NULL, dialing_phone=NULL, last_call_ts=$5 WHERE target_id=$1`,
			targetID, out.StatusCode, out.NextCall, out.NextPhone, now); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE dialer.phone_dial SET dialing=false WHERE phone=$1`, t.Phone(int(phone.Int64)))
		return err
	})
	return out, err
}

// campaignWithRules reads campaign id with its retry rules, in tx.
func campaignWithRules(ctx context.Context, tx *sqlx.Tx, id int) (dialer.Campaign, error) {
	var c dialer.Campaign
	if err := tx.GetContext(ctx, &c, `SELECT `+campaignColumns+` FROM dialer.campaign WHERE campaign_id=$1`, id); err != nil {
		return c, err
	}
	err := tx.SelectContext(ctx, &c.RetryRules, `SELECT status_code, delay_minutes, max_attempts FROM dialer.retry_rule
		WHERE campaign_id=$1`, c.ID)
	return c, err
}

// followPersonalAgenda applies an attempt's outcome to the target's pending
// personal callback, if it has one: a person reached ends it; a retry moves
// it to the retry's time, still for its agent only (out.NextCall becomes
// the time any agent may take it); a final result leaves it pending but the
// target is no longer dialled.
func followPersonalAgenda(ctx context.Context, tx *sqlx.Tx, c dialer.Campaign, targetID int64, out *dialer.Outcome, now time.Time) error {
	if out.StatusCode == dialer.StatusAnswered {
		_, err := tx.ExecContext(ctx, `UPDATE dialer.agenda SET done_at=$2 WHERE target_id=$1 AND kind='personal' AND done_at IS NULL`,
			targetID, now)
		return err
	}
	if out.NextCall == nil {
		return nil
	}
	res, err := tx.ExecContext(ctx, `UPDATE dialer.agenda SET callback_at=$2 WHERE target_id=$1 AND kind='personal' AND done_at IS NULL`,
		targetID, *out.NextCall)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n > 0 {
		out.NextCall = AgendaFallback(c, *out.NextCall)
	}
	return nil
}

// Never is the next_call_ts of a personal callback without a fallback: it
// is never due for another agent. A date, not PostgreSQL's 'infinity',
// which every reader of bi.getdialertargetsbystatus could not parse.
var Never = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)

// AgendaFallback is when any agent of campaign c may take a personal
// callback due at at: the campaign's agendaFallbackMinutes later, or never
// (Never) when the campaign has none.
func AgendaFallback(c dialer.Campaign, at time.Time) *time.Time {
	if c.AgendaFallbackMinutes == nil {
		never := Never
		return &never
	}
	t := at.Add(time.Duration(*c.AgendaFallbackMinutes) * time.Minute)
	return &t
}

// AddDNC puts phone on the do-not-call list of campaign (nil: the global list).
func (db *DB) AddDNC(ctx context.Context, phone string, campaign *int, reason string) error {
	return db.inTx(ctx, func(tx *sqlx.Tx) error {
		if campaign != nil {
			if err := checkCampaign(ctx, tx, "campaignId", *campaign); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO dialer.dnc (phone, campaign_id, reason) VALUES ($1, $2, $3)
			ON CONFLICT (phone, coalesce(campaign_id, 0)) DO UPDATE SET reason=EXCLUDED.reason`, phone, campaign, reason)
		return err
	})
}

// RemoveDNC takes phone off a do-not-call list; it reports whether it was on it.
func (db *DB) RemoveDNC(ctx context.Context, phone string, campaign *int) (bool, error) {
	res, err := db.ExecContext(ctx, `DELETE FROM dialer.dnc WHERE phone=$1 AND coalesce(campaign_id, 0)=coalesce($2, 0)`, phone, campaign)
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// importBatch is how many rows an import inserts per statement.
const importBatch = 1000

// TargetImport adds many targets to one campaign in one transaction, batch by
// batch (bounded memory whatever the size): Commit applies all of them,
// Rollback none.
type TargetImport struct {
	tx       *sqlx.Tx
	ctx      context.Context
	campaign int
	batch    []dialer.Target
	Added    int
}

// BeginTargetImport starts an import into campaign; an unknown campaign is
// ENOTFOUND naming field.
func (db *DB) BeginTargetImport(ctx context.Context, campaign int, field string) (*TargetImport, error) {
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return nil, err
	}
	if err := checkCampaign(ctx, tx, field, campaign); err != nil {
		_ = tx.Rollback()
		return nil, err
	}
	return &TargetImport{tx: tx, ctx: ctx, campaign: campaign}, nil
}

// Add queues a validated target, inserting a batch when it is full.
func (im *TargetImport) Add(t dialer.Target) error {
	im.batch = append(im.batch, t)
	if len(im.batch) >= importBatch {
		return im.flush()
	}
	return nil
}

func (im *TargetImport) flush() error {
	if len(im.batch) == 0 {
		return nil
	}
	cols := make([][]string, 9)
	var prio []int64
	var file, ext []sql.NullInt64
	for _, t := range im.batch {
		for i, v := range []string{t.FirstName, t.LastName, t.PhoneI, t.PhoneII, t.PhoneIII, t.DataI, t.DataII, t.DataIII, t.TimeZone} {
			cols[i] = append(cols[i], v)
		}
		prio = append(prio, int64(t.Priority))
		file = append(file, nullInt(t.FileNumber))
		ext = append(ext, nullInt(t.ExternalTargetID))
	}
	_, err := im.tx.ExecContext(im.ctx, `INSERT INTO dialer.target (campaign_id, first_name, last_name, phone_i, phone_ii,
		phone_iii, data_i, data_ii, data_iii, time_zone, priority, file_number, external_target_id)
		SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
		$9::text[], $10::text[], $11::int[], $12::int[], $13::bigint[])`, im.campaign,
		pq.Array(cols[0]), pq.Array(cols[1]), pq.Array(cols[2]), pq.Array(cols[3]), pq.Array(cols[4]), pq.Array(cols[5]),
		pq.Array(cols[6]), pq.Array(cols[7]), pq.Array(cols[8]), pq.Array(prio), pq.Array(file), pq.Array(ext))
	if err != nil {
		return err
	}
	im.Added += len(im.batch)
	im.batch = im.batch[:0]
	return nil
}

func nullInt(p *int64) sql.NullInt64 {
	if p == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: *p, Valid: true}
}

// Commit inserts what is left and commits.
func (im *TargetImport) Commit() error {
	if err := im.flush(); err != nil {
		_ = im.tx.Rollback()
		return err
	}
	return im.tx.Commit()
}

// Rollback drops the whole import.
func (im *TargetImport) Rollback() error { return im.tx.Rollback() }

// ClaimDue is ClaimTargets behind the campaign's schedules: outside all of
// them (or on a special day without a special-days schedule) it claims
// nothing. The cron scheduler starts and stops the dialling loop at the
// schedules' boundaries; this check makes a claim between a boundary and the
// loop's stop impossible.
func (db *DB) ClaimDue(ctx context.Context, campaign int, now time.Time, n int) ([]Claim, error) {
	c, err := db.Campaign(ctx, campaign)
	if err != nil {
		return nil, err
	}
	in, err := db.InSchedule(ctx, c, now)
	if err != nil || !in {
		return nil, err
	}
	return db.ClaimTargets(ctx, campaign, now, n)
}

// InSchedule says whether campaign c may dial at now by its schedules.
func (db *DB) InSchedule(ctx context.Context, c dialer.Campaign, now time.Time) (bool, error) {
	loc, err := time.LoadLocation(c.TimeZone)
	if err != nil {
		return false, err
	}
	schedules, err := db.CampaignSchedules(ctx, c.ID)
	if err != nil {
		return false, err
	}
	special, err := db.IsSpecialDay(ctx, now.In(loc))
	if err != nil {
		return false, err
	}
	return dialer.InSchedule(schedules, loc, now, func(time.Time) bool { return special }), nil
}
