package eventlog

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// pickySink refuses, for their content, every batch that holds an event of kind
// "bad", as PostgreSQL refuses a whole statement for one value. Wrapped in a
// quarantiningSink it keeps quarantined events itself, or fails to when
// quarantineDown.
type pickySink struct {
	*memSink
	quarantineDown bool

	mu   sync.Mutex
	kept []Quarantined
}

func (s *pickySink) Append(ctx context.Context, evs []Event) error {
	for _, e := range evs {
		if e.Kind == "bad" {
			return fmt.Errorf("refused %s: %w", e.Key, ErrRejected)
		}
	}
	return s.memSink.Append(ctx, evs)
}

// quarantiningSink is a pickySink with a quarantine of its own.
type quarantiningSink struct{ *pickySink }

func (s quarantiningSink) Quarantine(_ context.Context, q Quarantined) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.quarantineDown {
		return false, errors.New("quarantine table unavailable")
	}
	for _, k := range s.kept {
		if k.Event.Key == q.Event.Key {
			return false, nil
		}
	}
	s.kept = append(s.kept, q)
	return true, nil
}

func badEv(i int) Event {
	e := ev(i)
	e.Kind = "bad"
	return e
}

// quarantineFileKeys reads the keys of the events in the quarantine file.
func quarantineFileKeys(t *testing.T, path string) (keys []string, lines []quarantineLine) {
	t.Helper()
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 64<<20)
	for sc.Scan() {
		var l quarantineLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("quarantine line %q: %v", sc.Text(), err)
		}
		if l.Event != nil {
			keys = append(keys, l.Event.Key)
		}
		lines = append(lines, l)
	}
	return keys, lines
}

// addAll adds events 0..n-1, those in bad of kind "bad".
func addAll(t *testing.T, w *Writer, n int, bad ...int) (good []string) {
	t.Helper()
	isBad := map[int]bool{}
	for _, b := range bad {
		isBad[b] = true
	}
	for i := 0; i < n; i++ {
		e := ev(i)
		if isBad[i] {
			e = badEv(i)
		} else {
			good = append(good, e.Key)
		}
		if err := w.Add(e); err != nil {
			t.Fatal(err)
		}
	}
	return good
}

func wantKeys(t *testing.T, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("%s: got %v, want %v", what, got, want)
	}
}

// Events the database refuses are found in their batches (first, last, adjacent,
// several in one batch) and kept in the quarantine file; every other event is
// written, in order, and Flush returns.
func TestWriterQuarantinesRefusedEventsInAFile(t *testing.T) {
	sink := &pickySink{memSink: newMemSink()}
	dir := t.TempDir()
	var counted atomic.Int64
	w, err := NewWriter(sink, Options{BatchSize: 10, FlushInterval: time.Millisecond, SpillPath: filepath.Join(dir, "spill"),
		RetryMin: time.Millisecond, RetryMax: 5 * time.Millisecond, Logger: slog.New(slog.DiscardHandler),
		OnQuarantine: func() { counted.Add(1) }})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close(ctxT(t))
	good := addAll(t, w, 60, 0, 7, 8, 19, 33, 59)
	if err := w.Flush(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	wantKeys(t, "written", sink.stored(), good)
	keys, lines := quarantineFileKeys(t, filepath.Join(dir, "quarantine.jsonl"))
	wantKeys(t, "quarantined", keys, []string{"k000000", "k000007", "k000008", "k000019", "k000033", "k000059"})
	if !strings.Contains(lines[0].Reason, "refused k000000") || lines[0].At.IsZero() {
		t.Fatalf("quarantine line without its reason or time: %+v", lines[0])
	}
	if st := w.Stats(); st.Written != 54 || st.Quarantined != 6 || st.Pending != 0 || st.Failures != 0 {
		t.Fatalf("stats %+v", st)
	}
	if counted.Load() != 6 {
		t.Fatalf("OnQuarantine called %d times, want 6", counted.Load())
	}
	if h := w.Health(); !h.FailingSince.IsZero() {
		t.Fatalf("refused events count as a failing database: %+v", h)
	}
}

// A sink with a quarantine of its own keeps the refused events; when it cannot,
// the file does.
func TestWriterQuarantinesInTheSinkAndFallsBackToTheFile(t *testing.T) {
	sink := quarantiningSink{&pickySink{memSink: newMemSink()}}
	dir := t.TempDir()
	w := newTestWriter(t, sink, filepath.Join(dir, "spill"), 100)
	good := addAll(t, w, 30, 3, 25)
	if err := w.Flush(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	sink.mu.Lock()
	sink.quarantineDown = true
	sink.mu.Unlock()
	for i := 30; i < 40; i++ {
		e := ev(i)
		if i == 31 {
			e = badEv(i)
		} else {
			good = append(good, e.Key)
		}
		w.Add(e)
	}
	if err := w.Flush(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	wantKeys(t, "written", sink.stored(), good)
	var inSink []string
	sink.mu.Lock()
	for _, q := range sink.kept {
		inSink = append(inSink, q.Event.Key)
	}
	sink.mu.Unlock()
	wantKeys(t, "quarantined in the sink", inSink, []string{"k000003", "k000025"})
	inFile, _ := quarantineFileKeys(t, filepath.Join(dir, "quarantine.jsonl"))
	wantKeys(t, "quarantined in the file", inFile, []string{"k000031"})
}

// An event over MaxEventBytes never reaches the sink; the events around it do.
func TestWriterQuarantinesEventsOverTheSizeLimit(t *testing.T) {
	sink := newMemSink()
	dir := t.TempDir()
	w, err := NewWriter(sink, Options{BatchSize: 10, FlushInterval: time.Millisecond, SpillPath: filepath.Join(dir, "spill"),
		MaxEventBytes: 1000, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close(ctxT(t))
	var good []string
	for i := 0; i < 20; i++ {
		e := ev(i)
		if i == 4 {
			e.Payload = json.RawMessage(`{"blob":"` + strings.Repeat("x", 2000) + `"}`)
		} else {
			good = append(good, e.Key)
		}
		w.Add(e)
	}
	if err := w.Flush(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	wantKeys(t, "written", sink.stored(), good)
	keys, lines := quarantineFileKeys(t, filepath.Join(dir, "quarantine.jsonl"))
	wantKeys(t, "quarantined", keys, []string{"k000004"})
	if !strings.Contains(lines[0].Reason, "eventlog.max_event_bytes") {
		t.Fatalf("reason %q does not name the limit", lines[0].Reason)
	}
}

// A batch of events that are each within the limit but together would make one
// statement of gigabytes is cut in several Appends.
func TestWriterBoundsTheBytesOfOneAppend(t *testing.T) {
	var sizes []int
	var mu sync.Mutex
	sink := sinkFunc(func(_ context.Context, evs []Event) error {
		total := 0
		for i := range evs {
			total += evs[i].size()
		}
		mu.Lock()
		sizes = append(sizes, total)
		mu.Unlock()
		return nil
	})
	w, err := NewWriter(sink, Options{BatchSize: 100, FlushInterval: time.Millisecond, SpillPath: filepath.Join(t.TempDir(), "spill"),
		MaxEventBytes: 30 << 20, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close(ctxT(t))
	blob := json.RawMessage(`"` + strings.Repeat("x", 20<<20) + `"`)
	for i := 0; i < 5; i++ {
		e := ev(i)
		e.Payload = blob
		w.Add(e)
	}
	if err := w.Flush(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	if st := w.Stats(); st.Written != 5 {
		t.Fatalf("stats %+v", st)
	}
	for _, s := range sizes {
		if s > maxBatchBytes {
			t.Fatalf("one Append carried %d bytes, over %d", s, maxBatchBytes)
		}
	}
}

type sinkFunc func(context.Context, []Event) error

func (f sinkFunc) Append(ctx context.Context, evs []Event) error { return f(ctx, evs) }

// A restart with a spill file holding a refused event: Flush (what the queue
// restore waits for) returns, the refused event is in the quarantine and the
// others are written in order.
func TestWriterRestartWithARefusedEventInTheSpillFile(t *testing.T) {
	sink := &pickySink{memSink: newMemSink()}
	sink.setDown(true)
	dir := t.TempDir()
	spill := filepath.Join(dir, "spill")
	w := newTestWriter(t, sink, spill, 1000)
	good := addAll(t, w, 25, 12)
	short, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	if err := w.Close(short); err != nil {
		t.Fatal(err)
	}
	sink.setDown(false)
	w2 := newTestWriter(t, sink, spill, 1000)
	if err := w2.Flush(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	wantKeys(t, "written", sink.stored(), good)
	keys, _ := quarantineFileKeys(t, filepath.Join(dir, "quarantine.jsonl"))
	wantKeys(t, "quarantined", keys, []string{"k000012"})
	if st := w2.Stats(); st.Pending != 0 || st.Quarantined != 1 {
		t.Fatalf("stats %+v", st)
	}
}

// A complete line of the spill file that is not an event (a torn write followed
// by more events) goes to the quarantine file instead of being dropped.
func TestWriterKeepsUnreadableSpillLines(t *testing.T) {
	dir := t.TempDir()
	spill := filepath.Join(dir, "spill")
	var b []byte
	for i := 0; i < 3; i++ {
		line, _ := json.Marshal(ev(i))
		b = append(append(b, line...), '\n')
		if i == 1 {
			b = append(b, `{"at":"2026-01-01T00:00:00Z","kind":"torn","sou`+"\n"...)
		}
	}
	if err := os.WriteFile(spill, b, 0o600); err != nil {
		t.Fatal(err)
	}
	sink := newMemSink()
	w := newTestWriter(t, sink, spill, 100)
	if err := w.Flush(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	wantInOrder(t, sink.stored(), 3)
	_, lines := quarantineFileKeys(t, filepath.Join(dir, "quarantine.jsonl"))
	if len(lines) != 1 || !strings.Contains(lines[0].Line, `"kind":"torn"`) {
		t.Fatalf("quarantine file %+v, want the torn line", lines)
	}
	if st := w.Stats(); st.Pending != 0 || st.Quarantined != 1 {
		t.Fatalf("stats %+v", st)
	}
}

// A database that cannot be reached is not a reason to quarantine: the writer
// says since when it fails, retries, and recovers.
func TestWriterHealthWhileTheDatabaseIsDown(t *testing.T) {
	sink := newMemSink()
	sink.setDown(true)
	dir := t.TempDir()
	w := newTestWriter(t, sink, filepath.Join(dir, "spill"), 100)
	w.Add(ev(0))
	deadline := time.Now().Add(10 * time.Second)
	for w.Health().FailingSince.IsZero() {
		if time.Now().After(deadline) {
			t.Fatal("writer never reported the failing database")
		}
		time.Sleep(time.Millisecond)
	}
	h := w.Health()
	if h.LastError == nil || h.Pending != 1 {
		t.Fatalf("health %+v", h)
	}
	sink.setDown(false)
	if err := w.Flush(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	if h := w.Health(); !h.FailingSince.IsZero() {
		t.Fatalf("still failing after recovery: %+v", h)
	}
	if st := w.Stats(); st.Quarantined != 0 || st.Written != 1 {
		t.Fatalf("stats %+v", st)
	}
	if _, err := os.Stat(filepath.Join(dir, "quarantine.jsonl")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a down database filled the quarantine: %v", err)
	}
}

func TestHealthUnready(t *testing.T) {
	since := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	h := Health{FailingSince: since, LastError: errors.New("dial tcp: connection refused"), Pending: 42}
	if err := h.Unready(since.Add(30*time.Second), 30*time.Second); err != nil {
		t.Fatalf("unready at the threshold: %v", err)
	}
	err := h.Unready(since.Add(31*time.Second), 30*time.Second)
	if err == nil {
		t.Fatal("ready after failing longer than the threshold")
	}
	for _, want := range []string{"connection refused", "2026-12-01T10:00:00Z", "42 events"} {
		if !strings.Contains(err.Error(), want) {
			t.Fatalf("reason %q does not say %q", err, want)
		}
	}
	if err := (Health{LastError: errors.New("old")}).Unready(since, 0); err != nil {
		t.Fatalf("unready after recovery: %v", err)
	}
}
