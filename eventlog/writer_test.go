package eventlog

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// memSink is an idempotent in-memory Sink that can be switched off.
type memSink struct {
	mu    sync.Mutex
	down  bool
	keys  map[string]bool
	order []string
	calls int
}

func newMemSink() *memSink { return &memSink{keys: map[string]bool{}} }

func (s *memSink) Append(_ context.Context, evs []Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	if s.down {
		return errors.New("database down")
	}
	for _, e := range evs {
		if !s.keys[e.Key] {
			s.keys[e.Key] = true
			s.order = append(s.order, e.Key)
		}
	}
	return nil
}

func (s *memSink) setDown(d bool) { s.mu.Lock(); s.down = d; s.mu.Unlock() }

func (s *memSink) stored() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.order...)
}

func ev(i int) Event {
	return Event{At: time.Unix(1700000000, 0).Add(time.Duration(i) * time.Millisecond), Kind: "test", Source: SourceAPI, Key: fmt.Sprintf("k%06d", i)}
}

func newTestWriter(t *testing.T, sink Sink, spill string, memLimit int) *Writer {
	t.Helper()
	w, err := NewWriter(sink, Options{BatchSize: 10, FlushInterval: time.Millisecond, MemoryLimit: memLimit,
		SpillPath: spill, RetryMin: time.Millisecond, RetryMax: 5 * time.Millisecond, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	// Closing twice is harmless; this stops the writer before its directory goes.
	t.Cleanup(func() { w.Close(context.Background()) })
	return w
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func wantInOrder(t *testing.T, got []string, n int) {
	t.Helper()
	if len(got) != n {
		t.Fatalf("stored %d events, want %d", len(got), n)
	}
	for i, k := range got {
		if k != fmt.Sprintf("k%06d", i) {
			t.Fatalf("event %d is %s: order lost", i, k)
		}
	}
}

func TestWriterBatchesInOrder(t *testing.T) {
	sink := newMemSink()
	w := newTestWriter(t, sink, filepath.Join(t.TempDir(), "spill"), 100)
	for i := 0; i < 95; i++ {
		if err := w.Add(ev(i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	wantInOrder(t, sink.stored(), 95)
	if st := w.Stats(); st.Written != 95 || st.Pending != 0 || st.Spilled != 0 {
		t.Fatalf("stats %+v", st)
	}
	if err := w.Close(ctxT(t)); err != nil {
		t.Fatal(err)
	}
}

func TestWriterRejectsInvalidEvents(t *testing.T) {
	w := newTestWriter(t, newMemSink(), filepath.Join(t.TempDir(), "spill"), 100)
	defer w.Close(ctxT(t))
	bad := []Event{{Kind: "x", Source: "api"}, {At: time.Now(), Source: "api"}, {At: time.Now(), Kind: "x"},
		{At: time.Now(), Kind: "x", Source: "api", Payload: []byte("{not json")},
		{At: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), Kind: "x", Source: "api"}}
	for _, e := range bad {
		if err := w.Add(e); err == nil {
			t.Errorf("accepted %+v", e)
		}
	}
	if st := w.Stats(); st.Invalid != uint64(len(bad)) || st.Added != 0 {
		t.Fatalf("stats %+v", st)
	}
}

// The database goes away mid-stream: events pile up in memory, overflow to the spill
// file, and all arrive, once and in order, when it comes back.
func TestWriterSurvivesOutageWithSpill(t *testing.T) {
	sink := newMemSink()
	spill := filepath.Join(t.TempDir(), "spill")
	w := newTestWriter(t, sink, spill, 25)
	for i := 0; i < 30; i++ {
		w.Add(ev(i))
	}
	if err := w.Flush(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	sink.setDown(true)
	for i := 30; i < 200; i++ {
		w.Add(ev(i))
	}
	time.Sleep(20 * time.Millisecond)
	st := w.Stats()
	if st.Spilled == 0 || st.Failures == 0 || st.Pending != 170 {
		t.Fatalf("during outage: %+v", st)
	}
	sink.setDown(false)
	if err := w.Flush(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	wantInOrder(t, sink.stored(), 200)
	if err := w.Close(ctxT(t)); err != nil {
		t.Fatal(err)
	}
}

// ccd stops while the database is down: the events wait on disk and the next
// writer writes them before anything new.
func TestWriterCloseKeepsEventsForNextStart(t *testing.T) {
	sink := newMemSink()
	sink.setDown(true)
	spill := filepath.Join(t.TempDir(), "spill")
	w := newTestWriter(t, sink, spill, 1000)
	for i := 0; i < 50; i++ {
		w.Add(ev(i))
	}
	short, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	if err := w.Close(short); err != nil {
		t.Fatal(err)
	}
	if len(sink.stored()) != 0 {
		t.Fatal("sink was down")
	}
	// The database is still down when ccd starts again, so that the new
	// writer cannot have written any of them yet when it is asked.
	w2 := newTestWriter(t, sink, spill, 1000)
	if st := w2.Stats(); st.Pending != 50 {
		t.Fatalf("restart sees %d pending, want 50", st.Pending)
	}
	for i := 50; i < 60; i++ {
		w2.Add(ev(i))
	}
	sink.setDown(false)
	if err := w2.Flush(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	wantInOrder(t, sink.stored(), 60)
	if err := w2.Close(ctxT(t)); err != nil {
		t.Fatal(err)
	}
}

func TestWriterConcurrentProducers(t *testing.T) {
	sink := newMemSink()
	w := newTestWriter(t, sink, filepath.Join(t.TempDir(), "spill"), 50)
	var wg sync.WaitGroup
	for p := 0; p < 8; p++ {
		wg.Add(1)
		go func(p int) {
			defer wg.Done()
			for i := 0; i < 500; i++ {
				if i == 100 && p == 0 {
					sink.setDown(true)
				}
				if i == 300 && p == 0 {
					sink.setDown(false)
				}
				w.Add(ev(p*1000 + i))
			}
		}(p)
	}
	wg.Wait()
	if err := w.Flush(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	if got := len(sink.stored()); got != 4000 {
		t.Fatalf("stored %d, want 4000", got)
	}
	w.Close(ctxT(t))
}

func TestWriterAfterClose(t *testing.T) {
	sink := newMemSink()
	spill := filepath.Join(t.TempDir(), "spill")
	w := newTestWriter(t, sink, spill, 100)
	w.Add(ev(0))
	if err := w.Close(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(ctxT(t)); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if err := w.Add(ev(1)); err != nil {
		t.Fatalf("Add after Close: %v", err)
	}
	if err := w.Flush(ctxT(t)); err != ErrClosed {
		t.Fatalf("Flush after Close: %v", err)
	}
	w2 := newTestWriter(t, sink, spill, 100)
	if err := w2.Flush(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	wantInOrder(t, sink.stored(), 2)
}

// A writer whose sink is not ready yet (the database not connected) tries no
// write and counts no failure; events wait, spill beyond the memory limit,
// and are written in order once the sink is ready. Closed before then, it
// keeps them all on disk at once, without waiting for its deadline.
func TestWriterWaitsForItsSink(t *testing.T) {
	sink := newMemSink()
	spill := filepath.Join(t.TempDir(), "spill")
	ready := make(chan struct{})
	w, err := NewWriter(sink, Options{BatchSize: 10, FlushInterval: time.Millisecond, MemoryLimit: 20, SpillPath: spill,
		RetryMin: time.Millisecond, Logger: slog.New(slog.DiscardHandler), SinkReady: ready})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 50; i++ {
		w.Add(ev(i))
	}
	if err := w.Close(context.Background()); err != nil { // no deadline: a flush attempt would never end
		t.Fatal(err)
	}
	if st := w.Stats(); st.Failures != 0 || sink.calls != 0 {
		t.Fatalf("writes tried before the sink was ready: %d calls, %d failures", sink.calls, st.Failures)
	}

	w2, err := NewWriter(sink, Options{BatchSize: 10, FlushInterval: time.Millisecond, MemoryLimit: 20, SpillPath: spill,
		RetryMin: time.Millisecond, Logger: slog.New(slog.DiscardHandler), SinkReady: ready})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w2.Close(context.Background()) })
	for i := 50; i < 60; i++ {
		w2.Add(ev(i))
	}
	if st := w2.Stats(); st.Pending != 60 || st.Failures != 0 {
		t.Fatalf("before the sink is ready: %+v, want 60 pending and no failure", st)
	}
	// The readiness check still hears that events are not getting written.
	if h := w2.Health(); h.FailingSince.IsZero() || !errors.Is(h.LastError, ErrSinkNotReady) {
		t.Fatalf("health before the sink is ready: %+v", h)
	}
	close(ready)
	if err := w2.Flush(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	wantInOrder(t, sink.stored(), 60)
	if h := w2.Health(); !h.FailingSince.IsZero() {
		t.Fatalf("health once written: %+v", h)
	}
}
