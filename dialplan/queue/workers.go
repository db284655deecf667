package queue

import (
	"sync"
	"time"
)

// workers carry the loop's decisions out on Asterisk, so that the loop never
// waits for a REST call. Steps are queued by key (a caller's channel, an agent's
// channel) and a key's steps run one at a time in the order they were
// decided. Two lanes:
//
//   - ringing (Ring): an agent channel's originate and its cancel. Each key
//     gets a goroutine of its own at once: an offer never waits for a free
//     worker or behind another call's media, which is what a burst of callers
//     would otherwise make it do.
//   - the rest (Run): answers, music, greetings, bridges, hang-ups, on a
//     bounded number of workers, so that a burst of callers does not open
//     as many concurrent REST calls (and connections) as there are callers
//     and slow Asterisk down for the offers.
//
// While an agent is to be rung, the Run lane starts no new step (for at most
// maxYield): Asterisk serves the originate without a burst of answers and
// music requests beside it. "To be rung" counts from the moment the step is
// queued, not from when its goroutine starts: the loop hands the new callers'
// answers to the Run lane right after their offers, and a worker woken by that
// must not reach Asterisk before the originate. A key stays in one lane, so
// its steps keep their order.
type workers struct {
	mu      sync.Mutex
	cond    *sync.Cond
	jobs    map[string][]func() // queued steps of each key of the Run lane
	busy    map[string]bool     // keys of the Run lane with a step running
	ready   []string            // keys of the Run lane with steps and none running, oldest first
	ringing map[string][]func() // queued steps of each key of the Ring lane; present while its goroutine runs
	rings   int                 // Ring lane steps queued or running
	quiet   chan struct{}       // closed when rings drops to 0
	yield   time.Duration       // longest wait of the Run lane for rings (maxYield)
	closed  bool
	wg      sync.WaitGroup
}

// start starts n workers for the Run lane.
func (w *workers) start(n int) {
	w.cond = sync.NewCond(&w.mu)
	w.jobs, w.busy, w.ringing = map[string][]func(){}, map[string]bool{}, map[string][]func(){}
	if w.yield == 0 {
		w.yield = maxYield
	}
	for i := 0; i < n; i++ {
		w.wg.Add(1)
		go w.work()
	}
}

// Run queues f in the Run lane under key.
func (w *workers) Run(key string, f func()) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.jobs[key] = append(w.jobs[key], f)
	if !w.busy[key] && len(w.jobs[key]) == 1 {
		w.ready = append(w.ready, key)
		w.cond.Signal()
	}
}

func (w *workers) work() {
	defer w.wg.Done()
	w.mu.Lock()
	defer w.mu.Unlock()
	for {
		for len(w.ready) == 0 && !w.closed {
			w.cond.Wait()
		}
		if len(w.ready) == 0 {
			return // closed, and every queued step has run
		}
		if w.rings > 0 {
			quiet := w.quiet
			w.mu.Unlock()
			select {
			case <-quiet:
			case <-time.After(w.yield):
			}
			w.mu.Lock()
			if len(w.ready) == 0 {
				continue // another worker took it meanwhile
			}
		}
		key := w.ready[0]
		w.ready = w.ready[1:]
		f := w.jobs[key][0]
		if w.jobs[key] = w.jobs[key][1:]; len(w.jobs[key]) == 0 {
			delete(w.jobs, key)
		}
		w.busy[key] = true
		w.mu.Unlock()
		f()
		w.mu.Lock()
		delete(w.busy, key)
		if len(w.jobs[key]) > 0 {
			w.ready = append(w.ready, key)
		}
	}
}

// Ring queues f in the Ring lane under key.
func (w *workers) Ring(key string, f func()) {
	w.mu.Lock()
	defer w.mu.Unlock()
	q, running := w.ringing[key]
	w.ringing[key] = append(q, f)
	if w.rings++; w.rings == 1 {
		w.quiet = make(chan struct{})
	}
	if running {
		return
	}
	w.wg.Add(1)
	go w.ring(key)
}

func (w *workers) ring(key string) {
	defer w.wg.Done()
	for {
		w.mu.Lock()
		q := w.ringing[key]
		if len(q) == 0 {
			delete(w.ringing, key)
			w.mu.Unlock()
			return
		}
		f := q[0]
		w.ringing[key] = q[1:]
		w.mu.Unlock()
		f()
		w.mu.Lock()
		if w.rings--; w.rings == 0 {
			close(w.quiet)
		}
		w.mu.Unlock()
	}
}

// maxYield bounds how long the Run lane waits for agents being rung: a slow
// originate must not hold every caller's media.
const maxYield = 5 * time.Millisecond

// idle reports whether no step is queued or running.
func (w *workers) idle() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.jobs)+len(w.busy)+len(w.ringing) == 0
}

// stop runs the steps still queued, then returns; nothing may be queued
// after it is called.
func (w *workers) stop() {
	w.mu.Lock()
	w.closed = true
	w.cond.Broadcast()
	w.mu.Unlock()
	w.wg.Wait()
}
