package ami

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"time"
)

// callKind tells the dispatcher when an action is complete.
type callKind uint8

const (
	kindSingle    callKind = iota // done at the response
	kindList                      // done at the "...Complete" event
	kindOriginate                 // done at the OriginateResponse event
)

// call is an action waiting for its answer. The dispatcher fills it and
// closes done; the waiter reads it only after done is closed.
type call struct {
	kind   callKind
	resp   *Message
	events []*Message // list items
	final  *Message   // list terminator or OriginateResponse
	err    error
	done   chan struct{}
}

// conn is one TCP connection to Asterisk, from dial to close.
type conn struct {
	c  *Client
	nc net.Conn

	wmu  sync.Mutex // serialises frames written by concurrent actions
	wbuf []byte

	mu      sync.Mutex
	pending map[string]*call // by ActionID; nil once closed
	err     error            // why the connection ended
	done    chan struct{}    // closed with the connection
}

func newConn(c *Client, nc net.Conn) *conn {
	return &conn{c: c, nc: nc, pending: make(map[string]*call), done: make(chan struct{})}
}

// close shuts the connection down once, failing every pending action with an
// error wrapping both ErrConnectionLost and cause.
func (cn *conn) close(cause error) {
	cn.mu.Lock()
	if cn.err != nil {
		cn.mu.Unlock()
		return
	}
	if cause == nil {
		cause = io.EOF
	}
	if cn.c.ctx.Err() != nil {
		// Close ended the connection, whichever goroutine noticed first (the
		// reader sees EOF once Asterisk answers the Logoff).
		cause = ErrClosed
	}
	if errors.Is(cause, ErrConnectionLost) {
		cn.err = cause
	} else {
		cn.err = &lostError{cause}
	}
	pending := cn.pending
	cn.pending = nil
	cn.mu.Unlock()

	cn.nc.Close()
	for _, cl := range pending {
		cl.err = cn.err
		close(cl.done)
	}
	close(cn.done)
}

// lostError is the error of actions cut short by a disconnection: it
// matches both ErrConnectionLost and the cause.
type lostError struct{ cause error }

func (e *lostError) Error() string {
	return ErrConnectionLost.Error() + ": " + strings.TrimPrefix(e.cause.Error(), "ami: ")
}

func (e *lostError) Unwrap() []error { return []error{ErrConnectionLost, e.cause} }

// do sends a and waits until the dispatcher completes it, ctx is done, or
// wait elapses (only when ctx has no deadline).
func (cn *conn) do(ctx context.Context, a Action, kind callKind, wait time.Duration) (*call, error) {
	if err := ctx.Err(); err != nil {
		return nil, err // do not send an action nobody will wait for
	}
	id := cn.c.nextID()
	cl := &call{kind: kind, done: make(chan struct{})}

	cn.mu.Lock()
	if cn.err != nil {
		err := cn.err
		cn.mu.Unlock()
		return nil, err
	}
	cn.pending[id] = cl
	cn.mu.Unlock()

	if err := cn.write(a, id); err != nil {
		cn.forget(id)
		return nil, err
	}
	cn.c.stats.actions.Add(1)

	var timeout <-chan time.Time
	if _, ok := ctx.Deadline(); !ok && wait > 0 {
		t := time.NewTimer(wait)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case <-cl.done:
		if cl.err != nil {
			return nil, cl.err
		}
		return cl, nil
	case <-ctx.Done():
		cn.forget(id)
		return nil, ctx.Err()
	case <-timeout:
		cn.forget(id)
		return nil, fmt.Errorf("%w: %s after %v", ErrTimeout, a.Name, wait)
	}
}

// forget drops an action whose caller gave up; a late answer is then ignored.
func (cn *conn) forget(id string) {
	cn.mu.Lock()
	delete(cn.pending, id)
	cn.mu.Unlock()
}

func (cn *conn) write(a Action, id string) error {
	cn.wmu.Lock()
	defer cn.wmu.Unlock()
	b, err := appendAction(cn.wbuf[:0], a, id)
	if err != nil {
		return err
	}
	if cap(b) <= 64<<10 {
		cn.wbuf = b // reuse, unless an unusually large action inflated it
	}
	// A peer that stops reading must not block callers forever.
	cn.nc.SetWriteDeadline(time.Now().Add(cn.c.cfg.ActionTimeout))
	if _, err := cn.nc.Write(b); err != nil {
		err = &opError{op: "write " + a.Name, err: err}
		cn.close(err)
		return err
	}
	return nil
}

// logoff politely ends the session before the socket is closed, so Asterisk
// logs a logoff rather than a dropped connection. Best effort: no waiting.
func (cn *conn) logoff() {
	cn.wmu.Lock()
	defer cn.wmu.Unlock()
	b, _ := appendAction(nil, Action{Name: "Logoff"}, cn.c.nextID())
	cn.nc.SetWriteDeadline(time.Now().Add(250 * time.Millisecond))
	cn.nc.Write(b)
}

// keepAlive pings every PingInterval until the connection ends or ctx is
// done. A failed or unanswered ping closes the connection: a half-open TCP
// connection (Asterisk host gone, NAT entry expired) would otherwise look
// healthy until the kernel gives up, which can take many minutes.
func (cn *conn) keepAlive(ctx context.Context) error {
	cfg := &cn.c.cfg
	t := time.NewTicker(cfg.PingInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return ErrClosed
		case <-cn.done:
			return cn.err
		case <-t.C:
		}
		pctx, cancel := context.WithTimeout(ctx, cfg.ActionTimeout)
		_, err := cn.do(pctx, Action{Name: "Ping"}, kindSingle, 0)
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return ErrClosed
			}
			if errors.Is(err, context.DeadlineExceeded) {
				err = fmt.Errorf("ami: keep-alive ping unanswered after %v", cfg.ActionTimeout)
			}
			cn.close(err)
			return cn.err
		}
	}
}

// readLoop reads and dispatches frames until the connection fails.
func (cn *conn) readLoop() {
	c := cn.c
	defer c.wg.Done()
	rd := NewReader(cn.nc)
	rd.SetEventFilter(c.keepEvent)
	var skipped uint64
	for {
		m, err := rd.ReadMessage()
		if n := rd.Skipped(); n != skipped {
			c.stats.skipped.Add(n - skipped)
			skipped = n
		}
		if err != nil {
			var perr *ParseError
			if errors.As(err, &perr) {
				c.stats.parseErrors.Add(1)
				c.log.Warn("ami: skipping malformed frame", "err", err)
				continue
			}
			cn.close(err)
			return
		}
		cn.dispatch(m)
	}
}

// dispatch routes a frame to the action waiting for it or to subscriptions.
// It runs on the reader goroutine and never blocks.
func (cn *conn) dispatch(m *Message) {
	c := cn.c
	id := m.ActionID()
	ev := m.Event()
	if ev == "" {
		c.stats.responses.Add(1)
		cn.mu.Lock()
		cl := cn.pending[id]
		if cl == nil {
			cn.mu.Unlock()
			if id != "" {
				c.log.Debug("ami: response for unknown or abandoned action", "action_id", id)
			}
			return
		}
		cl.resp = m
		done := true
		switch cl.kind {
		case kindList:
			done = isError(m) || !announcesList(m)
		case kindOriginate:
			// The event normally follows the response, but do not rely on it.
			done = isError(m) || cl.final != nil
		}
		if done {
			delete(cn.pending, id)
			close(cl.done)
		}
		cn.mu.Unlock()
		return
	}

	c.stats.events.Add(1)
	if id != "" {
		cn.mu.Lock()
		if cl := cn.pending[id]; cl != nil {
			switch cl.kind {
			case kindList:
				if equalFoldASCII(m.Get("EventList"), "Complete") || hasSuffixFold(ev, "Complete") {
					cl.final = m
					delete(cn.pending, id)
					close(cl.done)
				} else {
					cl.events = append(cl.events, m)
				}
				cn.mu.Unlock()
				return // list items belong to the caller only
			case kindOriginate:
				if ev == "OriginateResponse" {
					cl.final = m
					if cl.resp != nil {
						delete(cn.pending, id)
						close(cl.done)
					}
				}
			}
		}
		cn.mu.Unlock()
	}
	c.publish(ev, m)
}

// announcesList reports whether a success response to a list action says
// that events will follow ("EventList: start", "Channels will follow").
func announcesList(m *Message) bool {
	if m.Has("EventList") {
		return true
	}
	msg := m.Get("Message")
	for i := 0; i+len("follow") <= len(msg); i++ {
		if equalFoldASCII(msg[i:i+len("follow")], "follow") {
			return true
		}
	}
	return false
}

func hasSuffixFold(s, suffix string) bool {
	return len(s) >= len(suffix) && equalFoldASCII(s[len(s)-len(suffix):], suffix)
}
