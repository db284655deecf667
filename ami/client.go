package ami

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Errors returned by Client methods. Use errors.Is to test for them.
var (
	// ErrNotConnected is returned by actions attempted while the client is
	// not logged in, e.g. while Asterisk is down and the client is retrying.
	ErrNotConnected = errors.New("ami: not connected")
	// ErrClosed is returned after Close.
	ErrClosed = errors.New("ami: client closed")
	// ErrConnectionLost is wrapped by the error of every action still waiting
	// for its answer when the connection drops.
	ErrConnectionLost = errors.New("ami: connection lost")
	// ErrTimeout is returned when an action gets no answer within
	// Config.ActionTimeout (only applied when the context has no deadline).
	ErrTimeout = errors.New("ami: action timed out")
)

// Action is a request to send to Asterisk. Name is the action ("Originate",
// "QueueStatus"...). Fields may repeat keys (e.g. several "Variable" fields).
// The client assigns the ActionID; any ActionID or Action field in Fields is
// ignored.
type Action struct {
	Name   string
	Fields []Field
}

// ActionError is returned when Asterisk answers an action with
// "Response: Error".
type ActionError struct {
	Action  string   // the action name
	Message *Message // the error response
}

func (e *ActionError) Error() string {
	msg := e.Message.Get("Message")
	if msg == "" {
		msg = "response " + e.Message.Response()
	}
	return "ami: " + e.Action + ": " + msg
}

// OriginateError is returned by Client.Originate when the call could not be
// placed: the OriginateResponse event carried "Response: Failure".
type OriginateError struct {
	// Reason is the event's Reason field: the Asterisk control frame that
	// ended the attempt (see ReasonText), e.g. 5 for busy.
	Reason  int
	Message *Message // the OriginateResponse event
}

func (e *OriginateError) Error() string {
	return "ami: originate " + e.Message.Get("Channel") + " failed: reason " +
		strconv.Itoa(e.Reason) + " (" + ReasonText(e.Reason) + ")"
}

// ReasonText describes the Reason code of an OriginateResponse event. The
// codes are Asterisk's AST_CONTROL_* values for the last signal seen on the
// outgoing channel.
func ReasonText(reason int) string {
	switch reason {
	case 0:
		return "failed"
	case 1:
		return "hangup"
	case 2:
		return "ring"
	case 3:
		return "no answer"
	case 4:
		return "answered"
	case 5:
		return "busy"
	case 8:
		return "congestion"
	default:
		return "unknown"
	}
}

// Status is a snapshot of the connection state.
type Status struct {
	Connected bool      // logged in right now
	Since     time.Time // when the current state (connected or not) began
	// LastError is the most recent connection, login or keep-alive error.
	// It is kept after a successful reconnection, for diagnostics.
	LastError  error
	Reconnects int // successful logins after the first one
}

// Stats are cumulative counters since Connect, meant to be exported as
// metrics (for example with prometheus.NewCounterFunc) without this package
// depending on a metrics library.
type Stats struct {
	Events      uint64 // events read and dispatched
	Responses   uint64 // action responses read
	Skipped     uint64 // event frames dropped unparsed because nobody wanted them
	ParseErrors uint64 // malformed frames skipped
	Actions     uint64 // actions sent, including logins and keep-alive pings
	Dials       uint64 // connection attempts
	Reconnects  uint64 // successful logins after the first one
	// Backlog is the number of events queued in subscriptions and not yet
	// received by their consumers (a gauge, not a counter).
	Backlog int
}

// Client is a connection to the Asterisk Manager Interface that survives
// Asterisk restarts: a background loop dials, logs in, dispatches what it
// reads, pings, and reconnects with backoff until Close.
//
// All methods are safe for concurrent use.
type Client struct {
	cfg    Config
	log    *slog.Logger
	ctx    context.Context // cancelled by Close
	cancel context.CancelFunc
	wg     sync.WaitGroup // connection loop, readers, OnConnect callbacks

	// idPrefix makes ActionIDs unique across clients: Asterisk broadcasts
	// OriginateResponse to every session, with the ActionID of whoever
	// originated, so plain counters from two clients would collide.
	idPrefix string
	seq      atomic.Uint64

	mu       sync.Mutex
	conn     *conn // logged-in connection, nil when disconnected
	status   Status
	logins   int
	closed   bool
	shutdown chan struct{} // closed when Close has finished
	subs     map[*Subscription]struct{}

	// Read on every frame by the socket reader, hence atomics.
	subset      atomic.Pointer[subSet]
	listPending atomic.Int64 // ListAction calls in flight
	origPending atomic.Int64 // Originate calls in flight

	stats struct {
		events, responses, skipped, parseErrors, actions, dials, reconnects atomic.Uint64
	}
}

// Connect validates cfg and starts the connection loop in the background. It
// returns immediately: Asterisk may well be down at that moment, in which
// case actions fail with ErrNotConnected until a login succeeds (see Status
// and Config.OnConnect). The only error is an invalid configuration.
//
// Cancelling ctx stops the client like Close, except that it does not wait
// for goroutines to finish; Close should still be called.
func Connect(ctx context.Context, cfg Config) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	c := &Client{
		cfg:      cfg,
		log:      cfg.Logger.With("ami_addr", cfg.Addr),
		idPrefix: fmt.Sprintf("%08x.", rand.Uint32()),
		subs:     make(map[*Subscription]struct{}),
		shutdown: make(chan struct{}),
	}
	c.ctx, c.cancel = context.WithCancel(ctx)
	c.status.Since = time.Now()
	c.subset.Store(&subSet{})
	c.wg.Add(1)
	go c.run()
	return c, nil
}

// Close stops the client: it logs off, closes the connection, fails pending
// actions with an error wrapping ErrClosed, closes every subscription and
// waits until all goroutines started by the client have exited (including
// OnConnect callbacks, which see their context cancelled). Calling Close
// again, or concurrently, waits for the same shutdown and returns nil. Close
// must not be called from OnConnect or OnDisconnect, since it waits for them.
func (c *Client) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		<-c.shutdown
		return nil
	}
	c.closed = true
	c.mu.Unlock()
	c.cancel()
	c.wg.Wait()
	c.mu.Lock()
	subs := make([]*Subscription, 0, len(c.subs))
	for s := range c.subs {
		subs = append(subs, s)
	}
	c.mu.Unlock()
	for _, s := range subs {
		s.Close()
	}
	close(c.shutdown)
	return nil
}

// Status returns the current connection state.
func (c *Client) Status() Status {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.status
}

// Stats returns the client's counters.
func (c *Client) Stats() Stats {
	st := Stats{
		Events:      c.stats.events.Load(),
		Responses:   c.stats.responses.Load(),
		Skipped:     c.stats.skipped.Load(),
		ParseErrors: c.stats.parseErrors.Load(),
		Actions:     c.stats.actions.Load(),
		Dials:       c.stats.dials.Load(),
		Reconnects:  c.stats.reconnects.Load(),
	}
	for _, s := range c.subset.Load().subs {
		st.Backlog += s.Pending()
	}
	return st
}

// current returns the logged-in connection.
func (c *Client) current() (*conn, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, ErrClosed
	}
	if c.conn == nil {
		return nil, ErrNotConnected
	}
	return c.conn, nil
}

// Action sends a and waits for the response with the same ActionID. A
// "Response: Error" answer is returned together with an *ActionError. If the
// context has no deadline, Config.ActionTimeout applies.
//
// Use ListAction for actions answered by a list of events and Originate for
// asynchronous originates.
func (c *Client) Action(ctx context.Context, a Action) (*Message, error) {
	cn, err := c.current()
	if err != nil {
		return nil, err
	}
	cl, err := cn.do(ctx, a, kindSingle, c.cfg.ActionTimeout)
	if err != nil {
		return nil, err
	}
	if isError(cl.resp) {
		return cl.resp, &ActionError{Action: a.Name, Message: cl.resp}
	}
	return cl.resp, nil
}

// ListAction sends an action that Asterisk answers with a response followed
// by a list of events (CoreShowChannels, QueueStatus, Status, PJSIPShowEndpoints...)
// and collects the events carrying its ActionID until the one marked
// "EventList: Complete" (named "...Complete"). It returns the response and
// the list items; the closing event itself is not included. List items are
// not delivered to subscriptions.
//
// A success response that announces no list (no EventList field and no
// "will follow" message) is returned with no items.
func (c *Client) ListAction(ctx context.Context, a Action) (*Message, []*Message, error) {
	cn, err := c.current()
	if err != nil {
		return nil, nil, err
	}
	// Open the event filter before the action is written, so that list items
	// nobody subscribed to are not skipped by the reader.
	c.listPending.Add(1)
	defer c.listPending.Add(-1)
	cl, err := cn.do(ctx, a, kindList, c.cfg.ActionTimeout)
	if err != nil {
		return nil, nil, err
	}
	if isError(cl.resp) {
		return cl.resp, nil, &ActionError{Action: a.Name, Message: cl.resp}
	}
	return cl.resp, cl.events, nil
}

// Originate places a call asynchronously: it forces "Async: true", sends the
// action and waits for the OriginateResponse event with the same ActionID,
// which it returns. If that event reports "Response: Failure", the event is
// returned with an *OriginateError carrying its Reason. An empty a.Name means
// "Originate".
//
// If the context has no deadline, Originate waits for the action's Timeout
// field (default 30 s, as in Asterisk) plus Config.ActionTimeout. The
// OriginateResponse event is also delivered to subscriptions, as Asterisk
// sends it to every manager session.
func (c *Client) Originate(ctx context.Context, a Action) (*Message, error) {
	if a.Name == "" {
		a.Name = "Originate"
	}
	if !equalFoldASCII(a.Name, "Originate") {
		return nil, errors.New("ami: Originate called with action " + quote(a.Name))
	}
	cn, err := c.current()
	if err != nil {
		return nil, err
	}
	fields := make([]Field, 0, len(a.Fields)+1)
	ringFor := 30 * time.Second
	for _, f := range a.Fields {
		if equalFoldASCII(f.Key, "Async") {
			continue
		}
		if equalFoldASCII(f.Key, "Timeout") {
			if ms, err := strconv.Atoi(strings.TrimSpace(f.Value)); err == nil && ms > 0 {
				ringFor = time.Duration(ms) * time.Millisecond
			}
		}
		fields = append(fields, f)
	}
	a.Fields = append(fields, Field{Key: "Async", Value: "true"})

	c.origPending.Add(1)
	defer c.origPending.Add(-1)
	cl, err := cn.do(ctx, a, kindOriginate, ringFor+c.cfg.ActionTimeout)
	if err != nil {
		return nil, err
	}
	if isError(cl.resp) {
		return cl.resp, &ActionError{Action: a.Name, Message: cl.resp}
	}
	ev := cl.final
	if !equalFoldASCII(ev.Get("Response"), "Success") {
		reason, _ := strconv.Atoi(ev.Get("Reason"))
		return ev, &OriginateError{Reason: reason, Message: ev}
	}
	return ev, nil
}

// Ping sends a Ping action and returns the round-trip time.
func (c *Client) Ping(ctx context.Context) (time.Duration, error) {
	start := time.Now()
	_, err := c.Action(ctx, Action{Name: "Ping"})
	return time.Since(start), err
}

func isError(m *Message) bool {
	r := m.Response()
	return equalFoldASCII(r, "Error") || equalFoldASCII(r, "Failure")
}

func (c *Client) nextID() string {
	return c.idPrefix + strconv.FormatUint(c.seq.Add(1), 10)
}

// keepEvent is the reader's event filter: it lets through what some
// subscription wants, plus what in-flight actions are waiting for.
func (c *Client) keepEvent(name []byte) bool {
	set := c.subset.Load()
	if set.all || c.listPending.Load() > 0 {
		return true
	}
	if _, ok := set.names[string(name)]; ok {
		return true
	}
	return c.origPending.Load() > 0 && string(name) == "OriginateResponse"
}

// run is the connection loop.
func (c *Client) run() {
	defer c.wg.Done()
	attempt := 0
	for {
		loggedIn, err := c.session()
		if c.ctx.Err() != nil {
			return
		}
		if loggedIn {
			attempt = 0
		}
		delay := c.cfg.Backoff.delay(attempt)
		attempt++
		c.log.Warn("ami: disconnected, will retry", "err", err, "retry_in", delay)
		t := time.NewTimer(delay)
		select {
		case <-c.ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// session runs one connection: dial, login, then keep-alive until the
// connection fails or the client is closed. It reports whether login
// succeeded and why the session ended.
func (c *Client) session() (loggedIn bool, err error) {
	c.stats.dials.Add(1)
	d := net.Dialer{Timeout: c.cfg.DialTimeout, KeepAlive: 30 * time.Second}
	nc, err := d.DialContext(c.ctx, "tcp", c.cfg.Addr)
	if err != nil {
		err = fmt.Errorf("ami: dial %s: %w", c.cfg.Addr, err)
		c.setError(err)
		return false, err
	}
	cn := newConn(c, nc)
	c.wg.Add(1)
	go cn.readLoop()

	login := Action{Name: "Login", Fields: []Field{
		{Key: "Username", Value: c.cfg.Username},
		{Key: "Secret", Value: c.cfg.Secret},
		{Key: "Events", Value: c.cfg.Events},
	}}
	cl, err := cn.do(c.ctx, login, kindSingle, c.cfg.ActionTimeout)
	if err == nil && isError(cl.resp) {
		err = &ActionError{Action: "Login", Message: cl.resp}
	}
	if err != nil {
		cn.close(err)
		if c.ctx.Err() != nil {
			return false, ErrClosed
		}
		err = &opError{op: "login as " + c.cfg.Username, err: err}
		c.setError(err)
		return false, err
	}

	connCtx, connCancel := context.WithCancel(c.ctx)
	c.setConnected(cn)
	c.log.Info("ami: connected", "user", c.cfg.Username)
	if c.cfg.OnConnect != nil {
		c.wg.Add(1)
		go func() {
			defer c.wg.Done()
			c.cfg.OnConnect(connCtx, c)
		}()
	}

	err = cn.keepAlive(c.ctx)
	connCancel()
	if c.ctx.Err() != nil {
		err = ErrClosed
		cn.logoff()
	}
	// Unpublish the connection before failing its pending actions, so that
	// new actions get ErrNotConnected instead of racing with the shutdown.
	c.setDisconnected(err)
	cn.close(err)
	if c.cfg.OnDisconnect != nil {
		c.cfg.OnDisconnect(err)
	}
	return true, err
}

func (c *Client) setError(err error) {
	c.mu.Lock()
	c.status.LastError = err
	c.mu.Unlock()
}

func (c *Client) setConnected(cn *conn) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.conn = cn
	c.logins++
	c.status.Connected = true
	c.status.Since = time.Now()
	if c.logins > 1 {
		c.status.Reconnects++
		c.stats.reconnects.Add(1)
	}
}

func (c *Client) setDisconnected(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.conn = nil
	c.status.Connected = false
	c.status.Since = time.Now()
	if !errors.Is(err, ErrClosed) {
		c.status.LastError = err
	}
}

// opError adds context to an error without repeating the "ami: " prefix of
// the wrapped error.
type opError struct {
	op  string
	err error
}

func (e *opError) Error() string {
	return "ami: " + e.op + ": " + strings.TrimPrefix(e.err.Error(), "ami: ")
}

func (e *opError) Unwrap() error { return e.err }

// validValue reports whether s can be sent as a header value: a line break
// would let a caller inject extra fields or whole actions.
func validValue(s string) bool { return !strings.ContainsAny(s, "\r\n") }

func validKey(s string) bool { return s != "" && !strings.ContainsAny(s, ":\r\n") }

// appendAction appends the wire form of a, with the given ActionID, to b.
func appendAction(b []byte, a Action, id string) ([]byte, error) {
	if !validKey(a.Name) {
		return b, errors.New("ami: invalid action name " + quote(a.Name))
	}
	b = append(b, "Action: "...)
	b = append(b, a.Name...)
	b = append(b, "\r\nActionID: "...)
	b = append(b, id...)
	b = append(b, "\r\n"...)
	for _, f := range a.Fields {
		if equalFoldASCII(f.Key, "ActionID") || equalFoldASCII(f.Key, "Action") {
			continue
		}
		if !validKey(f.Key) {
			return b, errors.New("ami: " + a.Name + ": invalid field name " + quote(f.Key))
		}
		if !validValue(f.Value) {
			return b, errors.New("ami: " + a.Name + ": value of " + f.Key + " contains a line break")
		}
		b = append(b, f.Key...)
		b = append(b, ": "...)
		b = append(b, f.Value...)
		b = append(b, "\r\n"...)
	}
	return append(b, "\r\n"...), nil
}

func quote(s string) string { return strconv.Quote(s) }
