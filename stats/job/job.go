// Package job runs the statistics against the database: the live aggregator,
// which follows the event log and adds each new fact to its quarter-hour rows,
// and Rebuild, which recomputes a range from the log. Both use the one pure
// aggregator of package stats, so they agree by construction; the property test
// checks it.
package job

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sync/atomic"
	"time"

	"github.com/ccdhq/ccd/eventlog"
	"github.com/ccdhq/ccd/eventlog/consume"
	"github.com/ccdhq/ccd/stats"
	"github.com/ccdhq/ccd/store"
	"github.com/jmoiron/sqlx"
)

// ConsumerName is the live aggregator's cursor in event_consumer: it is one
// consumer of the event log like the others (package consume), one that
// commits its rows and its position in one transaction.
const ConsumerName = "stats"

// liveName is the name the position is read and saved under.
const liveName = ConsumerName

// Who counts what: the live aggregator's position (event_consumer "stats":
// an event id and the instant open states are accounted up to) is the one
// boundary between the live aggregator and rebuilds. Everything up to it is
// in the tables; only the live aggregator moves it, by folding the events
// after it, except when it has none yet: then the first rebuild covers the
// whole log and saves the position live continues from. A rebuild of a range
// recomputes the range from the events up to the position and the state times
// up to where it accounted, so rows before and after a rebuild are the same
// pass over the log. Both hold the statistics lock (store.LockStats) while they
// write, and the live aggregator checks under it that the position is still
// the one it folded from: if a rebuild set it meanwhile, it starts again from
// there instead of counting the rebuilt events twice.

// Live follows the event log. Each Step reads the events after its position,
// folds them, and writes the new rows, the call records, its position and its
// state in one transaction: a crash or a database outage at any point leaves
// every event counted exactly once. Duplicate events never reach it: the log
// stores a fact once (its idempotency key), so an AMI replay is not counted
// twice.
//
// Open states (logged in, ready, an activity...) are accounted up to the wall
// clock only when the aggregator has caught up with the log; while it works
// through a backlog they are accounted up to the last event folded, so a
// quarter-hour never holds time the log has not reached yet.
//
// It relies on call_event ids becoming visible in increasing order, which the
// log guarantees whoever writes it (see package consume).
type Live struct {
	db    *store.DB
	cons  *consume.Consumer
	codes *store.StatCodes
	clock stats.Clock
	log   *slog.Logger
	// Now is the clock state times are accounted up to.
	Now func() time.Time
	// Batch bounds the events of one transaction.
	Batch int
	// Folded, when set, is called after a step committed the figures of
	// new events, so that the live views show them at once rather than at
	// their next refresh (time in state, which grows without events, is
	// not announced).
	Folded func()

	agg    *stats.Aggregator
	lastID int64
	saved  bool // a position was stored when agg was loaded (or since)

	folded atomic.Int64 // events folded since start
	lastOK atomic.Int64 // unix ns of the last step that reached the end of the log
}

// Progress reports events folded since start and when the aggregator last
// caught up with the log, for the metrics.
func (l *Live) Progress() (folded int64, caughtUp time.Time) {
	return l.folded.Load(), time.Unix(0, l.lastOK.Load())
}

// NewLive returns a live aggregator over db.
func NewLive(db *store.DB, clock stats.Clock, log *slog.Logger) *Live {
	if log == nil {
		log = slog.Default()
	}
	return &Live{db: db, cons: consume.New(db, liveName), codes: store.NewStatCodes(db), clock: clock, log: log, Now: time.Now, Batch: 5000}
}

// errPositionMoved is a write that found the stored position is not the one
// the live aggregator folded from: a rebuild set it.
var errPositionMoved = errors.New("stats: the live position moved")

// Step processes the events available now, a batch at a time, and returns how
// many it folded.
func (l *Live) Step(ctx context.Context) (int, error) {
	total, moved := 0, false
	for {
		n, err := l.step(ctx)
		if errors.Is(err, errPositionMoved) && !moved {
			// Once: a second move in one Step is another live aggregator
			// writing to the same database, which the retry cannot cure.
			moved = true
			l.log.Info("statistics: a rebuild took over the log up to its position; continuing from there")
			continue
		}
		total += n
		l.folded.Add(int64(n))
		if err == nil && n < l.Batch {
			l.lastOK.Store(time.Now().UnixNano())
		}
		if err != nil || n < l.Batch {
			return total, err
		}
	}
}

// load reads the stored position and state when the aggregator has none.
func (l *Live) load(ctx context.Context) error {
	if l.agg != nil {
		return nil
	}
	l.cons.Reload()
	pos, found, err := l.cons.Position(ctx)
	if err != nil {
		return err
	}
	var state stats.State
	if found {
		if err := json.Unmarshal(pos.State, &state); err != nil {
			return fmt.Errorf("stats: stored state: %w", err)
		}
	}
	last := pos.LastID
	l.agg = stats.New(l.clock)
	l.agg.SetState(state)
	l.lastID, l.saved = last, found
	return nil
}

func (l *Live) step(ctx context.Context) (int, error) {
	if err := l.load(ctx); err != nil {
		return 0, err
	}
	evs, err := l.cons.Next(ctx, l.Batch)
	if err != nil {
		return 0, err
	}
	last := l.lastID
	for i := range evs {
		l.apply(&evs[i])
		last = evs[i].ID
	}
	l.agg.Advance(l.accountUntil(evs))
	rows, recs := l.agg.Take()
	if len(evs) == 0 && len(rows) == 0 {
		// Nothing new and nobody logged in: the stored position and state
		// still hold; an idle center costs no write every interval.
		return 0, nil
	}
	if err := l.write(ctx, rows, recs, last); err != nil {
		// The aggregator is ahead of the database now: start again from what
		// the database holds.
		l.agg = nil
		return 0, err
	}
	l.lastID, l.saved = last, true
	if len(evs) > 0 && l.Folded != nil {
		l.Folded()
	}
	return len(evs), nil
}

// accountUntil is the instant open states are accounted up to after folding
// evs: the wall clock when they reached the end of the log, the last event's
// time while more events wait (a backlog must not be filled with the time
// between its events and now, taken back only as the later events come).
func (l *Live) accountUntil(evs []eventlog.Event) time.Time {
	if len(evs) < l.Batch {
		return l.Now()
	}
	return evs[len(evs)-1].At
}

func (l *Live) apply(ev *eventlog.Event) {
	if err := l.agg.Apply(ev); err != nil {
		l.log.Error("statistics skip an unreadable event", "id", ev.ID, "kind", ev.Kind, "err", err)
	}
}

// write adds the rows and records to the tables and moves the position to
// last, in one transaction under the statistics lock; the position must still
// be the one the events were read after.
func (l *Live) write(ctx context.Context, rows map[stats.RowKey]stats.Row, recs []stats.CallRecord, last int64) error {
	err := l.cons.Apply(ctx, func(ctx context.Context, tx *sqlx.Tx) (store.ConsumerPosition, error) {
		if err := store.LockStats(ctx, tx); err != nil {
			return store.ConsumerPosition{}, err
		}
		if err := l.codes.AddStats(ctx, tx, l.clock, rows, recs); err != nil {
			return store.ConsumerPosition{}, err
		}
		return store.AggregatorPositionOf(last, l.agg.State())
	})
	if errors.Is(err, consume.ErrMoved) {
		return errPositionMoved
	}
	return err
}

// Run steps every interval until ctx ends. Database errors are logged and
// retried with backoff; nothing is lost meanwhile, the events wait in the log.
func (l *Live) Run(ctx context.Context, interval time.Duration) {
	delay := interval
	for {
		_, err := l.Step(ctx)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			delay = min(max(2*delay, time.Second), 30*time.Second)
			l.log.Warn("statistics behind: will retry", "err", err, "retry_in", delay.String())
		default:
			delay = interval
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(delay):
		}
	}
}

// RebuildResult tells what a rebuild did.
type RebuildResult struct {
	Events   int64 // events folded
	Rows     int64 // quarter-hour rows the range now holds
	Calls    int64 // call records written
	Duration time.Duration
	Writing  time.Duration // of which spent writing rows
	// UpToID is the last event the rebuild covered and Until the instant it
	// accounted open states up to: the live aggregator's position. Later
	// events and time are the live aggregator's to count.
	UpToID int64
	Until  time.Time
	// WholeLog is a rebuild that found no live position: it covered the
	// whole log, whatever its range, and saved the position (see Live).
	WholeLog bool
}

// stageRows is how many pending rows the rebuild keeps in memory before
// writing finished quarter-hours.
var stageRows = 100000

// mergeRow adds r to the row k of rows.
func mergeRow(rows map[stats.RowKey]stats.Row, k stats.RowKey, r stats.Row) {
	if have := rows[k]; have != nil {
		have.Merge(&stats.Tables[k.Table], r)
		return
	}
	rows[k] = r
}

// wallClock is the instant a rebuild may account open states up to.
var wallClock = time.Now

// wholeLogFrom and wholeLogTo bound a rebuild of the whole log.
var (
	wholeLogFrom = time.Unix(0, 0)
	wholeLogTo   = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
)

// Rebuild recomputes the statistics of [from, to) from the event log and
// replaces what the tables hold for that range. It takes the statistics lock,
// so the live aggregator waits, and it folds only what the live aggregator has
// already counted (events up to its position, state times up to where it
// accounted): what the live one adds afterwards then continues the rebuilt rows
// instead of counting twice. Without a live position it covers the whole log
// up to now and saves the position (see Live).
func Rebuild(ctx context.Context, db *store.DB, clock stats.Clock, from, to time.Time, log *slog.Logger) (RebuildResult, error) {
	if log == nil {
		log = slog.Default()
	}
	start := time.Now()
	if !to.After(from) {
		return RebuildResult{}, errors.New("stats: rebuild: to must be after from")
	}
	from, to = quarterHours(clock, from, to)
	codes := store.NewStatCodes(db)
	rb, err := codes.OpenRebuild(ctx, clock)
	if err != nil {
		return RebuildResult{}, err
	}
	defer rb.Rollback()
	var res RebuildResult
	maxID, state, found, err := rb.Position(ctx, liveName)
	if err != nil {
		return res, err
	}
	// Open states up to where the live aggregator accounted them: the time
	// after is its to account.
	until := earliest(to, wallClock())
	if found && state.AdvancedTo > 0 {
		until = earliest(to, time.Unix(state.AdvancedTo, 0))
	}
	if !found {
		if maxID, err = rb.LastEventID(ctx); err != nil {
			return res, err
		}
		res.WholeLog, from, to, until = true, wholeLogFrom, wholeLogTo, wallClock()
		log.Info("statistics: no live position yet: the rebuild covers the whole log and the live aggregator continues after it",
			"up_to_id", maxID)
		err = rb.Clear(ctx, time.Time{}, time.Time{})
	} else {
		err = rb.Clear(ctx, from, to)
	}
	if err != nil {
		return res, err
	}
	res.UpToID, res.Until = maxID, until
	agg := stats.New(clock)
	agg.Window(from, to)

	// Reading rows and folding them are two goroutines: on a two-core machine
	// the decoding in the driver and the folding overlap.
	batches := make(chan []eventlog.Event, 8)
	readErr := make(chan error, 1)
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		defer close(batches)
		readErr <- db.StatEvents(rctx, from, to, maxID, func(b []eventlog.Event) error {
			select {
			case batches <- append([]eventlog.Event(nil), b...):
				return nil
			case <-rctx.Done():
				return rctx.Err()
			}
		})
	}()
	// As event time passes a quarter-hour, open states are accounted up to it
	// and the quarter-hours older than an hour before it are written and
	// forgotten: a month is never held in memory. Something arriving later for
	// a quarter-hour already written (an event logged late) is added to it at
	// the end.
	late := map[stats.RowKey]stats.Row{}
	var mark, written int64 // last quarter-hour accounted; quarter-hours before written are in the tables
	// Writing is a third goroutine: the database inserts one chunk while the
	// next is folded.
	type chunk struct {
		rows map[stats.RowKey]stats.Row
		recs []stats.CallRecord
	}
	chunks := make(chan chunk, 2)
	wrote := make(chan error, 1)
	// The channel is the goroutine's argument: the deferred cleanup below sets
	// the variable to nil once it is closed, and a goroutine that read the
	// variable only then would wait on a nil channel for ever.
	go func(chunks <-chan chunk) {
		var err error
		for c := range chunks {
			if err == nil {
				t := time.Now()
				err = rb.Copy(ctx, c.rows, c.recs)
				res.Writing += time.Since(t)
			}
		}
		wrote <- err
	}(chunks)
	defer func() {
		if chunks != nil {
			close(chunks)
			<-wrote
		}
	}()
	flush := func(below int64) {
		rows, recs := agg.TakeRows(below)
		for k, r := range rows {
			if k.Start < written {
				mergeRow(late, k, r)
				delete(rows, k)
			}
		}
		written = max(written, below)
		chunks <- chunk{rows, recs}
	}
	for b := range batches {
		for i := range b {
			if err := agg.Apply(&b[i]); err != nil {
				log.Error("statistics skip an unreadable event", "id", b[i].ID, "kind", b[i].Kind, "err", err)
			}
		}
		res.Events += int64(len(b))
		if q := clock.Start(b[len(b)-1].At.Unix()); q > mark && q <= until.Unix() {
			mark = q
			agg.Advance(time.Unix(q, 0))
			if agg.Pending() >= stageRows {
				flush(q - 3600)
			}
		}
	}
	if err := <-readErr; err != nil {
		return res, err
	}
	if until.After(from) {
		agg.Advance(until)
	}
	flush(math.MaxInt64)
	close(chunks)
	chunks = nil
	if err := <-wrote; err != nil {
		return res, err
	}
	if err := rb.Add(ctx, late); err != nil {
		return res, err
	}
	if res.WholeLog {
		if err := rb.SavePosition(ctx, liveName, maxID, agg.State()); err != nil {
			return res, err
		}
	}
	res.Rows, res.Calls, err = rb.Commit()
	res.Duration = time.Since(start)
	if err == nil {
		log.Info("statistics rebuilt", "from", from, "to", to, "up_to_id", res.UpToID, "until", res.Until, "events", res.Events, "rows", res.Rows,
			"calls", res.Calls, "took", res.Duration.Round(time.Millisecond).String(), "writing", res.Writing.Round(time.Millisecond).String())
	}
	return res, err
}

// quarterHours widens [from, to) to whole quarter-hours: a rebuild replaces
// whole rows, and a row cut at either end would lose the facts outside the
// cut or count those inside it twice.
func quarterHours(clock stats.Clock, from, to time.Time) (time.Time, time.Time) {
	f := clock.Start(from.Unix())
	t := clock.Start(to.Unix())
	if t < to.Unix() || to.Nanosecond() > 0 {
		t += stats.QuarterHour
	}
	return time.Unix(f, 0).In(from.Location()), time.Unix(t, 0).In(to.Location())
}

func earliest(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}
