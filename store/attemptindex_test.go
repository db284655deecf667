package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ccdhq/ccd/dialer"
	"github.com/ccdhq/ccd/internal/pgtest"
	"github.com/ccdhq/ccd/store"
)

// attemptsNow is the clock of the filled attempt tables.
var attemptsNow = time.Date(2026, 3, 31, 15, 0, 0, 0, time.UTC)

// fillAttempts adds campaigns campaigns with n attempts in all, spread
// evenly over the 30 days before attemptsNow: a third answered by a
// person, one in 97 of those abandoned. It returns the campaigns.
func fillAttempts(tb testing.TB, db *store.DB, campaigns, n int) []int {
	tb.Helper()
	ctx := context.Background()
	var ids []int
	for i := range campaigns {
		id, err := db.CreateCampaign(ctx, dialer.Campaign{Name: fmt.Sprintf("c%d", i), QueueCode: "sales", IsActive: true}.WithDefaults())
		if err != nil {
			tb.Fatal(err)
		}
		if _, err := db.AddTarget(ctx, dialer.Target{CampaignID: id, PhoneI: fmt.Sprint(5550000 + i)}.WithDefaults()); err != nil {
			tb.Fatal(err)
		}
		ids = append(ids, id)
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO dialer.attempt (campaign_id, target_id, phone, phone_index, channel_id, mode,
			started_at, answered_at, ended_at, result, human, abandoned)
		SELECT t.campaign_id, t.target_id, t.phone_i, 1, 'x' || g, 'progressive', s.at,
		       CASE WHEN g % 3 = 0 THEN s.at + interval '12 seconds' END, s.at + interval '40 seconds',
		       CASE WHEN g % 3 = 0 THEN 2 ELSE 3 END, g % 3 = 0, g % 291 = 0
		  FROM generate_series(0, $1 - 1) g
		  JOIN LATERAL (SELECT $2::timestamptz - (g * interval '30 days' / $1) AS at) s ON true
		  JOIN dialer.target t ON t.campaign_id = (SELECT campaign_id FROM dialer.campaign ORDER BY campaign_id OFFSET g % $3 LIMIT 1)`,
		n, attemptsNow, campaigns); err != nil {
		tb.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `ANALYZE dialer.attempt`); err != nil {
		tb.Fatal(err)
	}
	return ids
}

// plan is PostgreSQL's plan of query with args.
func plan(t *testing.T, db *store.DB, query string, args ...any) string {
	t.Helper()
	var lines []string
	if err := db.SelectContext(context.Background(), &lines, `EXPLAIN `+query, args...); err != nil {
		t.Fatal(err)
	}
	return strings.Join(lines, "\n")
}

// With 100,000 attempts, the queries that read dialer.attempt by time use
// an index: the campaign grid's calls of today (started_at, migration
// 0034) and the abandon-rate windows (answered_at, 0022).
func TestAttemptTimeQueriesUseTheirIndexes(t *testing.T) {
	db := pgtest.NewDB(t)
	ids := fillAttempts(t, db, 10, 100000)
	today := attemptsNow.Truncate(24 * time.Hour)
	if p := plan(t, db, store.CampaignGridQuery, today); !strings.Contains(p, "attempt_started") {
		t.Errorf("the campaign grid reads the attempts without the started_at index:\n%s", p)
	}
	for _, span := range []string{"1 hour", "24 hours", "30 days"} {
		p := plan(t, db, `SELECT * FROM dialer.abandon_rate($1, $2, $3)`, ids[0], attemptsNow, span)
		if !strings.Contains(p, "attempt_campaign_answered") {
			t.Errorf("the %s abandon-rate window reads the attempts without the answered_at index:\n%s", span, p)
		}
	}
}

// withoutStartedIndex runs f on db without migration 0034's index on
// dialer.attempt(started_at), then puts it back.
func withoutStartedIndex(b *testing.B, db *store.DB, f func()) {
	b.Helper()
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, `DROP INDEX dialer.attempt_started`); err != nil {
		b.Fatal(err)
	}
	f()
	if _, err := db.ExecContext(ctx, `CREATE INDEX attempt_started ON dialer.attempt (started_at); ANALYZE dialer.attempt`); err != nil {
		b.Fatal(err)
	}
}

// compareStartedIndex benchmarks query on db without, then with,
// migration 0034's index on dialer.attempt(started_at), after running it
// a few times so that neither variant pays for reading the table into
// the cache.
func compareStartedIndex(b *testing.B, db *store.DB, query func() error) {
	b.Helper()
	for range 20 {
		if err := query(); err != nil {
			b.Fatal(err)
		}
	}
	run := func(b *testing.B) {
		for range b.N {
			if err := query(); err != nil {
				b.Fatal(err)
			}
		}
	}
	withoutStartedIndex(b, db, func() { b.Run("without attempt_started", run) })
	b.Run("with attempt_started", run)
}

// BenchmarkAbandonWindows is the pacer's and the abandon route's query
// (1 h, 24 h and 30 days of one campaign) over 100,000 attempts, without
// and with the started_at index: it reads by answered_at, through 0022's
// index, either way.
func BenchmarkAbandonWindows(b *testing.B) {
	db := pgtest.NewDB(b)
	ids := fillAttempts(b, db, 10, 100000)
	compareStartedIndex(b, db, func() error {
		_, err := db.AbandonWindows(context.Background(), ids[3], attemptsNow, store.AbandonSpans...)
		return err
	})
}

// BenchmarkCampaignGrid is the supervisors' campaign grid (today's calls
// of every campaign) over 100,000 attempts of 30 days, without and with
// the started_at index.
func BenchmarkCampaignGrid(b *testing.B) {
	db := pgtest.NewDB(b)
	fillAttempts(b, db, 10, 100000)
	today := attemptsNow.Truncate(24 * time.Hour)
	compareStartedIndex(b, db, func() error {
		_, err := db.CampaignGrid(context.Background(), today)
		return err
	})
}
