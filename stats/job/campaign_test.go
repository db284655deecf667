package job_test

import (
	"context"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/ccdhq/ccd/internal/pgtest"
	"github.com/ccdhq/ccd/stats"
	"github.com/ccdhq/ccd/stats/job"
	"github.com/ccdhq/ccd/stats/statstest"
	"github.com/ccdhq/ccd/store"
)

// TestCampaignStatLiveEqualsRebuild: the dialer's events, logged in chunks
// and folded by the live job, give the exact campaignstat rows, and a
// rebuild of the range writes the same rows.
func TestCampaignStatLiveEqualsRebuild(t *testing.T) {
	db := pgtest.NewDB(t)
	clock := stats.Clock{Loc: time.UTC}
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	evs := statstest.DialerLog(start, []statstest.DialerCall{
		{Campaign: 7, Placed: time.Minute, Ended: time.Minute + 20*time.Second, Status: "answered"},
		{Campaign: 7, Placed: 2 * time.Minute, Ended: 2*time.Minute + 30*time.Second, Status: "no_answer"},
		{Campaign: 7, Placed: 3 * time.Minute, Ended: 3*time.Minute + 5*time.Second, Status: "busy"},
		{Campaign: 7, Placed: 4 * time.Minute, Ended: 4*time.Minute + 9*time.Second, Status: "abandoned", Abandoned: true},
		{Campaign: 7, Placed: 14*time.Minute + 50*time.Second, Ended: 15*time.Minute + 20*time.Second, Status: "machine"},
		{Campaign: 9, Placed: 16 * time.Minute, Ended: 16*time.Minute + 3*time.Second, Status: "invalid_number"},
	})
	live := job.NewLive(db, clock, nil)
	end := feedLive(t, store.EventSink{DB: db}, live, evs, 3, 7*time.Second, 20*time.Minute)
	want := snapshot(t, db)
	type row struct {
		Campaign                                                     int       `db:"campaignid"`
		Date                                                         time.Time `db:"thedate"`
		Attempts, Human, Machine, NoAnswer, Busy, Congestion, Failed int
		Abandoned                                                    int
	}
	var got []row
	if err := db.Select(&got, `SELECT campaignid, thedate, attempts, answered_human AS human, answered_machine AS machine,
		no_answer AS noanswer, busy, congestion, failed, abandoned FROM stat.campaignstat ORDER BY thedate, campaignid`); err != nil {
		t.Fatal(err)
	}
	q0, q1 := start, start.Add(15*time.Minute)
	exact := []row{
		{Campaign: 7, Date: q0, Attempts: 5, Human: 2, NoAnswer: 1, Busy: 1, Abandoned: 1},
		{Campaign: 7, Date: q1, Machine: 1},
		{Campaign: 9, Date: q1, Attempts: 1, Failed: 1},
	}
	for i := range got {
		got[i].Date = got[i].Date.UTC()
	}
	if !reflect.DeepEqual(got, exact) {
		t.Fatalf("campaignstat\n got %+v\nwant %+v", got, exact)
	}
	// The reader behind GET /api/stats/:table serves it, a queue filter is refused.
	names, vals, err := db.StatRows(context.Background(), store.StatQuery{Table: "campaignstat", From: start, To: end})
	if err != nil || len(vals) != len(exact) || !slices.Contains(names, "answered_human") {
		t.Fatalf("StatRows: %v %v %v", names, vals, err)
	}
	if err := store.ValidateStatQuery(store.StatQuery{Table: "campaignstat", Queue: "sales"}); err == nil {
		t.Fatal("a queue filter on campaignstat was accepted")
	}
	if _, err := job.Rebuild(context.Background(), db, clock, clock.DayStart(start), end.Add(time.Hour), nil); err != nil {
		t.Fatal(err)
	}
	diff(t, "after a rebuild", want, snapshot(t, db))
}
