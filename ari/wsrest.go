package ari

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// REST over the event websocket (Asterisk 22.3, 21.8 and 20.13 onward): a
// request is a RESTRequest message on the websocket the events come in on,
// and Asterisk answers it with a RESTResponse message carrying the same
// request_id. Asterisk handles such a request on the thread that serves the
// websocket, with no HTTP request to parse, no authentication to repeat and
// no connection to pick from a pool: when many calls arrive at once and
// every one of them makes REST calls, a request does not wait for a free
// HTTP thread of Asterisk (see Config.RESTOverWebSocket).

// errRESTLost is the error of a request whose connection ended before its
// response came: Asterisk may or may not have carried it out.
var errRESTLost = errors.New("ari: websocket connection lost before the response came (the request may have been carried out)")

// errRESTNotSent is the error of a request the channel did not send: its
// connection had already ended, so the request can go over HTTP instead.
var errRESTNotSent = errors.New("ari: websocket connection ended")

// restChannel carries REST requests over one websocket connection.
type restChannel struct {
	conn *websocket.Conn
	app  string
	seq  atomic.Uint64

	wmu sync.Mutex // gorilla allows one writer at a time

	mu      sync.Mutex
	pending map[string]chan *RESTResponse
	err     error // set once the connection ended
}

func newRESTChannel(conn *websocket.Conn, app string) *restChannel {
	return &restChannel{conn: conn, app: app, pending: map[string]chan *RESTResponse{}}
}

// writeTimeout bounds the write of one request to a websocket that does not
// take it (the ping keepalive closes such a connection anyway).
const writeTimeout = 10 * time.Second

// do sends one request and waits for its response, ctx or the end of the
// connection. uri is the path below /ari, without its leading slash (a
// leading slash makes Asterisk answer 405), with the query.
func (rc *restChannel) do(ctx context.Context, method, uri string, body []byte) (*RESTResponse, error) {
	id := strconv.FormatUint(rc.seq.Add(1), 10)
	ch := make(chan *RESTResponse, 1)
	rc.mu.Lock()
	if rc.err != nil {
		rc.mu.Unlock()
		return nil, errRESTNotSent
	}
	rc.pending[id] = ch
	rc.mu.Unlock()

	msg := RESTRequest{Type: "RESTRequest", TransactionID: rc.app, RequestID: id, Method: method, URI: uri}
	if body != nil {
		msg.ContentType, msg.MessageBody = "application/json", string(body)
	}
	data, err := json.Marshal(msg)
	if err == nil {
		deadline := time.Now().Add(writeTimeout)
		if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
			deadline = d
		}
		rc.wmu.Lock()
		_ = rc.conn.SetWriteDeadline(deadline)
		err = rc.conn.WriteMessage(websocket.TextMessage, data)
		rc.wmu.Unlock()
	}
	if err != nil {
		rc.forget(id)
		return nil, fmt.Errorf("ari: sending the request on the websocket: %w", err)
	}
	select {
	case r, ok := <-ch:
		if !ok {
			return nil, rc.closedErr()
		}
		return r, nil
	case <-ctx.Done():
		rc.forget(id)
		return nil, ctx.Err()
	}
}

func (rc *restChannel) forget(id string) {
	rc.mu.Lock()
	delete(rc.pending, id)
	rc.mu.Unlock()
}

func (rc *restChannel) closedErr() error {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.err
}

// answer hands a response to the request waiting for it; one whose request
// gave up waiting is dropped.
func (rc *restChannel) answer(r *RESTResponse) {
	rc.mu.Lock()
	ch, ok := rc.pending[r.RequestID]
	delete(rc.pending, r.RequestID)
	rc.mu.Unlock()
	if ok {
		ch <- r
	}
}

// close fails every request still waiting: the connection is gone. The
// reader calls it before it clears Client.rest (see probe).
func (rc *restChannel) close() {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if rc.err != nil {
		return
	}
	rc.err = errRESTLost
	for id, ch := range rc.pending {
		close(ch)
		delete(rc.pending, id)
	}
}

// probeTimeout is how long a new connection waits for the answer to its
// first request over the websocket before it keeps to HTTP: an Asterisk
// before 22.3 (21.8, 20.13) does not answer at all.
var probeTimeout = 3 * time.Second

// probe asks Asterisk once over the websocket; only if it answers do REST
// requests go there.
func (c *Client) probe(rc *restChannel) {
	ctx, cancel := context.WithTimeout(c.ctx, probeTimeout)
	defer cancel()
	r, err := rc.do(ctx, http.MethodGet, "asterisk/ping", nil)
	status := 0
	if r != nil {
		status = r.StatusCode
	}
	switch {
	case err == nil && status == http.StatusOK:
		c.rest.Store(rc)
		// The connection may have ended since the answer: its reader closes
		// rc before it clears c.rest, so one of the two sees the other.
		if rc.closedErr() != nil {
			c.rest.CompareAndSwap(rc, nil)
			return
		}
		c.log.Info("ari: REST requests go over the websocket", "app", c.cfg.Application)
	case c.ctx.Err() != nil || errors.Is(err, errRESTLost) || errors.Is(err, errRESTNotSent):
	default:
		c.log.Warn("ari: Asterisk does not answer REST requests over the websocket (it needs 22.3, 21.8 or 20.13 or later): they keep to HTTP",
			"app", c.cfg.Application, "status", status, "err", err)
	}
}

// sendOverWebSocket performs r on the websocket and returns the response as
// send does.
func (c *Client) sendOverWebSocket(ctx context.Context, rc *restChannel, r request, body []byte) (*http.Response, error) {
	uri := strings.TrimPrefix(r.path, "/")
	if len(r.query) > 0 {
		uri += "?" + r.query.Encode()
	}
	resp, err := rc.do(ctx, r.method, uri, body)
	if errors.Is(err, errRESTNotSent) {
		return c.sendHTTP(ctx, r, body)
	}
	if err != nil {
		return nil, fmt.Errorf("ari: %s %s: %w", r.method, displayPath(r.path), err)
	}
	data := []byte(resp.MessageBody)
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, newError(resp.StatusCode, r.method, displayPath(r.path), data)
	}
	return &http.Response{StatusCode: resp.StatusCode, Body: io.NopCloser(bytes.NewReader(data))}, nil
}

// RESTOverWebSocket reports whether REST requests go over the event
// websocket now (Config.RESTOverWebSocket, and Asterisk answered there on
// the current connection); false means HTTP.
func (c *Client) RESTOverWebSocket() bool { return c.rest.Load() != nil }
