// Package aritest provides fake Asterisk ARI servers for tests, in the
// spirit of net/http/httptest. They listen on 127.0.0.1, speak the real
// protocol (REST under /ari with HTTP basic authentication, the event
// websocket at /ari/events?app=...) and answer the way Asterisk 22 does:
//
//   - Replay (NewReplay) answers REST requests from a recorded
//     "*.rest.txt" file and pushes the events of a recorded "*.ari.jsonl"
//     file when the test asks for them.
//   - Sim (NewSim) is a small stateful simulation of channels, bridges,
//     playbacks and recordings that emits the events Asterisk emits, with
//     Asterisk's error statuses and messages, plus test controls to inject
//     callers, make dialed endpoints answer or hang up, and drop
//     websockets.
package aritest

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ccdhq/ccd/ari"
	"github.com/gorilla/websocket"
)

// Defaults of the fake servers.
const (
	DefaultUsername   = "ari"
	DefaultPassword   = "secret"
	DefaultAsteriskID = "02:fc:00:00:00:01"
)

// Option configures a fake server.
type Option func(*options)

type options struct {
	user, pass, asteriskID string
	defaultApp             string
	playbackDuration       time.Duration
	noRESTOverWebSocket    bool
}

func buildOptions(opts []Option) options {
	o := options{user: DefaultUsername, pass: DefaultPassword, asteriskID: DefaultAsteriskID, defaultApp: "ccd"}
	for _, f := range opts {
		f(&o)
	}
	return o
}

// WithoutRESTOverWebSocket makes the server behave like an Asterisk before
// 22.3 (21.8, 20.13): it leaves RESTRequest messages on the event websocket
// unanswered.
func WithoutRESTOverWebSocket() Option {
	return func(o *options) { o.noRESTOverWebSocket = true }
}

// WithCredentials sets the ARI user the server accepts.
func WithCredentials(username, password string) Option {
	return func(o *options) { o.user, o.pass = username, password }
}

// WithAsteriskID sets the asterisk_id of emitted events.
func WithAsteriskID(id string) Option {
	return func(o *options) { o.asteriskID = id }
}

// Server is the part common to the fake servers: HTTP listener,
// authentication and event websockets.
type Server struct {
	// URL is the base URL of the server, "http://127.0.0.1:<port>"; the
	// ARI endpoints are under URL+"/ari".
	URL      string
	Username string
	Password string
	// AsteriskID is the asterisk_id the server puts in events.
	AsteriskID string

	hs   *httptest.Server
	rest func(w http.ResponseWriter, r *http.Request, path string)
	// restOverWS: RESTRequest messages on the event websocket are answered.
	restOverWS bool

	mu       sync.Mutex
	conns    map[*wsConn]struct{}
	apps     map[string]*wsConn // application -> websocket that owns it
	changed  chan struct{}      // closed and replaced on every connection change
	requests []Request
	closed   bool
	wg       sync.WaitGroup
}

// Request is a REST request received by a fake server.
type Request struct {
	Method string
	Path   string     // below /ari, unescaped, e.g. "/channels/caller-1;2/answer"
	Query  url.Values // query parameters
	Body   []byte
	// OverWebSocket: the request came as a RESTRequest message on the event
	// websocket, not over HTTP.
	OverWebSocket bool
}

func (r Request) String() string {
	s := r.Method + " " + r.Path
	if len(r.Query) > 0 {
		s += "?" + r.Query.Encode()
	}
	return s
}

func newServer(rest func(w http.ResponseWriter, r *http.Request, path string), o options) *Server {
	s := &Server{
		Username:   o.user,
		Password:   o.pass,
		AsteriskID: o.asteriskID,
		rest:       rest,
		restOverWS: !o.noRESTOverWebSocket,
		conns:      map[*wsConn]struct{}{},
		apps:       map[string]*wsConn{},
		changed:    make(chan struct{}),
	}
	s.hs = httptest.NewServer(http.HandlerFunc(s.serveHTTP))
	s.URL = s.hs.URL
	return s
}

// Config returns a client configuration for this server and application,
// with short reconnection delays suited to tests.
func (s *Server) Config(app string) ari.Config {
	return ari.Config{
		URL:         s.URL,
		Username:    s.Username,
		Password:    s.Password,
		Application: app,
		Backoff:     ari.Backoff{Min: 10 * time.Millisecond, Max: 200 * time.Millisecond},
	}
}

// Close shuts the server down, closing websockets and waiting for its
// goroutines.
func (s *Server) Close() {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.KillWebsockets()
	s.hs.CloseClientConnections()
	s.hs.Close()
	s.wg.Wait()
}

// KillWebsockets abruptly closes every event websocket (as a network
// failure or an Asterisk restart of the HTTP server would). Channels and
// bridges are left as they are: Asterisk keeps channels in Stasis when
// their application's websocket goes away.
func (s *Server) KillWebsockets() {
	s.mu.Lock()
	conns := make([]*wsConn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		c.kill()
	}
}

// Connected reports whether a websocket is registered for app.
func (s *Server) Connected(app string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.apps[app] != nil
}

// Websockets returns the number of open event websockets.
func (s *Server) Websockets() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// WaitConnected waits until a websocket is registered for app.
func (s *Server) WaitConnected(ctx context.Context, app string) error {
	return s.waitFor(ctx, func() bool { return s.apps[app] != nil })
}

// WaitDisconnected waits until no websocket is registered for app.
func (s *Server) WaitDisconnected(ctx context.Context, app string) error {
	return s.waitFor(ctx, func() bool { return s.apps[app] == nil })
}

func (s *Server) waitFor(ctx context.Context, cond func() bool) error {
	for {
		s.mu.Lock()
		ok, ch := cond(), s.changed
		s.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// notifyLocked wakes waitFor callers; s.mu must be held.
func (s *Server) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// Requests returns the REST requests received so far, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// SendRaw sends a message as is to every open websocket.
func (s *Server) SendRaw(data []byte) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		c.send(data)
	}
	return len(s.conns)
}

// Send sends ev to the websocket of app, with its Application and
// AsteriskID fields set. It reports whether app is connected.
func (s *Server) Send(app string, ev ari.Event) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.apps[app]
	if c == nil {
		return false
	}
	c.send(s.encode(ev, app))
	return true
}

// encode marshals a copy of ev addressed to app.
func (s *Server) encode(ev ari.Event, app string) []byte {
	v := reflect.ValueOf(ev)
	if v.Kind() == reflect.Pointer && v.Elem().Kind() == reflect.Struct {
		cp := reflect.New(v.Elem().Type())
		cp.Elem().Set(v.Elem())
		if f := cp.Elem().FieldByName("Application"); f.IsValid() && f.Kind() == reflect.String {
			f.SetString(app)
		}
		if f := cp.Elem().FieldByName("AsteriskID"); f.IsValid() && f.Kind() == reflect.String && f.String() == "" {
			f.SetString(s.AsteriskID)
		}
		ev = cp.Interface().(ari.Event)
	}
	data, err := ari.Marshal(ev)
	if err != nil {
		panic("aritest: marshal event: " + err.Error())
	}
	return data
}

// writeError writes an ARI error response: {"message": msg}.
func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"message": msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		panic("aritest: marshal response: " + err.Error())
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(data)
}

func (s *Server) authorized(r *http.Request) bool {
	user, pass, ok := r.BasicAuth()
	if !ok {
		// Asterisk also takes api_key=user:pass in the query string.
		if k := r.URL.Query().Get("api_key"); k != "" {
			user, pass, ok = strings.Cut(k, ":")
		}
	}
	return ok &&
		subtle.ConstantTimeCompare([]byte(user), []byte(s.Username)) == 1 &&
		subtle.ConstantTimeCompare([]byte(pass), []byte(s.Password)) == 1
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	path, ok := strings.CutPrefix(r.URL.Path, "/ari")
	if !ok || (path != "" && path[0] != '/') {
		writeError(w, http.StatusNotFound, "Resource not found")
		return
	}
	if !s.authorized(r) {
		w.Header().Set("WWW-Authenticate", `Basic realm="Asterisk REST Interface"`)
		writeError(w, http.StatusUnauthorized, "Authentication required")
		return
	}
	if path == "/events" && r.Method == http.MethodGet {
		s.serveEvents(w, r)
		return
	}
	s.serveREST(w, r, path, false)
}

// serveREST records a request and lets the server answer it.
func (s *Server) serveREST(w http.ResponseWriter, r *http.Request, path string, overWS bool) {
	var body []byte
	if r.Body != nil {
		body, _ = readAll(r)
	}
	q := r.URL.Query()
	q.Del("api_key")
	s.mu.Lock()
	s.requests = append(s.requests, Request{Method: r.Method, Path: path, Query: q, Body: body, OverWebSocket: overWS})
	s.mu.Unlock()
	r.Body = nopBody(body)
	s.rest(w, r, path)
}

// restResponse is a RESTResponse message, with its members in the order
// Asterisk 22 writes them (ari.RESTResponse's encoder writes an event's
// order: timestamp second).
type restResponse struct {
	Type          string `json:"type"`
	TransactionID string `json:"transaction_id"`
	RequestID     string `json:"request_id"`
	StatusCode    int    `json:"status_code"`
	ReasonPhrase  string `json:"reason_phrase"`
	URI           string `json:"uri"`
	ContentType   string `json:"content_type,omitempty"`
	MessageBody   string `json:"message_body,omitempty"`
	Application   string `json:"application"`
	Timestamp     string `json:"timestamp"`
	AsteriskID    string `json:"asterisk_id"`
}

// answerREST answers a message of the event websocket c as Asterisk 22
// does: a RESTRequest is served like the same request over HTTP, on the
// websocket's own goroutine, and its RESTResponse goes out before the
// events the request caused; any other message gets a 400.
func (s *Server) answerREST(c *wsConn, data []byte) {
	var m ari.RESTRequest
	if json.Unmarshal(data, &m) != nil || m.Type != "RESTRequest" {
		c.send(s.restAnswer(c, ari.RESTRequest{}, http.StatusBadRequest, "Bad request", []byte(`{"message":"Unknown request type."}`)))
		return
	}
	path, query, _ := strings.Cut(m.URI, "?")
	if strings.HasPrefix(path, "/") {
		// Asterisk takes the URI as relative to /ari and finds no method
		// for a path with a leading slash.
		c.send(s.restAnswer(c, m, http.StatusMethodNotAllowed, "Method Not Allowed", []byte(`{"message":"Invalid method"}`)))
		return
	}
	r, err := http.NewRequest(m.Method, "/ari/"+path, strings.NewReader(m.MessageBody))
	if err != nil {
		c.send(s.restAnswer(c, m, http.StatusBadRequest, "Bad request", []byte(`{"message":"Invalid request"}`)))
		return
	}
	r.URL.RawQuery = query
	if m.ContentType != "" {
		r.Header.Set("Content-Type", m.ContentType)
	}
	rec := httptest.NewRecorder()
	at := c.hold()
	s.serveREST(rec, r, "/"+path, true)
	m.URI = path
	c.release(at, s.restAnswer(c, m, rec.Code, http.StatusText(rec.Code), rec.Body.Bytes()))
}

func (s *Server) restAnswer(c *wsConn, m ari.RESTRequest, status int, reason string, body []byte) []byte {
	r := restResponse{Type: "RESTResponse", TransactionID: m.TransactionID, RequestID: m.RequestID, StatusCode: status,
		ReasonPhrase: reason, URI: m.URI, Application: c.firstApp(), Timestamp: time.Now().Format(ari.TimeLayout), AsteriskID: s.AsteriskID}
	if len(body) > 0 {
		r.ContentType, r.MessageBody = "application/json", string(body)
	}
	data, err := json.Marshal(r)
	if err != nil {
		panic("aritest: marshal RESTResponse: " + err.Error())
	}
	return data
}

var upgrader = websocket.Upgrader{
	CheckOrigin: func(*http.Request) bool { return true },
}

// serveEvents is GET /ari/events?app=a[,b]&subscribeAll=true.
func (s *Server) serveEvents(w http.ResponseWriter, r *http.Request) {
	var apps []string
	for _, v := range r.URL.Query()["app"] {
		for _, a := range strings.Split(v, ",") {
			if a = strings.TrimSpace(a); a != "" {
				apps = append(apps, a)
			}
		}
	}
	if len(apps) == 0 {
		writeError(w, http.StatusBadRequest, "Missing parameter app")
		return
	}
	all := r.URL.Query().Get("subscribeAll")
	c := &wsConn{
		apps:         apps,
		subscribeAll: all == "true" || all == "1" || all == "yes",
		out:          make(chan []byte, 1),
		done:         make(chan struct{}),
	}
	// Register before the upgrade response goes out: once the client sees
	// the handshake complete, events for its application must reach it
	// (they are queued until the writer starts).
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		writeError(w, http.StatusServiceUnavailable, "Server shutting down")
		return
	}
	s.conns[c] = struct{}{}
	for _, a := range apps {
		if old := s.apps[a]; old != nil {
			// A newer websocket takes the application over; the older one
			// is told so (and keeps its other applications).
			old.send(s.encode(&ari.ApplicationReplaced{Timestamp: time.Now()}, a))
			old.dropApp(a)
		}
		s.apps[a] = c
	}
	s.notifyLocked()
	s.mu.Unlock()

	ws, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		c.kill()
		s.unregister(c)
		return
	}
	c.mu.Lock()
	c.ws = ws
	c.mu.Unlock()
	select {
	case <-c.done: // killed during the handshake
		ws.NetConn().Close()
	default:
	}
	s.mu.Lock()
	s.wg.Add(2)
	s.mu.Unlock()
	go func() {
		defer s.wg.Done()
		c.writeLoop()
	}()
	go func() {
		defer s.wg.Done()
		// Read until the peer goes away (this also answers pings),
		// answering REST requests.
		for {
			_, data, err := ws.ReadMessage()
			if err != nil {
				break
			}
			if s.restOverWS {
				s.answerREST(c, data)
			}
		}
		c.kill()
		s.unregister(c)
	}()
}

func (s *Server) unregister(c *wsConn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.conns, c)
	for a, owner := range s.apps {
		if owner == c {
			delete(s.apps, a)
		}
	}
	s.notifyLocked()
}

// wsConn is one event websocket. Messages are queued and written by one
// goroutine, so that the simulation never blocks on a slow client.
type wsConn struct {
	subscribeAll bool

	mu       sync.Mutex
	ws       *websocket.Conn // nil until the handshake completes
	apps     []string
	queue    [][]byte
	held     bool        // writeLoop leaves queue alone (hold)
	out      chan []byte // wake-up signal for writeLoop
	done     chan struct{}
	killOnce sync.Once
}

// hold keeps what is queued from now on back from the writer until
// release, and returns where it starts in the queue.
func (c *wsConn) hold() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.held = true
	return len(c.queue)
}

// release puts first at position at of the queue (ahead of what was queued
// since hold) and lets the writer go on.
func (c *wsConn) release(at int, first []byte) {
	c.mu.Lock()
	c.queue = slices.Insert(c.queue, min(at, len(c.queue)), first)
	c.held = false
	c.mu.Unlock()
	select {
	case c.out <- nil:
	default:
	}
}

func (c *wsConn) firstApp() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.apps) == 0 {
		return ""
	}
	return c.apps[0]
}

func (c *wsConn) dropApp(app string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.apps = slices.DeleteFunc(c.apps, func(a string) bool { return a == app })
}

func (c *wsConn) send(data []byte) {
	c.mu.Lock()
	c.queue = append(c.queue, data)
	c.mu.Unlock()
	select {
	case c.out <- nil:
	default:
	}
}

func (c *wsConn) kill() {
	c.killOnce.Do(func() {
		close(c.done)
		c.mu.Lock()
		ws := c.ws
		c.mu.Unlock()
		if ws != nil {
			ws.NetConn().Close()
		}
	})
}

func (c *wsConn) writeLoop() {
	for {
		c.mu.Lock()
		var q [][]byte
		if !c.held {
			q, c.queue = c.queue, nil
		}
		c.mu.Unlock()
		for _, m := range q {
			c.ws.SetWriteDeadline(time.Now().Add(5 * time.Second))
			if err := c.ws.WriteMessage(websocket.TextMessage, m); err != nil {
				c.kill()
				return
			}
		}
		select {
		case <-c.out:
		case <-c.done:
			return
		}
	}
}
