package ari

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
)

// Subscription delivers events received on the websocket. Create one with
// Client.Subscribe (all events, or some types) or with the Subscribe method
// of a resource handle such as Client.Channel(id).Subscribe (only events
// that reference that resource).
//
// Events are buffered without bound, in order, so a slow reader never
// makes the client drop events or stall the websocket; Close a
// Subscription as soon as it is no longer read. C is closed after Close and
// when the Client is closed.
type Subscription struct {
	bus   *bus
	key   Key // zero: not scoped to a resource
	types map[string]bool

	q         *queue[Event]
	ch        chan Event
	stop      chan struct{}
	exited    chan struct{}
	closeOnce sync.Once
	backlog   atomic.Int64 // queued, or taken from the queue and not yet sent on ch
}

// C returns the channel events are delivered on. It is closed when the
// subscription or the client is closed.
func (s *Subscription) C() <-chan Event { return s.ch }

// Pending returns the number of events received and not yet delivered on C.
// A consumer shutting down can wait for it to reach zero before closing, since
// Close discards what is still queued.
//
// An event counts until its send on C has completed, so a reader that has just
// taken one may still see it counted for a moment; it is never uncounted
// before it is delivered.
func (s *Subscription) Pending() int { return int(s.backlog.Load()) }

// enqueue counts ev before queuing it, so the count never runs behind the
// pump's decrement.
func (s *Subscription) enqueue(ev Event) {
	s.backlog.Add(1)
	if !s.q.push(ev) {
		s.backlog.Add(-1) // closed: dropped
	}
}

// Close stops delivery, discards buffered events and closes C. It may be
// called more than once and from any goroutine; when it returns, the
// subscription's goroutine has exited.
func (s *Subscription) Close() {
	s.closeOnce.Do(func() {
		s.bus.remove(s)
		s.q.close(nil)
		close(s.stop)
	})
	<-s.exited
}

// ErrSubscriptionClosed is returned by Subscription.Next once the
// subscription (or its client) is closed.
var ErrSubscriptionClosed = errors.New("ari: subscription closed")

// Next returns the next event, waiting until one arrives, ctx is done, or
// the subscription is closed (ErrSubscriptionClosed).
func (s *Subscription) Next(ctx context.Context) (Event, error) {
	select {
	case ev, ok := <-s.ch:
		if !ok {
			return nil, ErrSubscriptionClosed
		}
		return ev, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (s *Subscription) wants(typ string) bool {
	return s.types == nil || s.types[typ]
}

func (s *Subscription) pump() {
	defer close(s.exited)
	defer close(s.ch)
	for {
		ev, ok, _ := s.q.pop(s.stop)
		if !ok {
			return
		}
		select {
		case s.ch <- ev:
			s.backlog.Add(-1)
		case <-s.stop:
			return
		}
	}
}

// bus fans events out to subscriptions. Scoped subscriptions are indexed by
// Key so that a busy system with a subscription per call does not test
// every subscription against every event.
type bus struct {
	mu     sync.RWMutex
	all    map[*Subscription]struct{}
	byKey  map[Key]map[*Subscription]struct{}
	closed bool
}

func newBus() *bus {
	return &bus{
		all:   map[*Subscription]struct{}{},
		byKey: map[Key]map[*Subscription]struct{}{},
	}
}

// subscribe registers a subscription for the given types (none: all),
// scoped to key unless key is the zero Key.
func (b *bus) subscribe(key Key, types []string) *Subscription {
	s := &Subscription{
		bus:    b,
		key:    key,
		q:      newQueue[Event](),
		ch:     make(chan Event),
		stop:   make(chan struct{}),
		exited: make(chan struct{}),
	}
	if len(types) > 0 {
		s.types = make(map[string]bool, len(types))
		for _, t := range types {
			s.types[t] = true
		}
	}
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		s.closeOnce.Do(func() {
			s.q.close(nil)
			close(s.stop)
			close(s.ch)
			close(s.exited)
		})
		return s
	}
	if key == (Key{}) {
		b.all[s] = struct{}{}
	} else {
		m := b.byKey[key]
		if m == nil {
			m = map[*Subscription]struct{}{}
			b.byKey[key] = m
		}
		m[s] = struct{}{}
	}
	b.mu.Unlock()
	go s.pump()
	return s
}

func (b *bus) remove(s *Subscription) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if s.key == (Key{}) {
		delete(b.all, s)
		return
	}
	if m := b.byKey[s.key]; m != nil {
		delete(m, s)
		if len(m) == 0 {
			delete(b.byKey, s.key)
		}
	}
}

// publish queues ev on every interested subscription. It never blocks on
// subscribers.
func (b *bus) publish(ev Event) {
	typ := ev.EventType()
	b.mu.RLock()
	defer b.mu.RUnlock()
	for s := range b.all {
		if s.wants(typ) {
			s.enqueue(ev)
		}
	}
	if len(b.byKey) == 0 {
		return
	}
	for _, k := range Keys(ev) {
		for s := range b.byKey[k] {
			if s.wants(typ) {
				s.enqueue(ev)
			}
		}
	}
}

// closeAll closes every subscription and makes later ones start closed.
func (b *bus) closeAll() {
	b.mu.Lock()
	b.closed = true
	var subs []*Subscription
	for s := range b.all {
		subs = append(subs, s)
	}
	for _, m := range b.byKey {
		for s := range m {
			subs = append(subs, s)
		}
	}
	b.mu.Unlock()
	for _, s := range subs {
		s.Close()
	}
}
