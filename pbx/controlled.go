package pbx

import "sync"

// Controlled is the set of channels ccd drives through its Stasis application. The
// ARI side adds a channel when it enters the application (or is re-adopted after a
// reconnect); the AMI observer asks, so that a queue call is not counted as a direct
// call. The observer extends the mark from a channel to every channel of its call.
type Controlled struct {
	mu    sync.RWMutex
	chans map[string]bool // ARI channel id = AMI Uniqueid
}

// NewControlled returns an empty set.
func NewControlled() *Controlled {
	return &Controlled{chans: map[string]bool{}}
}

// Add marks a channel as driven by ccd.
func (c *Controlled) Add(uniqueid string) {
	c.mu.Lock()
	c.chans[uniqueid] = true
	c.mu.Unlock()
}

// Has reports whether the channel is driven by ccd.
func (c *Controlled) Has(uniqueid string) bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.chans[uniqueid]
}

// Forget drops a channel that has hung up.
func (c *Controlled) Forget(uniqueid string) {
	c.mu.Lock()
	delete(c.chans, uniqueid)
	c.mu.Unlock()
}
