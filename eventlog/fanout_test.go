package eventlog

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"testing"
	"time"
)

// idSink is memSink that numbers the events it stores, as the log does.
type idSink struct{ *memSink }

func (s idSink) AppendIDs(_ context.Context, evs []Event) ([]int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	if s.down {
		return nil, errors.New("database down")
	}
	ids := make([]int64, len(evs))
	for i, e := range evs {
		if !s.keys[e.Key] {
			s.keys[e.Key] = true
			s.order = append(s.order, e.Key)
			ids[i] = int64(len(s.order))
		}
	}
	return ids, nil
}

func newHubWriter(t *testing.T, sink Sink, hub *Hub) *Writer {
	t.Helper()
	w, err := NewWriter(sink, Options{BatchSize: 10, FlushInterval: time.Millisecond, SpillPath: filepath.Join(t.TempDir(), "spill"),
		RetryMin: time.Millisecond, RetryMax: 5 * time.Millisecond, Logger: slog.New(slog.DiscardHandler), Hub: hub})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close(context.Background()) })
	return w
}

// A subscriber gets every committed event once, in log order, with the id the
// log gave it, and only after the database acknowledged it; an event the log
// held already (a replay) is not published again.
func TestHubPublishesCommittedEventsWithIDs(t *testing.T) {
	ctx := ctxT(t)
	sink := idSink{newMemSink()}
	hub := NewHub()
	sub := hub.Subscribe(1000)
	defer sub.Close()
	w := newHubWriter(t, sink, hub)
	sink.setDown(true)
	for i := range 25 {
		w.Add(ev(i))
	}
	// Nothing is committed while the database is down: nothing is published.
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	if d, err := sub.Next(short); err == nil {
		t.Fatalf("published %d events before they were committed", len(d.Events))
	}
	cancel()
	sink.setDown(false)
	w.Add(ev(3)) // a replay: the log has it
	for i := 25; i < 40; i++ {
		w.Add(ev(i))
	}
	if err := w.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	var got []Event
	for len(got) < 40 {
		d, err := sub.Next(ctx)
		if err != nil {
			t.Fatalf("after %d events: %v", len(got), err)
		}
		if d.Missed || d.Committed.IsZero() {
			t.Fatalf("delivery missed=%v committed=%v", d.Missed, d.Committed)
		}
		got = append(got, d.Events...)
	}
	for i, e := range got {
		if e.ID != int64(i+1) || e.Key != ev(i).Key {
			t.Fatalf("event %d: id %d key %s, want id %d key %s", i, e.ID, e.Key, i+1, ev(i).Key)
		}
	}
	short, cancel = context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if d, err := sub.Next(short); err == nil {
		t.Fatalf("the replayed event was published again: %+v", d.Events)
	}
}

// A subscriber that does not read holds up neither the writer nor the other
// subscribers: its queue stays bounded, the deliveries it had no room for are
// dropped and counted, and the next one it gets says Missed; the ids tell
// which events to read from the log.
func TestSlowSubscriberMissesInsteadOfBlocking(t *testing.T) {
	ctx := ctxT(t)
	sink := idSink{newMemSink()}
	hub := NewHub()
	slow := hub.Subscribe(10)
	defer slow.Close()
	fast := hub.Subscribe(1 << 20)
	defer fast.Close()
	w := newHubWriter(t, sink, hub)
	for round := range 20 {
		for i := range 10 {
			w.Add(ev(round*10 + i))
		}
		if err := w.Flush(ctx); err != nil { // the writer is never held up
			t.Fatal(err)
		}
	}
	if n := len(sink.stored()); n != 200 {
		t.Fatalf("stored %d events, want 200", n)
	}
	var fastGot int
	for fastGot < 200 {
		d, err := fast.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if d.Missed {
			t.Fatal("the fast subscriber was told it missed events")
		}
		fastGot += len(d.Events)
	}
	if st := hub.Stats(); st.Dropped == 0 || st.Subscribers != 2 {
		t.Fatalf("hub stats %+v: the slow subscriber's overflow was not dropped", st)
	}
	// What it queued, within its bound, is all it gets: the rest was dropped.
	var queued []Event
	for {
		short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
		d, err := slow.Next(short)
		cancel()
		if err != nil {
			break
		}
		if d.Missed {
			t.Fatal("a delivery queued before any was dropped says Missed")
		}
		queued = append(queued, d.Events...)
	}
	if len(queued) == 0 || len(queued) > 10 {
		t.Fatalf("the slow subscriber's queue held %d events, bound 10", len(queued))
	}
	for i, e := range queued {
		if e.ID != int64(i+1) {
			t.Fatalf("queued event %d has id %d", i, e.ID)
		}
	}
	w.Add(ev(200))
	if err := w.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	next, err := slow.Next(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !next.Missed || next.Events[0].ID != 201 {
		t.Fatalf("after falling behind: missed=%v first id %d, want missed and id 201", next.Missed, next.Events[0].ID)
	}
	// The ids say what to read from the log: everything between.
	if gap := next.Events[0].ID - queued[len(queued)-1].ID - 1; gap != int64(200-len(queued)) {
		t.Fatalf("the ids leave %d events to read from the log, want %d", gap, 200-len(queued))
	}
}

// A closed subscription ends its reader and gets nothing more.
func TestClosedSubscriptionEnds(t *testing.T) {
	hub := NewHub()
	sub := hub.Subscribe(10)
	sub.Close()
	hub.Publish([]Event{ev(1)}, time.Now())
	if _, err := sub.Next(ctxT(t)); !errors.Is(err, ErrClosed) {
		t.Fatalf("Next after Close: %v", err)
	}
	if st := hub.Stats(); st.Subscribers != 0 {
		t.Fatalf("%d subscribers after Close", st.Subscribers)
	}
}

// A writer with a hub needs a sink that says which ids it assigned.
func TestHubNeedsIDSink(t *testing.T) {
	_, err := NewWriter(newMemSink(), Options{SpillPath: filepath.Join(t.TempDir(), "spill"), Hub: NewHub()})
	if err == nil {
		t.Fatal("a writer publishing without ids was accepted")
	}
}

// Wake pokes once per commit, never blocking the publisher.
func TestWakeAfterCommit(t *testing.T) {
	ctx := ctxT(t)
	sink := idSink{newMemSink()}
	hub := NewHub()
	wake, stop := hub.Wake()
	defer stop()
	w := newHubWriter(t, sink, hub)
	for i := range 30 {
		w.Add(ev(i))
	}
	select {
	case <-wake:
	case <-ctx.Done():
		t.Fatal("no wake-up after a commit")
	}
}
