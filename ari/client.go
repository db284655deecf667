package ari

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// Config configures a Client.
type Config struct {
	// URL is the Asterisk HTTP server, e.g. "http://127.0.0.1:8088". The ARI
	// prefix "/ari" is appended unless the path already ends with it.
	// "https" URLs use TLS for both REST and the websocket ("wss").
	URL string
	// Username and Password are an ARI user from ari.conf. They are sent as
	// HTTP basic authentication on every request and on the websocket
	// upgrade (never in the URL, where they would end up in logs).
	Username, Password string
	// Application is the Stasis application name, as used in the dialplan
	// (Stasis(ccd,...)) and in originate's app parameter.
	Application string
	// SubscribeAll asks Asterisk for every event in the system, not only
	// those of resources the application is subscribed to (websocket
	// parameter subscribeAll).
	SubscribeAll bool
	// HTTPClient is used for REST requests. Nil means a client private to
	// this Client (whose idle connections are closed by Close). Its
	// transport's TLS and proxy settings, when it is an *http.Transport, are
	// also used for the websocket.
	HTTPClient *http.Client
	// Backoff controls the delay between websocket reconnection attempts.
	Backoff Backoff
	// PingInterval is how often the client pings Asterisk over the
	// websocket to detect dead connections; a connection that answers
	// nothing (no pong, no event) for 2.5 intervals is dropped and
	// re-established. Zero means 30s; negative disables pings.
	PingInterval time.Duration
	// Logger receives connection state changes and undecodable messages.
	// Nil discards them.
	Logger *slog.Logger
	// OnConnect, when set, is called after every successful websocket
	// (re)connection, before any event received on that connection is
	// delivered to subscriptions. inApp holds the channels that GET
	// /channels reported as currently inside this Stasis application (see
	// InApplication for the rule) so that the application can re-adopt
	// calls that continued while it was disconnected: Asterisk keeps
	// channels in Stasis when the websocket goes away and sends no new
	// StasisStart for them on the new connection.
	//
	// The snapshot is taken after the websocket is up, so anything that
	// changes after it arrives as an event afterwards; events that raced
	// with the snapshot may describe changes it already shows, so handle
	// events idempotently. OnConnect runs on the client's connection
	// goroutine: it must not call Close, and events wait until it returns.
	// ctx is cancelled when the client is closed.
	OnConnect func(ctx context.Context, c *Client, inApp []Channel)
	// OnEvent, when set, receives every event, in the order Asterisk sent
	// it, before the subscriptions do, and with no goroutine between the
	// websocket and it once the connection's first events (those that
	// waited for OnConnect) are delivered. It is called on the client's
	// goroutines, one event at a time, never after Close returns. It must
	// not block: the websocket is not read meanwhile.
	OnEvent func(Event)
	// OnDisconnect, when set, is called when an established websocket
	// connection is lost, with the reason. It is not called for failed
	// connection attempts (see Status.LastError) nor on Close.
	OnDisconnect func(err error)
	// RESTOverWebSocket sends REST requests as RESTRequest messages on the
	// event websocket instead of HTTP, once Asterisk has answered one there
	// (Asterisk 22.3, 21.8, 20.13 and later; older ones are detected within
	// a few seconds of each connection and keep HTTP). Asterisk serves them
	// on the websocket's own thread, so a burst of calls does not wait for
	// its HTTP threads and connections. While the websocket is down requests
	// use HTTP; a request in flight when it drops fails with an error that
	// says it may have been carried out. With it, OnEvent and OnConnect must
	// not wait for a REST call's answer: it comes on the websocket they hold
	// up (OnConnect may make REST calls: its events are queued meanwhile,
	// answers are not).
	RESTOverWebSocket bool
	// Start, when set, holds the first connection back until it is closed.
	// A program that may run beside another instance of itself (a standby
	// waiting for a lock) connects only once it is its turn: Asterisk gives
	// a Stasis application to the last websocket that registered it.
	Start <-chan struct{}
}

// Backoff is an exponential reconnection backoff: the first retry waits
// Min, each further failed attempt doubles the wait up to Max, and every
// wait is randomised by ±Jitter (a fraction) so that many clients do not
// reconnect in lockstep after an Asterisk restart. After a lost connection
// the wait starts over from Min; only connections that keep dropping before
// Max double it.
type Backoff struct {
	Min    time.Duration // default 500ms
	Max    time.Duration // default 30s
	Jitter float64       // 0..1, default 0.2; negative means none
}

func (b Backoff) withDefaults() Backoff {
	if b.Min <= 0 {
		b.Min = 500 * time.Millisecond
	}
	if b.Max <= 0 {
		b.Max = 30 * time.Second
	}
	if b.Max < b.Min {
		b.Max = b.Min
	}
	switch {
	case b.Jitter == 0:
		b.Jitter = 0.2
	case b.Jitter < 0:
		b.Jitter = 0
	case b.Jitter > 1:
		b.Jitter = 1
	}
	return b
}

// next returns the delay after d.
func (b Backoff) next(d time.Duration) time.Duration {
	if d < b.Min {
		return b.Min
	}
	d *= 2
	if d > b.Max {
		d = b.Max
	}
	return d
}

// retryDelay is the connection loop's wait before its next attempt. Failed
// attempts double it. A lost connection starts over from Min, whatever the
// failures before it: Asterisk down for a while, then back only briefly (a
// restart soon after a start) must not keep ccd away for Max, with no Stasis
// application for the callers who arrive meanwhile. Connections that keep
// dropping before Max are the exception: their waits double, so that an
// Asterisk that takes the websocket and drops it at once is not hammered.
type retryDelay struct {
	bo    Backoff
	delay time.Duration // the last wait
	flaps time.Duration // the wait after the last of consecutive short-lived connections
}

// afterFailure is the wait after an attempt that did not connect.
func (r *retryDelay) afterFailure() time.Duration {
	r.delay = r.bo.next(r.delay)
	return r.delay
}

// afterLoss is the wait after losing a connection that was up for upFor.
func (r *retryDelay) afterLoss(upFor time.Duration) time.Duration {
	if upFor >= r.bo.Max {
		r.flaps = 0
		r.delay = r.bo.next(0)
		return r.delay
	}
	r.flaps = r.bo.next(r.flaps)
	r.delay = r.flaps
	return r.delay
}

func (b Backoff) jitter(d time.Duration) time.Duration {
	if b.Jitter == 0 {
		return d
	}
	f := 1 + b.Jitter*(2*rand.Float64()-1)
	return time.Duration(float64(d) * f)
}

// Validate reports the first missing or invalid field.
func (c Config) Validate() error {
	if c.URL == "" {
		return errors.New("ari: URL is required")
	}
	u, err := url.Parse(c.URL)
	if err != nil {
		return fmt.Errorf("ari: URL is invalid: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("ari: URL must be http or https, not %q", u.Scheme)
	}
	if u.Host == "" {
		return errors.New("ari: URL has no host")
	}
	if c.Username == "" {
		return errors.New("ari: Username is required")
	}
	if c.Application == "" {
		return errors.New("ari: Application is required")
	}
	if strings.ContainsAny(c.Application, ",") {
		return errors.New("ari: Application must not contain ','")
	}
	return nil
}

// Status is a snapshot of the websocket connection state.
type Status struct {
	// Connected reports whether the websocket is up.
	Connected bool
	// Since is when Connected last changed (zero before the first
	// connection attempt ended).
	Since time.Time
	// LastError is the most recent connection error (failed attempt or
	// lost connection); it is kept after a successful reconnection.
	LastError error
	// Reconnects counts successful connections after the first one.
	Reconnects int
}

// Client is a connection to the Asterisk REST Interface: REST requests
// plus the event websocket of one Stasis application, re-established
// automatically when it drops. It is safe for concurrent use.
type Client struct {
	cfg     Config
	base    string // REST base URL, ".../ari"
	wsURL   string
	auth    string // Authorization header value
	httpc   *http.Client
	ownHTTP bool
	dialer  websocket.Dialer // settings only; built once so no request races with it
	log     *slog.Logger
	bus     *bus

	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}
	wg     sync.WaitGroup // per-connection goroutines (reader, pinger)

	mu        sync.Mutex
	status    Status
	connected bool // ever connected

	events      atomic.Uint64
	undecodable atomic.Uint64

	// rest carries REST requests while the websocket is up and Asterisk
	// answers them there (Config.RESTOverWebSocket); nil means HTTP.
	rest atomic.Pointer[restChannel]
}

// Stats are cumulative counters since Connect, for metrics.
type Stats struct {
	Events      uint64 // websocket events decoded and published
	Undecodable uint64 // websocket messages that were not valid events (logged, skipped)
}

// Stats returns the client's counters.
func (c *Client) Stats() Stats {
	return Stats{Events: c.events.Load(), Undecodable: c.undecodable.Load()}
}

// Connect validates cfg and returns a Client whose websocket connection is
// established in the background: it returns at once, even if Asterisk is
// down, and keeps (re)connecting with backoff until Close is called or ctx
// is done. Use Status, OnConnect or OnDisconnect to observe the
// connection. REST methods can be used immediately.
func Connect(ctx context.Context, cfg Config) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.Backoff = cfg.Backoff.withDefaults()
	if cfg.PingInterval == 0 {
		cfg.PingInterval = 30 * time.Second
	}
	base, wsURL, err := endpoints(cfg)
	if err != nil {
		return nil, err
	}
	c := &Client{
		cfg:   cfg,
		base:  base,
		wsURL: wsURL,
		auth:  "Basic " + base64.StdEncoding.EncodeToString([]byte(cfg.Username+":"+cfg.Password)),
		httpc: cfg.HTTPClient,
		log:   cfg.Logger,
		bus:   newBus(),
		done:  make(chan struct{}),
	}
	if c.httpc == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		// Keep as many connections as an application has REST calls in
		// flight in a burst: Asterisk's HTTP server starts a thread for each
		// new connection, and with Go's default of 2 idle connections a
		// burst of callers would pay for one on most requests, an agent's
		// originate among them.
		tr.MaxIdleConnsPerHost = idleConns
		c.httpc = &http.Client{Transport: tr}
		c.ownHTTP = true
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	c.dialer = websocket.Dialer{
		HandshakeTimeout: 10 * time.Second,
		Proxy:            http.ProxyFromEnvironment,
	}
	if tr, ok := c.httpc.Transport.(*http.Transport); ok {
		// The transport fills in its TLS config on its first request; the
		// websocket dialer gets its own copy, taken before any request runs.
		c.dialer.Proxy = tr.Proxy
		c.dialer.TLSClientConfig = tr.TLSClientConfig.Clone()
	}
	c.ctx, c.cancel = context.WithCancel(ctx)
	go c.run()
	return c, nil
}

// idleConns is how many idle connections to Asterisk the default HTTP client
// keeps.
const idleConns = 32

// endpoints derives the REST base URL and the websocket URL from cfg.
func endpoints(cfg Config) (base, ws string, err error) {
	u, err := url.Parse(cfg.URL)
	if err != nil {
		return "", "", err
	}
	u.RawQuery, u.Fragment, u.User = "", "", nil
	p := strings.TrimRight(u.Path, "/")
	if !strings.HasSuffix(p, "/ari") {
		p += "/ari"
	}
	u.Path, u.RawPath = p, ""
	base = u.String()

	w := *u
	if w.Scheme == "https" {
		w.Scheme = "wss"
	} else {
		w.Scheme = "ws"
	}
	w.Path = p + "/events"
	q := url.Values{"app": {cfg.Application}}
	if cfg.SubscribeAll {
		q.Set("subscribeAll", "true")
	}
	w.RawQuery = q.Encode()
	return base, w.String(), nil
}

// Application returns the configured Stasis application name.
func (c *Client) Application() string { return c.cfg.Application }

// Close stops the websocket connection, closes every Subscription and
// waits for all of the client's goroutines to exit. REST calls in flight
// are not interrupted (they have their own contexts). Close is idempotent.
func (c *Client) Close() error {
	c.cancel()
	<-c.done
	if c.ownHTTP {
		c.httpc.CloseIdleConnections()
	}
	return nil
}

// Status returns the current connection state.
func (c *Client) Status() Status {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.status
}

// Subscribe returns a subscription to the events of the given types (e.g.
// EventStasisStart, "ChannelHangupRequest"), or to all events when none
// are given.
func (c *Client) Subscribe(types ...string) *Subscription {
	return c.bus.subscribe(Key{}, types)
}

// SubscribeKey returns a subscription to the events that reference the
// resource k (see Keys), optionally limited to some types.
func (c *Client) SubscribeKey(k Key, types ...string) *Subscription {
	if k == (Key{}) {
		return c.bus.subscribe(Key{}, types)
	}
	return c.bus.subscribe(k, types)
}

// InApplication reports whether ch, as returned by GET /channels, is
// currently inside the Stasis application app. ARI has no direct field for
// this; the rule used is the one Asterisk's own snapshot shows while the
// Stasis() dialplan application runs: the channel's current dialplan
// application is "Stasis" and its data is the application name, alone or
// followed by ",args". It holds for channels that entered through the
// dialplan, through originate with app= (Asterisk runs Stasis on answer)
// and through /channels/create. A channel moved to another application
// with /channels/{id}/move keeps the app_data of its original Stasis()
// call, and an originated channel that has not answered yet is not in
// Stasis at all.
func InApplication(ch *Channel, app string) bool {
	if !strings.EqualFold(ch.Dialplan.AppName, "Stasis") {
		return false
	}
	d := strings.TrimSpace(ch.Dialplan.AppData)
	return d == app || strings.HasPrefix(d, app+",")
}

func (c *Client) setStatus(f func(s *Status)) {
	c.mu.Lock()
	f(&c.status)
	c.mu.Unlock()
}

// run is the connection loop.
func (c *Client) run() {
	defer close(c.done)
	defer c.bus.closeAll()
	if c.cfg.Start != nil {
		select {
		case <-c.cfg.Start:
		case <-c.ctx.Done():
			return
		}
	}
	retry := retryDelay{bo: c.cfg.Backoff}
	for {
		upAt, err := c.connectOnce()
		if c.ctx.Err() != nil {
			c.setStatus(func(s *Status) {
				if s.Connected {
					s.Connected, s.Since = false, time.Now()
				}
			})
			return
		}
		now := time.Now()
		c.setStatus(func(s *Status) {
			if s.Connected || s.Since.IsZero() {
				s.Since = now
			}
			s.Connected, s.LastError = false, err
		})
		var delay time.Duration
		if !upAt.IsZero() {
			c.log.Warn("ari: websocket connection lost", "app", c.cfg.Application, "err", err)
			if c.cfg.OnDisconnect != nil {
				c.cfg.OnDisconnect(err)
			}
			delay = retry.afterLoss(now.Sub(upAt))
		} else {
			c.log.Warn("ari: websocket connection failed", "app", c.cfg.Application, "err", err)
			delay = retry.afterFailure()
		}
		t := time.NewTimer(c.cfg.Backoff.jitter(delay))
		select {
		case <-t.C:
		case <-c.ctx.Done():
			t.Stop()
			return
		}
	}
}

// connectOnce runs one websocket connection until it fails. upAt is when it
// became usable (zero if it never did).
func (c *Client) connectOnce() (upAt time.Time, err error) {
	dialer := c.dialer
	hdr := http.Header{"Authorization": {c.auth}}
	conn, resp, err := dialer.DialContext(c.ctx, c.wsURL, hdr)
	if err != nil {
		if resp != nil {
			body := readLimited(resp.Body, 4096)
			resp.Body.Close()
			return time.Time{}, newError(resp.StatusCode, http.MethodGet, "/events", body)
		}
		return time.Time{}, fmt.Errorf("ari: websocket: %w", err)
	}
	defer conn.Close()
	// ARI messages are a few kilobytes; refuse anything absurd instead of
	// buffering it.
	conn.SetReadLimit(maxMessage)

	// The reader goroutine never blocks on consumers: it decodes into an
	// unbounded queue that this goroutine drains after OnConnect. Once the
	// queue is empty the reader delivers the events itself (OnEvent and the
	// subscriptions never block): a caller's StasisStart reaches the
	// application without waiting for another goroutine to be scheduled,
	// which on a loaded machine is what a burst of callers waits for.
	events := newQueue[Event]()
	var rc *restChannel
	if c.cfg.RESTOverWebSocket {
		rc = newRESTChannel(conn, c.cfg.Application)
	}
	endREST := func() {
		if rc != nil {
			rc.close()
			c.rest.CompareAndSwap(rc, nil)
		}
	}
	alive := make(chan struct{}, 1)
	noteAlive := func() {
		select {
		case alive <- struct{}{}:
		default:
		}
	}
	conn.SetPongHandler(func(string) error { noteAlive(); return nil })
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		for {
			_, data, err := conn.ReadMessage()
			if err != nil {
				endREST() // no answer can come any more
				events.close(err)
				return
			}
			noteAlive()
			ev, err := Decode(data)
			if err != nil {
				c.undecodable.Add(1)
				c.log.Warn("ari: undecodable websocket message", "err", err, "len", len(data))
				continue
			}
			if r, ok := ev.(*RESTResponse); ok && rc != nil {
				rc.answer(r) // an answer, not an event
				continue
			}
			c.events.Add(1)
			if !events.pushOrDeliver(ev) {
				c.deliver(ev)
			}
		}
	}()
	stop := make(chan struct{})
	defer func() {
		close(stop)
		conn.Close() // unblocks the reader
		c.wg.Wait()
	}()
	if c.cfg.PingInterval > 0 {
		c.wg.Add(1)
		go c.keepalive(conn, alive, stop, events)
	}
	// Close (or the caller's context) ends the connection with a close frame,
	// whether the watcher or this goroutine sees it first; the deferred close
	// above must not cut the frame off while it is being sent.
	closedByCtx := make(chan struct{})
	unwatch := context.AfterFunc(c.ctx, func() {
		defer close(closedByCtx)
		closeNormally(conn)
	})
	defer func() {
		switch {
		case !unwatch():
			<-closedByCtx
		case c.ctx.Err() != nil:
			closeNormally(conn)
		}
	}()

	// Snapshot for re-adoption, taken now that events are being captured.
	var inApp []Channel
	if c.cfg.OnConnect != nil {
		lctx, cancel := context.WithTimeout(c.ctx, 30*time.Second)
		chans, err := c.ListChannels(lctx)
		cancel()
		if err != nil {
			return time.Time{}, fmt.Errorf("ari: listing channels after connect: %w", err)
		}
		for i := range chans {
			if InApplication(&chans[i], c.cfg.Application) {
				inApp = append(inApp, chans[i])
			}
		}
	}

	upAt = time.Now()
	c.mu.Lock()
	if c.connected {
		c.status.Reconnects++
	}
	c.connected = true
	c.status.Connected, c.status.Since = true, upAt
	c.mu.Unlock()
	c.log.Info("ari: websocket connected", "app", c.cfg.Application, "url", c.wsURL)
	if rc != nil {
		c.wg.Add(1)
		go func() {
			defer c.wg.Done()
			c.probe(rc)
		}()
	}

	if c.cfg.OnConnect != nil {
		c.cfg.OnConnect(c.ctx, c, inApp)
	}
	for {
		ev, ok, done, err := events.tryPop()
		switch {
		case c.ctx.Err() != nil:
			return upAt, c.ctx.Err()
		case ok:
			c.deliver(ev)
		case done:
			return upAt, err
		default:
			// Drained: from now on the reader delivers, and this waits for
			// the end of the connection.
			events.goLive()
			select {
			case <-events.wake:
			case <-c.ctx.Done():
				return upAt, c.ctx.Err()
			}
		}
	}
}

// deliver hands an event to OnEvent, then to the subscriptions.
func (c *Client) deliver(ev Event) {
	if c.cfg.OnEvent != nil {
		c.cfg.OnEvent(ev)
	}
	c.bus.publish(ev)
}

// closeNormally sends a close frame (1000, normal closure) before closing the
// connection: Asterisk logs a connection that just goes away as "Web socket
// closed abruptly", a warning, at every clean stop. A peer that does not read
// holds it up for closeFrameTimeout at most.
func closeNormally(conn *websocket.Conn) {
	msg := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "")
	_ = conn.WriteControl(websocket.CloseMessage, msg, time.Now().Add(closeFrameTimeout))
	conn.Close()
}

const closeFrameTimeout = time.Second

// maxMessage bounds the size of one websocket message.
const maxMessage = 16 << 20

// errPingTimeout closes a connection on which Asterisk stopped answering.
var errPingTimeout = errors.New("ari: websocket ping timeout")

func (c *Client) keepalive(conn *websocket.Conn, alive <-chan struct{}, stop <-chan struct{}, events *queue[Event]) {
	defer c.wg.Done()
	iv := c.cfg.PingInterval
	t := time.NewTicker(iv)
	defer t.Stop()
	last := time.Now()
	for {
		select {
		case <-stop:
			return
		case <-alive:
			last = time.Now()
		case <-t.C:
			if time.Since(last) > iv*5/2 {
				events.close(errPingTimeout)
				conn.Close()
				return
			}
			if err := conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(iv)); err != nil {
				events.close(err)
				conn.Close()
				return
			}
		}
	}
}
