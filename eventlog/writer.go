package eventlog

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"time"
)

// Options tune a Writer. Zero values take the defaults noted.
type Options struct {
	BatchSize     int           // events per Append; default 2000
	FlushInterval time.Duration // longest an event waits for a batch to fill; default 50ms
	MemoryLimit   int           // unwritten events kept in memory before spilling; default 100000
	SpillPath     string        // file for events beyond MemoryLimit; required
	// MaxEventBytes bounds an event's payload and texts together; a bigger event
	// is quarantined instead of written. Default 1 MiB.
	MaxEventBytes int
	// QuarantinePath is the file for events the database refuses when the sink
	// cannot keep them itself; default quarantine.jsonl next to SpillPath.
	QuarantinePath string
	RetryMin       time.Duration // first retry delay after a failed Append; default 100ms
	RetryMax       time.Duration // longest retry delay; default 5s
	Logger         *slog.Logger
	// Observe, when set, is told the outcome and duration of every Append (for
	// the database latency metric).
	Observe func(n int, d time.Duration, err error)
	// OnQuarantine, when set, is called once for every event (or unreadable line
	// of the spill file) put in the quarantine.
	OnQuarantine func()
	// Hub, when set, gets every batch once it is committed, with the ids the
	// log gave its events (events the log held already are left out). The
	// sink must be an IDSink.
	Hub *Hub
	// SinkReady, when set, is closed once the sink can be written to (the
	// database is connected): until then events wait in memory and the
	// spill file, and no write is tried, so none is counted as failing.
	SinkReady <-chan struct{}
}

// Stats are a Writer's counters since it started.
type Stats struct {
	Added    uint64 // events accepted from producers
	Written  uint64 // events acknowledged by the sink
	Failures uint64 // failed Append calls
	Spilled  uint64 // events moved to the spill file
	Pending  int    // events accepted and not yet written (memory and spill file)
	Invalid  uint64 // events rejected by Validate
	// Quarantined counts events kept aside instead of written: refused by the
	// database or over MaxEventBytes (and unreadable lines of the spill file).
	Quarantined uint64
}

// Health says whether the writer gets its events into the database.
type Health struct {
	// FailingSince is when the first write failed since the last one that
	// reached the database; zero while writes succeed.
	FailingSince time.Time
	LastError    error // the last failed write's error, kept after recovery
	Pending      int   // events waiting to be written
}

// Unready returns why the event log counts as not ready at now: its writes have
// been failing for longer than after. It returns nil otherwise, and a short
// outage (a database restart) does not count.
func (h Health) Unready(now time.Time, after time.Duration) error {
	if h.FailingSince.IsZero() || now.Sub(h.FailingSince) <= after {
		return nil
	}
	return fmt.Errorf("cannot write to the database since %s (%s), %d events waiting: %v",
		h.FailingSince.UTC().Format(time.RFC3339), now.Sub(h.FailingSince).Round(time.Second), h.Pending, h.LastError)
}

// Writer batches events into a Sink. It is safe for concurrent use.
type Writer struct {
	sink  Sink
	opt   Options
	log   *slog.Logger
	spill *spillFile

	mu     sync.Mutex
	mem    []Event
	gen    uint64 // bumped when mem is moved to the spill file
	closed bool
	stats  Stats
	health Health
	// waiting is when the oldest event still pending was added while the
	// sink was not ready yet (Options.SinkReady).
	waiting time.Time

	wake chan struct{}
	done chan struct{}
	stop context.CancelFunc
}

// NewWriter starts a writer. Events left in the spill file by an earlier run are
// written before new ones.
func NewWriter(sink Sink, opt Options) (*Writer, error) {
	if opt.SpillPath == "" {
		return nil, errors.New("eventlog: Options.SpillPath is required")
	}
	if opt.BatchSize <= 0 {
		opt.BatchSize = 2000
	}
	if opt.FlushInterval <= 0 {
		opt.FlushInterval = 50 * time.Millisecond
	}
	if opt.MemoryLimit < opt.BatchSize {
		opt.MemoryLimit = max(100000, opt.BatchSize)
	}
	if opt.RetryMin <= 0 {
		opt.RetryMin = 100 * time.Millisecond
	}
	if opt.RetryMax < opt.RetryMin {
		opt.RetryMax = max(5*time.Second, opt.RetryMin)
	}
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	if opt.MaxEventBytes <= 0 {
		opt.MaxEventBytes = 1 << 20
	}
	if opt.QuarantinePath == "" {
		opt.QuarantinePath = filepath.Join(filepath.Dir(opt.SpillPath), "quarantine.jsonl")
	}
	if _, ok := sink.(IDSink); opt.Hub != nil && !ok {
		return nil, errors.New("eventlog: Options.Hub needs a sink that returns the ids it assigns (IDSink)")
	}
	sp, err := openSpill(opt.SpillPath)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	w := &Writer{
		sink: sink, opt: opt, log: opt.Logger.With("component", "eventlog"), spill: sp,
		wake: make(chan struct{}, 1), done: make(chan struct{}), stop: cancel,
	}
	w.stats.Pending = sp.pending()
	if w.stats.Pending > 0 {
		w.waiting = time.Now()
		w.log.Info("events left from an earlier run will be written first", "events", w.stats.Pending, "file", opt.SpillPath)
	}
	go w.loop(ctx)
	return w, nil
}

// Add queues an event. It never blocks on the database. An invalid event is
// rejected with an error and counted.
func (w *Writer) Add(ev Event) error {
	if err := ev.Validate(); err != nil {
		w.mu.Lock()
		w.stats.Invalid++
		w.mu.Unlock()
		return err
	}
	if ev.Key == "" {
		ev.Key = NewKey()
	}
	w.mu.Lock()
	if w.closed {
		// A producer that outlived the writer: its event goes straight to disk
		// for the next start rather than nowhere.
		w.mu.Unlock()
		return w.spill.append([]Event{ev})
	}
	w.mem = append(w.mem, ev)
	w.stats.Added++
	if w.stats.Pending == 0 {
		w.waiting = time.Now()
	}
	w.stats.Pending++
	n := len(w.mem)
	var overflow []Event
	if n > w.opt.MemoryLimit {
		// Spill the whole memory queue, not just the excess, so that the file is
		// always older than memory and draining file then memory keeps the order.
		// A batch being written right now goes too; if its write succeeds it is
		// written again from the file and the idempotency key absorbs the copy.
		overflow, w.mem = w.mem, nil
		w.gen++
	}
	w.mu.Unlock()
	if overflow != nil {
		w.spillEvents(overflow)
	}
	if n >= w.opt.BatchSize || overflow != nil {
		w.poke()
	}
	return nil
}

func (w *Writer) spillEvents(evs []Event) {
	if err := w.spill.append(evs); err != nil {
		// The disk is the last resort; if it fails too, keep the events in memory
		// past the bound rather than drop them.
		w.log.Error("cannot spill events to disk; keeping them in memory", "events", len(evs), "err", err)
		w.mu.Lock()
		w.mem = append(w.mem, evs...)
		w.mu.Unlock()
		return
	}
	w.mu.Lock()
	w.stats.Spilled += uint64(len(evs))
	w.mu.Unlock()
	w.log.Warn("database behind: events spilled to disk", "events", len(evs), "file", w.opt.SpillPath)
}

func (w *Writer) poke() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Stats returns a snapshot of the counters.
func (w *Writer) Stats() Stats {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.stats
}

// Health returns whether writes reach the database, for the readiness check.
func (w *Writer) Health() Health {
	w.mu.Lock()
	defer w.mu.Unlock()
	h := w.health
	h.Pending = w.stats.Pending
	if h.Pending > 0 && h.FailingSince.IsZero() && !w.sinkReady() {
		// Nothing is tried, and nothing gets written either.
		h.FailingSince, h.LastError = w.waiting, ErrSinkNotReady
	}
	return h
}

// ErrSinkNotReady is the health of a writer holding events for a sink that
// is not ready yet (Options.SinkReady).
var ErrSinkNotReady = errors.New("eventlog: the sink is not ready yet (database not connected)")

// sinkReady tells whether the sink may be written to (Options.SinkReady).
func (w *Writer) sinkReady() bool {
	if w.opt.SinkReady == nil {
		return true
	}
	select {
	case <-w.opt.SinkReady:
		return true
	default:
		return false
	}
}

// ErrClosed is returned by Flush after Close.
var ErrClosed = errors.New("eventlog: writer closed")

// Flush waits until every event added before the call is written, or ctx ends.
func (w *Writer) Flush(ctx context.Context) error {
	// Events are written (or quarantined) in the order they were accepted (spill
	// file first), so once as many as were pending now are done, all of them are.
	w.mu.Lock()
	target := w.stats.done() + uint64(w.stats.Pending)
	closed := w.closed
	w.mu.Unlock()
	if closed {
		return ErrClosed
	}
	w.poke()
	t := time.NewTicker(5 * time.Millisecond)
	defer t.Stop()
	for {
		w.mu.Lock()
		done := w.stats.done() >= target || w.stats.Pending == 0
		w.mu.Unlock()
		if done {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
			w.poke()
		}
	}
}

// Close writes what it can until ctx ends, then moves every event still in memory to
// the spill file so the next start writes it. Nothing accepted by Add is dropped.
// Closing a closed writer does nothing.
func (w *Writer) Close(ctx context.Context) error {
	w.mu.Lock()
	closed := w.closed
	w.mu.Unlock()
	if closed {
		return nil
	}
	if w.sinkReady() {
		_ = w.Flush(ctx) // a timeout here is fine: what is left goes to disk below
	}
	w.stop()
	<-w.done
	w.mu.Lock()
	w.closed = true
	rest := w.mem
	w.mem = nil
	w.mu.Unlock()
	var serr error
	if len(rest) > 0 {
		serr = w.spill.append(rest)
		if serr == nil {
			w.log.Warn("database unavailable at shutdown: events kept on disk for the next start", "events", len(rest), "file", w.opt.SpillPath)
		}
	}
	return errors.Join(serr, w.spill.close())
}

func (w *Writer) loop(ctx context.Context) {
	defer close(w.done)
	if w.opt.SinkReady != nil {
		select {
		case <-ctx.Done():
			return
		case <-w.opt.SinkReady:
		}
	}
	timer := time.NewTimer(w.opt.FlushInterval)
	defer timer.Stop()
	delay := time.Duration(0)
	for {
		if delay > 0 {
			select {
			case <-ctx.Done():
				return
			case <-time.After(jitter(delay)):
			}
		}
		more, err := w.writeOnce(ctx)
		switch {
		case err != nil:
			if ctx.Err() != nil {
				return
			}
			delay = min(max(2*delay, w.opt.RetryMin), w.opt.RetryMax)
			continue
		case more:
			delay = 0
			continue
		}
		delay = 0
		timer.Reset(w.opt.FlushInterval)
		select {
		case <-ctx.Done():
			return
		case <-w.wake:
		case <-timer.C:
		}
	}
}

func jitter(d time.Duration) time.Duration {
	return d/2 + rand.N(d/2+1)
}

// writeOnce writes one batch: from the spill file while it has events, else from
// memory. more reports that another full batch is waiting.
func (w *Writer) writeOnce(ctx context.Context) (more bool, err error) {
	if w.spill.pending() > 0 {
		return true, w.writeSpilled(ctx)
	}
	w.mu.Lock()
	n := min(len(w.mem), w.opt.BatchSize)
	batch := w.mem[:n:n]
	gen := w.gen
	w.mu.Unlock()
	if n == 0 {
		return false, nil
	}
	quarantined, err := w.write(ctx, batch)
	if err != nil {
		return false, err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if gen == w.gen {
		w.mem = w.mem[n:]
		if len(w.mem) == 0 {
			w.mem = nil // let the backing array go after a burst
		}
		w.acknowledge(n-quarantined, quarantined)
	}
	return len(w.mem) >= w.opt.BatchSize || w.spill.pending() > 0, nil
}

// writeSpilled writes the next batch of the spill file.
func (w *Writer) writeSpilled(ctx context.Context) error {
	batch, unreadable, err := w.spill.peek(w.opt.BatchSize)
	if err != nil {
		w.log.Error("reading spill file", "err", err)
		return err
	}
	quarantined, err := w.write(ctx, batch)
	if err != nil {
		return err
	}
	if err := w.quarantineSpillLines(unreadable); err != nil {
		return err
	}
	if err := w.spill.advance(len(batch)); err != nil {
		w.log.Error("advancing spill file", "err", err)
	}
	w.mu.Lock()
	w.acknowledge(len(batch)-quarantined, quarantined+len(unreadable))
	w.mu.Unlock()
	return nil
}

// acknowledge counts written events and quarantined ones as done; w.mu is held.
func (w *Writer) acknowledge(written, quarantined int) {
	w.stats.Written += uint64(written)
	w.stats.Quarantined += uint64(quarantined)
	w.stats.Pending -= written + quarantined
}

// done is how many accepted events need nothing more.
func (s *Stats) done() uint64 { return s.Written + s.Quarantined }

// maxBatchBytes bounds what one Append carries, whatever BatchSize says: a full
// batch of large events would otherwise be one statement of gigabytes, which
// PostgreSQL refuses as a whole.
const maxBatchBytes = 64 << 20

// write stores batch in order and returns how many of its events went to the
// quarantine instead: those over MaxEventBytes and those the database refuses.
// It fails only when the database (or the quarantine) cannot be reached; the
// caller then retries the whole batch, and the idempotency keys absorb the
// events already written.
func (w *Writer) write(ctx context.Context, batch []Event) (quarantined int, err error) {
	for len(batch) > 0 {
		n, bytes := 0, 0
		for ; n < len(batch); n++ {
			size := batch[n].size()
			if size > w.opt.MaxEventBytes {
				break
			}
			if n > 0 && bytes+size > maxBatchBytes {
				break
			}
			bytes += size
		}
		if n == 0 {
			if err := w.quarantine(ctx, batch[0], errTooLarge{batch[0].size(), w.opt.MaxEventBytes}); err != nil {
				return 0, err
			}
			quarantined++
			batch = batch[1:]
			continue
		}
		q, err := w.isolate(ctx, batch[:n])
		if err != nil {
			return 0, err
		}
		quarantined += q
		batch = batch[n:]
	}
	return quarantined, nil
}

// isolate appends batch; when the database refuses its content, it splits the
// batch in halves until the events it refuses are alone, and quarantines them.
// A batch with one bad event costs about 2·log2(len) extra statements.
func (w *Writer) isolate(ctx context.Context, batch []Event) (quarantined int, err error) {
	err = w.append(ctx, batch)
	if err == nil || !errors.Is(err, ErrRejected) {
		return 0, err
	}
	if len(batch) == 1 {
		return 1, w.quarantine(ctx, batch[0], err)
	}
	mid := len(batch) / 2
	left, err := w.isolate(ctx, batch[:mid])
	if err != nil {
		return 0, err
	}
	right, err := w.isolate(ctx, batch[mid:])
	if err != nil {
		return 0, err
	}
	return left + right, nil
}

func (w *Writer) append(ctx context.Context, batch []Event) error {
	start := time.Now()
	err := w.store(ctx, batch)
	if w.opt.Observe != nil {
		w.opt.Observe(len(batch), time.Since(start), err)
	}
	if err == nil || errors.Is(err, ErrRejected) {
		// The database answered: the log moves on, if need be without the
		// events it refuses.
		w.mu.Lock()
		w.health.FailingSince = time.Time{}
		w.mu.Unlock()
		return err
	}
	failures, pending := w.failed(start, err)
	if failures == 1 || failures%50 == 0 {
		w.log.Warn("cannot write events; will retry", "events", len(batch), "pending", pending, "failures", failures, "err", err)
	}
	return err
}

// store appends batch to the sink and, with a Hub, publishes what it
// committed. The writer's one loop calls it, so batches are published in the
// order they committed.
func (w *Writer) store(ctx context.Context, batch []Event) error {
	if w.opt.Hub == nil {
		return w.sink.Append(ctx, batch)
	}
	ids, err := w.sink.(IDSink).AppendIDs(ctx, batch)
	if err != nil {
		return err
	}
	if len(ids) != len(batch) {
		// Committed, but which event got which id is unknown: subscribers
		// miss the batch rather than get wrong ids (the log has it).
		w.log.Error("the sink returned ids for a different number of events; batch not published", "events", len(batch), "ids", len(ids))
		return nil
	}
	committed := time.Now()
	out := make([]Event, 0, len(batch))
	for i, id := range ids {
		if id != 0 {
			e := batch[i]
			e.ID = id
			out = append(out, e)
		}
	}
	w.opt.Hub.Publish(out, committed)
	return nil
}

// failed records a write that did not get its events anywhere and will be
// retried.
func (w *Writer) failed(at time.Time, err error) (failures uint64, pending int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.stats.Failures++
	if w.health.FailingSince.IsZero() {
		w.health.FailingSince = at
	}
	w.health.LastError = err
	return w.stats.Failures, w.stats.Pending
}
