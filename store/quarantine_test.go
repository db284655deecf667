package store_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ccdhq/ccd/eventlog"
	"github.com/ccdhq/ccd/internal/pgtest"
	"github.com/ccdhq/ccd/store"
)

// poison is a value a producer may hand the writer that PostgreSQL refuses (or
// that is over eventlog.max_event_bytes), with what the quarantine says about it.
type poison struct {
	name   string
	spoil  func(*eventlog.Event)
	reason string
}

func randomHex(n int) string {
	b := make([]byte, n/2)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

var poisons = []poison{
	{"NUL in a text column", func(e *eventlog.Event) { e.Agent = "x\x00y" }, "22021"},
	{"invalid UTF-8", func(e *eventlog.Event) { e.CLID = "\xff\xfe" }, "22021"},
	{"10 MB payload", func(e *eventlog.Event) {
		e.Payload = json.RawMessage(`{"blob":"` + strings.Repeat("a", 10<<20) + `"}`)
	}, "eventlog.max_event_bytes"},
	{"jsonb refuses the \\u0000 escape", func(e *eventlog.Event) { e.Payload = json.RawMessage(`{"pause_id":"x\u0000y"}`) }, "22P05"},
	{"jsonb refuses a lone surrogate", func(e *eventlog.Event) { e.Payload = json.RawMessage(`{"v":"\ud800"}`) }, "22P02"},
	{"key too long for its index", func(e *eventlog.Event) { e.Key += "-" + randomHex(8000) }, "54000"},
}

func newStoreWriter(t *testing.T, sink eventlog.Sink, spill string) *eventlog.Writer {
	t.Helper()
	w, err := eventlog.NewWriter(sink, eventlog.Options{
		BatchSize: 100, FlushInterval: 5 * time.Millisecond, SpillPath: spill,
		RetryMin: 5 * time.Millisecond, RetryMax: 50 * time.Millisecond, Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close(context.Background()) })
	return w
}

// streamWithPoison returns 150 events keyed prefixNNN with a spoiled one at 70,
// and the keys of the good ones in order.
func streamWithPoison(prefix string, p poison) (evs []eventlog.Event, good []string) {
	for i := 0; i < 150; i++ {
		e := sampleEvent(i)
		e.Key = fmt.Sprintf("%s%03d", prefix, i)
		if i == 70 {
			p.spoil(&e)
		} else {
			good = append(good, e.Key)
		}
		evs = append(evs, e)
	}
	return evs, good
}

// writtenKeys reads the keys of call_event starting with prefix, in log order.
func writtenKeys(t *testing.T, db *store.DB, prefix string) []string {
	t.Helper()
	var keys []string
	if err := db.Select(&keys, `SELECT key FROM call_event WHERE key LIKE $1 || '%' ORDER BY id`, prefix); err != nil {
		t.Fatal(err)
	}
	return keys
}

type quarantineRow struct {
	Key   string     `db:"key"`
	Kind  string     `db:"kind"`
	At    *time.Time `db:"at"`
	Error string     `db:"error"`
	Event []byte     `db:"event"`
}

func quarantinedRows(t *testing.T, db *store.DB, prefix string) []quarantineRow {
	t.Helper()
	var rows []quarantineRow
	if err := db.Select(&rows, `SELECT key, kind, at, error, event FROM event_quarantine WHERE key LIKE $1 || '%' ORDER BY id`, prefix); err != nil {
		t.Fatal(err)
	}
	return rows
}

// One bad value can never stop the event log: each kind of value PostgreSQL
// refuses (or that is too large) stops nothing; the events before and after it
// land in order and it is in event_quarantine with the reason and the original.
func TestWriterQuarantinesWhatPostgreSQLRefuses(t *testing.T) {
	db := pgtest.NewDB(t)
	for i, p := range poisons {
		t.Run(p.name, func(t *testing.T) {
			prefix := fmt.Sprintf("poison%d-", i)
			w := newStoreWriter(t, store.EventSink{DB: db}, filepath.Join(t.TempDir(), "spill.jsonl"))
			evs, good := streamWithPoison(prefix, p)
			for _, e := range evs {
				if err := w.Add(e); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Flush(ctxT(t)); err != nil {
				t.Fatalf("flush: %v (stats %+v)", err, w.Stats())
			}
			if got := writtenKeys(t, db, prefix); strings.Join(got, ",") != strings.Join(good, ",") {
				t.Fatalf("written %d events, want the %d good ones in order", len(got), len(good))
			}
			rows := quarantinedRows(t, db, prefix)
			if len(rows) != 1 {
				t.Fatalf("%d quarantined rows, want 1", len(rows))
			}
			r := rows[0]
			if !strings.Contains(r.Error, p.reason) || r.Kind != "pbx.dial" || r.At == nil || !r.At.Equal(evs[70].At) {
				t.Fatalf("quarantine row %+v, want reason %q", r, p.reason)
			}
			var orig eventlog.Event
			if err := json.Unmarshal(r.Event, &orig); err != nil {
				t.Fatal(err)
			}
			bad := evs[70]
			if orig.Key != bad.Key || r.Key != bad.Key || orig.Agent != bad.Agent || string(orig.Payload) != string(bad.Payload) {
				t.Fatalf("quarantined event %.200q is not the original", r.Event)
			}
			if st := w.Stats(); st.Written != 149 || st.Quarantined != 1 || st.Pending != 0 {
				t.Fatalf("stats %+v", st)
			}
		})
	}
}

// The same refused event quarantined twice (a batch retried after the database
// went away mid-way) is one row, and the second time says so.
func TestQuarantineKeepsAnEventOnce(t *testing.T) {
	db := pgtest.NewDB(t)
	sink := store.EventSink{DB: db}
	e := sampleEvent(1)
	e.Agent = "x\x00y"
	q := eventlog.Quarantined{At: time.Now(), Reason: "refused", Event: e}
	for i, want := range []bool{true, false} {
		stored, err := sink.Quarantine(ctxT(t), q)
		if err != nil || stored != want {
			t.Fatalf("Quarantine #%d: stored %v, err %v; want %v", i+1, stored, err, want)
		}
	}
	// A key, kind and reason that are not storable text still make a row.
	e.Key, e.Kind = "k\x00\xff", "bad\x00kind"
	if stored, err := sink.Quarantine(ctxT(t), eventlog.Quarantined{At: time.Now(), Reason: "x\x00", Event: e}); err != nil || !stored {
		t.Fatalf("Quarantine of unstorable texts: stored %v, err %v", stored, err)
	}
	var n int
	if err := db.Get(&n, `SELECT count(*) FROM event_quarantine`); err != nil || n != 2 {
		t.Fatalf("%d rows, err %v; want 2", n, err)
	}
}

// The database refusing a batch for its content is told apart from a database
// that cannot be reached: only the first is eventlog.ErrRejected.
func TestAppendTellsRefusedContentFromUnavailableDatabase(t *testing.T) {
	db := pgtest.NewDB(t)
	bad := sampleEvent(1)
	bad.Payload = json.RawMessage(`{"v":"\u0000"}`)
	err := store.EventSink{DB: db}.Append(ctxT(t), []eventlog.Event{bad})
	if !errors.Is(err, eventlog.ErrRejected) || !strings.Contains(err.Error(), "22P05") {
		t.Fatalf("refused content: %v, want ErrRejected naming 22P05", err)
	}
	db.Close()
	err = store.EventSink{DB: db}.Append(ctxT(t), []eventlog.Event{sampleEvent(2)})
	if err == nil || errors.Is(err, eventlog.ErrRejected) {
		t.Fatalf("closed database: %v, want an error to retry", err)
	}
}

// downSink is a database that cannot be reached.
type downSink struct{}

func (downSink) Append(context.Context, []eventlog.Event) error {
	return errors.New("dial tcp 127.0.0.1:5432: connect: connection refused")
}

// ccd stopped while the database was down, with an event PostgreSQL refuses in
// the spill file: the next start writes the others and quarantines it, and Flush
// (what restoring the queues waits for) returns.
func TestRestartWithARefusedEventInTheSpillFile(t *testing.T) {
	db := pgtest.NewDB(t)
	spill := filepath.Join(t.TempDir(), "spill.jsonl")
	w := newStoreWriter(t, downSink{}, spill)
	var all []eventlog.Event
	for i, p := range poisons {
		evs, _ := streamWithPoison(fmt.Sprintf("spill%d-", i), p)
		all = append(all, evs...)
	}
	for _, e := range all {
		w.Add(e)
	}
	short, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := w.Close(short); err != nil {
		t.Fatal(err)
	}
	w2 := newStoreWriter(t, store.EventSink{DB: db}, spill)
	if err := w2.Flush(ctxT(t)); err != nil {
		t.Fatalf("flush after restart: %v (stats %+v)", err, w2.Stats())
	}
	// Every event is in one place: written in order, or quarantined if it is a
	// spoiled one. (The spill file is JSON: invalid UTF-8 in a text comes back
	// as U+FFFD, which PostgreSQL takes, so that spoiled event is written.)
	quarantined := map[string]bool{}
	for _, r := range quarantinedRows(t, db, "spill") {
		quarantined[r.Key] = true
	}
	var want []string
	for i, e := range all {
		switch {
		case !quarantined[e.Key]:
			want = append(want, e.Key)
		case i%150 != 70:
			t.Fatalf("good event %s quarantined", e.Key)
		}
	}
	if got := writtenKeys(t, db, "spill"); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("written %d events, want %d in order", len(got), len(want))
	}
	if st := w2.Stats(); st.Pending != 0 || int(st.Quarantined) != len(quarantined) || len(quarantined) < len(poisons)-1 {
		t.Fatalf("stats %+v, %d quarantined rows", st, len(quarantined))
	}
}
