package ari

import (
	"errors"
	"sync"
)

// queue is an unbounded FIFO with a wake-up channel. It decouples the
// websocket reader from slow consumers: reading must never stall, because
// Asterisk drops a websocket whose writes time out, and every event would
// be lost with it.
type queue[T any] struct {
	mu     sync.Mutex
	items  []T
	head   int
	err    error // set by close; pop returns it once drained
	closed bool
	// live: the consumer found the queue empty and handed delivery over to
	// the producer (pushOrDeliver), which delivers on its own goroutine
	// from then on.
	live bool
	wake chan struct{} // capacity 1: "something changed"
}

func newQueue[T any]() *queue[T] {
	return &queue[T]{wake: make(chan struct{}, 1)}
}

func (q *queue[T]) signal() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// push appends v; it reports false if the queue is closed.
func (q *queue[T]) push(v T) bool {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return false
	}
	q.items = append(q.items, v)
	q.mu.Unlock()
	q.signal()
	return true
}

// pushOrDeliver appends v, or reports false when the queue is live: the
// producer delivers v itself. Nothing is queued once live, so the order holds.
func (q *queue[T]) pushOrDeliver(v T) (queued bool) {
	q.mu.Lock()
	if q.live {
		q.mu.Unlock()
		return false
	}
	if !q.closed {
		q.items = append(q.items, v)
	}
	q.mu.Unlock()
	q.signal()
	return true
}

// goLive makes the queue live if it is empty and open; the consumer calls it
// after delivering everything it popped, so the two never deliver at once.
func (q *queue[T]) goLive() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.head < len(q.items) || q.closed {
		return false
	}
	q.live = true
	return true
}

// close makes pop return err once the queued items are drained.
func (q *queue[T]) close(err error) {
	q.mu.Lock()
	if !q.closed {
		q.closed, q.err = true, err
	}
	q.mu.Unlock()
	q.signal()
}

// tryPop returns the next item without blocking. When the queue is empty
// it returns ok == false and, if the queue is closed, its error (done ==
// true).
func (q *queue[T]) tryPop() (v T, ok, done bool, err error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.head < len(q.items) {
		v = q.items[q.head]
		var zero T
		q.items[q.head] = zero
		q.head++
		if q.head == len(q.items) {
			// Reuse the backing array once drained, unless it grew large.
			if cap(q.items) > 1024 {
				q.items = nil
			} else {
				q.items = q.items[:0]
			}
			q.head = 0
		}
		return v, true, false, nil
	}
	return v, false, q.closed, q.err
}

// pop blocks until an item is available, the queue is closed and drained
// (returning its close error, with ok == false), or stop is closed
// (returning errStopped).
func (q *queue[T]) pop(stop <-chan struct{}) (v T, ok bool, err error) {
	for {
		v, ok, done, err := q.tryPop()
		if ok || done {
			return v, ok, err
		}
		select {
		case <-q.wake:
		case <-stop:
			return v, false, errStopped
		}
	}
}

var errStopped = errors.New("ari: stopped")
