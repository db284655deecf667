// Command statsload measures the quarter-hour statistics on a month of
// contact-center traffic: it generates the month by driving the real ACD engine
// with a simulated clock (so the events are those production writes), loads
// them into call_event, and times
//
//  1. the generation and the load (COPY);
//  2. a reference: one GROUP BY over the same events in PostgreSQL, the least
//     any computation of quarter-hour figures from the log costs;
//  3. the statistics rebuild of the whole month (stats/job.Rebuild);
//  4. live freshness: a call's end reaching its call record while calls end
//     at 200 a second (stats/job.Live);
//  5. the REST read of one day of stat.agentstat (store.StatRows).
//
// It needs a PostgreSQL: CCD_TEST_DATABASE_URL (which internal/tools/withpg
// sets) or -db. See README.md.
//
//	go run ./internal/tools/withpg -- go run ./bench/statsload
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"math"
	"os"
	"os/signal"
	"runtime/pprof"
	"slices"
	"strings"
	"time"

	"github.com/ccdhq/ccd/stats"
	"github.com/ccdhq/ccd/store"
)

type options struct {
	gen          Config
	db           string
	skipLoad     bool
	only         map[string]bool
	liveRate     int
	liveFor      time.Duration
	liveInterval time.Duration
	reads        int
}

// steps in the order they run; "all" selects every one.
var steps = []string{"gen", "groupby", "rebuild", "live", "read"}

func main() {
	var o options
	var start, only, cpuProfile string
	flag.IntVar(&o.gen.Calls, "calls", 1000000, "calls to generate")
	flag.IntVar(&o.gen.Queues, "queues", 50, "queues")
	flag.IntVar(&o.gen.Agents, "agents", 300, "agents (half on the early shift, half on the late one)")
	flag.IntVar(&o.gen.Days, "days", 30, "days the calls spread over")
	flag.Uint64Var(&o.gen.Seed, "seed", 1, "seed of the generator: the same seed gives the same events")
	flag.StringVar(&start, "start", "2026-10-01", "first day of the generated traffic (UTC)")
	flag.StringVar(&o.db, "db", "", "PostgreSQL URL (default: $CCD_TEST_DATABASE_URL)")
	flag.BoolVar(&o.skipLoad, "skip-load", false, "do not generate: use the events already in call_event")
	flag.StringVar(&only, "only", "all", "steps to run, comma-separated: "+strings.Join(steps, ", ")+" or all")
	flag.IntVar(&o.liveRate, "live-rate", 200, "live step: call ends a second")
	flag.DurationVar(&o.liveFor, "live-for", 30*time.Second, "live step: how long calls are fed")
	flag.DurationVar(&o.liveInterval, "live-interval", 250*time.Millisecond, "live step: pause between live aggregator steps (stats.interval)")
	flag.IntVar(&o.reads, "reads", 200, "read step: how many reads are timed")
	flag.StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of the whole run to this file (go tool pprof)")
	flag.Parse()

	day, err := time.Parse(time.DateOnly, start)
	if err != nil {
		fail(fmt.Errorf("-start: %w", err))
	}
	o.gen.Start = day
	o.only = map[string]bool{}
	for s := range strings.SplitSeq(only, ",") {
		switch s = strings.TrimSpace(s); {
		case s == "all":
			for _, st := range steps {
				o.only[st] = true
			}
		case slices.Contains(steps, s):
			o.only[s] = true
		default:
			fail(fmt.Errorf("-only: unknown step %q; want %s or all", s, strings.Join(steps, ", ")))
		}
	}
	if o.db == "" {
		o.db = os.Getenv("CCD_TEST_DATABASE_URL")
	}
	if o.db == "" {
		fail(errors.New("no database: set CCD_TEST_DATABASE_URL (go run ./internal/tools/withpg -- go run ./bench/statsload) or -db"))
	}
	if cpuProfile != "" {
		f, err := os.Create(cpuProfile)
		if err != nil {
			fail(fmt.Errorf("-cpuprofile: %w", err))
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fail(fmt.Errorf("-cpuprofile: %w", err))
		}
		defer pprof.StopCPUProfile()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, o); err != nil {
		pprof.StopCPUProfile()
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "statsload:", err)
	os.Exit(1)
}

func run(ctx context.Context, o options) error {
	// Only warnings: the jobs log every rebuild at info, which would break
	// up the report.
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	db, err := store.Open(ctx, o.db, 8, log)
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		return err
	}
	clock := stats.Clock{Loc: time.UTC}

	var have bool
	if err := db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM call_event)`).Scan(&have); err != nil {
		return err
	}
	// The other steps need events: on an empty database they are generated
	// first even when step 1 was not asked for.
	switch {
	case o.skipLoad && !have:
		return errors.New("-skip-load: call_event is empty")
	case o.skipLoad:
		fmt.Println("1 generate+load: skipped, using the events in call_event")
	case have && o.only["gen"]:
		return errors.New("call_event already holds events: use an empty database, or -skip-load to measure on them")
	case have:
		fmt.Println("1 generate+load: not asked for, using the events in call_event")
	case !have:
		if err := loadStep(ctx, db, o.gen); err != nil {
			return fmt.Errorf("step 1: %w", err)
		}
	}

	var groupBy time.Duration
	if o.only["groupby"] {
		if groupBy, err = groupByStep(ctx, db); err != nil {
			return fmt.Errorf("step 2: %w", err)
		}
	}
	if o.only["rebuild"] {
		if err := rebuildStep(ctx, db, clock, log, groupBy); err != nil {
			return fmt.Errorf("step 3: %w", err)
		}
	}
	if o.only["live"] {
		if err := liveStep(ctx, db, clock, log, o.liveRate, o.liveFor, o.liveInterval); err != nil {
			return fmt.Errorf("step 4: %w", err)
		}
	}
	if o.only["read"] {
		if err := readStep(ctx, db, clock, o.reads); err != nil {
			return fmt.Errorf("step 5: %w", err)
		}
	}
	return nil
}

// referenceQuery counts the events and sums the waits by queue, quarter-hour
// and kind: one pass over the log with a hash aggregate, what any computation
// of quarter-hour figures has to do at least.
const referenceQuery = `SELECT queue, date_trunc('hour', at) + floor(extract(minute from at)/15) * interval '15 min' AS q,
	kind, count(*), sum((payload->>'waited_ms')::bigint)
FROM call_event GROUP BY 1, 2, 3`

// groupByStep runs the reference query twice and reports the second run, when
// the table is in the cache as much as it will ever be.
func groupByStep(ctx context.Context, db *store.DB) (time.Duration, error) {
	var took [2]time.Duration
	rows := 0
	for i := range took {
		start := time.Now()
		r, err := db.QueryContext(ctx, referenceQuery)
		if err != nil {
			return 0, err
		}
		rows = 0
		for r.Next() {
			rows++
		}
		if err := r.Err(); err != nil {
			return 0, err
		}
		r.Close()
		took[i] = time.Since(start)
	}
	fmt.Printf("2 reference GROUP BY: %.2f s, %d rows (first run %.2f s)\n", took[1].Seconds(), rows, took[0].Seconds())
	return took[1], nil
}

// monthRange is the range of days holding the generated events: from the
// midnight before the first to the midnight after the last.
func monthRange(ctx context.Context, db *store.DB, clock stats.Clock) (from, to time.Time, err error) {
	var first, last time.Time
	err = db.QueryRowContext(ctx, `SELECT min(at), max(at) FROM call_event WHERE key LIKE 'gen:%'`).Scan(&first, &last)
	if err != nil {
		return from, to, fmt.Errorf("no generated events: %w", err)
	}
	return clock.DayStart(first), clock.DayStart(last).AddDate(0, 0, 1), nil
}

// percentile of sorted durations (nearest rank).
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(p*float64(len(sorted)))) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond)) }

// thousands formats n with commas between groups of three digits.
func thousands(n int64) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return "-" + thousands(-n)
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}
