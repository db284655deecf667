package eventlog

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"
)

// Options tune a Writer. Zero values take the defaults noted.
type Options struct {
	BatchSize     int           // events per Append; default 2000
	FlushInterval time.Duration // longest an event waits for a batch to fill; default 50ms
	MemoryLimit   int           // unwritten events kept in memory before spilling; default 100000
	SpillPath     string        // file for events beyond MemoryLimit; required
	RetryMin      time.Duration // first retry delay after a failed Append; default 100ms
	RetryMax      time.Duration // longest retry delay; default 5s
	Logger        *slog.Logger
	// Observe, when set, is told the outcome and duration of every Append (for
	// the database latency metric).
	Observe func(n int, d time.Duration, err error)
}

// Stats are a Writer's counters since it started.
type Stats struct {
	Added    uint64 // events accepted from producers
	Written  uint64 // events acknowledged by the sink
	Failures uint64 // failed Append calls
	Spilled  uint64 // events moved to the spill file
	Pending  int    // events accepted and not yet written (memory and spill file)
	Invalid  uint64 // events rejected by Validate
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

// ErrClosed is returned by Flush after Close.
var ErrClosed = errors.New("eventlog: writer closed")

// Flush waits until every event added before the call is written, or ctx ends.
func (w *Writer) Flush(ctx context.Context) error {
	// Events are written in the order they were accepted (spill file first), so
	// once as many as were pending now have been written, all of them have.
	w.mu.Lock()
	target := w.stats.Written + uint64(w.stats.Pending)
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
		done := w.stats.Written >= target || w.stats.Pending == 0
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
	_ = w.Flush(ctx) // a timeout here is fine: what is left goes to disk below
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
		batch, err := w.spill.peek(w.opt.BatchSize)
		if err != nil {
			w.log.Error("reading spill file", "err", err)
			return false, err
		}
		if err := w.append(ctx, batch); err != nil {
			return false, err
		}
		if err := w.spill.advance(len(batch)); err != nil {
			w.log.Error("advancing spill file", "err", err)
		}
		w.mu.Lock()
		w.acknowledge(len(batch))
		w.mu.Unlock()
		return true, nil
	}
	w.mu.Lock()
	n := min(len(w.mem), w.opt.BatchSize)
	batch := w.mem[:n:n]
	gen := w.gen
	w.mu.Unlock()
	if n == 0 {
		return false, nil
	}
	if err := w.append(ctx, batch); err != nil {
		return false, err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if gen == w.gen {
		w.mem = w.mem[n:]
		if len(w.mem) == 0 {
			w.mem = nil // let the backing array go after a burst
		}
		w.acknowledge(n)
	}
	return len(w.mem) >= w.opt.BatchSize || w.spill.pending() > 0, nil
}

// acknowledge counts n events as written; w.mu is held.
func (w *Writer) acknowledge(n int) {
	w.stats.Written += uint64(n)
	w.stats.Pending -= n
}

func (w *Writer) append(ctx context.Context, batch []Event) error {
	start := time.Now()
	err := w.sink.Append(ctx, batch)
	if w.opt.Observe != nil {
		w.opt.Observe(len(batch), time.Since(start), err)
	}
	if err != nil {
		w.mu.Lock()
		w.stats.Failures++
		failures, pending := w.stats.Failures, w.stats.Pending
		w.mu.Unlock()
		if failures == 1 || failures%50 == 0 {
			w.log.Warn("cannot write events; will retry", "events", len(batch), "pending", pending, "failures", failures, "err", err)
		}
	}
	return err
}
