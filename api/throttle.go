package api

import (
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/ccdhq/ccd"
)

// maxThrottleEntries bounds the throttle's memory: a few hundred bytes per
// user or address with recent failures.
const maxThrottleEntries = 10000

// throttle slows password guessing: after max failed checks within window for
// one key (a user, a client address), further attempts with that key are
// refused until the window ends. Only failures are recorded, so a client that
// logs in correctly, however often, is never slowed.
type throttle struct {
	mu      sync.Mutex
	max     int
	window  time.Duration
	limit   int // entries kept at most
	entries map[string]*failures
}

type failures struct {
	count int
	since time.Time // first failure of the window
}

func newThrottle(max int, window time.Duration) *throttle {
	return &throttle{max: max, window: window, limit: maxThrottleEntries, entries: map[string]*failures{}}
}

// attempt runs check, the password comparison, unless a key is throttled; it
// then returns how long to wait. The comparison runs under the lock so that
// parallel guesses are counted one by one: it is a constant-time compare of
// short strings, not a hash. A success clears the failures of forget (the
// user: the right password ends the lock of the account, not of the address).
func (t *throttle) attempt(now time.Time, keys []string, forget string, check func() bool) (ok bool, wait time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, k := range keys {
		if w := t.waitFor(now, k); w > wait {
			wait = w
		}
	}
	if wait > 0 {
		return false, wait
	}
	if check() {
		delete(t.entries, forget)
		return true, 0
	}
	for _, k := range keys {
		t.fail(now, k)
	}
	return false, 0
}

// wait is how long the most throttled of keys must wait; 0 when none is.
func (t *throttle) wait(now time.Time, keys []string) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	var wait time.Duration
	for _, k := range keys {
		wait = max(wait, t.waitFor(now, k))
	}
	return wait
}

func (t *throttle) waitFor(now time.Time, key string) time.Duration {
	f := t.entries[key]
	if f == nil || f.count < t.max {
		return 0
	}
	return f.since.Add(t.window).Sub(now)
}

func (t *throttle) fail(now time.Time, key string) {
	f := t.entries[key]
	if f != nil && now.Sub(f.since) >= t.window {
		f = nil // that window is over; this failure starts the next
	}
	if f == nil {
		t.makeRoom(now)
		f = &failures{since: now}
		t.entries[key] = f
	}
	f.count++
}

// makeRoom keeps the table within its limit: windows that are over go first,
// then the oldest window.
func (t *throttle) makeRoom(now time.Time) {
	if len(t.entries) < t.limit {
		return
	}
	for k, f := range t.entries {
		if now.Sub(f.since) >= t.window {
			delete(t.entries, k)
		}
	}
	for len(t.entries) >= t.limit {
		var oldest string
		var at time.Time
		for k, f := range t.entries {
			if oldest == "" || f.since.Before(at) {
				oldest, at = k, f.since
			}
		}
		delete(t.entries, oldest)
	}
}

// throttled is the answer to a refused attempt: 429 with Retry-After.
func throttled(wait time.Duration) error {
	secs := int64((wait + time.Second - 1) / time.Second)
	return &ccd.Error{Code: ccd.ETOOMANY, RetryAfter: wait,
		Message: fmt.Sprintf("too many failed logins for this user or from this address; retry in %d s", secs)}
}

// addressKey is the throttle key of a client address. An IPv6 client usually
// holds a whole /64, so that is one address here.
func addressKey(ip string) string {
	parsed := net.ParseIP(ip)
	if parsed == nil {
		return "addr:" + ip
	}
	if parsed.To4() == nil {
		parsed = parsed.Mask(net.CIDRMask(64, 128))
	}
	return "addr:" + parsed.String()
}
