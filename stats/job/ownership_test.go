package job_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/ccdhq/ccd/eventlog"
	"github.com/ccdhq/ccd/internal/pgtest"
	"github.com/ccdhq/ccd/stats"
	"github.com/ccdhq/ccd/stats/job"
	"github.com/ccdhq/ccd/stats/statstest"
	"github.com/ccdhq/ccd/store"
)

// clearStats forgets every computed statistic and the live position, keeping
// the log and the codes (so rows computed again compare equal).
func clearStats(t *testing.T, db *store.DB) {
	t.Helper()
	for _, name := range store.StatTableNames() {
		if _, err := db.Exec(`DELETE FROM stat.` + name); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Exec(`DELETE FROM event_consumer WHERE name = $1`, job.ConsumerName); err != nil {
		t.Fatal(err)
	}
}

// onePass is the tables of one live pass over the whole log, with open
// states accounted up to end.
func onePass(t *testing.T, ctx context.Context, db *store.DB, clock stats.Clock, end time.Time) map[string][]string {
	t.Helper()
	clearStats(t, db)
	live := job.NewLive(db, clock, nil)
	live.Batch = 1 << 20
	live.Now = func() time.Time { return end }
	if _, err := live.Step(ctx); err != nil {
		t.Fatal(err)
	}
	return snapshot(t, db)
}

// logEvents returns a fresh log's events: scenarios on days one after the
// other, with ids and keys left to the log.
func logEvents(seed uint64, days int, start time.Time) []eventlog.Event {
	var evs []eventlog.Event
	for d := range days {
		evs = append(evs, statstest.Scenario(seed*100+uint64(d), 250, start.Add(time.Duration(d)*24*time.Hour))...)
	}
	for i := range evs {
		evs[i].ID = 0
	}
	return evs
}

// TestAnyOrderCountsOnce appends a log in chunks while, in random order,
// rebuilds of random ranges (also before the live aggregator ever saved a
// position), live steps with random batch sizes and clocks, and restarts of
// the live aggregator run; at the end the tables equal one pass over the log,
// and a rebuild without a live position gives the same.
func TestAnyOrderCountsOnce(t *testing.T) {
	db := pgtest.NewDB(t)
	ctx := context.Background()
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip(err)
	}
	clock := stats.Clock{Loc: loc}
	start := time.Date(2025, 10, 24, 22, 50, 0, 0, loc) // across the fall-back change
	defer job.SetStageRows(15)()
	for trial := range uint64(6) {
		t.Run(fmt.Sprint(trial), func(t *testing.T) {
			if _, err := db.Exec(`DELETE FROM call_event`); err != nil {
				t.Fatal(err)
			}
			clearStats(t, db)
			r := rand.New(rand.NewPCG(trial, 17))
			evs := logEvents(trial, 2, start)
			sink := store.EventSink{DB: db}
			newLive := func() *job.Live {
				l := job.NewLive(db, clock, nil)
				l.Batch = 1 + r.IntN(120)
				return l
			}
			live := newLive()
			var ops []string
			appended := 0
			var lastAt time.Time
			for appended < len(evs) || len(ops) < 8 {
				switch op := r.IntN(10); {
				case op < 4 && appended < len(evs):
					n := min(1+r.IntN(150), len(evs)-appended)
					if err := sink.Append(ctx, evs[appended:appended+n]); err != nil {
						t.Fatal(err)
					}
					appended += n
					lastAt = evs[appended-1].At
					ops = append(ops, fmt.Sprintf("append %d", n))
				case op < 7:
					// The clock runs ahead of the last event logged, so later
					// events come in behind what was accounted.
					now := lastAt.Add(time.Duration(r.IntN(300)) * time.Second)
					live.Now = func() time.Time { return now }
					if _, err := live.Step(ctx); err != nil {
						t.Fatal(err)
					}
					ops = append(ops, fmt.Sprintf("live step (batch %d) at %s", live.Batch, now.Format(time.TimeOnly)))
				case op < 8:
					live = newLive()
					ops = append(ops, "restart")
				default:
					lo := start.Add(-time.Hour).Add(time.Duration(r.Int64N(int64(52 * time.Hour))))
					hi := lo.Add(time.Duration(1+r.Int64N(int64(30*time.Hour))) / time.Minute * time.Minute)
					wall := lastAt.Add(time.Duration(r.IntN(300)) * time.Second)
					restore := job.SetWallClock(func() time.Time { return wall })
					res, err := job.Rebuild(ctx, db, clock, lo, hi, nil)
					restore()
					if err != nil {
						t.Fatal(err)
					}
					ops = append(ops, fmt.Sprintf("rebuild %s..%s (whole log %v, up to %d)", lo.Format(time.DateTime), hi.Format(time.DateTime), res.WholeLog, res.UpToID))
				}
			}
			end := lastAt.Add(time.Hour)
			live.Now = func() time.Time { return end }
			if _, err := live.Step(ctx); err != nil {
				t.Fatal(err)
			}
			got := snapshot(t, db)
			want := onePass(t, ctx, db, clock, end)
			if len(want["agentstat"]) == 0 || len(want["devicestat"]) == 0 {
				t.Fatal("nothing computed")
			}
			for _, op := range ops {
				t.Log(op)
			}
			diff(t, "after the interleaving", want, got)

			// A rebuild before the live aggregator ever ran counts the whole
			// log once; the live aggregator then continues after it.
			clearStats(t, db)
			defer job.SetWallClock(func() time.Time { return end })()
			res, err := job.Rebuild(ctx, db, clock, start.Add(3*time.Hour), start.Add(5*time.Hour), nil)
			if err != nil {
				t.Fatal(err)
			}
			if !res.WholeLog {
				t.Error("a rebuild without a live position did not cover the whole log")
			}
			diff(t, "after a rebuild without a live position", want, snapshot(t, db))
			restarted := job.NewLive(db, clock, nil)
			restarted.Now = func() time.Time { return end }
			if n, err := restarted.Step(ctx); err != nil || n != 0 {
				t.Fatalf("the live aggregator folded %d events after the rebuild, %v", n, err)
			}
			diff(t, "after the live aggregator continued a rebuild", want, snapshot(t, db))
		})
	}
}

// TestLiveWaitingInRebuildCountsOnce: a live aggregator that loaded no
// position and folded events, then found that a rebuild saved one meanwhile,
// starts again from the rebuild's position instead of adding what it folded.
func TestLiveWaitingInRebuildCountsOnce(t *testing.T) {
	db := pgtest.NewDB(t)
	ctx := context.Background()
	clock := stats.Clock{Loc: time.UTC}
	start := time.Date(2026, 2, 3, 8, 0, 0, 0, time.UTC)
	evs := logEvents(7, 1, start)
	if err := (store.EventSink{DB: db}).Append(ctx, evs); err != nil {
		t.Fatal(err)
	}
	end := evs[len(evs)-1].At.Add(time.Hour)
	defer job.SetWallClock(func() time.Time { return end })()
	live := job.NewLive(db, clock, nil)
	live.Now = func() time.Time { return end }
	live.Batch = 40
	// The first batch loads "no position"; the rebuild then takes over the
	// log before the live aggregator writes its next batch.
	if _, err := live.StepOnce(ctx); err != nil {
		t.Fatal(err)
	}
	clearStats(t, db)
	if _, err := job.Rebuild(ctx, db, clock, start, start.Add(time.Hour), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := live.Step(ctx); err != nil {
		t.Fatal(err)
	}
	got := snapshot(t, db)
	diff(t, "live after a rebuild took over", onePass(t, ctx, db, clock, end), got)
}

// TestBacklogAccountsNoTimeAhead: a live aggregator working through days of
// backlog in batches accounts open states only up to the last event it
// folded: after each batch no quarter-hour after that event holds state time,
// no agent is logged in longer than a quarter-hour in one, and at the end the
// tables equal one pass.
func TestBacklogAccountsNoTimeAhead(t *testing.T) {
	db := pgtest.NewDB(t)
	ctx := context.Background()
	clock := stats.Clock{Loc: time.UTC}
	start := time.Date(2026, 2, 3, 7, 0, 0, 0, time.UTC)
	evs := logEvents(3, 3, start)
	if err := (store.EventSink{DB: db}).Append(ctx, evs); err != nil {
		t.Fatal(err)
	}
	now := evs[len(evs)-1].At.Add(40 * 24 * time.Hour) // the backlog is weeks old
	live := job.NewLive(db, clock, nil)
	live.Now = func() time.Time { return now }
	live.Batch = 200
	folded := 0
	for batches := 1; ; batches++ {
		n, err := live.StepOnce(ctx)
		if err != nil {
			t.Fatal(err)
		}
		folded += n
		if n < live.Batch {
			if batches < 3 {
				t.Fatalf("the backlog took %d batches: too few to test", batches)
			}
			break
		}
		reached := evs[folded-1].At
		var ahead, over int
		err = db.QueryRow(`SELECT
				count(*) FILTER (WHERE thedate > $1 AND logintime + readytime + notreadytime + idletime <> 0),
				count(*) FILTER (WHERE logintime > $2)
			FROM stat.agentstat`, reached, stats.QuarterHour).Scan(&ahead, &over)
		if err != nil {
			t.Fatal(err)
		}
		if ahead > 0 || over > 0 {
			t.Fatalf("after %d events (up to %s): %d agentstat rows hold state time after it, %d more than %d s of login",
				folded, reached.Format(time.DateTime), ahead, over, stats.QuarterHour)
		}
	}
	got := snapshot(t, db)
	diff(t, "after the backlog", onePass(t, ctx, db, clock, now), got)
}

// TestConcurrentWritersCountOnce: the log is written by two writers at once,
// one of which holds its transaction open between taking ids and committing,
// while the live aggregator steps: the tables equal one pass over the log
// (no event skipped because it committed after a higher id, none counted
// twice).
func TestConcurrentWritersCountOnce(t *testing.T) {
	db := pgtest.NewDB(t)
	ctx := context.Background()
	clock := stats.Clock{Loc: time.UTC}
	start := time.Date(2026, 2, 3, 8, 0, 0, 0, time.UTC)
	evs := logEvents(11, 1, start)
	end := evs[len(evs)-1].At.Add(time.Hour)
	live := job.NewLive(db, clock, nil)
	live.Now = func() time.Time { return end }
	live.Batch = 25
	sink := store.EventSink{DB: db}
	for i := 0; i < len(evs); {
		// Odd chunks go through a transaction that commits after the next
		// chunk was handed to the other writer and the aggregator stepped.
		n := min(30, len(evs)-i)
		late, err := db.BeginTxx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range evs[i : i+n] {
			if _, err := late.ExecContext(ctx, `INSERT INTO call_event (at, call_id, kind, agent, queue, dnis, clid, source, key, payload)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, coalesce($10::jsonb, '{}'))`,
				e.At, e.CallID, e.Kind, e.Agent, e.Queue, e.DNIS, e.CLID, e.Source, e.Key, nullJSON(e.Payload)); err != nil {
				t.Fatal(err)
			}
		}
		i += n
		m := min(30, len(evs)-i)
		other := make(chan error, 1)
		go func(chunk []eventlog.Event) { other <- sink.Append(ctx, chunk) }(evs[i : i+m])
		i += m
		waitLockedOrDone(t, db, other)
		if _, err := live.Step(ctx); err != nil {
			t.Fatal(err)
		}
		if err := late.Commit(); err != nil {
			t.Fatal(err)
		}
		if err := <-other; err != nil {
			t.Fatal(err)
		}
		if _, err := live.Step(ctx); err != nil {
			t.Fatal(err)
		}
	}
	got := snapshot(t, db)
	diff(t, "with two writers", onePass(t, ctx, db, clock, end), got)
}

func nullJSON(p []byte) any {
	if len(p) == 0 {
		return nil
	}
	return string(p)
}

// waitLockedOrDone waits until the writer behind done waits for a lock in
// the database or has finished.
func waitLockedOrDone(t *testing.T, db *store.DB, done chan error) {
	t.Helper()
	for range 3000 {
		select {
		case err := <-done:
			done <- err
			return
		default:
		}
		var waiting int
		if err := db.Get(&waiting, `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`); err != nil {
			t.Fatal(err)
		}
		if waiting > 0 {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("the second writer neither finished nor waited")
}
