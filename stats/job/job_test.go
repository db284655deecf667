package job_test

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ccdhq/ccd/eventlog"
	"github.com/ccdhq/ccd/internal/pgtest"
	"github.com/ccdhq/ccd/stats"
	"github.com/ccdhq/ccd/stats/job"
	"github.com/ccdhq/ccd/stats/statstest"
	"github.com/ccdhq/ccd/store"
)

// snapshot reads every statistics table except calcts, in a stable order.
func snapshot(t *testing.T, db *store.DB) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for name, rows := range pgtest.StatRows(t, db) {
		for _, m := range rows {
			var parts []string
			for _, col := range sortedKeys(m) {
				v := m[col]
				if tm, ok := v.(time.Time); ok {
					v = tm.Format(time.RFC3339)
				}
				parts = append(parts, fmt.Sprintf("%s=%v", col, v))
			}
			out[name] = append(out[name], strings.Join(parts, " "))
		}
		sortStrings(out[name])
	}
	return out
}

func diff(t *testing.T, what string, want, got map[string][]string) {
	t.Helper()
	if reflect.DeepEqual(want, got) {
		return
	}
	for name, rows := range want {
		if !reflect.DeepEqual(rows, got[name]) {
			t.Errorf("%s: stat.%s has %d rows, want %d", what, name, len(got[name]), len(rows))
			seen := map[string]bool{}
			for _, r := range got[name] {
				seen[r] = true
			}
			shown := 0
			for _, r := range rows {
				if !seen[r] && shown < 3 {
					t.Errorf("  missing: %s", r)
					shown++
				}
			}
		}
	}
	t.FailNow()
}

// TestLiveEqualsRebuildInDatabase runs the live aggregator over a random
// stream appended in chunks (accounting open states at each step), then
// rebuilds the whole range and a later part of it from the log: the tables
// must not change. Replayed events change nothing either.
func TestLiveEqualsRebuildInDatabase(t *testing.T) {
	db := pgtest.NewDB(t)
	ctx := context.Background()
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip(err)
	}
	clock := stats.Clock{Loc: loc}
	start := time.Date(2025, 10, 25, 23, 20, 0, 0, loc) // across the fall-back change
	var evs []eventlog.Event
	for seed := range uint64(3) {
		evs = append(evs, statstest.Scenario(seed, 500, start)...)
	}
	sortByTime(evs)
	sink := store.EventSink{DB: db}
	live := job.NewLive(db, clock, nil)
	end := feedLive(t, sink, live, evs, 97, 7*time.Second, 40*time.Minute)
	want := snapshot(t, db)
	if len(want["agentstat"]) == 0 || len(want["callsstat"]) == 0 || len(want["devicestat"]) == 0 || len(want["campaignstat"]) == 0 {
		t.Fatalf("nothing computed: %d agentstat, %d callsstat rows", len(want["agentstat"]), len(want["callsstat"]))
	}

	// A replay of events already logged is stored once and counted once.
	if err := sink.Append(ctx, evs[:50]); err != nil {
		t.Fatal(err)
	}
	if n, err := live.Step(ctx); err != nil || n != 0 {
		t.Fatalf("replayed events folded again: %d, %v", n, err)
	}
	diff(t, "after a replay", want, snapshot(t, db))

	from := clock.DayStart(start)
	// Write finished quarter-hours as the rebuild goes, as a month's rebuild does.
	defer job.SetStageRows(20)()
	res, err := job.Rebuild(ctx, db, clock, from, end.Add(24*time.Hour), nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Events < int64(len(evs))/2 || res.Rows == 0 {
		t.Fatalf("rebuild folded %d events into %d rows", res.Events, res.Rows)
	}
	diff(t, "after a full rebuild", want, snapshot(t, db))

	// A part of the range, starting mid-stream: agents' states and calls in
	// progress come from before it.
	mid := time.Unix(clock.Start(evs[len(evs)/2].At.Unix()), 0)
	if _, err := job.Rebuild(ctx, db, clock, mid, end.Add(24*time.Hour), nil); err != nil {
		t.Fatal(err)
	}
	diff(t, "after a rebuild of the second half", want, snapshot(t, db))

	// A restarted live aggregator continues from its stored position and state.
	more := statstest.Scenario(9, 200, end.Add(time.Minute))
	for j := range more {
		more[j].ID = 0
	}
	if err := sink.Append(ctx, more); err != nil {
		t.Fatal(err)
	}
	end2 := more[len(more)-1].At.Add(20 * time.Minute)
	restarted := job.NewLive(db, clock, nil)
	restarted.Now = func() time.Time { return end2 }
	if _, err := restarted.Step(ctx); err != nil {
		t.Fatal(err)
	}
	want = snapshot(t, db)
	if _, err := job.Rebuild(ctx, db, clock, from, end2.Add(time.Hour), nil); err != nil {
		t.Fatal(err)
	}
	diff(t, "after a restart and a rebuild", want, snapshot(t, db))
}
