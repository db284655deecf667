package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/dialer"
	"github.com/ccdhq/ccd/eventlog"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// DispositionOption is what an agent may tag a contact of a campaign with
// (OMniLeads "calificación"): Kind is normal, engaged (the contact was
// worked) or agenda (the agent schedules a callback).
type DispositionOption struct {
	ID         int    `json:"id" db:"disposition_option_id"`
	CampaignID int    `json:"campaignId" db:"campaign_id"`
	Name       string `json:"name" db:"name"`
	Kind       string `json:"kind" db:"kind"`
	Hidden     bool   `json:"hidden" db:"hidden"`
}

// The kinds of disposition options.
const (
	DispositionNormal  = "normal"
	DispositionEngaged = "engaged"
	DispositionAgenda  = "agenda"
)

// Disposition is an agent's tag of a contact (a target) of a campaign, for a
// call.
type Disposition struct {
	ID                  int64  `db:"disposition_id"`
	CampaignID          int    `db:"campaign_id"`
	TargetID            int64  `db:"target_id"`
	DispositionOptionID int    `db:"disposition_option_id"`
	Agent               string `db:"agent"`
	CallID              string `db:"callid"`
	Comments            string `db:"comments"`
	// Agenda is the callback an agenda disposition schedules.
	Agenda *Agenda `db:"-"`
}

// Agenda is a scheduled callback: personal (the agent who scheduled it) or
// global (any agent of the campaign).
type Agenda struct {
	At       time.Time
	Kind     string // personal or global
	Comments string
}

// The refusals of dispositions (the OMniLeads API answers each with its own
// body, 003 §18.1.7).
var (
	ErrDispositionOptionNotFound = errors.New("store: no such disposition option")
	ErrContactNotFound           = errors.New("store: no such contact in the campaign")
	ErrDuplicateDisposition      = errors.New("store: the contact has a disposition in this campaign already")
	ErrDispositionNotFound       = errors.New("store: no such disposition")
)

// AgentServes says whether agent serves queue (acd.Spec.Serves over the
// live configuration).
type AgentServes func(agent, queue string) bool

// SetAgentServes makes every disposition that schedules a PERSONAL
// callback check that its agent serves the campaign's queue: the callback
// is offered to that agent alone, and an agent outside the queue can never
// take it (the person would be abandoned). nil checks nothing.
func (db *DB) SetAgentServes(f AgentServes) {
	if f == nil {
		db.serves.Store(nil)
		return
	}
	db.serves.Store(&f)
}

// AgentServes is the check SetAgentServes set, or nil.
func (db *DB) AgentServes() AgentServes {
	if f := db.serves.Load(); f != nil {
		return *f
	}
	return nil
}

// AgendaAgentError refuses a PERSONAL callback whose agent does not serve
// the campaign's queue (or names no agent). Each interface answers it
// naming its own field for the agent.
type AgendaAgentError struct {
	Agent, Queue string
	CampaignID   int
}

func (e *AgendaAgentError) Error() string {
	if e.Agent == "" {
		return fmt.Sprintf("a PERSONAL callback is made by the agent who scheduled it: name an agent of queue %q (campaign %d), "+
			"or make it GLOBAL", e.Queue, e.CampaignID)
	}
	return fmt.Sprintf("agent %q does not serve queue %q of campaign %d: a PERSONAL callback for it could never be taken; "+
		"make it GLOBAL or name an agent of the queue", e.Agent, e.Queue, e.CampaignID)
}

// AddDispositionOption adds an option to campaign and returns its id; a
// name the campaign has already is ECONFLICT naming name.
func (db *DB) AddDispositionOption(ctx context.Context, o DispositionOption) (int, error) {
	var id int
	err := db.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := checkCampaign(ctx, tx, "campaignId", o.CampaignID); err != nil {
			return err
		}
		err := tx.GetContext(ctx, &id, `INSERT INTO dialer.disposition_option (campaign_id, name, kind, hidden)
			VALUES ($1, $2, $3, $4) RETURNING disposition_option_id`, o.CampaignID, o.Name, o.Kind, o.Hidden)
		if isUniqueViolation(err) {
			return &ccd.Error{Code: ccd.ECONFLICT, Field: "name", Message: fmt.Sprintf("campaign %d has an option %q already", o.CampaignID, o.Name)}
		}
		return err
	})
	return id, err
}

func isUniqueViolation(err error) bool {
	var pe *pq.Error
	return errors.As(err, &pe) && pe.Code == "23505"
}

// DispositionOptions lists the options of campaign id (field names the id
// in an ENOTFOUND).
func (db *DB) DispositionOptions(ctx context.Context, campaign int, field string) ([]DispositionOption, error) {
	if err := checkCampaign(ctx, db, field, campaign); err != nil {
		return nil, err
	}
	out := []DispositionOption{}
	err := db.SelectContext(ctx, &out, `SELECT disposition_option_id, campaign_id, name, kind, hidden
		FROM dialer.disposition_option WHERE campaign_id=$1 ORDER BY disposition_option_id`, campaign)
	return out, err
}

// DispositionOption reads option id; ErrDispositionOptionNotFound when there
// is none (or its campaign is deleted).
func (db *DB) DispositionOption(ctx context.Context, id int) (DispositionOption, error) {
	return dispositionOption(ctx, db, id)
}

func dispositionOption(ctx context.Context, q sqlx.QueryerContext, id int) (DispositionOption, error) {
	var o DispositionOption
	err := sqlx.GetContext(ctx, q, &o, `SELECT o.disposition_option_id, o.campaign_id, o.name, o.kind, o.hidden
		FROM dialer.disposition_option o JOIN dialer.campaign c USING (campaign_id)
		WHERE o.disposition_option_id=$1 AND NOT c.hidden`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return o, ErrDispositionOptionNotFound
	}
	return o, err
}

// CampaignOfExternal is the campaign an external CRM system calls
// externalID; ENOTFOUND naming field when there is none.
func (db *DB) CampaignOfExternal(ctx context.Context, system int, externalID, field string) (int, error) {
	var id int
	err := db.GetContext(ctx, &id, `SELECT e.campaign_id FROM dialer.campaign_external e JOIN dialer.campaign c USING (campaign_id)
		WHERE e.external_system_id=$1 AND e.external_campaign_id=$2 AND NOT c.hidden`, system, externalID)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, &ccd.Error{Code: ccd.ENOTFOUND, Field: field, Message: fmt.Sprintf("no campaign %q in external system %d", externalID, system)}
	}
	return id, err
}

// SetCampaignExternal records that external CRM system calls campaign
// externalID.
func (db *DB) SetCampaignExternal(ctx context.Context, system int, externalID string, campaign int) error {
	return db.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := checkCampaign(ctx, tx, "campaignId", campaign); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO dialer.campaign_external (external_system_id, external_campaign_id, campaign_id)
			VALUES ($1, $2, $3) ON CONFLICT (external_system_id, external_campaign_id) DO UPDATE SET campaign_id=EXCLUDED.campaign_id`,
			system, externalID, campaign)
		return err
	})
}

// ContactRef names a contact as a CRM does: the target's id, or its external
// id (External).
type ContactRef struct {
	ID       int64
	External bool
}

// findContact is the target of campaign that ref names; ErrContactNotFound
// when none. An external id held by several targets names the newest.
func findContact(ctx context.Context, tx *sqlx.Tx, campaign int, ref ContactRef) (int64, error) {
	col := "target_id"
	if ref.External {
		col = "external_target_id"
	}
	var id int64
	err := tx.GetContext(ctx, &id, `SELECT target_id FROM dialer.target WHERE campaign_id=$1 AND `+col+`=$2
		ORDER BY target_id DESC LIMIT 1 FOR UPDATE`, campaign, ref.ID)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, ErrContactNotFound
	}
	return id, err
}

// CreateDisposition tags the contact ref with option d.DispositionOptionID
// (its campaign is the option's): ErrDispositionOptionNotFound,
// ErrContactNotFound or ErrDuplicateDisposition when it cannot. An agenda
// option needs d.Agenda, which schedules the callback on the target.
func (db *DB) CreateDisposition(ctx context.Context, ref ContactRef, d Disposition) (Disposition, error) {
	err := db.inTx(ctx, func(tx *sqlx.Tx) error {
		o, err := dispositionOption(ctx, tx, d.DispositionOptionID)
		if err != nil {
			return err
		}
		d.CampaignID = o.CampaignID
		if d.TargetID, err = findContact(ctx, tx, o.CampaignID, ref); err != nil {
			return err
		}
		return db.insertDisposition(ctx, tx, o, &d)
	})
	return d, err
}

// CreateContactWithDisposition adds t to the option's campaign and tags it,
// in one transaction: both or neither.
func (db *DB) CreateContactWithDisposition(ctx context.Context, t dialer.Target, d Disposition) (Disposition, error) {
	err := db.inTx(ctx, func(tx *sqlx.Tx) error {
		o, err := dispositionOption(ctx, tx, d.DispositionOptionID)
		if err != nil {
			return err
		}
		d.CampaignID, t.CampaignID = o.CampaignID, o.CampaignID
		if d.TargetID, err = insertTarget(ctx, tx, t); err != nil {
			return err
		}
		return db.insertDisposition(ctx, tx, o, &d)
	})
	return d, err
}

func insertTarget(ctx context.Context, tx *sqlx.Tx, t dialer.Target) (int64, error) {
	if err := checkCampaign(ctx, tx, "idCampaign", t.CampaignID); err != nil {
		return 0, err
	}
	var id int64
	err := tx.QueryRowxContext(ctx, `INSERT INTO dialer.target (campaign_id, first_name, last_name, phone_i, phone_ii,
		phone_iii, data_i, data_ii, data_iii, priority, file_number, external_target_id, time_zone)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13) RETURNING target_id`,
		t.CampaignID, t.FirstName, t.LastName, t.PhoneI, t.PhoneII, t.PhoneIII, t.DataI, t.DataII, t.DataIII,
		t.Priority, t.FileNumber, t.ExternalTargetID, t.TimeZone).Scan(&id)
	return id, err
}

// AddContact adds t to its campaign, refusing an external id another target
// of the campaign has (EINVALID naming externalField).
func (db *DB) AddContact(ctx context.Context, t dialer.Target, externalField string) (int64, error) {
	var id int64
	err := db.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := checkCampaign(ctx, tx, "idCampaign", t.CampaignID); err != nil {
			return err
		}
		if t.ExternalTargetID != nil {
			// one external id per campaign: concurrent adds of the same id wait here
			if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(16023, $1)`, t.CampaignID); err != nil {
				return err
			}
			var taken bool
			if err := tx.GetContext(ctx, &taken, `SELECT EXISTS (SELECT 1 FROM dialer.target WHERE campaign_id=$1 AND external_target_id=$2)`,
				t.CampaignID, *t.ExternalTargetID); err != nil {
				return err
			}
			if taken {
				return ccd.Invalid(externalField, fmt.Sprintf("a contact of the campaign has the external id %d already", *t.ExternalTargetID))
			}
		}
		var err error
		id, err = insertTarget(ctx, tx, t)
		return err
	})
	return id, err
}

func (db *DB) insertDisposition(ctx context.Context, tx *sqlx.Tx, o DispositionOption, d *Disposition) error {
	if err := checkAgenda(o, d.Agenda); err != nil {
		return err
	}
	if err := db.checkAgendaAgent(ctx, tx, *d); err != nil {
		return err
	}
	err := tx.GetContext(ctx, &d.ID, `INSERT INTO dialer.disposition (campaign_id, target_id, disposition_option_id, agent, callid, comments)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING disposition_id`, d.CampaignID, d.TargetID, d.DispositionOptionID, d.Agent, d.CallID, d.Comments)
	if isUniqueViolation(err) {
		return ErrDuplicateDisposition
	}
	if err != nil {
		return err
	}
	if err := putAgenda(ctx, tx, d); err != nil {
		return err
	}
	return logDisposition(ctx, tx, o, *d, false)
}

// logDisposition writes the dialer.disposition event of d in the
// transaction that stores it: every interface that sets a disposition goes
// through here, and the event is there exactly when the disposition is. It
// is the transaction's last statement: the log's append lock is held from
// here to the commit.
func logDisposition(ctx context.Context, tx *sqlx.Tx, o DispositionOption, d Disposition, changed bool) error {
	now := time.Now()
	p := ccd.DialerDisposition{DispositionID: d.ID, CampaignID: d.CampaignID, TargetID: d.TargetID, OptionID: o.ID,
		Option: o.Name, Kind: o.Kind, Agent: d.Agent, Changed: changed}
	if d.Agenda != nil {
		p.AgendaAt, p.AgendaKind = d.Agenda.At, d.Agenda.Kind
	}
	q, args := appendStatement([]eventlog.Event{{At: now, Kind: ccd.EventDialerDisposition, Source: eventlog.SourceAPI,
		Key: fmt.Sprintf("%s-%d-%d", ccd.EventDialerDisposition, d.ID, now.UnixNano()), CallID: d.CallID, Agent: d.Agent,
		Payload: eventlog.Payload(p)}})
	_, err := tx.ExecContext(ctx, q, args...)
	return err
}

// checkAgendaAgent refuses a PERSONAL callback of d whose agent does not
// serve d's campaign's queue, when SetAgentServes set the check.
func (db *DB) checkAgendaAgent(ctx context.Context, tx *sqlx.Tx, d Disposition) error {
	serves := db.AgentServes()
	if serves == nil || d.Agenda == nil || d.Agenda.Kind != "personal" {
		return nil
	}
	var queue string
	if err := tx.GetContext(ctx, &queue, `SELECT queue_code FROM dialer.campaign WHERE campaign_id=$1`, d.CampaignID); err != nil {
		return err
	}
	if d.Agent == "" || !serves(d.Agent, queue) {
		return &AgendaAgentError{Agent: d.Agent, Queue: queue, CampaignID: d.CampaignID}
	}
	return nil
}

// checkAgenda: an agenda option takes a callback, the others none.
func checkAgenda(o DispositionOption, a *Agenda) error {
	switch {
	case o.Kind == DispositionAgenda && a == nil:
		return ccd.Invalid("agenda", fmt.Sprintf("the option %q schedules a callback: give its date, time and type", o.Name))
	case o.Kind != DispositionAgenda && a != nil:
		return ccd.Invalid("agenda", fmt.Sprintf("the option %q schedules no callback", o.Name))
	}
	return nil
}

// putAgenda replaces the disposition's callback and schedules it on the
// target: status "callback", next call at its time, call_me 1 (personal) or
// 2 (global). Without a callback, one the disposition had goes.
func putAgenda(ctx context.Context, tx *sqlx.Tx, d *Disposition) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM dialer.agenda WHERE disposition_id=$1`, d.ID); err != nil {
		return err
	}
	if d.Agenda == nil {
		return nil
	}
	a := d.Agenda
	if _, err := tx.ExecContext(ctx, `INSERT INTO dialer.agenda (disposition_id, target_id, agent, callback_at, kind, comments)
		VALUES ($1, $2, $3, $4, $5, $6)`, d.ID, d.TargetID, d.Agent, a.At, a.Kind, a.Comments); err != nil {
		return err
	}
	callMe, next := 1, &a.At
	if a.Kind == "global" {
		callMe = 2
	} else {
		// Personal: the target's next call is when any agent may take it;
		// its agent's claims go by the callback's own time.
		var fallback *int
		if err := tx.GetContext(ctx, &fallback, `SELECT agenda_fallback_minutes FROM dialer.campaign WHERE campaign_id=$1`,
			d.CampaignID); err != nil {
			return err
		}
		next = AgendaFallback(dialer.Campaign{AgendaFallbackMinutes: fallback}, a.At)
	}
	_, err := tx.ExecContext(ctx, `UPDATE dialer.target SET status_code=$2, next_call_ts=$3, call_me=$4
		WHERE target_id=$1 AND status_code <> $5`, d.TargetID, dialer.StatusCallback, next, callMe, dialer.StatusRemoved)
	return err
}

// UpdateDisposition replaces disposition d.ID; agent, when not nil, limits
// it to that agent's dispositions (ErrDispositionNotFound otherwise). The
// contact and option may change, within the option's campaign.
func (db *DB) UpdateDisposition(ctx context.Context, agent *string, ref ContactRef, d Disposition) (Disposition, error) {
	err := db.inTx(ctx, func(tx *sqlx.Tx) error {
		var old Disposition
		err := tx.GetContext(ctx, &old, `SELECT disposition_id, campaign_id, target_id, disposition_option_id, agent, callid, comments
			FROM dialer.disposition WHERE disposition_id=$1 AND ($2::text IS NULL OR agent=$2) FOR UPDATE`, d.ID, agent)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrDispositionNotFound
		}
		if err != nil {
			return err
		}
		o, err := dispositionOption(ctx, tx, d.DispositionOptionID)
		if err != nil {
			return err
		}
		if err := checkAgenda(o, d.Agenda); err != nil {
			return err
		}
		d.CampaignID = o.CampaignID
		if d.TargetID, err = findContact(ctx, tx, o.CampaignID, ref); err != nil {
			return err
		}
		if d.Agent == "" {
			d.Agent = old.Agent
		}
		if err := db.checkAgendaAgent(ctx, tx, d); err != nil {
			return err
		}
		var scheduled bool // the disposition had a callback still to be made
		if err := tx.GetContext(ctx, &scheduled, `SELECT EXISTS (SELECT 1 FROM dialer.agenda WHERE disposition_id=$1
			AND done_at IS NULL)`, d.ID); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE dialer.disposition SET campaign_id=$2, target_id=$3, disposition_option_id=$4,
			agent=$5, callid=$6, comments=$7, updated_at=now() WHERE disposition_id=$1`,
			d.ID, d.CampaignID, d.TargetID, d.DispositionOptionID, d.Agent, d.CallID, d.Comments)
		if isUniqueViolation(err) {
			return ErrDuplicateDisposition
		}
		if err != nil {
			return err
		}
		if err := putAgenda(ctx, tx, &d); err != nil {
			return err
		}
		if scheduled && (d.Agenda == nil || d.TargetID != old.TargetID) {
			if err := unschedule(ctx, tx, old.TargetID); err != nil {
				return err
			}
		}
		return logDisposition(ctx, tx, o, d, true)
	})
	return d, err
}

// unschedule puts target, whose callback a changed disposition cancelled,
// where a disposition without a callback would have left it: the result
// of its last attempt under the campaign's retry rules, as FinishAttempt
// set it (new, never dialled, when it has none). A target being dialled
// takes its attempt's result when the attempt ends; one in a final status
// stays there. Either way it is no callback any more (call_me 0).
func unschedule(ctx context.Context, tx *sqlx.Tx, targetID int64) error {
	var t dialer.Target
	if err := tx.GetContext(ctx, &t, `SELECT `+targetColumns+` FROM dialer.target WHERE target_id=$1 FOR UPDATE`, targetID); err != nil {
		return err
	}
	var now struct {
		Dialing bool `db:"dialing"`
		Final   bool `db:"final"`
	}
	if err := tx.GetContext(ctx, &now, `SELECT t.dialing_phone IS NOT NULL AS dialing, s.final
		FROM dialer.target t JOIN dialer.status_code s USING (status_code) WHERE t.target_id=$1`, targetID); err != nil {
		return err
	}
	switch {
	case now.Final:
		_, err := tx.ExecContext(ctx, `UPDATE dialer.target SET call_me=0 WHERE target_id=$1`, targetID)
		return err
	case now.Dialing:
		// FinishAttempt keeps a callback status; the dialling one lets the
		// attempt's result through.
		_, err := tx.ExecContext(ctx, `UPDATE dialer.target SET call_me=0, status_code=$2 WHERE target_id=$1`,
			targetID, dialer.StatusDialing)
		return err
	}
	var last struct {
		Phone  int       `db:"phone_index"`
		Result int       `db:"result"`
		Ended  time.Time `db:"ended_at"`
	}
	err := tx.GetContext(ctx, &last, `SELECT phone_index, result, ended_at FROM dialer.attempt
		WHERE target_id=$1 AND ended_at IS NOT NULL AND result IS NOT NULL ORDER BY ended_at DESC, attempt_id DESC LIMIT 1`, targetID)
	if errors.Is(err, sql.ErrNoRows) {
		_, err = tx.ExecContext(ctx, `UPDATE dialer.target SET call_me=0, status_code=$2, next_call_ts=NULL WHERE target_id=$1`,
			targetID, dialer.StatusNew)
		return err
	}
	if err != nil {
		return err
	}
	c, err := campaignWithRules(ctx, tx, t.CampaignID)
	if err != nil {
		return err
	}
	out := dialer.AfterAttempt(c, t, last.Phone, last.Result, t.TotalDials, last.Ended)
	_, err = tx.ExecContext(ctx, `UPDATE dialer.target SET call_me=0, status_code=$2, next_call_ts=$3, next_phone=$4
		WHERE target_id=$1`, targetID, out.StatusCode, out.NextCall, out.NextPhone)
	return err
}

// Dispositions lists the dispositions, oldest first; agent, when not nil,
// only that agent's.
func (db *DB) Dispositions(ctx context.Context, agent *string) ([]Disposition, error) {
	out := []Disposition{}
	err := db.SelectContext(ctx, &out, `SELECT disposition_id, campaign_id, target_id, disposition_option_id, agent, callid, comments
		FROM dialer.disposition WHERE $1::text IS NULL OR agent=$1 ORDER BY disposition_id`, agent)
	return out, err
}

// AgendaOf reads the callback of disposition id (nil: none).
func (db *DB) AgendaOf(ctx context.Context, id int64) (*Agenda, error) {
	var a struct {
		At       time.Time `db:"callback_at"`
		Kind     string    `db:"kind"`
		Comments string    `db:"comments"`
	}
	err := db.GetContext(ctx, &a, `SELECT callback_at, kind, comments FROM dialer.agenda WHERE disposition_id=$1`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &Agenda{At: a.At, Kind: a.Kind, Comments: a.Comments}, nil
}

// ClaimAgenda marks as dialling the personal callback of agent in campaign
// that is due first at now (dialer.claim_agenda: the rules of ClaimTargets);
// ok is false when none can be dialled. The caller has checked the
// campaign's schedule and that the agent is free.
func (db *DB) ClaimAgenda(ctx context.Context, campaign int, agent string, now time.Time) (c Claim, ok bool, err error) {
	var cs []Claim
	if err := db.SelectContext(ctx, &cs, `SELECT target_id, phone, phone_index FROM dialer.claim_agenda($1, $2, $3)`,
		campaign, now, agent); err != nil || len(cs) == 0 {
		return c, false, err
	}
	return cs[0], true, nil
}

// ReleaseAgenda turns agent's personal callbacks of campaign that are
// still to be made (and not being dialled) into callbacks any agent of
// the campaign takes at their time (as GLOBAL ones): for an agent that no
// longer serves the campaign's queue, who could never take them. It
// returns the targets released.
func (db *DB) ReleaseAgenda(ctx context.Context, campaign int, agent string) ([]int64, error) {
	var ids []int64
	err := db.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := tx.SelectContext(ctx, &ids, `WITH a AS (
				UPDATE dialer.agenda a SET kind='global' FROM dialer.target t
				 WHERE t.target_id = a.target_id AND t.campaign_id=$1 AND a.agent=$2 AND a.kind='personal'
				   AND a.done_at IS NULL AND t.dialing_since IS NULL
				RETURNING a.target_id, a.callback_at)
			UPDATE dialer.target t SET call_me=2, next_call_ts=a.callback_at FROM a
			 WHERE t.target_id = a.target_id RETURNING t.target_id`, campaign, agent); err != nil {
			return err
		}
		return nil
	})
	return ids, err
}

// AgendaEntry is a personal callback still to be made: its agent's
// "Agenda".
type AgendaEntry struct {
	DispositionID int64     `json:"dispositionId" db:"disposition_id"`
	CampaignID    int       `json:"campaignId" db:"campaign_id"`
	TargetID      int64     `json:"targetId" db:"target_id"`
	Agent         string    `json:"agent" db:"agent"`
	CallbackAt    time.Time `json:"callbackAt" db:"callback_at"`
	Comments      string    `json:"comments" db:"comments"`
	FirstName     string    `json:"fName" db:"first_name"`
	LastName      string    `json:"lName" db:"last_name"`
	Phone         string    `json:"phone" db:"phone"`
	DataI         string    `json:"dataI" db:"data_i"`
	// Dialling: a call to the target is in progress.
	Dialling bool `json:"dialling" db:"dialling"`
}

// AgentAgenda lists agent's personal callbacks still to be made (not
// reached yet, the target still to be dialled), the earliest first.
func (db *DB) AgentAgenda(ctx context.Context, agent string) ([]AgendaEntry, error) {
	out := []AgendaEntry{}
	err := db.SelectContext(ctx, &out, `SELECT a.disposition_id, t.campaign_id, a.target_id, a.agent, a.callback_at, a.comments,
		t.first_name, t.last_name, CASE t.next_phone WHEN 1 THEN t.phone_i WHEN 2 THEN t.phone_ii ELSE t.phone_iii END AS phone,
		t.data_i, t.dialing_since IS NOT NULL AS dialling
		FROM dialer.agenda a JOIN dialer.target t USING (target_id)
		JOIN dialer.status_code s ON s.status_code = t.status_code AND NOT s.final
		JOIN dialer.campaign c ON c.campaign_id = t.campaign_id AND NOT c.hidden
		WHERE a.agent=$1 AND a.kind='personal' AND a.done_at IS NULL
		ORDER BY a.callback_at, a.disposition_id`, agent)
	return out, err
}

// PendingAgendaAgents lists, per campaign, the agents with a personal
// callback of it due at now: the dialer looks whether they are free.
func (db *DB) PendingAgendaAgents(ctx context.Context, now time.Time) (map[int][]string, error) {
	var rows []struct {
		Campaign int    `db:"campaign_id"`
		Agent    string `db:"agent"`
	}
	err := db.SelectContext(ctx, &rows, `SELECT DISTINCT t.campaign_id, a.agent
		FROM dialer.agenda a JOIN dialer.target t USING (target_id)
		JOIN dialer.status_code s ON s.status_code = t.status_code AND NOT s.final
		WHERE a.kind='personal' AND a.done_at IS NULL AND a.callback_at <= $1 AND t.dialing_since IS NULL
		ORDER BY 1, 2`, now)
	if err != nil {
		return nil, err
	}
	out := map[int][]string{}
	for _, r := range rows {
		out[r.Campaign] = append(out[r.Campaign], r.Agent)
	}
	return out, nil
}
