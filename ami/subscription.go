package ami

import (
	"sync"
	"sync/atomic"
)

// Subscription delivers events to a consumer through C.
//
// Each subscription has its own unbounded FIFO queue, filled by the socket
// reader and drained into C by a dedicated goroutine. A slow consumer
// therefore never stalls the reader (actions, pings and other subscriptions
// keep working) and never loses events; the price is memory: a consumer that
// stops reading makes its queue grow without limit. Pending reports the
// backlog and Client.Stats sums it, so it can be monitored.
//
// Events are delivered in the order Asterisk sent them. Messages are shared
// with other subscriptions and must not be modified.
type Subscription struct {
	c     *Client
	names map[string]struct{} // nil: every event
	out   chan *Message

	mu      sync.Mutex
	queue   []*Message
	backlog atomic.Int64 // queued or being handed over, not yet sent on out

	wake   chan struct{} // capacity 1: "queue is not empty"
	done   chan struct{} // closed by Close
	exited chan struct{} // closed when the drain goroutine has returned
	once   sync.Once
}

// subSet is an immutable snapshot of the subscriptions, swapped atomically
// so that the reader can consult it on every frame without locking.
type subSet struct {
	subs  []*Subscription
	all   bool                // some subscription wants every event
	names map[string]struct{} // union of the names wanted by the others
}

// Subscribe returns a subscription to the named events (exact, case-sensitive
// event names such as "Hangup" or "QueueCallerJoin"), or to all events if no
// name is given. Events not wanted by any subscription are skipped by the
// reader before they are parsed.
//
// The subscription lasts until its Close or the client's Close, which close
// C. Subscribing on a closed client returns a subscription whose C is closed.
func (c *Client) Subscribe(events ...string) *Subscription {
	s := &Subscription{
		c:      c,
		out:    make(chan *Message, 64),
		wake:   make(chan struct{}, 1),
		done:   make(chan struct{}),
		exited: make(chan struct{}),
	}
	if len(events) > 0 {
		s.names = make(map[string]struct{}, len(events))
		for _, e := range events {
			s.names[e] = struct{}{}
		}
	}
	go s.run()

	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		s.once.Do(func() { close(s.done) })
		return s
	}
	c.subs[s] = struct{}{}
	c.rebuildSubsLocked()
	return s
}

func (c *Client) rebuildSubsLocked() {
	set := &subSet{names: make(map[string]struct{})}
	for s := range c.subs {
		set.subs = append(set.subs, s)
		if s.names == nil {
			set.all = true
		}
		for n := range s.names {
			set.names[n] = struct{}{}
		}
	}
	c.subset.Store(set)
}

// publish queues an event on every subscription that wants it.
func (c *Client) publish(name string, m *Message) {
	for _, s := range c.subset.Load().subs {
		if s.names != nil {
			if _, ok := s.names[name]; !ok {
				continue
			}
		}
		s.push(m)
	}
}

// C returns the channel on which events are delivered. It is closed when the
// subscription or the client is closed.
func (s *Subscription) C() <-chan *Message { return s.out }

// Pending returns the number of events queued and not yet sent on C. An event
// counts until its send on C has completed, so a reader that has just taken
// one may still see it counted for a moment; an event is never uncounted
// before it is delivered (waiting for Pending() == 0 loses nothing).
func (s *Subscription) Pending() int { return int(s.backlog.Load()) }

// Close ends the subscription: queued events are discarded, C is closed, and
// the drain goroutine has exited when Close returns. It is safe to call more
// than once and concurrently with the client's Close.
func (s *Subscription) Close() {
	s.once.Do(func() {
		s.c.mu.Lock()
		delete(s.c.subs, s)
		s.c.rebuildSubsLocked()
		s.c.mu.Unlock()
		close(s.done)
	})
	<-s.exited
}

func (s *Subscription) push(m *Message) {
	s.backlog.Add(1)
	s.mu.Lock()
	s.queue = append(s.queue, m)
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default: // already signalled
	}
}

// run moves queued events to C. It takes the whole queue at once, so the
// reader only contends for the lock for the duration of an append.
func (s *Subscription) run() {
	defer close(s.exited)
	defer close(s.out)
	var batch []*Message
	for {
		s.mu.Lock()
		batch, s.queue = s.queue, batch[:0]
		s.mu.Unlock()
		if len(batch) == 0 {
			select {
			case <-s.wake:
				continue
			case <-s.done:
				return
			}
		}
		for i, m := range batch {
			select {
			case s.out <- m:
				batch[i] = nil // let delivered events be collected
				s.backlog.Add(-1)
			case <-s.done:
				return
			}
		}
		if cap(batch) > 1<<16 {
			batch = nil // release the memory of an exceptional backlog
		}
	}
}
