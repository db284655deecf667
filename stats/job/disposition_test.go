package job_test

import (
	"context"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/ccdhq/ccd/eventlog"
	"github.com/ccdhq/ccd/internal/pgtest"
	"github.com/ccdhq/ccd/stats"
	"github.com/ccdhq/ccd/stats/job"
	"github.com/ccdhq/ccd/stats/statstest"
	"github.com/ccdhq/ccd/store"
)

// TestDispositionStatLiveEqualsRebuild: dispositions among the dialer's
// attempts, logged in chunks and folded by the live job, give the exact
// campaigndispositionstat rows, and a rebuild of the range writes the same
// rows.
func TestDispositionStatLiveEqualsRebuild(t *testing.T) {
	db := pgtest.NewDB(t)
	clock := stats.Clock{Loc: time.UTC}
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	evs := statstest.DialerLog(start, []statstest.DialerCall{
		{Campaign: 7, Placed: time.Minute, Ended: time.Minute + 20*time.Second, Status: "answered"},
		{Campaign: 7, Placed: 14 * time.Minute, Ended: 16 * time.Minute, Status: "answered"},
	})
	evs = append(evs, statstest.DispositionLog(start, int64(len(evs)+1), []statstest.Disposition{
		{Campaign: 7, Option: 3, At: 2 * time.Minute},
		{Campaign: 7, Option: 4, At: 5 * time.Minute},
		{Campaign: 7, Option: 3, At: 17 * time.Minute},
		{Campaign: 7, Option: 4, At: 18 * time.Minute, Changed: true},
		{Campaign: 9, Option: 8, At: 31 * time.Minute},
	})...)
	slices.SortStableFunc(evs, func(a, b eventlog.Event) int { return a.At.Compare(b.At) })
	live := job.NewLive(db, clock, nil)
	end := feedLive(t, store.EventSink{DB: db}, live, evs, 3, 7*time.Second, 20*time.Minute)
	want := snapshot(t, db)
	type row struct {
		Campaign     int       `db:"campaignid"`
		Option       int       `db:"dispositionoptionid"`
		Date         time.Time `db:"thedate"`
		Dispositions int       `db:"dispositions"`
	}
	var got []row
	if err := db.Select(&got, `SELECT campaignid, dispositionoptionid, thedate, dispositions FROM stat.campaigndispositionstat
		ORDER BY thedate, campaignid, dispositionoptionid`); err != nil {
		t.Fatal(err)
	}
	for i := range got {
		got[i].Date = got[i].Date.UTC()
	}
	q0, q1, q2 := start, start.Add(15*time.Minute), start.Add(30*time.Minute)
	exact := []row{{7, 3, q0, 1}, {7, 4, q0, 1}, {7, 3, q1, 1}, {7, 4, q1, 1}, {9, 8, q2, 1}}
	if !reflect.DeepEqual(got, exact) {
		t.Fatalf("campaigndispositionstat\n got %+v\nwant %+v", got, exact)
	}
	names, vals, err := db.StatRows(context.Background(), store.StatQuery{Table: "campaigndispositionstat", From: start, To: end})
	if err != nil || len(vals) != len(exact) || !slices.Contains(names, "dispositionoptionid") {
		t.Fatalf("StatRows: %v %v %v", names, vals, err)
	}
	if _, err := job.Rebuild(context.Background(), db, clock, clock.DayStart(start), end.Add(time.Hour), nil); err != nil {
		t.Fatal(err)
	}
	diff(t, "after a rebuild", want, snapshot(t, db))
}
