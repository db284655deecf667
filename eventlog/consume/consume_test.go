package consume_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ccdhq/ccd/eventlog"
	"github.com/ccdhq/ccd/eventlog/consume"
	"github.com/ccdhq/ccd/internal/pgtest"
	"github.com/ccdhq/ccd/store"
	"github.com/jmoiron/sqlx"
)

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// events makes n events whose keys start with prefix.
func events(prefix string, from, n int) []eventlog.Event {
	out := make([]eventlog.Event, n)
	for i := range out {
		out[i] = eventlog.Event{At: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC).Add(time.Duration(from+i) * time.Second),
			Kind: "test", Source: eventlog.SourceAPI, Key: fmt.Sprintf("%s-%06d", prefix, from+i)}
	}
	return out
}

func appendAll(t testing.TB, db *store.DB, evs []eventlog.Event) {
	t.Helper()
	if err := (store.EventSink{DB: db}).Append(ctxT(t), evs); err != nil {
		t.Fatal(err)
	}
}

// exactly is a consumer that writes what it handled, with its cursor, in one
// transaction: handled holds one row per handling, in handling order.
type exactly struct {
	db   *store.DB
	cons *consume.Consumer
}

func newExactly(t testing.TB, db *store.DB, name string) *exactly {
	t.Helper()
	if _, err := db.Exec(`CREATE TABLE IF NOT EXISTS handled (seq bigserial PRIMARY KEY, consumer text NOT NULL, event_id bigint NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	return &exactly{db: db, cons: consume.New(db, name)}
}

// step handles the next batch; it reports how many events it handled.
func (x *exactly) step(ctx context.Context, limit int) (int, error) {
	evs, err := x.cons.Next(ctx, limit)
	if err != nil || len(evs) == 0 {
		return 0, err
	}
	err = x.cons.Apply(ctx, func(ctx context.Context, tx *sqlx.Tx) (store.ConsumerPosition, error) {
		for _, e := range evs {
			if _, err := tx.ExecContext(ctx, `INSERT INTO handled (consumer, event_id) VALUES ($1, $2)`, x.cons.Name(), e.ID); err != nil {
				return store.ConsumerPosition{}, err
			}
		}
		return store.ConsumerPosition{LastID: evs[len(evs)-1].ID}, nil
	})
	if err != nil {
		return 0, err
	}
	return len(evs), nil
}

func (x *exactly) drain(t testing.TB, limit int) {
	t.Helper()
	for {
		n, err := x.step(ctxT(t), limit)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
}

// atLeastOnce records every event handed to it, in order.
type atLeastOnce struct {
	cons *consume.Consumer
	mu   sync.Mutex
	got  []int64
}

func (a *atLeastOnce) handle(_ context.Context, evs []eventlog.Event) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, e := range evs {
		a.got = append(a.got, e.ID)
	}
	return nil
}

func (a *atLeastOnce) drain(t testing.TB, limit int) {
	t.Helper()
	for {
		n, err := a.cons.Step(ctxT(t), limit, a.handle)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
}

// logIDs are the ids in the log, in order.
func logIDs(t testing.TB, db *store.DB) []int64 {
	t.Helper()
	var ids []int64
	if err := db.Select(&ids, `SELECT id FROM call_event ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	return ids
}

// handledIDs are the ids the exactly-once consumer name handled, in handling order.
func handledIDs(t testing.TB, db *store.DB, name string) []int64 {
	t.Helper()
	var ids []int64
	if err := db.Select(&ids, `SELECT event_id FROM handled WHERE consumer = $1 ORDER BY seq`, name); err != nil {
		t.Fatal(err)
	}
	return ids
}

// wantExactly fails unless got is the log, each event once, in log order.
func wantExactly(t testing.TB, what string, log, got []int64) {
	t.Helper()
	if len(got) != len(log) {
		t.Fatalf("%s: handled %d events, the log has %d", what, len(got), len(log))
	}
	for i := range log {
		if got[i] != log[i] {
			t.Fatalf("%s: event %d handled is id %d, want %d (log order, each once)", what, i, got[i], log[i])
		}
	}
}

// wantAtLeastOnce fails unless got holds every event of the log, never
// going back before an event it had already passed except to repeat a
// suffix (a batch handed over again), and with no event skipped.
func wantAtLeastOnce(t testing.TB, what string, log, got []int64) {
	t.Helper()
	seen := map[int64]bool{}
	var high int64
	for i, id := range got {
		if id <= high && !seen[id] {
			t.Fatalf("%s: event %d handed over after %d: out of log order", what, id, high)
		}
		if i > 0 && id > high {
			// The next new event must be the next one in the log: no gap.
			for _, l := range log {
				if l > high && !seen[l] {
					if l != id {
						t.Fatalf("%s: event %d skipped (got %d after %d)", what, l, id, high)
					}
					break
				}
			}
		}
		seen[id] = true
		high = max(high, id)
	}
	for _, id := range log {
		if !seen[id] {
			t.Fatalf("%s: event %d never handed over", what, id)
		}
	}
}

// A consumer stopped while N events are written catches up with them when it
// starts again (a new process: the position comes from the database),
// exactly once and in log order; an at-least-once consumer gets them all,
// with no gap.
func TestStoppedConsumerCatchesUpOnce(t *testing.T) {
	db := pgtest.NewDB(t)
	appendAll(t, db, events("a", 0, 40))
	x := newExactly(t, db, "exact")
	a := &atLeastOnce{cons: consume.New(db, "loose")}
	x.drain(t, 7)
	a.drain(t, 7)

	// Both stop; 1,000 events are written meanwhile.
	for i := range 10 {
		appendAll(t, db, events("b", i*100, 100))
	}
	restartedX := newExactly(t, db, "exact")
	restartedA := &atLeastOnce{cons: consume.New(db, "loose"), got: a.got}
	restartedX.drain(t, 64)
	restartedA.drain(t, 64)
	log := logIDs(t, db)
	wantExactly(t, "exactly-once consumer", log, handledIDs(t, db, "exact"))
	wantExactly(t, "at-least-once consumer without a crash", log, restartedA.got)
	pos, found, err := db.Consumer(ctxT(t), "exact")
	if err != nil || !found || pos.LastID != log[len(log)-1] {
		t.Fatalf("stored position %+v found=%v err=%v, want at %d", pos, found, err, log[len(log)-1])
	}
}

// An at-least-once consumer that crashes after handling a batch and before
// moving its cursor gets that batch again after a restart, and then goes on:
// nothing is skipped.
func TestRestartResumesFromTheCursor(t *testing.T) {
	db := pgtest.NewDB(t)
	ctx := ctxT(t)
	appendAll(t, db, events("a", 0, 30))
	a := &atLeastOnce{cons: consume.New(db, "hook")}
	a.drain(t, 10)
	appendAll(t, db, events("b", 0, 25))
	// The crash: handled, never committed.
	crashed := consume.New(db, "hook")
	evs, err := crashed.Next(ctx, 10)
	if err != nil || len(evs) != 10 {
		t.Fatalf("read %d events, %v", len(evs), err)
	}
	_ = a.handle(ctx, evs)
	restarted := &atLeastOnce{cons: consume.New(db, "hook"), got: a.got}
	restarted.drain(t, 10)
	log := logIDs(t, db)
	wantAtLeastOnce(t, "after a crash", log, restarted.got)
	if len(restarted.got) != len(log)+10 {
		t.Fatalf("handed over %d events for a log of %d and one batch repeated", len(restarted.got), len(log))
	}
}

// Two instances of one exactly-once consumer: the one that read from a
// position another has moved since writes nothing (ErrMoved), and its next
// step continues from the stored position.
func TestMovedPositionWritesNothing(t *testing.T) {
	db := pgtest.NewDB(t)
	ctx := ctxT(t)
	appendAll(t, db, events("a", 0, 20))
	one, two := newExactly(t, db, "exact"), newExactly(t, db, "exact")
	if _, err := one.cons.Next(ctx, 5); err != nil { // loads "no position"
		t.Fatal(err)
	}
	if _, err := two.step(ctx, 5); err != nil {
		t.Fatal(err)
	}
	if _, err := one.step(ctx, 5); !errors.Is(err, consume.ErrMoved) {
		t.Fatalf("a step from a moved position: %v, want ErrMoved", err)
	}
	one.drain(t, 5)
	wantExactly(t, "two instances", logIDs(t, db), handledIDs(t, db, "exact"))
}

// A transaction that took its ids and commits late, while another writer
// appends, never has its events skipped: the other writer waits for it (the
// append lock), so a consumer stepping meanwhile sees neither, then both in
// log order. Without the lock the later writer's higher ids commit first, the
// consumer passes them, and the late events below its cursor are lost.
func TestLateCommitIsNotSkipped(t *testing.T) {
	db := pgtest.NewDB(t)
	ctx := ctxT(t)
	appendAll(t, db, events("before", 0, 5))
	x := newExactly(t, db, "exact")
	a := &atLeastOnce{cons: consume.New(db, "loose")}
	x.drain(t, 100)
	a.drain(t, 100)

	late, err := db.BeginTxx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer late.Rollback()
	if _, err := late.ExecContext(ctx, `INSERT INTO call_event (at, kind, source, key) VALUES (now(), 'test', 'api', 'late-1'), (now(), 'test', 'api', 'late-2')`); err != nil {
		t.Fatal(err)
	}
	other := make(chan error, 1)
	go func() { other <- (store.EventSink{DB: db}).Append(ctx, events("other", 0, 50)) }()
	waitBlockedOrDone(t, db, other)
	// The consumers step while the late transaction is open.
	x.drain(t, 100)
	a.drain(t, 100)
	if err := late.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := waitErr(ctx, other); err != nil {
		t.Fatal(err)
	}
	x.drain(t, 100)
	a.drain(t, 100)
	log := logIDs(t, db)
	if len(log) != 57 {
		t.Fatalf("the log has %d events, want 57", len(log))
	}
	wantExactly(t, "exactly-once consumer", log, handledIDs(t, db, "exact"))
	wantAtLeastOnce(t, "at-least-once consumer", log, a.got)
}

// waitErr is the error from c, or ctx's.
func waitErr(ctx context.Context, c <-chan error) error {
	select {
	case err := <-c:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// waitBlockedOrDone waits until the writer behind done is waiting for a lock
// in the database, or has finished (as it does when nothing holds it up).
func waitBlockedOrDone(t testing.TB, db *store.DB, done chan error) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-done:
			done <- err // for the caller
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

// Two writers append interleaved batches while an exactly-once and an
// at-least-once consumer follow the log; a third holds its transaction open
// for a while between taking ids and committing. Every consumer ends exact:
// each event once, in log order (at least once, no gap).
func TestTwoWritersKeepEveryConsumerExact(t *testing.T) {
	db := pgtest.NewDB(t)
	ctx := ctxT(t)
	x := newExactly(t, db, "exact")
	a := &atLeastOnce{cons: consume.New(db, "loose")}
	var writers sync.WaitGroup
	errs := make(chan error, 3)
	for w := range 2 {
		writers.Add(1)
		go func() {
			defer writers.Done()
			sink := store.EventSink{DB: db}
			for b := range 30 {
				if err := sink.Append(ctx, events(fmt.Sprintf("w%d", w), b*20, 20)); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	writers.Add(1)
	go func() { // commits late, ten times
		defer writers.Done()
		for b := range 10 {
			if err := slowCommit(ctx, db, fmt.Sprintf("slow-%d", b)); err != nil {
				errs <- err
				return
			}
		}
	}()
	stop := make(chan struct{})
	var consumers sync.WaitGroup
	consumers.Add(1)
	go func() {
		defer consumers.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := x.step(ctx, 13); err != nil {
				errs <- err
				return
			}
			if _, err := a.cons.Step(ctx, 17, a.handle); err != nil {
				errs <- err
				return
			}
		}
	}()
	writers.Wait()
	close(stop)
	consumers.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	x.drain(t, 100)
	a.drain(t, 100)
	log := logIDs(t, db)
	if len(log) != 2*30*20+10*3 {
		t.Fatalf("the log has %d events", len(log))
	}
	wantExactly(t, "exactly-once consumer", log, handledIDs(t, db, "exact"))
	wantAtLeastOnce(t, "at-least-once consumer", log, a.got)
}

// slowCommit inserts three events and commits 20 ms later.
func slowCommit(ctx context.Context, db *store.DB, key string) error {
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for i := range 3 {
		if _, err := tx.ExecContext(ctx, `INSERT INTO call_event (at, kind, source, key) VALUES (now(), 'test', 'api', $1)`,
			fmt.Sprintf("%s-%d", key, i)); err != nil {
			return err
		}
	}
	time.Sleep(20 * time.Millisecond)
	return tx.Commit()
}

// Lag counts the events after each consumer's cursor and dates the oldest;
// a consumer that has everything lags by nothing.
func TestConsumerLag(t *testing.T) {
	db := pgtest.NewDB(t)
	appendAll(t, db, events("a", 0, 30))
	x := newExactly(t, db, "exact")
	if _, err := x.step(ctxT(t), 10); err != nil {
		t.Fatal(err)
	}
	a := &atLeastOnce{cons: consume.New(db, "loose")}
	a.drain(t, 100)
	lags, err := db.ConsumerLags(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]store.ConsumerLag{}
	for _, l := range lags {
		got[l.Name] = l
	}
	if l := got["exact"]; l.Events != 20 || l.Oldest.IsZero() {
		t.Fatalf("lag of a consumer 20 events behind: %+v", l)
	}
	if l := got["loose"]; l.Events != 0 || !l.Oldest.IsZero() {
		t.Fatalf("lag of a consumer that has everything: %+v", l)
	}
}

// Run follows the log: woken by the hub when events are committed, it hands
// them over without waiting for its (here hour-long) interval, and commits
// its position.
func TestRunWakesOnCommit(t *testing.T) {
	db := pgtest.NewDB(t)
	ctx, cancel := context.WithCancel(ctxT(t))
	defer cancel()
	wake := make(chan struct{}, 1)
	got := make(chan int64, 100)
	c := consume.New(db, "live")
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.Run(ctx, consume.Options{Batch: 4, Interval: time.Hour, Wake: wake}, func(_ context.Context, evs []eventlog.Event) error {
			for _, e := range evs {
				got <- e.ID
			}
			return nil
		})
	}()
	appendAll(t, db, events("a", 0, 10))
	wake <- struct{}{}
	log := logIDs(t, db)
	for i, want := range log {
		select {
		case id := <-got:
			if id != want {
				t.Fatalf("event %d handed over is %d, want %d", i, id, want)
			}
		case <-ctx.Done():
			t.Fatalf("only %d of %d events handed over", i, len(log))
		}
	}
	for {
		pos, _, err := db.Consumer(ctx, "live")
		if err != nil {
			t.Fatalf("position never reached %d: %v", log[len(log)-1], err)
		}
		if pos.LastID == log[len(log)-1] {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	<-done
}
