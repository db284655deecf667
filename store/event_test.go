package store_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/ccdhq/ccd/eventlog"
	"github.com/ccdhq/ccd/internal/pgtest"
	"github.com/ccdhq/ccd/store"
)

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func sampleEvent(i int) eventlog.Event {
	return eventlog.Event{
		At:     time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Millisecond),
		CallID: fmt.Sprintf("call-%d", i/10), Kind: "pbx.dial", Agent: "1001", Queue: "support",
		DNIS: "5550100", CLID: "5551234", Source: eventlog.SourceAMI, Node: "pbx-a", Key: fmt.Sprintf("key-%d", i),
		Payload: eventlog.Payload(map[string]any{"n": i, "quote": `it's "quoted", {braced}`}),
	}
}

func TestMigrateIsIdempotent(t *testing.T) {
	db := pgtest.NewDB(t)
	again, err := db.Migrate(ctxT(t))
	if err != nil || len(again) != 0 {
		t.Fatalf("second Migrate applied %v, err %v", again, err)
	}
	var n int
	if err := db.Get(&n, `SELECT count(*) FROM schema_migration`); err != nil || n == 0 {
		t.Fatalf("schema_migration has %d rows, err %v", n, err)
	}
}

func TestAppendIsIdempotentAndRoundTrips(t *testing.T) {
	db := pgtest.NewDB(t)
	sink := store.EventSink{DB: db}
	var batch []eventlog.Event
	for i := 0; i < 100; i++ {
		batch = append(batch, sampleEvent(i))
	}
	ctx := ctxT(t)
	if err := sink.Append(ctx, batch); err != nil {
		t.Fatal(err)
	}
	// The same facts again, e.g. a retry after a lost acknowledgement.
	if err := sink.Append(ctx, batch[40:60]); err != nil {
		t.Fatal(err)
	}
	got, err := db.Events(ctx, store.EventFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 100 {
		t.Fatalf("stored %d events, want 100", len(got))
	}
	e := got[7]
	want := sampleEvent(7)
	if !e.At.Equal(want.At) || e.CallID != want.CallID || e.Kind != want.Kind || e.Key != want.Key || e.DNIS != want.DNIS || e.Node != want.Node {
		t.Fatalf("round trip: got %+v want %+v", e, want)
	}
	if string(e.Payload) != `{"n": 7, "quote": "it's \"quoted\", {braced}"}` {
		t.Fatalf("payload %s", e.Payload)
	}
	byCall, err := db.Events(ctx, store.EventFilter{CallID: "call-3"})
	if err != nil || len(byCall) != 10 {
		t.Fatalf("by call: %d, %v", len(byCall), err)
	}
}

// PostgreSQL stops mid-stream and comes back: every event arrives exactly once.
func TestWriterAcrossDatabaseRestart(t *testing.T) {
	cluster, dsn := pgtest.NewCluster(t)
	ctx := ctxT(t)
	db, err := store.Open(ctx, dsn, 4, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	w, err := eventlog.NewWriter(store.EventSink{DB: db}, eventlog.Options{
		BatchSize: 100, FlushInterval: 5 * time.Millisecond, MemoryLimit: 500,
		SpillPath: filepath.Join(t.TempDir(), "spill.jsonl"), RetryMin: 20 * time.Millisecond, RetryMax: 200 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	const total = 3000
	for i := 0; i < 1000; i++ {
		w.Add(sampleEvent(i))
	}
	if err := w.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if err := cluster.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	for i := 1000; i < 2500; i++ {
		w.Add(sampleEvent(i))
	}
	time.Sleep(300 * time.Millisecond)
	if st := w.Stats(); st.Spilled == 0 || st.Failures == 0 {
		t.Fatalf("outage not noticed: %+v", st)
	}
	if err := cluster.Start(ctx); err != nil {
		t.Fatal(err)
	}
	for i := 2500; i < total; i++ {
		w.Add(sampleEvent(i))
	}
	if err := w.Flush(ctx); err != nil {
		t.Fatalf("flush after restart: %v (stats %+v)", err, w.Stats())
	}
	if err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}
	var n, distinct int
	if err := db.QueryRow(`SELECT count(*), count(DISTINCT key) FROM call_event`).Scan(&n, &distinct); err != nil {
		t.Fatal(err)
	}
	if n != total || distinct != total {
		t.Fatalf("stored %d events (%d distinct), want %d", n, distinct, total)
	}
	// A database that is down refuses nothing for its content: it is waited for.
	if err := db.QueryRow(`SELECT count(*) FROM event_quarantine`).Scan(&n); err != nil || n != 0 || w.Stats().Quarantined != 0 {
		t.Fatalf("%d events quarantined while the database was down (err %v, stats %+v)", n, err, w.Stats())
	}
}

// BenchmarkAppend measures the sustained insert rate through the Writer into a real
// PostgreSQL: go test -run x -bench Append ./store
func BenchmarkAppend(b *testing.B) {
	benchAppendRate(b, benchWriter(b, nil))
}

// benchWriter is the writer of the append benchmarks, into a fresh database,
// publishing to hub when it is not nil.
func benchWriter(b *testing.B, hub *eventlog.Hub) *eventlog.Writer {
	db := pgtest.NewDB(b)
	w, err := eventlog.NewWriter(store.EventSink{DB: db}, eventlog.Options{
		BatchSize: 2000, FlushInterval: 20 * time.Millisecond, MemoryLimit: 1 << 22,
		SpillPath: filepath.Join(b.TempDir(), "spill.jsonl"), Hub: hub,
	})
	if err != nil {
		b.Fatal(err)
	}
	return w
}

// benchAppendRate adds b.N events to w, waits until they are written and
// reports the rate.
func benchAppendRate(b *testing.B, w *eventlog.Writer) {
	ctx := ctxT(b)
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		e := sampleEvent(i)
		e.Key = fmt.Sprintf("bench-%d-%d", b.N, i)
		w.Add(e)
	}
	if err := w.Flush(ctx); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
	b.StopTimer()
	w.Close(ctx)
}

// AppendIDs gives each event stored the id the log gave it, and 0 to an
// event the log held already or that repeats a key of the same batch.
func TestAppendIDs(t *testing.T) {
	db := pgtest.NewDB(t)
	sink := store.EventSink{DB: db}
	ctx := ctxT(t)
	if err := sink.Append(ctx, []eventlog.Event{sampleEvent(1)}); err != nil {
		t.Fatal(err)
	}
	batch := []eventlog.Event{sampleEvent(2), sampleEvent(1), sampleEvent(3), sampleEvent(2)}
	ids, err := sink.AppendIDs(ctx, batch)
	if err != nil {
		t.Fatal(err)
	}
	stored, err := db.Events(ctx, store.EventFilter{})
	if err != nil {
		t.Fatal(err)
	}
	byKey := map[string]int64{}
	for _, e := range stored {
		byKey[e.Key] = e.ID
	}
	want := []int64{byKey[sampleEvent(2).Key], 0, byKey[sampleEvent(3).Key], 0}
	if len(stored) != 3 || len(ids) != 4 || ids[0] != want[0] || ids[1] != 0 || ids[2] != want[2] || ids[3] != 0 || ids[0] == 0 || ids[2] <= ids[0] {
		t.Fatalf("ids %v, want %v (log %d events)", ids, want, len(stored))
	}
}
