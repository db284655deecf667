// Package amitest provides a fake Asterisk Manager Interface server for
// tests, in the spirit of net/http/httptest.
//
// The server listens on a loopback port and speaks the real protocol: it
// sends the "Asterisk Call Manager/11.0.0" banner, checks Login credentials,
// refuses other actions before login, and answers the common actions (Login,
// Logoff, Ping, Events, CoreShowChannels, Originate) with frames shaped like
// those of Asterisk 22. Other actions can be scripted with Handle, events can
// be pushed with Emit, and captured AMI streams can be played back with
// ReplayFile.
//
//	srv := amitest.NewServer("admin", "secret")
//	defer srv.Close()
//	c, _ := ami.Connect(ctx, ami.Config{Addr: srv.Addr(), Username: "admin", Secret: "secret"})
package amitest

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ccdhq/ccd/ami"
)

// DefaultBanner is the greeting sent to every new connection, as sent by
// Asterisk 22.
const DefaultBanner = "Asterisk Call Manager/11.0.0"

// HandlerFunc answers an action. The returned frames (usually a response,
// possibly followed by events) are written to the connection that sent the
// action, in order and without interleaving with other writes. Returning no
// frame leaves the action unanswered, which is useful to test timeouts.
type HandlerFunc func(req *ami.Message) []*ami.Message

// Option configures a Server created with NewServerWithOptions.
type Option func(*Server)

// WithBanner replaces the greeting line sent on connect.
func WithBanner(banner string) Option { return func(s *Server) { s.banner = banner } }

// WithChannels sets the initial channel list reported by CoreShowChannels
// (see SetChannels).
func WithChannels(channels ...*ami.Message) Option {
	return func(s *Server) { s.channels = channels }
}

// Server is a fake AMI server. Its methods are safe for concurrent use.
type Server struct {
	ln      net.Listener
	user    string
	secret  string
	banner  string
	started time.Time
	wg      sync.WaitGroup

	mu       sync.Mutex
	conns    map[*serverConn]struct{}
	handlers map[string]HandlerFunc // by lower-case action name
	received []*ami.Message
	channels []*ami.Message
	closed   bool
}

// serverConn is one client connection.
type serverConn struct {
	nc       net.Conn
	wmu      sync.Mutex
	loggedIn atomic.Bool
	events   atomic.Bool // the client asked for events at login
}

// NewServer starts a server on 127.0.0.1 with a random port that accepts
// the given credentials. It panics if it cannot listen, like
// httptest.NewServer.
func NewServer(username, secret string) *Server {
	return NewServerWithOptions(username, secret)
}

// NewServerWithOptions is NewServer with options.
func NewServerWithOptions(username, secret string, opts ...Option) *Server {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic("amitest: listen: " + err.Error())
	}
	s := &Server{
		ln:       ln,
		user:     username,
		secret:   secret,
		banner:   DefaultBanner,
		started:  time.Now(),
		conns:    make(map[*serverConn]struct{}),
		handlers: make(map[string]HandlerFunc),
	}
	s.handlers["login"] = s.login
	s.handlers["logoff"] = logoff
	s.handlers["ping"] = ping
	s.handlers["events"] = events
	s.handlers["coreshowchannels"] = s.coreShowChannels
	s.handlers["originate"] = originate
	for _, o := range opts {
		o(s)
	}
	s.wg.Add(1)
	go s.accept()
	return s
}

// Addr returns the server's host:port.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Close stops listening, drops every connection and waits for the server's
// goroutines to exit.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	s.mu.Unlock()
	s.ln.Close()
	s.KillConnections()
	s.wg.Wait()
}

// KillConnections abruptly closes every open connection, as an Asterisk
// crash or restart would. The server keeps accepting new connections.
func (s *Server) KillConnections() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for sc := range s.conns {
		sc.nc.Close()
	}
}

// Connections returns the number of logged-in connections.
func (s *Server) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for sc := range s.conns {
		if sc.loggedIn.Load() {
			n++
		}
	}
	return n
}

// Handle installs h for the named action (matched case-insensitively, as
// Asterisk does), replacing any built-in handler. A nil h removes the
// handler, so the action is answered as an unknown command.
func (s *Server) Handle(action string, h HandlerFunc) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if h == nil {
		delete(s.handlers, strings.ToLower(action))
		return
	}
	s.handlers[strings.ToLower(action)] = h
}

// SetChannels sets the channels listed by the built-in CoreShowChannels
// handler. Each message holds the fields of one channel (Channel,
// ChannelState, Uniqueid...); the handler adds Event and ActionID.
func (s *Server) SetChannels(channels ...*ami.Message) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.channels = channels
}

// Received returns the actions received so far from all connections, in
// arrival order, including logins.
func (s *Server) Received() []*ami.Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*ami.Message(nil), s.received...)
}

// Emit sends an event to every logged-in connection that has events enabled.
// It returns once the frame has been written to each of them.
func (s *Server) Emit(m *ami.Message) {
	s.emit(m.AppendWire(nil))
}

func (s *Server) emit(frame []byte) {
	s.mu.Lock()
	targets := make([]*serverConn, 0, len(s.conns))
	for sc := range s.conns {
		if sc.loggedIn.Load() && sc.events.Load() {
			targets = append(targets, sc)
		}
	}
	s.mu.Unlock()
	for _, sc := range targets {
		sc.write(frame)
	}
}

// ReplayFile plays back a captured AMI stream (a *.ami.txt file): see Replay.
func (s *Server) ReplayFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return s.Replay(f)
}

// Replay reads a raw server-to-client AMI stream and emits its events, in
// order, to every logged-in connection. The banner and the responses it
// contains (the login response and answers to the capturing client's
// actions) are skipped: they were meant for another session. It fails on
// the first malformed frame.
func (s *Server) Replay(r io.Reader) error {
	rd := ami.NewReader(r)
	var frame []byte
	for {
		m, err := rd.ReadMessage()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("amitest: replay: %w", err)
		}
		if m.Event() == "" {
			continue
		}
		frame = m.AppendWire(frame[:0])
		s.emit(frame)
	}
}

func (s *Server) accept() {
	defer s.wg.Done()
	for {
		nc, err := s.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			time.Sleep(10 * time.Millisecond)
			continue
		}
		sc := &serverConn{nc: nc}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			nc.Close()
			continue
		}
		s.conns[sc] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go s.serve(sc)
	}
}

func (s *Server) serve(sc *serverConn) {
	defer s.wg.Done()
	defer func() {
		sc.nc.Close()
		s.mu.Lock()
		delete(s.conns, sc)
		s.mu.Unlock()
	}()
	if !sc.write([]byte(s.banner + "\r\n")) {
		return
	}
	rd := ami.NewReader(sc.nc)
	var buf []byte
	for {
		req, err := rd.ReadMessage()
		if err != nil {
			var perr *ami.ParseError
			if errors.As(err, &perr) {
				// Asterisk answers a garbled request rather than hanging up.
				sc.write(Error(nil, "Missing action in request").AppendWire(nil))
				continue
			}
			return
		}
		action := req.Get("Action")
		s.mu.Lock()
		s.received = append(s.received, req)
		h := s.handlers[strings.ToLower(action)]
		s.mu.Unlock()

		isLogin := strings.EqualFold(action, "Login")
		var out []*ami.Message
		switch {
		case action == "":
			out = []*ami.Message{Error(req, "Missing action in request")}
		case !sc.loggedIn.Load() && !isLogin && !strings.EqualFold(action, "Logoff") && !strings.EqualFold(action, "Challenge"):
			out = []*ami.Message{Error(req, "Permission denied")}
		case h == nil:
			out = []*ami.Message{Error(req, "Invalid/unknown command: "+action+". Use Action: ListCommands to show available commands.")}
		default:
			out = h(req)
		}

		hangup := strings.EqualFold(action, "Logoff")
		if isLogin && len(out) > 0 {
			if strings.EqualFold(out[0].Response(), "Success") {
				sc.events.Store(!strings.EqualFold(req.Get("Events"), "off"))
				sc.loggedIn.Store(true)
			} else {
				hangup = true // Asterisk drops the session after a failed login
			}
		}
		if strings.EqualFold(action, "Events") && len(out) > 0 && strings.EqualFold(out[0].Response(), "Success") {
			sc.events.Store(!strings.EqualFold(req.Get("EventMask"), "off"))
		}
		buf = buf[:0]
		for _, m := range out {
			buf = m.AppendWire(buf)
		}
		if len(buf) > 0 && !sc.write(buf) {
			return
		}
		if hangup {
			return
		}
	}
}

// write sends frame in one piece; it reports false and closes the
// connection if the client is gone or does not read.
func (sc *serverConn) write(frame []byte) bool {
	sc.wmu.Lock()
	defer sc.wmu.Unlock()
	sc.nc.SetWriteDeadline(time.Now().Add(10 * time.Second))
	if _, err := sc.nc.Write(frame); err != nil {
		sc.nc.Close()
		return false
	}
	return true
}

// Success returns a "Response: Success" frame answering req, with an
// optional Message field.
func Success(req *ami.Message, message string) *ami.Message {
	return response(req, "Success", message)
}

// Error returns a "Response: Error" frame answering req.
func Error(req *ami.Message, message string) *ami.Message {
	return response(req, "Error", message)
}

func response(req *ami.Message, status, message string) *ami.Message {
	m := ami.NewMessage("Response", status)
	if id, ok := req.Lookup("ActionID"); ok {
		m.Add("ActionID", id)
	}
	if message != "" {
		m.Add("Message", message)
	}
	return m
}

// Event returns an event frame: "Event: name" followed by the alternating
// keys and values in kv. It panics if kv has an odd length.
func Event(name string, kv ...string) *ami.Message {
	m := ami.NewMessage(kv...)
	m.Fields = append([]ami.Field{{Key: "Event", Value: name}}, m.Fields...)
	return m
}

func (s *Server) login(req *ami.Message) []*ami.Message {
	if req.Get("Username") != s.user || req.Get("Secret") != s.secret {
		return []*ami.Message{Error(req, "Authentication failed")}
	}
	up := strconv.Itoa(int(time.Since(s.started).Seconds()))
	return []*ami.Message{
		Success(req, "Authentication accepted"),
		Event("FullyBooted", "Privilege", "system,all", "Uptime", up, "LastReload", up, "Status", "Fully Booted"),
	}
}

func logoff(req *ami.Message) []*ami.Message {
	return []*ami.Message{response(req, "Goodbye", "Thanks for all the fish.")}
}

func ping(req *ami.Message) []*ami.Message {
	now := time.Now()
	m := Success(req, "")
	m.Add("Ping", "Pong")
	m.Add("Timestamp", fmt.Sprintf("%d.%06d", now.Unix(), now.Nanosecond()/1000))
	return []*ami.Message{m}
}

func events(req *ami.Message) []*ami.Message {
	m := response(req, "Success", "")
	if strings.EqualFold(req.Get("EventMask"), "off") {
		m.Add("Events", "Off")
	} else {
		m.Add("Events", "On")
	}
	return []*ami.Message{m}
}

// coreShowChannels answers like Asterisk: a list acknowledgement, one
// CoreShowChannel event per channel, then CoreShowChannelsComplete.
func (s *Server) coreShowChannels(req *ami.Message) []*ami.Message {
	s.mu.Lock()
	channels := s.channels
	s.mu.Unlock()
	ack := Success(req, "")
	ack.Fields = append(ack.Fields[:len(ack.Fields):len(ack.Fields)],
		ami.Field{Key: "EventList", Value: "start"},
		ami.Field{Key: "Message", Value: "Channels will follow"})
	out := []*ami.Message{ack}
	id, hasID := req.Lookup("ActionID")
	listEvent := func(name string) *ami.Message {
		m := Event(name)
		if hasID {
			m.Add("ActionID", id)
		}
		return m
	}
	for _, ch := range channels {
		m := listEvent("CoreShowChannel")
		for _, f := range ch.Fields {
			if !strings.EqualFold(f.Key, "Event") && !strings.EqualFold(f.Key, "ActionID") && !strings.EqualFold(f.Key, "Privilege") {
				m.Fields = append(m.Fields, f)
			}
		}
		out = append(out, m)
	}
	done := listEvent("CoreShowChannelsComplete")
	done.Add("EventList", "Complete")
	done.Add("ListItems", strconv.Itoa(len(channels)))
	return append(out, done)
}

// originate queues the call and, for an asynchronous originate, reports it
// answered at once with an OriginateResponse event, as in the captures.
func originate(req *ami.Message) []*ami.Message {
	if req.Get("Channel") == "" {
		return []*ami.Message{Error(req, "Channel not specified")}
	}
	out := []*ami.Message{Success(req, "Originate successfully queued")}
	if isTrue(req.Get("Async")) {
		out = append(out, OriginateResponse(req, 4))
	}
	return out
}

// Reason codes of OriginateResponse (Asterisk's AST_CONTROL_* values).
const (
	ReasonFailed     = 0
	ReasonHangup     = 1
	ReasonNoAnswer   = 3
	ReasonAnswered   = 4
	ReasonBusy       = 5
	ReasonCongestion = 8
)

var channelSeq atomic.Uint32

// OriginateResponse returns the OriginateResponse event Asterisk raises for
// the Originate request req with the given reason: "Response: Success" for
// ReasonAnswered, "Failure" otherwise. Field order and formats follow the
// captures: a Local channel gets the ";1" half of its pair, Uniqueid looks
// like "1795372633.23", and the caller ID is split from the CallerID field.
func OriginateResponse(req *ami.Message, reason int) *ami.Message {
	n := channelSeq.Add(1)
	requested := req.Get("Channel")
	channel, uniqueid, result := requested, "<null>", "Failure"
	if reason == ReasonAnswered {
		result = "Success"
		channel = fmt.Sprintf("%s-%08x", requested, n)
		if strings.HasPrefix(strings.ToLower(requested), "local/") {
			channel += ";1"
		}
		uniqueid = fmt.Sprintf("%d.%d", time.Now().Unix(), n)
	}
	m := Event("OriginateResponse", "Privilege", "call,all")
	if id, ok := req.Lookup("ActionID"); ok {
		m.Add("ActionID", id)
	}
	m.Add("Response", result)
	m.Add("Channel", channel)
	if app := req.Get("Application"); app != "" {
		m.Add("Application", app)
		m.Add("Data", req.Get("Data"))
	} else {
		m.Add("Context", req.Get("Context"))
		m.Add("Exten", req.Get("Exten"))
	}
	name, num := splitCallerID(req.Get("CallerID"))
	m.Add("Reason", strconv.Itoa(reason))
	m.Add("Uniqueid", uniqueid)
	m.Add("CallerIDNum", num)
	m.Add("CallerIDName", name)
	return m
}

// splitCallerID splits `"Name" <number>` the way Asterisk's
// ast_callerid_parse does for the common forms.
func splitCallerID(cid string) (name, num string) {
	name, num = "<unknown>", "<unknown>"
	cid = strings.TrimSpace(cid)
	if lt := strings.LastIndexByte(cid, '<'); lt >= 0 && strings.HasSuffix(cid, ">") {
		if n := cid[lt+1 : len(cid)-1]; n != "" {
			num = n
		}
		if nm := strings.Trim(strings.TrimSpace(cid[:lt]), `"`); nm != "" {
			name = nm
		}
		return name, num
	}
	if cid != "" && strings.Trim(cid, "0123456789+*#") == "" {
		return name, cid
	}
	if cid != "" {
		name = cid
	}
	return name, num
}

func isTrue(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true", "yes", "1", "on", "y", "t":
		return true
	}
	return false
}
