package queue

import (
	"runtime"
	"sync"
	"testing"
	"time"
)

// A key's steps run in order; another call's media waits while an agent is
// being rung, and runs once the originate is done.
func TestWorkersKeepOrderAndYieldToRinging(t *testing.T) {
	w := &workers{yield: time.Minute} // a scheduler hiccup must not end the wait here
	w.start(2)
	var mu sync.Mutex
	var order []string
	note := func(s string) {
		mu.Lock()
		defer mu.Unlock()
		order = append(order, s)
	}
	ringing, release := make(chan struct{}), make(chan struct{})
	w.Ring("agent", func() {
		close(ringing)
		<-release
		note("rung")
	})
	<-ringing
	for _, s := range []string{"answer", "music"} {
		w.Run("caller", func() { note(s) })
	}
	w.Run("other", func() { note("other") })
	close(release)
	w.stop()
	if len(order) != 4 || order[0] != "rung" {
		t.Fatalf("media ran before the agent was rung: %v", order)
	}
	var answer, music int
	for i, s := range order {
		switch s {
		case "answer":
			answer = i
		case "music":
			music = i
		}
	}
	if answer > music {
		t.Fatalf("a caller's steps out of order: %v", order)
	}
	if !w.idle() {
		t.Fatal("steps left after stop")
	}
}

// A step queued in the Run lane right after an agent's ring waits for that
// ring even when the ring's goroutine has not started yet: the loop queues a
// new caller's answer just after its offer, and the answer must not reach
// Asterisk first. One P makes the worker the Run step wakes take the
// processor before the ring's goroutine does.
func TestRunWaitsForARingNotYetStarted(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	for i := 0; i < 20; i++ {
		w := &workers{yield: time.Minute}
		w.start(1)
		var mu sync.Mutex
		var order []string
		note := func(s string) {
			mu.Lock()
			defer mu.Unlock()
			order = append(order, s)
		}
		// The worker waits for work (it parks once this step is done).
		warm := make(chan struct{})
		w.Run("warm", func() { close(warm) })
		<-warm
		w.Ring("agent", func() { note("rung") })
		w.Run("caller", func() { note("answer") })
		w.stop()
		if len(order) != 2 || order[0] != "rung" {
			t.Fatalf("round %d: the answer ran before the ring: %v", i, order)
		}
	}
}
