package webhook

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/config"
	"github.com/ccdhq/ccd/store"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// Subscription is one receiver of the employee webhooks (table
// webhook_subscription).
type Subscription struct {
	ID             string         `db:"id" json:"id"`
	URL            string         `db:"url" json:"url"`
	Format         string         `db:"format" json:"format"`
	Secret         string         `db:"secret" json:"secret"`
	Events         pq.StringArray `db:"events" json:"events"`
	Enabled        bool           `db:"enabled" json:"enabled"`
	DisabledReason string         `db:"disabled_reason" json:"disabled_reason,omitempty"`
	FromConfig     bool           `db:"from_config" json:"from_config"`
	CreatedAt      time.Time      `db:"created_at" json:"created_at"`
	UpdatedAt      time.Time      `db:"updated_at" json:"updated_at"`
}

// wants reports whether the subscription takes messages of kind typ.
func (s Subscription) wants(typ string) bool {
	if len(s.Events) == 0 {
		return true
	}
	for _, e := range s.Events {
		if e == typ {
			return true
		}
	}
	return false
}

// Letter is one outbox row: a message for one subscription.
type Letter struct {
	ID           int64      `db:"id" json:"-"`
	Subscription string     `db:"subscription" json:"subscription"`
	MsgID        string     `db:"msg_id" json:"msg_id"`
	EventID      int64      `db:"event_id" json:"event_id"`
	Type         string     `db:"type" json:"type"`
	FieldsJSON   []byte     `db:"fields" json:"-"`
	State        string     `db:"state" json:"state"`
	Attempts     int        `db:"attempts" json:"attempts"`
	NextAt       time.Time  `db:"next_at" json:"next_at"`
	EventAt      time.Time  `db:"event_at" json:"event_at"`
	DoneAt       *time.Time `db:"done_at" json:"done_at,omitempty"`
	LastStatus   int        `db:"last_status" json:"last_status"`
	LastError    string     `db:"last_error" json:"last_error,omitempty"`
	// Fields are the message's parameters, in order, for the admin's view.
	Fields map[string]string `db:"-" json:"fields"`
}

const letterColumns = `id, subscription, msg_id, event_id, type, fields, state, attempts, next_at, event_at, done_at, last_status, last_error`

// Store is the webhook tables.
type Store struct{ DB *store.DB }

var errNoSubscription = &ccd.Error{Code: ccd.ENOTFOUND, Field: "id", Message: "no such webhook subscription"}

// Subscriptions lists every subscription by id.
func (s Store) Subscriptions(ctx context.Context) ([]Subscription, error) {
	var out []Subscription
	if err := s.DB.SelectContext(ctx, &out, `SELECT * FROM webhook_subscription ORDER BY id`); err != nil {
		return nil, fmt.Errorf("webhook: subscriptions: %w", err)
	}
	return out, nil
}

// Subscription returns one subscription (ccd.ENOTFOUND when there is none).
func (s Store) Subscription(ctx context.Context, id string) (Subscription, error) {
	var sub Subscription
	err := s.DB.GetContext(ctx, &sub, `SELECT * FROM webhook_subscription WHERE id = $1`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return sub, errNoSubscription
	}
	if err != nil {
		return sub, fmt.Errorf("webhook: subscription %s: %w", id, err)
	}
	return sub, nil
}

// Put creates or replaces a subscription; an empty secret keeps the stored
// one (or makes one for a new subscription). created tells which.
func (s Store) Put(ctx context.Context, c config.WebhookSubscription, enabled, fromConfig bool) (sub Subscription, created bool, err error) {
	if c.Events == nil {
		c.Events = []string{}
	}
	err = s.DB.QueryRowxContext(ctx, `
		INSERT INTO webhook_subscription (id, url, format, secret, events, enabled, from_config)
		VALUES ($1, $2, $3, CASE WHEN $4 = '' THEN $5 ELSE $4 END, $6, $7, $8)
		ON CONFLICT (id) DO UPDATE SET url = excluded.url, format = excluded.format,
			secret = CASE WHEN $4 = '' THEN webhook_subscription.secret ELSE $4 END,
			events = excluded.events, enabled = $7,
			disabled_reason = CASE WHEN $7 THEN '' ELSE webhook_subscription.disabled_reason END,
			from_config = excluded.from_config, updated_at = now()
		RETURNING (xmax = 0)`,
		c.ID, c.URL, c.Format, c.Secret, NewSecret(), pq.StringArray(c.Events), enabled, fromConfig).Scan(&created)
	if err != nil {
		return sub, false, fmt.Errorf("webhook: store subscription %s: %w", c.ID, err)
	}
	sub, err = s.Subscription(ctx, c.ID)
	return sub, created, err
}

// Seed stores the subscriptions of the configuration file: they are
// created, or updated to the file's settings; one a receiver disabled (410)
// stays disabled until an admin enables it.
func (s Store) Seed(ctx context.Context, subs []config.WebhookSubscription) error {
	for _, c := range subs {
		enabled := true
		if old, err := s.Subscription(ctx, c.ID); err == nil {
			enabled = old.Enabled
		}
		if _, _, err := s.Put(ctx, c, enabled, true); err != nil {
			return err
		}
	}
	return nil
}

// Delete removes a subscription and its outbox.
func (s Store) Delete(ctx context.Context, id string) error {
	res, err := s.DB.ExecContext(ctx, `DELETE FROM webhook_subscription WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("webhook: delete subscription %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errNoSubscription
	}
	return nil
}

func (s Store) disable(ctx context.Context, id, reason string) error {
	_, err := s.DB.ExecContext(ctx, `UPDATE webhook_subscription SET enabled = false, disabled_reason = $2, updated_at = now() WHERE id = $1`, id, reason)
	return err
}

// DeadLetters lists a subscription's dead letters after the id after, up
// to limit, oldest first.
func (s Store) DeadLetters(ctx context.Context, sub string, after int64, limit int) ([]Letter, error) {
	if _, err := s.Subscription(ctx, sub); err != nil {
		return nil, err
	}
	var out []Letter
	err := s.DB.SelectContext(ctx, &out, `SELECT `+letterColumns+` FROM webhook_outbox
		WHERE subscription = $1 AND state = 'dead' AND id > $2 ORDER BY id LIMIT $3`, sub, after, limit)
	if err != nil {
		return nil, fmt.Errorf("webhook: dead letters of %s: %w", sub, err)
	}
	for i := range out {
		out[i].Fields = map[string]string{}
		fs, _ := parseFields(out[i].FieldsJSON)
		for _, f := range fs {
			out[i].Fields[f.Name] = f.Value
		}
	}
	return out, nil
}

// Replay sends dead letters of a subscription again, from the first attempt:
// the ones named by msgIDs, or all when msgIDs is empty. It returns how many.
func (s Store) Replay(ctx context.Context, sub string, msgIDs []string, now time.Time) (int, error) {
	if _, err := s.Subscription(ctx, sub); err != nil {
		return 0, err
	}
	res, err := s.DB.ExecContext(ctx, `UPDATE webhook_outbox SET state = 'pending', attempts = 0, next_at = $3, done_at = NULL
		WHERE subscription = $1 AND state = 'dead' AND (coalesce(cardinality($2::text[]), 0) = 0 OR msg_id = ANY($2))`,
		sub, pq.StringArray(msgIDs), now)
	if err != nil {
		return 0, fmt.Errorf("webhook: replay %s: %w", sub, err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// enqueue writes the letters into the outbox inside tx, in one statement;
// a letter already there (the same subscription and msg_id) is left alone.
func enqueue(ctx context.Context, tx *sqlx.Tx, ls []Letter) (int64, error) {
	if len(ls) == 0 {
		return 0, nil
	}
	subs, ids, types, fields, nexts, ats := make([]string, len(ls)), make([]string, len(ls)), make([]string, len(ls)),
		make([]string, len(ls)), make([]string, len(ls)), make([]string, len(ls))
	events := make([]int64, len(ls))
	for i, l := range ls {
		subs[i], ids[i], events[i], types[i], fields[i] = l.Subscription, l.MsgID, l.EventID, l.Type, string(l.FieldsJSON)
		nexts[i], ats[i] = l.NextAt.Format(time.RFC3339Nano), l.EventAt.Format(time.RFC3339Nano)
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO webhook_outbox (subscription, msg_id, event_id, type, fields, next_at, event_at)
		SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[]::json[], $6::timestamptz[], $7::timestamptz[])
		ON CONFLICT (subscription, msg_id) DO NOTHING`,
		pq.StringArray(subs), pq.StringArray(ids), pq.Int64Array(events), pq.StringArray(types), pq.StringArray(fields),
		pq.StringArray(nexts), pq.StringArray(ats))
	if err != nil {
		return 0, fmt.Errorf("webhook: outbox: %w", err)
	}
	return res.RowsAffected()
}

// pending returns up to limit of a subscription's pending letters, in order.
func (s Store) pending(ctx context.Context, sub string, limit int) ([]Letter, error) {
	var out []Letter
	err := s.DB.SelectContext(ctx, &out, `SELECT `+letterColumns+` FROM webhook_outbox
		WHERE subscription = $1 AND state = 'pending' ORDER BY id LIMIT $2`, sub, limit)
	return out, err
}

// delivered marks letters delivered (their last attempt succeeded).
func (s Store) delivered(ctx context.Context, ids []int64, statuses []int, at time.Time) error {
	if len(ids) == 0 {
		return nil
	}
	st := make([]int64, len(statuses))
	for i, v := range statuses {
		st[i] = int64(v)
	}
	return s.unsynced(ctx, `UPDATE webhook_outbox o SET state = 'delivered', attempts = o.attempts + 1, done_at = $3,
			last_status = d.status, last_error = ''
		FROM unnest($1::bigint[], $2::int[]) AS d(id, status) WHERE o.id = d.id AND o.state = 'pending'`,
		pq.Int64Array(ids), pq.Int64Array(st), at)
}

// unsynced runs one statement in a transaction that does not wait for the
// disk: a delivery mark lost in a server crash only sends the letter again
// (at least once), and the receiver drops the repeat by its webhook-id.
func (s Store) unsynced(ctx context.Context, q string, args ...any) error {
	tx, err := s.DB.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `SET LOCAL synchronous_commit = off`); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, q, args...); err != nil {
		return err
	}
	return tx.Commit()
}

// failed records a failed attempt: the letter waits until next, or is dead.
func (s Store) failed(ctx context.Context, id int64, attempts int, next time.Time, dead bool, status int, problem string, at time.Time) error {
	state := "pending"
	var done *time.Time
	if dead {
		state, done = "dead", &at
	}
	_, err := s.DB.ExecContext(ctx, `UPDATE webhook_outbox SET state = $2, attempts = $3, next_at = $4, done_at = $5,
		last_status = $6, last_error = $7 WHERE id = $1 AND state = 'pending'`, id, state, attempts, next, done, status, problem)
	return err
}

// purge removes delivered letters done before before.
func (s Store) purge(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.DB.ExecContext(ctx, `DELETE FROM webhook_outbox WHERE state = 'delivered' AND done_at < $1`, before)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// Backlog is what waits in the outbox.
type Backlog struct {
	Pending, Dead int64
	Oldest        time.Time // event time of the oldest pending letter; zero when none
}

// Backlog reads the outbox's figures, for the metrics.
func (s Store) Backlog(ctx context.Context) (Backlog, error) {
	var b Backlog
	var oldest sql.NullTime
	err := s.DB.QueryRowContext(ctx, `SELECT count(*) FILTER (WHERE state = 'pending'), count(*) FILTER (WHERE state = 'dead'),
		min(event_at) FILTER (WHERE state = 'pending') FROM webhook_outbox WHERE state <> 'delivered'`).Scan(&b.Pending, &b.Dead, &oldest)
	b.Oldest = oldest.Time
	return b, err
}

// cleanError keeps an error or answer text short and storable.
func cleanError(s string) string {
	s = strings.ToValidUTF8(strings.ReplaceAll(s, "\x00", ""), "?")
	if len(s) > 300 {
		s = strings.ToValidUTF8(s[:300], "") + "..."
	}
	return s
}
