package job_test

import (
	"context"
	"testing"
	"time"

	"github.com/ccdhq/ccd/internal/pgtest"
	"github.com/ccdhq/ccd/stats"
	"github.com/ccdhq/ccd/stats/job"
	"github.com/ccdhq/ccd/stats/statstest"
	"github.com/ccdhq/ccd/store"
)

// Calls in call flows (RouterStat, and the CallsStat rows and DNIS figures
// of calls that end in a flow), mixed with queue traffic, computed live in
// chunks, are what a rebuild of the whole range and of its second half
// computes from the log: flow calls in progress at the start of a rebuilt
// range come from the events before it.
func TestFlowStatisticsLiveEqualsRebuild(t *testing.T) {
	db := pgtest.NewDB(t)
	ctx := context.Background()
	clock := stats.Clock{Loc: time.UTC}
	start := time.Date(2026, 3, 2, 8, 50, 0, 0, time.UTC)
	evs := append(statstest.FlowCalls(1, 300, start), statstest.Scenario(4, 300, start)...)
	sortByTime(evs)
	sink := store.EventSink{DB: db}
	live := job.NewLive(db, clock, nil)
	end := feedLive(t, sink, live, evs, 41, 3*time.Second, 30*time.Minute)
	want := snapshot(t, db)
	var routers, blocks, flowCalls int
	for _, r := range pgtest.StatRows(t, db)["routerstat"] {
		if r["devicetype"] == int64(stats.DevRouter) {
			routers++
		} else {
			blocks++
		}
	}
	for _, r := range pgtest.StatRows(t, db)["callsstat"] {
		if r["router"] != nil {
			flowCalls++
		}
	}
	if routers == 0 || blocks == 0 || flowCalls < 300 {
		t.Fatalf("live computed %d router rows, %d block rows, %d calls through flows", routers, blocks, flowCalls)
	}

	res, err := job.Rebuild(ctx, db, clock, start.Add(-time.Hour), end.Add(time.Hour), nil)
	if err != nil || res.Rows == 0 {
		t.Fatalf("rebuild: %+v, %v", res, err)
	}
	diff(t, "after a full rebuild", want, snapshot(t, db))
	mid := time.Unix(clock.Start(evs[len(evs)/2].At.Unix()), 0)
	if _, err := job.Rebuild(ctx, db, clock, mid, end.Add(time.Hour), nil); err != nil {
		t.Fatal(err)
	}
	diff(t, "after a rebuild of the second half", want, snapshot(t, db))
}
