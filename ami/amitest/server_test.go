package amitest

import (
	"bufio"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ccdhq/ccd/ami"
)

const captureDir = "../../testdata/captures"

// rawClient speaks AMI over a plain TCP connection, so that these tests check
// the server's wire behaviour rather than the ami.Client's.
type rawClient struct {
	t  *testing.T
	nc net.Conn
	br *bufio.Reader
	rd *ami.Reader
}

func dial(t *testing.T, s *Server) *rawClient {
	t.Helper()
	nc, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(nc)
	banner, err := br.ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	if banner != "Asterisk Call Manager/11.0.0\r\n" {
		t.Fatalf("banner %q", banner)
	}
	return &rawClient{t: t, nc: nc, br: br, rd: ami.NewReader(br)}
}

func (c *rawClient) send(frame string) {
	c.t.Helper()
	if _, err := io.WriteString(c.nc, frame); err != nil {
		c.t.Fatal(err)
	}
}

func (c *rawClient) read() *ami.Message {
	c.t.Helper()
	m, err := c.rd.ReadMessage()
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	return m
}

func (c *rawClient) expectEOF() {
	c.t.Helper()
	if m, err := c.rd.ReadMessage(); err == nil {
		c.t.Fatalf("expected the server to hang up, got %s", m)
	}
}

func (c *rawClient) login() {
	c.t.Helper()
	c.send("Action: Login\r\nActionID: login-1\r\nUsername: ccd\r\nSecret: ccdsecret\r\n\r\n")
	if m := c.read(); m.Response() != "Success" || m.Get("Message") != "Authentication accepted" || m.ActionID() != "login-1" {
		c.t.Fatalf("login response %s", m)
	}
	if m := c.read(); m.Event() != "FullyBooted" || m.Get("Status") != "Fully Booted" || m.Get("Privilege") != "system,all" {
		c.t.Fatalf("after login got %s", m)
	}
}

func newTestServer(t *testing.T, opts ...Option) *Server {
	s := NewServerWithOptions("ccd", "ccdsecret", opts...)
	t.Cleanup(s.Close)
	return s
}

func TestServerLoginAndBuiltins(t *testing.T) {
	s := newTestServer(t)

	// Bad credentials: an error, then the connection is closed, as Asterisk does.
	c := dial(t, s)
	c.send("Action: Login\r\nActionID: 7\r\nUsername: ccd\r\nSecret: nope\r\n\r\n")
	if m := c.read(); m.Response() != "Error" || m.Get("Message") != "Authentication failed" || m.ActionID() != "7" {
		t.Fatalf("bad login answered %s", m)
	}
	c.expectEOF()

	c = dial(t, s)
	c.send("Action: Ping\r\nActionID: early\r\n\r\n")
	if m := c.read(); m.Response() != "Error" || m.Get("Message") != "Permission denied" {
		t.Fatalf("action before login answered %s", m)
	}
	c.login()
	if s.Connections() != 1 {
		t.Errorf("Connections() = %d", s.Connections())
	}

	c.send("Action: Ping\r\nActionID: p1\r\n\r\n")
	m := c.read()
	if m.Response() != "Success" || m.Get("Ping") != "Pong" || m.ActionID() != "p1" ||
		!regexp.MustCompile(`^\d{10}\.\d{6}$`).MatchString(m.Get("Timestamp")) {
		t.Errorf("Ping answered %s", m)
	}

	c.send("Action: FlyToTheMoon\r\nActionID: x\r\n\r\n")
	if m := c.read(); m.Response() != "Error" || !strings.HasPrefix(m.Get("Message"), "Invalid/unknown command: FlyToTheMoon.") {
		t.Errorf("unknown action answered %s", m)
	}

	c.send("this is not AMI\r\n\r\n")
	if m := c.read(); m.Response() != "Error" {
		t.Errorf("garbage answered %s", m)
	}

	c.send("Action: Logoff\r\nActionID: bye\r\n\r\n")
	if m := c.read(); m.Response() != "Goodbye" || m.ActionID() != "bye" {
		t.Errorf("Logoff answered %s", m)
	}
	c.expectEOF()

	var actions []string
	for _, r := range s.Received() {
		actions = append(actions, r.Get("Action"))
	}
	if got := strings.Join(actions, ","); got != "Login,Ping,Login,Ping,FlyToTheMoon,Logoff" {
		t.Errorf("Received() actions = %s", got)
	}
}

// captureFrame returns the first event of the given name in a capture.
func captureFrame(t *testing.T, file, event string) *ami.Message {
	t.Helper()
	f, err := os.Open(filepath.Join(captureDir, file))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rd := ami.NewReader(f)
	for {
		m, err := rd.ReadMessage()
		if err != nil {
			t.Fatalf("%s: no %s event (%v)", file, event, err)
		}
		if m.Event() == event {
			return m
		}
	}
}

func keys(m *ami.Message) string {
	var ks []string
	for _, f := range m.Fields {
		ks = append(ks, f.Key)
	}
	return strings.Join(ks, ",")
}

func TestServerOriginateLikeCapture(t *testing.T) {
	s := newTestServer(t)
	c := dial(t, s)
	c.login()

	real := captureFrame(t, "direct-call.ami.txt", "OriginateResponse")
	c.send("Action: Originate\r\nActionID: orig-2\r\nChannel: Local/2001@agents\r\nApplication: Dial\r\n" +
		"Data: Local/1002@agents,20\r\nCallerID: \"Ext 2001\" <2001>\r\nAsync: true\r\n\r\n")
	resp := c.read()
	if resp.Response() != "Success" || resp.Get("Message") != "Originate successfully queued" || resp.ActionID() != "orig-2" {
		t.Fatalf("Originate answered %s", resp)
	}
	ev := c.read()
	if keys(ev) != keys(real) {
		t.Errorf("OriginateResponse fields\n got %s\nwant %s (as captured)", keys(ev), keys(real))
	}
	for _, k := range []string{"Event", "Privilege", "ActionID", "Response", "Application", "Data", "Reason", "CallerIDNum", "CallerIDName"} {
		if ev.Get(k) != real.Get(k) {
			t.Errorf("%s = %q, captured %q", k, ev.Get(k), real.Get(k))
		}
	}
	if !regexp.MustCompile(`^Local/2001@agents-[0-9a-f]{8};1$`).MatchString(ev.Get("Channel")) {
		t.Errorf("Channel = %q, want the shape of %q", ev.Get("Channel"), real.Get("Channel"))
	}
	if !regexp.MustCompile(`^\d+\.\d+$`).MatchString(ev.Get("Uniqueid")) {
		t.Errorf("Uniqueid = %q", ev.Get("Uniqueid"))
	}

	// Dialplan form, and synchronous originate (no event).
	c.send("Action: Originate\r\nActionID: o3\r\nChannel: PJSIP/1001\r\nContext: agents\r\nExten: 1001\r\nPriority: 1\r\nAsync: yes\r\n\r\n")
	c.read()
	ev = c.read()
	if keys(ev) != "Event,Privilege,ActionID,Response,Channel,Context,Exten,Reason,Uniqueid,CallerIDNum,CallerIDName" ||
		ev.Get("Context") != "agents" || ev.Get("Exten") != "1001" || strings.HasSuffix(ev.Get("Channel"), ";1") {
		t.Errorf("dialplan OriginateResponse %s", ev)
	}
	c.send("Action: Originate\r\nActionID: o4\r\nChannel: PJSIP/1001\r\nApplication: Wait\r\n\r\n")
	c.read()
	c.send("Action: Ping\r\nActionID: after\r\n\r\n")
	if m := c.read(); m.ActionID() != "after" {
		t.Errorf("synchronous originate produced %s", m)
	}
}

func TestServerCoreShowChannels(t *testing.T) {
	s := newTestServer(t, WithChannels(
		ami.NewMessage("Event", "Newchannel", "Channel", "PJSIP/1001-00000001", "Uniqueid", "1.1"),
	))
	c := dial(t, s)
	c.login()
	c.send("Action: CoreShowChannels\r\nActionID: l1\r\n\r\n")
	if m := c.read(); m.Response() != "Success" || m.Get("EventList") != "start" || m.Get("Message") != "Channels will follow" {
		t.Errorf("list ack %s", m)
	}
	if m := c.read(); keys(m) != "Event,ActionID,Channel,Uniqueid" || m.Event() != "CoreShowChannel" || m.ActionID() != "l1" {
		t.Errorf("list item %s", m)
	}
	if m := c.read(); m.Event() != "CoreShowChannelsComplete" || m.Get("EventList") != "Complete" || m.Get("ListItems") != "1" || m.ActionID() != "l1" {
		t.Errorf("list end %s", m)
	}
}

func TestServerReplayFile(t *testing.T) {
	paths, _ := filepath.Glob(filepath.Join(captureDir, "*.ami.txt"))
	if len(paths) == 0 {
		t.Fatal("no captures")
	}
	s := newTestServer(t)
	c := dial(t, s)
	c.login()
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		want := strings.Count(string(data), "\nEvent: ")
		if err := s.ReplayFile(p); err != nil {
			t.Fatal(err)
		}
		first := c.read()
		if first.Event() != "FullyBooted" {
			t.Errorf("%s: first replayed frame %s, want the capture's FullyBooted", p, first)
		}
		for i := 1; i < want; i++ {
			if m := c.read(); m.Event() == "" {
				t.Fatalf("%s: replayed a response: %s", p, m)
			}
		}
	}
	// Nothing more than the events was sent.
	s.Emit(Event("UserEvent", "UserEvent", "end"))
	if m := c.read(); m.Get("UserEvent") != "end" {
		t.Errorf("extra frame %s", m)
	}
	if err := s.ReplayFile(filepath.Join(captureDir, "missing.ami.txt")); err == nil {
		t.Error("ReplayFile of a missing file succeeded")
	}
	if err := s.Replay(strings.NewReader("Event: A\r\nbroken\r\n\r\n")); err == nil {
		t.Error("Replay of a malformed stream succeeded")
	}
}

func TestServerEmitHandleKill(t *testing.T) {
	s := newTestServer(t, WithBanner("Asterisk Call Manager/11.0.0"))
	s.Handle("userevent", func(req *ami.Message) []*ami.Message {
		return []*ami.Message{Success(req, ""), Event("UserEvent", "UserEvent", req.Get("UserEvent"))}
	})
	in := dial(t, s)
	in.login()
	out := dial(t, s) // connected but not logged in: must not get events
	quiet := dial(t, s)
	quiet.send("Action: Login\r\nUsername: ccd\r\nSecret: ccdsecret\r\nEvents: off\r\n\r\n")
	quiet.read()
	quiet.read()

	s.Emit(Event("Hangup", "Channel", "PJSIP/1001-00000001", "Cause", "16"))
	if m := in.read(); m.Event() != "Hangup" || m.Get("Cause") != "16" {
		t.Errorf("Emit delivered %s", m)
	}
	// The scripted handler answers only the sender (Action names are
	// case-insensitive).
	in.send("Action: UserEvent\r\nActionID: u\r\nUserEvent: hello\r\n\r\n")
	if m := in.read(); m.Response() != "Success" || m.ActionID() != "u" {
		t.Errorf("handler response %s", m)
	}
	if m := in.read(); m.Get("UserEvent") != "hello" {
		t.Errorf("handler event %s", m)
	}
	out.send("Action: Ping\r\nActionID: o\r\n\r\n")
	if m := out.read(); m.ActionID() != "o" {
		t.Errorf("unauthenticated connection got %s before its answer", m)
	}
	quiet.send("Action: Ping\r\nActionID: q\r\n\r\n")
	if m := quiet.read(); m.ActionID() != "q" {
		t.Errorf("connection with Events: off got %s", m)
	}

	s.KillConnections()
	in.expectEOF()
	out.expectEOF()
	// Still accepting after the kill.
	again := dial(t, s)
	again.login()

	s.Close()
	again.expectEOF()
	if _, err := net.DialTimeout("tcp", s.Addr(), time.Second); err == nil {
		t.Error("server still accepts after Close")
	}
	s.Close() // idempotent
}

func TestSplitCallerID(t *testing.T) {
	for _, tt := range []struct{ in, name, num string }{
		{`"Ext 2001" <2001>`, "Ext 2001", "2001"},
		{`Customer <5551234>`, "Customer", "5551234"},
		{`<5551234>`, "<unknown>", "5551234"},
		{`5551234`, "<unknown>", "5551234"},
		{`Reception`, "Reception", "<unknown>"},
		{``, "<unknown>", "<unknown>"},
	} {
		name, num := splitCallerID(tt.in)
		if name != tt.name || num != tt.num {
			t.Errorf("splitCallerID(%q) = %q, %q; want %q, %q", tt.in, name, num, tt.name, tt.num)
		}
	}
}

func TestResponseBuilders(t *testing.T) {
	req := ami.NewMessage("Action", "Status", "ActionID", "42")
	if m := Error(req, "No such channel"); m.String() != "Response: Error\r\nActionID: 42\r\nMessage: No such channel\r\n\r\n" {
		t.Errorf("Error() = %q", m)
	}
	if m := Success(ami.NewMessage("Action", "Ping"), ""); m.String() != "Response: Success\r\n\r\n" {
		t.Errorf("Success() without ActionID = %q", m)
	}
	if m := OriginateResponse(ami.NewMessage("Channel", "PJSIP/9"), ReasonBusy); m.Response() != "Failure" ||
		m.Get("Reason") != "5" || m.Get("Channel") != "PJSIP/9" || m.Has("ActionID") {
		t.Errorf("failed OriginateResponse = %s", m)
	}
	var perr *ami.ParseError
	if err := newTestServer(t).Replay(strings.NewReader("Event: X\r\nY: 1")); !errors.As(err, &perr) {
		t.Errorf("truncated replay: %v", err)
	}
}
