package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/ccdhq/ccd/acd"
	"github.com/ccdhq/ccd/config"
	"github.com/ccdhq/ccd/dialplan/queue"
	"github.com/ccdhq/ccd/eventlog"
	"github.com/ccdhq/ccd/stats"
	"github.com/ccdhq/ccd/stats/job"
	"github.com/ccdhq/ccd/store"
)

// rebuildStep recomputes the statistics of the generated month, as `ccd stats
// rebuild` does.
func rebuildStep(ctx context.Context, db *store.DB, clock stats.Clock, log *slog.Logger, groupBy time.Duration) error {
	from, to, err := monthRange(ctx, db, clock)
	if err != nil {
		return err
	}
	res, err := job.Rebuild(ctx, db, clock, from, to, log)
	if err != nil {
		return err
	}
	ratio := "no GROUP BY reference in this run"
	if groupBy > 0 {
		ratio = fmt.Sprintf("%.1f× the GROUP BY", res.Duration.Seconds()/groupBy.Seconds())
	}
	fmt.Printf("3 rebuild %s .. %s: %.1f s (%.1f s of it writing rows), %s events (%s events/s), %s quarter-hour rows, %s call records; %s\n",
		from.Format(time.DateOnly), to.Format(time.DateOnly), res.Duration.Seconds(), res.Writing.Seconds(), thousands(res.Events),
		thousands(int64(float64(res.Events)/res.Duration.Seconds())), thousands(res.Rows), thousands(res.Calls), ratio)
	return nil
}

// liveName is the live aggregator's cursor in event_consumer.
const liveName = job.ConsumerName

// liveCall is one call of the live step: when its call.ended committed, and
// when the statistics had it.
type liveCall struct {
	ucid     string
	appended time.Time
	latency  time.Duration
}

// liveStep measures how fresh the live statistics are: calls end at rate a
// second for dur while the live aggregator steps every interval, and each
// call's latency runs from the commit of its call.ended to the end of the first
// Step that started after that commit (the row is then in stat.callsstat: the
// step checks it there).
func liveStep(ctx context.Context, db *store.DB, clock stats.Clock, log *slog.Logger, rate int, dur, interval time.Duration) error {
	if err := placeLive(ctx, db); err != nil {
		return err
	}
	live := job.NewLive(db, clock, log)
	t := time.Now()
	caught, err := live.Step(ctx)
	if err != nil {
		return err
	}
	if caught > 0 {
		fmt.Printf("  live aggregator caught up with %s events in %.1f s first\n", thousands(int64(caught)), time.Since(t).Seconds())
	}

	feeder, err := newLiveFeeder()
	if err != nil {
		return err
	}
	if err := (store.EventSink{DB: db}).Append(ctx, feeder.take()); err != nil {
		return err
	}
	var (
		mu    sync.Mutex
		calls []liveCall
		done  = make(chan struct{})
	)
	feedErr := make(chan error, 1)
	sink := store.EventSink{DB: db}
	started := time.Now()
	var fedFor time.Duration
	// The feeder keeps to a schedule (call n at start + n/rate) rather than
	// sleeping a fixed time after each append, so a slow append does not
	// lower the rate: the next call goes at once.
	go func() {
		defer close(done)
		every := time.Second / time.Duration(rate)
		for n := 0; ; n++ {
			due := started.Add(time.Duration(n) * every)
			if due.Sub(started) >= dur {
				break
			}
			if d := time.Until(due); d > 0 {
				time.Sleep(d)
			}
			id, evs := feeder.call(time.Now())
			if err := sink.Append(ctx, evs); err != nil {
				feedErr <- err
				return
			}
			at := time.Now()
			mu.Lock()
			calls = append(calls, liveCall{ucid: id, appended: at})
			mu.Unlock()
		}
		fedFor = time.Since(started)
	}()

	// The stepper: Step, then note every call that committed before the Step
	// began; the newest of them is looked up in stat.callsstat to be sure.
	var (
		measured  int // calls[:measured] have their latency
		stepTimes []time.Duration
		feeding   = true
	)
	tick := time.NewTicker(interval)
	defer tick.Stop()
	deadline := time.Time{}
	for {
		stepStart := time.Now()
		mu.Lock()
		ready := len(calls)
		mu.Unlock()
		if _, err := live.Step(ctx); err != nil {
			return err
		}
		stepEnd := time.Now()
		stepTimes = append(stepTimes, stepEnd.Sub(stepStart))
		if ready > measured {
			mu.Lock()
			newest := calls[ready-1].ucid
			mu.Unlock()
			found, err := inCallsStat(ctx, db, newest)
			if err != nil {
				return err
			}
			if found {
				// Under the lock: the feeder's append may be moving the slice.
				mu.Lock()
				for i := measured; i < ready; i++ {
					calls[i].latency = stepEnd.Sub(calls[i].appended)
				}
				mu.Unlock()
				measured = ready
			}
		}
		if feeding {
			select {
			case <-done:
				feeding = false
				deadline = time.Now().Add(10 * time.Second)
			default:
			}
		}
		mu.Lock()
		all := measured == len(calls)
		mu.Unlock()
		if !feeding && (all || time.Now().After(deadline)) {
			break
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	select {
	case err := <-feedErr:
		return err
	default:
	}
	lat := make([]time.Duration, 0, measured)
	for _, c := range calls[:measured] {
		lat = append(lat, c.latency)
	}
	slices.Sort(lat)
	slices.Sort(stepTimes)
	missing := len(calls) - measured
	fmt.Printf("4 live: %d call ends in %.1f s (%.1f ends/s, %d events/s), Step every %s: latency p50 %s, p99 %s, max %s; "+
		"Step p50 %s, max %s (%d steps)",
		len(calls), fedFor.Seconds(), float64(len(calls))/fedFor.Seconds(), int(float64(len(calls)*feeder.perCall)/fedFor.Seconds()),
		interval, ms(percentile(lat, 0.5)), ms(percentile(lat, 0.99)), ms(percentile(lat, 1)),
		ms(percentile(stepTimes, 0.5)), ms(percentile(stepTimes, 1)), len(stepTimes))
	if missing > 0 {
		fmt.Printf("; %d calls NOT in stat.callsstat after 10 s", missing)
	}
	fmt.Println()
	return nil
}

// placeLive puts the live aggregator at the end of the log when it has never
// run and no rebuild saved its position (the rebuild step does: see
// job.Live), as if it had followed the generated month as it happened: a
// first start would otherwise fold the whole month before the live step's
// calls. The empty state is the true one: the month ends with every agent
// logged out and every call ended.
func placeLive(ctx context.Context, db *store.DB) error {
	if _, _, found, err := db.AggregatorPosition(ctx, liveName); err != nil || found {
		return err
	}
	var last int64
	if err := db.QueryRowContext(ctx, `SELECT coalesce(max(id), 0) FROM call_event`).Scan(&last); err != nil {
		return err
	}
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := store.SaveAggregatorPosition(ctx, tx, liveName, last, stats.State{}); err != nil {
		return err
	}
	return tx.Commit()
}

func inCallsStat(ctx context.Context, db *store.DB, ucid string) (bool, error) {
	var one int
	err := db.QueryRowContext(ctx, `SELECT 1 FROM stat.callsstat WHERE ucid = $1`, ucid).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// liveFeeder makes the live step's calls with a real engine on the wall clock:
// one queue, one agent without wrap-up who answers at once, so each call is
// the complete set of events of an answered call, all at the same instant.
type liveFeeder struct {
	e       *acd.Engine
	run     string // distinguishes this run's call ids and keys from earlier runs'
	n       int
	keys    int
	perCall int // events a call makes
}

func newLiveFeeder() (*liveFeeder, error) {
	e, err := acd.New(config.ACD{
		Queues: []config.Queue{{Code: "live", Name: "statsload live step"}},
		Agents: []config.Agent{{ID: "live", Name: "statsload live step", Endpoint: "PJSIP/live"}},
	}.Spec())
	if err != nil {
		return nil, err
	}
	f := &liveFeeder{e: e, run: strconv.FormatInt(time.Now().UnixNano(), 36)}
	if err := e.Login(time.Now(), "live", ""); err != nil {
		return nil, err
	}
	return f, nil
}

// take returns the engine's events as log rows with keys of their own.
func (f *liveFeeder) take() []eventlog.Event {
	_, evs := f.e.Take()
	out := make([]eventlog.Event, len(evs))
	for i, ev := range evs {
		out[i] = queue.ToLog(ev)
		f.keys++
		out[i].Key = "live:" + f.run + ":" + strconv.Itoa(f.keys)
	}
	return out
}

// call runs one call through the engine: offered, queued, ringing, answered,
// ended, with the agent's ringing, on-call and ready around them.
func (f *liveFeeder) call(now time.Time) (string, []eventlog.Event) {
	f.n++
	id := "live." + f.run + "." + strconv.Itoa(f.n)
	_ = f.e.Arrive(now, acd.Arrival{CallID: id, Queue: "live", CLID: "0600000000"})
	if c, ok := f.e.Call(id); ok {
		_ = f.e.OfferAnswered(now, c.Channel)
	}
	f.e.Hangup(now, id)
	evs := f.take()
	f.perCall = len(evs)
	return id, evs
}
