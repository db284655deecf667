package ami

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"net"
	"time"
)

// Defaults applied by Connect to zero Config fields.
const (
	DefaultDialTimeout   = 5 * time.Second
	DefaultActionTimeout = 10 * time.Second
	DefaultPingInterval  = 20 * time.Second
	DefaultBackoffMin    = 500 * time.Millisecond
	DefaultBackoffMax    = 30 * time.Second
	DefaultBackoffJitter = 0.2
)

// Config configures a Client. Only Addr, Username and Secret are required.
type Config struct {
	// Addr is the AMI listener as host:port, e.g. "127.0.0.1:5038".
	Addr string
	// Username and Secret are the credentials of a manager.conf user.
	Username string
	Secret   string
	// Events is the Login "Events" value: "on" (the default), "off", or a
	// comma-separated list of event classes such as "call,agent".
	Events string

	// DialTimeout bounds establishing the TCP connection (default 5s).
	DialTimeout time.Duration
	// ActionTimeout bounds waiting for the answer to an action when the
	// caller's context has no deadline, as well as login and keep-alive pings
	// (default 10s).
	ActionTimeout time.Duration
	// PingInterval is how often a Ping action is sent to detect dead
	// connections that TCP alone would not notice for minutes (default 20s).
	PingInterval time.Duration
	// Backoff controls the delay between reconnection attempts.
	Backoff Backoff

	// Logger receives connection lifecycle and protocol warnings. Nil means
	// slog.Default().
	Logger *slog.Logger

	// OnConnect, if set, is called in its own goroutine after every
	// successful login: the first one and every reconnection. It is the
	// place to (re)synchronise state, for example with
	// ListAction(CoreShowChannels), since events were missed while
	// disconnected. ctx is cancelled when that connection ends or the client
	// is closed; Close waits for OnConnect to return.
	OnConnect func(ctx context.Context, c *Client)
	// OnDisconnect, if set, is called once for every OnConnect, after the
	// logged-in connection ended, with the reason (wrapping ErrClosed when
	// the client was closed). It runs on the connection loop: it must not
	// block for long and must not call Close.
	OnDisconnect func(err error)
}

// Backoff is the reconnection policy: the delay starts at Min after a failed
// attempt, doubles up to Max, and is randomly shortened by up to Jitter (a
// fraction) so that many clients do not reconnect in lock-step after an
// Asterisk restart. It resets after each successful login.
type Backoff struct {
	Min    time.Duration // default 500ms
	Max    time.Duration // default 30s
	Jitter float64       // 0..1; 0 means the default 0.2, negative disables jitter
}

// delay returns the wait before reconnection attempt n (0-based).
func (b Backoff) delay(n int) time.Duration {
	d := b.Min
	for i := 0; i < n && d < b.Max; i++ {
		d *= 2
	}
	if d > b.Max {
		d = b.Max
	}
	if b.Jitter > 0 {
		d -= time.Duration(float64(d) * b.Jitter * rand.Float64())
	}
	return d
}

// Validate reports the first problem with c, naming the offending field.
func (c Config) Validate() error {
	switch {
	case c.Addr == "":
		return errors.New("ami: Addr is required")
	case c.Username == "":
		return errors.New("ami: Username is required")
	case c.Secret == "":
		return errors.New("ami: Secret is required")
	case c.DialTimeout < 0:
		return errors.New("ami: DialTimeout must not be negative")
	case c.ActionTimeout < 0:
		return errors.New("ami: ActionTimeout must not be negative")
	case c.PingInterval < 0:
		return errors.New("ami: PingInterval must not be negative")
	case c.Backoff.Min < 0:
		return errors.New("ami: Backoff.Min must not be negative")
	case c.Backoff.Max < 0:
		return errors.New("ami: Backoff.Max must not be negative")
	case c.Backoff.Min > 0 && c.Backoff.Max > 0 && c.Backoff.Min > c.Backoff.Max:
		return errors.New("ami: Backoff.Min must not exceed Backoff.Max")
	case c.Backoff.Jitter > 1:
		return errors.New("ami: Backoff.Jitter must be at most 1")
	}
	if _, port, err := net.SplitHostPort(c.Addr); err != nil || port == "" {
		return errors.New("ami: Addr must be host:port, got " + quote(c.Addr))
	}
	for _, s := range []struct{ name, v string }{
		{"Username", c.Username}, {"Secret", c.Secret}, {"Events", c.Events},
	} {
		if !validValue(s.v) {
			return errors.New("ami: " + s.name + " must not contain line breaks")
		}
	}
	return nil
}

// withDefaults returns c with zero fields replaced by their defaults.
func (c Config) withDefaults() Config {
	if c.Events == "" {
		c.Events = "on"
	}
	if c.DialTimeout == 0 {
		c.DialTimeout = DefaultDialTimeout
	}
	if c.ActionTimeout == 0 {
		c.ActionTimeout = DefaultActionTimeout
	}
	if c.PingInterval == 0 {
		c.PingInterval = DefaultPingInterval
	}
	if c.Backoff.Min == 0 {
		c.Backoff.Min = DefaultBackoffMin
	}
	if c.Backoff.Max == 0 {
		c.Backoff.Max = DefaultBackoffMax
	}
	if c.Backoff.Max < c.Backoff.Min {
		c.Backoff.Max = c.Backoff.Min
	}
	if c.Backoff.Jitter == 0 {
		c.Backoff.Jitter = DefaultBackoffJitter
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}
