package toolbar

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/api"
	"github.com/gorilla/websocket"
	"github.com/labstack/echo/v4"
)

// Why a connection ended, in the close frame, the log and the metric.
const (
	reasonSlow      = "slow" // it did not read what was sent
	reasonReplaced  = "replaced"
	reasonLoggedOut = "logged_out"
	reasonClosed    = "closed" // by the client, or the network
	reasonShutdown  = "shutdown"
)

var closeTexts = map[string]struct {
	code int
	text string
}{
	reasonSlow:      {websocket.ClosePolicyViolation, "not reading: too many messages waiting"},
	reasonReplaced:  {websocket.ClosePolicyViolation, "replaced by a newer connection of the same agent"},
	reasonLoggedOut: {websocket.ClosePolicyViolation, "the agent logged out: its token has ended"},
	reasonShutdown:  {websocket.CloseGoingAway, "ccd is stopping"},
}

const (
	writeWait = 10 * time.Second // a write that takes longer: the client is not reading
	pingEvery = 30 * time.Second
	pongWait  = 75 * time.Second // no pong (or message) for this long: the peer is gone
	readLimit = 4096             // client messages are small view switches
)

// Path is the toolbar's WebSocket route.
const Path = "/api/agents/:id/toolbar"

// Mount adds the toolbar's WebSocket route behind the server's
// authentication: an agent's own token connects for itself only (another
// agent is a 403), the integration token for any agent. A GET without
// Upgrade: websocket answers the messages a connection would start with, as
// a JSON array.
//
//	GET /api/agents/:id/toolbar?view=queues|agent   (Upgrade: websocket)
func (s *Service) Mount(srv *api.Server) {
	srv.Echo.GET(Path, s.connect, tokenFromSubprotocol, srv.Authenticate, api.QueryParams("view"))
}

// Subprotocol is the WebSocket subprotocol of the toolbar. A browser cannot
// set Authorization on a WebSocket: it offers the token as a second
// subprotocol instead, "bearer.<token>" (new WebSocket(url, ["ccd.toolbar",
// "bearer." + token])), and ccd answers with Subprotocol.
const Subprotocol = "ccd.toolbar"

const bearerProtocol = "bearer."

// tokenFromSubprotocol hands the authentication a token offered as a
// subprotocol, when the request has no Authorization of its own.
func tokenFromSubprotocol(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if r.Header.Get("Authorization") == "" {
			for _, p := range websocket.Subprotocols(r) {
				if token, ok := strings.CutPrefix(p, bearerProtocol); ok && token != "" {
					r.Header.Set("Authorization", "Bearer "+token)
					break
				}
			}
		}
		return next(c)
	}
}

func (s *Service) connect(c echo.Context) error {
	agent, err := api.ActingAgent(c, c.Param("id"))
	if err != nil {
		return err
	}
	view, err := parseView(c.QueryParam("view"))
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if _, err := s.o.Live.Agent(ctx, agent); err != nil {
		return err
	}
	if !websocket.IsWebSocketUpgrade(c.Request()) {
		// Without a WebSocket, the messages a connection starts with: a
		// client that cannot keep one open polls.
		msgs := []json.RawMessage{}
		for _, o := range s.present(ctx, agent, view) {
			msgs = append(msgs, o.msg)
		}
		return c.JSON(http.StatusOK, msgs)
	}
	up := websocket.Upgrader{HandshakeTimeout: writeWait, ReadBufferSize: 1024, WriteBufferSize: 4096, Subprotocols: []string{Subprotocol},
		Error: handshakeError}
	ws, err := up.Upgrade(c.Response(), c.Request(), nil)
	if err != nil {
		return nil // the upgrader answered
	}
	// The HTTP server's read and write deadlines stay on a hijacked
	// connection: the client's own take over.
	_ = ws.NetConn().SetDeadline(time.Time{})
	p := api.PrincipalOf(c)
	cl := &client{s: s, agent: agent, view: view, bySession: p.Kind == ccd.AgentUser, ws: ws,
		out: make(chan outgoing, s.o.Toolbar.SendBuffer), done: make(chan struct{})}
	go cl.writeLoop()
	if err := s.attach(context.WithoutCancel(ctx), cl); err != nil {
		cl.close(reasonShutdown)
		return nil
	}
	s.log.Info("toolbar connected", "agent", agent, "view", view, "remote", c.RealIP())
	go cl.readLoop()
	return nil
}

// handshakeError answers a WebSocket handshake the upgrader refuses in the
// interfaces' error shape, naming the header at fault.
func handshakeError(w http.ResponseWriter, _ *http.Request, status int, reason error) {
	e := &ccd.Error{Code: ccd.EINVALID, Field: "Upgrade", Message: reason.Error()}
	msg := strings.ToLower(e.Message)
	switch {
	case status == http.StatusForbidden:
		e.Code, e.Field = ccd.EFORBIDDEN, "Origin"
	case strings.Contains(msg, "sec-websocket-version"):
		e.Field = "Sec-WebSocket-Version"
	case strings.Contains(msg, "sec-websocket-key"):
		e.Field = "Sec-WebSocket-Key"
	case strings.Contains(msg, "connection"):
		e.Field = "Connection"
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]*ccd.Error{"error": e})
}

func parseView(v string) (string, error) {
	switch v {
	case "", ViewQueues:
		return ViewQueues, nil
	case ViewAgent:
		return ViewAgent, nil
	}
	return "", ccd.Invalid("view", `want "queues" or "agent"`)
}

type outgoing struct {
	event string
	msg   []byte
}

// client is one toolbar connection.
type client struct {
	s         *Service
	agent     string
	bySession bool // opened with the agent's own token
	ws        *websocket.Conn
	out       chan outgoing
	done      chan struct{}
	once      sync.Once

	mu   sync.Mutex
	view string
}

func (c *client) currentView() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.view
}

// push queues a message without waiting: a client whose queue is full has
// stopped reading and is cut off, so that it holds neither memory nor the
// other toolbars.
func (c *client) push(event string, msg []byte) {
	select {
	case <-c.done:
		return
	default:
	}
	select {
	case c.out <- outgoing{event, msg}:
	default:
		c.close(reasonSlow)
	}
}

func (c *client) writeLoop() {
	ping := time.NewTicker(pingEvery)
	defer ping.Stop()
	for {
		select {
		case <-c.done:
			return
		case o := <-c.out:
			_ = c.ws.SetWriteDeadline(time.Now().Add(writeWait))
			if err := c.ws.WriteMessage(websocket.TextMessage, o.msg); err != nil {
				c.close(writeFailure(err))
				return
			}
			c.s.m.messages.WithLabelValues(o.event).Inc()
		case <-ping.C:
			if err := c.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(writeWait)); err != nil {
				c.close(writeFailure(err))
				return
			}
		}
	}
}

// writeFailure tells a client that stopped reading (the write timed out)
// from one that went away.
func writeFailure(err error) string {
	if ne, ok := err.(interface{ Timeout() bool }); ok && ne.Timeout() {
		return reasonSlow
	}
	return reasonClosed
}

// readLoop reads the client's messages: {"view":"agent"} or
// {"view":"queues"} switch the figures it gets; pongs keep it alive.
func (c *client) readLoop() {
	c.ws.SetReadLimit(readLimit)
	_ = c.ws.SetReadDeadline(time.Now().Add(pongWait))
	c.ws.SetPongHandler(func(string) error { return c.ws.SetReadDeadline(time.Now().Add(pongWait)) })
	for {
		_, msg, err := c.ws.ReadMessage()
		if err != nil {
			c.close(reasonClosed)
			return
		}
		_ = c.ws.SetReadDeadline(time.Now().Add(pongWait))
		var req struct {
			View string `json:"view"`
		}
		if json.Unmarshal(msg, &req) == nil {
			if v, err := parseView(req.View); err == nil && req.View != "" {
				c.mu.Lock()
				c.view = v
				c.mu.Unlock()
			}
		}
	}
}

// close ends the connection once, saying why in a close frame, the log and
// the metrics.
func (c *client) close(reason string) {
	c.once.Do(func() {
		close(c.done)
		c.s.detach(c)
		// The close frame may wait for a write stuck on a client that does
		// not read: it must not hold up the push to the others.
		go func() {
			if t, ok := closeTexts[reason]; ok {
				_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(t.code, t.text), time.Now().Add(time.Second))
			}
			_ = c.ws.Close()
		}()
		c.s.m.disconnects.WithLabelValues(reason).Inc()
		switch reason {
		case reasonSlow:
			c.s.log.Warn("toolbar client not reading: disconnected", "agent", c.agent, "send_buffer", cap(c.out))
		default:
			c.s.log.Info("toolbar disconnected", "agent", c.agent, "reason", reason)
		}
	})
}
