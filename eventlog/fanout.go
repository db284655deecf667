package eventlog

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// IDSink is a Sink that says which events of a batch it stored and under
// which ids: ids[i] is the id of events[i], 0 when the log held it already
// (the same key). A Writer with a Hub needs one to publish committed events.
type IDSink interface {
	Sink
	AppendIDs(ctx context.Context, events []Event) (ids []int64, err error)
}

// Delivery is what a subscriber of a Hub receives: events this process
// committed, in log order, with their ids.
type Delivery struct {
	Events []Event // shared with other subscribers: read, do not modify
	// Committed is when the database acknowledged them.
	Committed time.Time
	// Missed says the subscriber fell behind and deliveries before this one
	// were dropped: the log holds those events, with ids between the last one
	// it received and Events[0].ID (ids are in commit order), for it to read
	// them again (a durable consumer, or store's Events with AfterID).
	Missed bool
}

// Hub hands the events a Writer commits to in-process subscribers as soon as
// they are committed, for live views that must not wait for a poll. Publishing
// never blocks the writer: each subscriber has a bounded queue, and one that
// falls behind loses deliveries (and is told so) instead of holding up the
// writer or the other subscribers. Only this process's events pass through a
// Hub; the log (a durable consumer) has everyone's.
type Hub struct {
	mu      sync.Mutex
	subs    map[*Subscription]struct{}
	wakes   map[chan struct{}]struct{}
	dropped atomic.Uint64
}

// NewHub returns a hub without subscribers.
func NewHub() *Hub {
	return &Hub{subs: map[*Subscription]struct{}{}, wakes: map[chan struct{}]struct{}{}}
}

// Subscription is one subscriber's queue.
type Subscription struct {
	hub   *Hub
	limit int
	ready chan struct{} // holds a token while queue is not empty

	mu     sync.Mutex
	queue  []Delivery
	queued int  // events in queue
	missed bool // a delivery was dropped since the last one queued
	closed bool
}

// Subscribe starts a subscription that queues up to limit events (at least
// one delivery, whatever its size) for its reader; deliveries that would go
// over are dropped and the next one says Missed. Close it when done.
func (h *Hub) Subscribe(limit int) *Subscription {
	s := &Subscription{hub: h, limit: max(limit, 1), ready: make(chan struct{}, 1)}
	h.mu.Lock()
	h.subs[s] = struct{}{}
	h.mu.Unlock()
	return s
}

// Wake returns a channel that receives a token whenever events are committed
// (at most one waits: many commits while nobody reads are one wake-up), for a
// durable consumer that reads the log as soon as there is something new.
// stop ends it.
func (h *Hub) Wake() (c <-chan struct{}, stop func()) {
	ch := make(chan struct{}, 1)
	h.mu.Lock()
	h.wakes[ch] = struct{}{}
	h.mu.Unlock()
	return ch, func() {
		h.mu.Lock()
		delete(h.wakes, ch)
		h.mu.Unlock()
	}
}

// HubStats are a hub's subscribers and the deliveries it dropped since start.
type HubStats struct {
	Subscribers int
	Dropped     uint64
}

// Stats returns the hub's figures, for the metrics.
func (h *Hub) Stats() HubStats {
	h.mu.Lock()
	n := len(h.subs)
	h.mu.Unlock()
	return HubStats{Subscribers: n, Dropped: h.dropped.Load()}
}

// Publish hands committed events to every subscriber without waiting for any.
func (h *Hub) Publish(evs []Event, committed time.Time) {
	if len(evs) == 0 {
		return
	}
	d := Delivery{Events: evs, Committed: committed}
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs {
		if !s.offer(d) {
			h.dropped.Add(1)
		}
	}
	for ch := range h.wakes {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

// offer queues d unless the queue is full; it reports whether it did.
func (s *Subscription) offer(d Delivery) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return true
	}
	if len(s.queue) > 0 && s.queued+len(d.Events) > s.limit {
		s.missed = true
		return false
	}
	d.Missed, s.missed = s.missed, false
	s.queue = append(s.queue, d)
	s.queued += len(d.Events)
	select {
	case s.ready <- struct{}{}:
	default:
	}
	return true
}

// Next returns the next delivery, waiting for one until ctx ends. After
// Close it returns ErrClosed.
func (s *Subscription) Next(ctx context.Context) (Delivery, error) {
	for {
		s.mu.Lock()
		if len(s.queue) > 0 {
			d := s.queue[0]
			s.queue[0] = Delivery{}
			s.queue = s.queue[1:]
			s.queued -= len(d.Events)
			if len(s.queue) > 0 {
				select {
				case s.ready <- struct{}{}:
				default:
				}
			}
			s.mu.Unlock()
			return d, nil
		}
		closed := s.closed
		s.mu.Unlock()
		if closed {
			return Delivery{}, ErrClosed
		}
		select {
		case <-ctx.Done():
			return Delivery{}, ctx.Err()
		case <-s.ready:
		}
	}
}

// Close ends the subscription: the hub forgets it, and Next returns
// ErrClosed once the queue is read.
func (s *Subscription) Close() {
	s.hub.mu.Lock()
	delete(s.hub.subs, s)
	s.hub.mu.Unlock()
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	select {
	case s.ready <- struct{}{}:
	default:
	}
}
