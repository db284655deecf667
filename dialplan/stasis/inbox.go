package stasis

import "sync"

// Inbox is the unbounded, ordered queue between the dispatcher and an
// application's loop: the dispatcher never waits for the loop, and a
// caller's arrival and its later events are taken in the order Asterisk
// sent them.
type Inbox struct {
	mu    sync.Mutex
	items []func()
	ready chan struct{} // holds a token while items wait
}

// NewInbox makes an empty inbox.
func NewInbox() *Inbox { return &Inbox{ready: make(chan struct{}, 1)} }

// Push adds f at the end, without waiting.
func (b *Inbox) Push(f func()) {
	b.mu.Lock()
	b.items = append(b.items, f)
	b.mu.Unlock()
	select {
	case b.ready <- struct{}{}:
	default:
	}
}

// Ready has a token when items may wait: the loop then calls Take.
func (b *Inbox) Ready() <-chan struct{} { return b.ready }

// Take removes and returns what waits, in the order it was pushed.
func (b *Inbox) Take() []func() {
	b.mu.Lock()
	defer b.mu.Unlock()
	items := b.items
	b.items = nil
	return items
}
