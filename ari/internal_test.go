package ari

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"
)

func TestEndpoints(t *testing.T) {
	cases := []struct {
		url, base, ws string
		all           bool
	}{
		{"http://127.0.0.1:8088", "http://127.0.0.1:8088/ari", "ws://127.0.0.1:8088/ari/events?app=ccd", false},
		{"http://127.0.0.1:8088/", "http://127.0.0.1:8088/ari", "ws://127.0.0.1:8088/ari/events?app=ccd", false},
		{"http://pbx:8088/ari/", "http://pbx:8088/ari", "ws://pbx:8088/ari/events?app=ccd&subscribeAll=true", true},
		{"https://pbx/asterisk", "https://pbx/asterisk/ari", "wss://pbx/asterisk/ari/events?app=ccd", false},
	}
	for _, c := range cases {
		base, ws, err := endpoints(Config{URL: c.url, Application: "ccd", SubscribeAll: c.all})
		if err != nil || base != c.base || ws != c.ws {
			t.Errorf("%s: %s %s %v", c.url, base, ws, err)
		}
	}
}

func TestPathSeg(t *testing.T) {
	for in, want := range map[string]string{
		"caller-1;2":          "caller-1;2",
		"1763836524.12":       "1763836524.12",
		"a/b c?d#e%":          "a%2Fb%20c%3Fd%23e%25",
		"Stasis:agent-1001":   "Stasis:agent-1001",
		"rec name é":          "rec%20name%20%C3%A9",
		"PJSIP/1001-00000003": "PJSIP%2F1001-00000003",
	} {
		if got := pathSeg(in); got != want {
			t.Errorf("pathSeg(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestBackoff(t *testing.T) {
	b := Backoff{Min: 100 * time.Millisecond, Max: time.Second, Jitter: -1}.withDefaults()
	var d time.Duration
	var got []time.Duration
	for range 6 {
		d = b.next(d)
		got = append(got, b.jitter(d))
	}
	want := []time.Duration{100, 200, 400, 800, 1000, 1000}
	for i := range want {
		if got[i] != want[i]*time.Millisecond {
			t.Fatalf("delays %v", got)
		}
	}
	def := Backoff{}.withDefaults()
	if def.Min != 500*time.Millisecond || def.Max != 30*time.Second || def.Jitter != 0.2 {
		t.Errorf("defaults %+v", def)
	}
	for range 100 {
		if j := def.jitter(time.Second); j < 800*time.Millisecond || j > 1200*time.Millisecond {
			t.Fatalf("jitter %v", j)
		}
	}
}

// Publishing never blocks on subscribers, which receive everything in
// order, filtered by type and resource.
func TestBus(t *testing.T) {
	b := newBus()
	all := b.subscribe(Key{}, nil)
	starts := b.subscribe(Key{}, []string{EventStasisStart})
	ch1 := b.subscribe(Key{KindChannel, "c1"}, nil)
	br := b.subscribe(Key{KindBridge, "b1"}, []string{EventChannelEnteredBridge})
	const n = 10000
	for i := range n {
		if i%2 == 0 {
			b.publish(&StasisStart{Channel: Channel{ID: fmt.Sprint("c", i%3)}, Args: []string{fmt.Sprint(i)}})
		} else {
			b.publish(&ChannelEnteredBridge{Bridge: Bridge{ID: "b1"}, Channel: &Channel{ID: "c1"}})
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	count := func(s *Subscription, want int, check func(i int, ev Event)) {
		t.Helper()
		for i := range want {
			ev, err := s.Next(ctx)
			if err != nil {
				t.Fatalf("event %d of %d: %v", i, want, err)
			}
			if check != nil {
				check(i, ev)
			}
		}
	}
	count(all, n, func(i int, ev Event) {
		if ss, ok := ev.(*StasisStart); ok && ss.Args[0] != fmt.Sprint(i) {
			t.Fatalf("out of order at %d: %v", i, ss.Args)
		}
	})
	count(starts, n/2, func(_ int, ev Event) {
		if ev.EventType() != EventStasisStart {
			t.Fatalf("got %s", ev.EventType())
		}
	})
	// c1: every ChannelEnteredBridge, and StasisStart when i%3 == 1.
	want := n / 2
	for i := 0; i < n; i += 2 {
		if i%3 == 1 {
			want++
		}
	}
	count(ch1, want, nil)
	count(br, n/2, nil)
	for _, s := range []*Subscription{all, starts, ch1, br} {
		select {
		case ev := <-s.C():
			t.Errorf("extra event %s", ev.EventType())
		case <-time.After(10 * time.Millisecond):
		}
	}
	ch1.Close()
	b.publish(&StasisStart{Channel: Channel{ID: "c1"}})
	if _, err := ch1.Next(ctx); !errors.Is(err, ErrSubscriptionClosed) {
		t.Errorf("Next after Close: %v", err)
	}
	if len(b.byKey[Key{KindChannel, "c1"}]) != 0 {
		t.Error("closed subscription still indexed")
	}
	b.closeAll()
	for _, s := range []*Subscription{all, starts, br, b.subscribe(Key{}, nil)} {
		if _, err := s.Next(ctx); !errors.Is(err, ErrSubscriptionClosed) {
			t.Errorf("after closeAll: %v", err)
		}
	}
}

// A connection that was up is re-established after Min, however long Asterisk
// was down before it: the failures before that connection do not count. Only
// connections that keep dropping before Max back off (an Asterisk that takes
// the websocket and drops it at once is not hammered); one that stayed up for
// Max starts over.
func TestRetryAfterLossIgnoresFailuresBeforeTheConnection(t *testing.T) {
	const ms = time.Millisecond
	r := retryDelay{bo: Backoff{Min: 100 * ms, Max: 10 * time.Second, Jitter: -1}.withDefaults()}
	down := func() time.Duration { // Asterisk down for a while: up to Max
		var d time.Duration
		for range 10 {
			d = r.afterFailure()
		}
		return d
	}
	var got []time.Duration
	got = append(got, down())
	got = append(got, r.afterLoss(20*time.Second)) // a long-lived connection is lost
	got = append(got, r.afterFailure(), r.afterFailure())
	got = append(got, down())
	// Asterisk came back for 5 s only, then restarted.
	got = append(got, r.afterLoss(5*time.Second))
	// It takes the websocket and drops it at once, twice.
	got = append(got, r.afterLoss(10*ms), r.afterLoss(10*ms), r.afterFailure())
	// Up for Max: starts over.
	got = append(got, r.afterLoss(10*time.Second))
	want := []time.Duration{10 * time.Second, 100 * ms, 200 * ms, 400 * ms, 10 * time.Second,
		100 * ms, 200 * ms, 400 * ms, 800 * ms, 100 * ms}
	if !slices.Equal(got, want) {
		t.Fatalf("waits %v, want %v", got, want)
	}
}

// A queue goes live only when drained and open; from then on the producer
// delivers itself, so nothing is queued behind an item the consumer no longer
// takes.
func TestQueueGoesLiveOnlyWhenDrained(t *testing.T) {
	q := newQueue[int]()
	if !q.pushOrDeliver(1) {
		t.Fatal("an item was not queued before the queue went live")
	}
	if q.goLive() {
		t.Fatal("live with an item queued")
	}
	if v, ok, _, _ := q.tryPop(); !ok || v != 1 {
		t.Fatalf("popped %d %v", v, ok)
	}
	if !q.goLive() {
		t.Fatal("not live once drained")
	}
	if q.pushOrDeliver(2) {
		t.Fatal("queued after going live")
	}
	if _, ok, _, _ := q.tryPop(); ok {
		t.Fatal("an item in a live queue")
	}
	closed := newQueue[int]()
	closed.close(nil)
	if closed.goLive() {
		t.Fatal("a closed queue went live")
	}
}
