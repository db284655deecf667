package ami_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ccdhq/ccd/ami"
	"github.com/ccdhq/ccd/ami/amitest"
)

const (
	testUser   = "ccd"
	testSecret = "ccdsecret"
	captureDir = "../testdata/captures"
)

func newServer(t *testing.T) *amitest.Server {
	t.Helper()
	srv := amitest.NewServer(testUser, testSecret)
	t.Cleanup(srv.Close)
	return srv
}

func testConfig(addr string) ami.Config {
	return ami.Config{
		Addr:          addr,
		Username:      testUser,
		Secret:        testSecret,
		ActionTimeout: 3 * time.Second,
		Backoff:       ami.Backoff{Min: 10 * time.Millisecond, Max: 50 * time.Millisecond},
		Logger:        slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
}

func connect(t *testing.T, cfg ami.Config) *ami.Client {
	t.Helper()
	c, err := ami.Connect(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// connected returns a client logged in to srv.
func connected(t *testing.T, srv *amitest.Server) *ami.Client {
	t.Helper()
	c := connect(t, testConfig(srv.Addr()))
	waitFor(t, "login", func() bool { return c.Status().Connected })
	return c
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func recv(t *testing.T, s *ami.Subscription) *ami.Message {
	t.Helper()
	select {
	case m, ok := <-s.C():
		if !ok {
			t.Fatal("subscription closed")
		}
		return m
	case <-time.After(5 * time.Second):
		t.Fatal("timed out waiting for an event")
		return nil
	}
}

// received returns the actions named name that srv has received.
func received(srv *amitest.Server, name string) []*ami.Message {
	var out []*ami.Message
	for _, m := range srv.Received() {
		if strings.EqualFold(m.Get("Action"), name) {
			out = append(out, m)
		}
	}
	return out
}

func TestConfigValidate(t *testing.T) {
	ok := ami.Config{Addr: "127.0.0.1:5038", Username: "u", Secret: "s"}
	if err := ok.Validate(); err != nil {
		t.Fatalf("valid config rejected: %v", err)
	}
	tests := []struct {
		mutate func(*ami.Config)
		want   string
	}{
		{func(c *ami.Config) { c.Addr = "" }, "ami: Addr is required"},
		{func(c *ami.Config) { c.Username = "" }, "ami: Username is required"},
		{func(c *ami.Config) { c.Secret = "" }, "ami: Secret is required"},
		{func(c *ami.Config) { c.Addr = "asterisk" }, "ami: Addr must be host:port"},
		{func(c *ami.Config) { c.DialTimeout = -1 }, "ami: DialTimeout must not be negative"},
		{func(c *ami.Config) { c.ActionTimeout = -1 }, "ami: ActionTimeout must not be negative"},
		{func(c *ami.Config) { c.PingInterval = -1 }, "ami: PingInterval must not be negative"},
		{func(c *ami.Config) { c.Backoff = ami.Backoff{Min: time.Minute, Max: time.Second} }, "ami: Backoff.Min must not exceed Backoff.Max"},
		{func(c *ami.Config) { c.Backoff.Jitter = 2 }, "ami: Backoff.Jitter must be at most 1"},
		{func(c *ami.Config) { c.Secret = "x\r\nAction: Originate" }, "ami: Secret must not contain line breaks"},
	}
	for _, tt := range tests {
		cfg := ok
		tt.mutate(&cfg)
		err := cfg.Validate()
		if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("Validate() = %v, want %q", err, tt.want)
		}
		if c, err := ami.Connect(context.Background(), cfg); err == nil || c != nil {
			t.Errorf("Connect accepted an invalid config (%s)", tt.want)
		}
	}
}

func TestClientLogin(t *testing.T) {
	srv := newServer(t)
	connects := make(chan context.Context, 4)
	cfg := testConfig(srv.Addr())
	cfg.OnConnect = func(ctx context.Context, c *ami.Client) { connects <- ctx }
	c := connect(t, cfg)

	var ctx context.Context
	select {
	case ctx = <-connects:
	case <-time.After(5 * time.Second):
		t.Fatal("OnConnect not called")
	}
	st := c.Status()
	if !st.Connected || st.Reconnects != 0 || st.Since.IsZero() {
		t.Errorf("Status() = %+v", st)
	}
	logins := received(srv, "Login")
	if len(logins) != 1 {
		t.Fatalf("server received %d logins, want 1", len(logins))
	}
	l := logins[0]
	if l.Get("Username") != testUser || l.Get("Secret") != testSecret || l.Get("Events") != "on" || l.ActionID() == "" {
		t.Errorf("unexpected Login action: %s", l)
	}
	if srv.Connections() != 1 {
		t.Errorf("server sees %d connections", srv.Connections())
	}
	c.Close()
	select {
	case <-ctx.Done():
	default:
		t.Error("OnConnect context not cancelled by Close")
	}
	if st := c.Status(); st.Connected {
		t.Error("still connected after Close")
	}
	// Close logs off politely.
	waitFor(t, "Logoff", func() bool { return len(received(srv, "Logoff")) == 1 })
}

func TestClientLoginFailure(t *testing.T) {
	srv := newServer(t)
	cfg := testConfig(srv.Addr())
	cfg.Secret = "wrong"
	var connects atomic.Int32
	cfg.OnConnect = func(context.Context, *ami.Client) { connects.Add(1) }
	c := connect(t, cfg)

	// It keeps retrying with backoff.
	waitFor(t, "three login attempts", func() bool { return len(received(srv, "Login")) >= 3 })
	st := c.Status()
	var aerr *ami.ActionError
	if st.Connected || !errors.As(st.LastError, &aerr) {
		t.Fatalf("Status() = %+v, want a login ActionError", st)
	}
	if aerr.Action != "Login" || aerr.Message.Get("Message") != "Authentication failed" {
		t.Errorf("ActionError = %+v (%v)", aerr, aerr)
	}
	if !strings.Contains(st.LastError.Error(), "Authentication failed") {
		t.Errorf("LastError = %q", st.LastError)
	}
	if _, err := c.Action(context.Background(), ami.Action{Name: "Ping"}); !errors.Is(err, ami.ErrNotConnected) {
		t.Errorf("Action while not logged in: %v, want ErrNotConnected", err)
	}
	if connects.Load() != 0 {
		t.Error("OnConnect called without a successful login")
	}
	if got := c.Stats().Dials; got < 3 {
		t.Errorf("Stats().Dials = %d", got)
	}
}

func TestClientAsteriskDown(t *testing.T) {
	srv := amitest.NewServer(testUser, testSecret)
	addr := srv.Addr()
	srv.Close() // nothing listens there any more

	cfg := testConfig(addr)
	cfg.Backoff = ami.Backoff{Min: 10 * time.Second, Max: time.Minute}
	c := connect(t, cfg)
	waitFor(t, "dial error", func() bool { return c.Status().LastError != nil })
	if err := c.Status().LastError; !strings.Contains(err.Error(), "dial") {
		t.Errorf("LastError = %v, want a dial error", err)
	}
	if _, err := c.Ping(context.Background()); !errors.Is(err, ami.ErrNotConnected) {
		t.Errorf("Ping: %v, want ErrNotConnected", err)
	}
	// Close interrupts the (10 s) backoff wait.
	start := time.Now()
	c.Close()
	if d := time.Since(start); d > time.Second {
		t.Errorf("Close took %v", d)
	}
	if _, err := c.Ping(context.Background()); !errors.Is(err, ami.ErrClosed) {
		t.Errorf("Ping after Close: %v, want ErrClosed", err)
	}
}

func TestClientPing(t *testing.T) {
	srv := newServer(t)
	c := connected(t, srv)
	rtt, err := c.Ping(context.Background())
	if err != nil || rtt <= 0 {
		t.Fatalf("Ping() = %v, %v", rtt, err)
	}
	resp, err := c.Action(context.Background(), ami.Action{Name: "Ping"})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Response() != "Success" || resp.Get("Ping") != "Pong" || resp.Get("Timestamp") == "" {
		t.Errorf("unexpected Ping response %s", resp)
	}
	if n := len(received(srv, "Ping")); n != 2 {
		t.Errorf("server received %d pings, want 2", n)
	}
}

func TestClientActionErrors(t *testing.T) {
	srv := newServer(t)
	c := connected(t, srv)
	ctx := context.Background()

	resp, err := c.Action(ctx, ami.Action{Name: "NoSuchAction"})
	var aerr *ami.ActionError
	if !errors.As(err, &aerr) || aerr.Action != "NoSuchAction" || resp == nil || resp.Response() != "Error" {
		t.Fatalf("got %v, %v; want an ActionError with the response", resp, err)
	}
	if !strings.Contains(err.Error(), "Invalid/unknown command") {
		t.Errorf("error %q does not carry Asterisk's message", err)
	}

	// A line break in a value would inject fields or whole actions.
	_, err = c.Action(ctx, ami.Action{Name: "Setvar", Fields: []ami.Field{
		{Key: "Variable", Value: "X"}, {Key: "Value", Value: "1\r\n\r\nAction: Originate"},
	}})
	if err == nil || !strings.Contains(err.Error(), "line break") {
		t.Errorf("injection attempt: %v", err)
	}
	if _, err := c.Action(ctx, ami.Action{Name: "Bad:Name"}); err == nil {
		t.Error("invalid action name accepted")
	}
	if len(received(srv, "Setvar"))+len(received(srv, "Originate")) != 0 {
		t.Error("invalid action reached the server")
	}

	// The caller's ActionID is replaced: correlation belongs to the client.
	srv.Handle("Echo", func(req *ami.Message) []*ami.Message {
		m := amitest.Success(req, "")
		m.Add("IDs", strconv.Itoa(len(req.Values("ActionID"))))
		return []*ami.Message{m}
	})
	resp, err = c.Action(ctx, ami.Action{Name: "Echo", Fields: []ami.Field{{Key: "ActionID", Value: "mine"}}})
	if err != nil || resp.Get("IDs") != "1" || resp.ActionID() == "mine" {
		t.Errorf("got %v, %v", resp, err)
	}

	// Context cancellation and the action timeout.
	srv.Handle("Silent", func(*ami.Message) []*ami.Message { return nil })
	cctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if _, err := c.Action(cctx, ami.Action{Name: "Silent"}); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("unanswered action with deadline: %v", err)
	}
	cfg := testConfig(srv.Addr())
	cfg.ActionTimeout = 50 * time.Millisecond
	c2 := connect(t, cfg)
	waitFor(t, "second client", func() bool { return c2.Status().Connected })
	if _, err := c2.Action(ctx, ami.Action{Name: "Silent"}); !errors.Is(err, ami.ErrTimeout) {
		t.Errorf("unanswered action without deadline: %v, want ErrTimeout", err)
	}
	// The connection is still usable afterwards.
	if _, err := c2.Ping(ctx); err != nil {
		t.Error(err)
	}
}

func channel(name, uniqueid string) *ami.Message {
	return ami.NewMessage("Channel", name, "ChannelState", "6", "ChannelStateDesc", "Up",
		"CallerIDNum", "2001", "CallerIDName", "Ext 2001", "Uniqueid", uniqueid, "Linkedid", uniqueid,
		"BridgeId", "", "Application", "Wait", "ApplicationData", "5", "Duration", "00:00:03")
}

func TestClientListAction(t *testing.T) {
	srv := newServer(t)
	srv.SetChannels(
		channel("Local/2001@agents-0000000c;1", "1795372633.23"),
		channel("Local/2001@agents-0000000c;2", "1795372633.24"),
		channel("Local/1002@agents-0000000d;1", "1795372634.25"),
	)
	c := connected(t, srv)
	all := c.Subscribe()
	defer all.Close()

	resp, items, err := c.ListAction(context.Background(), ami.Action{Name: "CoreShowChannels"})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Get("EventList") != "start" || resp.Get("Message") != "Channels will follow" {
		t.Errorf("response = %s", resp)
	}
	if len(items) != 3 {
		t.Fatalf("got %d channels, want 3", len(items))
	}
	for i, want := range []string{"1795372633.23", "1795372633.24", "1795372634.25"} {
		if items[i].Event() != "CoreShowChannel" || items[i].Get("Uniqueid") != want || items[i].ActionID() != resp.ActionID() {
			t.Errorf("item %d = %s", i, items[i])
		}
	}

	// An empty list.
	srv.SetChannels()
	_, items, err = c.ListAction(context.Background(), ami.Action{Name: "CoreShowChannels"})
	if err != nil || len(items) != 0 {
		t.Errorf("empty list: %d items, %v", len(items), err)
	}

	// An error response ends the action at once.
	srv.Handle("QueueStatus", func(req *ami.Message) []*ami.Message {
		return []*ami.Message{amitest.Error(req, "No such queue")}
	})
	if _, _, err := c.ListAction(context.Background(), ami.Action{Name: "QueueStatus"}); !errors.As(err, new(*ami.ActionError)) {
		t.Errorf("list error: %v", err)
	}

	// List items went to the caller only: the subscriber's next event is
	// the marker emitted now.
	srv.Emit(amitest.Event("UserEvent", "UserEvent", "marker"))
	if m := recv(t, all); m.Get("UserEvent") != "marker" {
		t.Errorf("subscriber received %s", m)
	}
}

func TestClientOriginate(t *testing.T) {
	srv := newServer(t)
	c := connected(t, srv)
	ev, err := c.Originate(context.Background(), ami.Action{Fields: []ami.Field{
		{Key: "Channel", Value: "Local/2001@agents"},
		{Key: "Application", Value: "Dial"},
		{Key: "Data", Value: "Local/1002@agents,20"},
		{Key: "CallerID", Value: `"Ext 2001" <2001>`},
		{Key: "Async", Value: "false"},
		{Key: "Timeout", Value: "20000"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if ev.Event() != "OriginateResponse" || ev.Response() != "Success" || ev.Get("Reason") != "4" ||
		!strings.HasPrefix(ev.Get("Channel"), "Local/2001@agents-") || !strings.HasSuffix(ev.Get("Channel"), ";1") ||
		ev.Get("CallerIDNum") != "2001" || ev.Get("CallerIDName") != "Ext 2001" || ev.Get("Application") != "Dial" {
		t.Errorf("unexpected OriginateResponse %s", ev)
	}
	reqs := received(srv, "Originate")
	if len(reqs) != 1 {
		t.Fatalf("server received %d originates", len(reqs))
	}
	if got := reqs[0].Values("Async"); len(got) != 1 || got[0] != "true" {
		t.Errorf("Async fields sent: %q, want exactly [true]", got)
	}
	if reqs[0].ActionID() != ev.ActionID() {
		t.Error("event and request ActionIDs differ")
	}
}

func TestClientOriginateFailure(t *testing.T) {
	srv := newServer(t)
	c := connected(t, srv)
	ctx := context.Background()

	srv.Handle("Originate", func(req *ami.Message) []*ami.Message {
		return []*ami.Message{amitest.Success(req, "Originate successfully queued"), amitest.OriginateResponse(req, amitest.ReasonBusy)}
	})
	ev, err := c.Originate(ctx, ami.Action{Name: "Originate", Fields: []ami.Field{
		{Key: "Channel", Value: "PJSIP/1001"}, {Key: "Context", Value: "agents"}, {Key: "Exten", Value: "1001"}, {Key: "Priority", Value: "1"},
	}})
	var oerr *ami.OriginateError
	if !errors.As(err, &oerr) || oerr.Reason != 5 || ev == nil || ev.Response() != "Failure" {
		t.Fatalf("got %v, %v; want an OriginateError with reason 5", ev, err)
	}
	if !strings.Contains(err.Error(), "busy") || !strings.Contains(err.Error(), "PJSIP/1001") {
		t.Errorf("error text %q", err)
	}

	// A missing channel is refused by the response itself.
	srv.Handle("Originate", nil)
	if _, err := c.Originate(ctx, ami.Action{}); !errors.As(err, new(*ami.ActionError)) {
		t.Errorf("Originate without channel: %v, want ActionError", err)
	}
	if _, err := c.Originate(ctx, ami.Action{Name: "Hangup"}); err == nil {
		t.Error("Originate accepted another action")
	}
}

// TestClientOriginateInterleaved runs several originates whose responses come
// back late, out of order, surrounded by other events, other clients'
// OriginateResponse events and concurrent actions; each caller must get its
// own OriginateResponse.
func TestClientOriginateInterleaved(t *testing.T) {
	srv := newServer(t)
	var wg sync.WaitGroup
	t.Cleanup(wg.Wait)
	srv.Handle("Originate", func(req *ami.Message) []*ami.Message {
		n, _ := strconv.Atoi(strings.TrimPrefix(req.Get("Channel"), "PJSIP/"))
		wg.Add(1)
		go func() {
			defer wg.Done()
			time.Sleep(time.Duration(20-n) * 5 * time.Millisecond) // later requests finish first
			srv.Emit(amitest.Event("Newchannel", "Channel", req.Get("Channel")+"-00000001"))
			foreign := req.Clone()
			foreign.Set("ActionID", "someone-else-"+req.ActionID())
			srv.Emit(amitest.OriginateResponse(foreign, amitest.ReasonCongestion))
			srv.Emit(amitest.Event("VarSet", "Variable", "X", "Value", "1"))
			reason := amitest.ReasonAnswered
			if n%4 == 0 {
				reason = amitest.ReasonNoAnswer
			}
			srv.Emit(amitest.OriginateResponse(req, reason))
		}()
		return []*ami.Message{amitest.Success(req, "Originate successfully queued")}
	})
	c := connected(t, srv)
	events := c.Subscribe("OriginateResponse")
	defer events.Close()

	var cw sync.WaitGroup
	errs := make(chan error, 100)
	for n := 1; n <= 12; n++ {
		cw.Add(1)
		go func() {
			defer cw.Done()
			want := fmt.Sprintf("PJSIP/%d", n)
			ev, err := c.Originate(context.Background(), ami.Action{Fields: []ami.Field{
				{Key: "Channel", Value: want}, {Key: "Application", Value: "Wait"}, {Key: "Data", Value: "1"},
			}})
			var oerr *ami.OriginateError
			switch {
			case n%4 == 0 && (!errors.As(err, &oerr) || oerr.Reason != amitest.ReasonNoAnswer):
				errs <- fmt.Errorf("originate %d: %v, want no-answer failure", n, err)
			case n%4 != 0 && err != nil:
				errs <- fmt.Errorf("originate %d: %v", n, err)
			case ev == nil || !strings.HasPrefix(ev.Get("Channel"), want):
				errs <- fmt.Errorf("originate %d got the response for %s", n, ev.Get("Channel"))
			}
		}()
		cw.Add(1)
		go func() { // unrelated traffic on the same connection
			defer cw.Done()
			if _, err := c.Ping(context.Background()); err != nil {
				errs <- err
			}
		}()
	}
	cw.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	// Subscribers see every OriginateResponse, ours and foreign ones.
	for i := 0; i < 24; i++ {
		recv(t, events)
	}
}

func TestClientConcurrentActions(t *testing.T) {
	srv := newServer(t)
	srv.Handle("Echo", func(req *ami.Message) []*ami.Message {
		m := amitest.Success(req, "")
		m.Add("Echo", req.Get("Value"))
		return []*ami.Message{m}
	})
	c := connected(t, srv)
	const workers, each = 50, 20
	var wg sync.WaitGroup
	var failures atomic.Int32
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				v := fmt.Sprintf("%d/%d", w, i)
				resp, err := c.Action(context.Background(), ami.Action{Name: "Echo", Fields: []ami.Field{{Key: "Value", Value: v}}})
				if err != nil || resp.Get("Echo") != v {
					if failures.Add(1) < 5 {
						t.Errorf("sent %s, got %v, %v", v, resp, err)
					}
				}
			}
		}()
	}
	wg.Wait()
	echoes := received(srv, "Echo")
	if len(echoes) != workers*each {
		t.Fatalf("server received %d actions, want %d", len(echoes), workers*each)
	}
	ids := make(map[string]bool)
	for _, m := range echoes {
		ids[m.ActionID()] = true
	}
	if len(ids) != workers*each {
		t.Errorf("%d distinct ActionIDs for %d actions", len(ids), workers*each)
	}
	if got := c.Stats().Responses; got < workers*each {
		t.Errorf("Stats().Responses = %d", got)
	}
}

func TestClientSubscribeFiltering(t *testing.T) {
	srv := newServer(t)
	c := connected(t, srv)
	hangups := c.Subscribe("Hangup")
	defer hangups.Close()
	calls := c.Subscribe("Newchannel", "Hangup")
	defer calls.Close()

	// A round trip ensures the post-login FullyBooted has been read (and
	// skipped) before counting.
	if _, err := c.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
	before := c.Stats()
	for i := 1; i <= 3; i++ {
		seq := strconv.Itoa(i)
		srv.Emit(amitest.Event("VarSet", "Seq", seq))
		srv.Emit(amitest.Event("Newchannel", "Seq", seq))
		srv.Emit(amitest.Event("Newexten", "Seq", seq))
		srv.Emit(amitest.Event("Hangup", "Seq", seq))
		srv.Emit(amitest.Event("hangup", "Seq", seq)) // names are exact
	}
	for i := 1; i <= 3; i++ {
		seq := strconv.Itoa(i)
		if m := recv(t, hangups); m.Event() != "Hangup" || m.Get("Seq") != seq {
			t.Errorf("hangups got %s", m)
		}
		if m := recv(t, calls); m.Event() != "Newchannel" || m.Get("Seq") != seq {
			t.Errorf("calls got %s, want Newchannel %s", m, seq)
		}
		if m := recv(t, calls); m.Event() != "Hangup" || m.Get("Seq") != seq {
			t.Errorf("calls got %s, want Hangup %s", m, seq)
		}
	}
	// A final marker guarantees that everything before it has been read.
	srv.Emit(amitest.Event("Hangup", "Seq", "end"))
	recv(t, calls)
	if m := recv(t, hangups); m.Get("Seq") != "end" {
		t.Errorf("hangups got %s, want the end marker", m)
	}
	after := c.Stats()
	// VarSet, Newexten and "hangup" were dropped before parsing.
	if skipped := after.Skipped - before.Skipped; skipped != 9 {
		t.Errorf("%d frames skipped, want 9", skipped)
	}
	if got := after.Events - before.Events; got != 7 {
		t.Errorf("%d events dispatched, want 7", got)
	}

	// Once a subscriber wants everything, nothing is skipped.
	all := c.Subscribe()
	defer all.Close()
	srv.Emit(amitest.Event("VarSet", "Seq", "4"))
	if m := recv(t, all); m.Event() != "VarSet" {
		t.Errorf("all-events subscriber got %s", m)
	}
	if c.Stats().Skipped != after.Skipped {
		t.Error("frame skipped although a subscriber wants all events")
	}

	// A closed subscription stops receiving and its channel is closed.
	hangups.Close()
	hangups.Close() // idempotent
	if !drainsToClose(hangups, time.Second) {
		t.Error("closed subscription's channel not closed")
	}
}

// TestClientReplayCapture plays every capture through the fake server and
// checks that a subscriber receives all of its events, unchanged and in
// order.
func TestClientReplayCapture(t *testing.T) {
	paths, _ := filepath.Glob(filepath.Join(captureDir, "*.ami.txt"))
	if len(paths) == 0 {
		t.Fatal("no captures")
	}
	srv := newServer(t)
	c := connected(t, srv)
	for _, path := range paths {
		t.Run(filepath.Base(path), func(t *testing.T) {
			want := captureEvents(t, path)
			sub := c.Subscribe()
			defer sub.Close()
			// Skip anything emitted before this subscription existed.
			srv.Emit(amitest.Event("UserEvent", "UserEvent", "start "+path))
			for m := recv(t, sub); m.Get("UserEvent") != "start "+path; m = recv(t, sub) {
			}
			if err := srv.ReplayFile(path); err != nil {
				t.Fatal(err)
			}
			for i, w := range want {
				got := recv(t, sub)
				if got.String() != w.String() {
					t.Fatalf("event %d:\n got %s\nwant %s", i, got, w)
				}
			}
			srv.Emit(amitest.Event("UserEvent", "UserEvent", "end"))
			if m := recv(t, sub); m.Get("UserEvent") != "end" {
				t.Errorf("extra event after the capture: %s", m)
			}
		})
	}
}

func captureEvents(t *testing.T, path string) []*ami.Message {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rd := ami.NewReader(f)
	var evs []*ami.Message
	for {
		m, err := rd.ReadMessage()
		if err == io.EOF {
			return evs
		}
		if err != nil {
			t.Fatal(err)
		}
		if m.Event() != "" {
			evs = append(evs, m)
		}
	}
}

// TestClientSlowSubscriber checks that a consumer that does not read blocks
// neither the connection nor other subscribers, and loses nothing.
func TestClientSlowSubscriber(t *testing.T) {
	srv := newServer(t)
	c := connected(t, srv)
	slow := c.Subscribe("UserEvent")
	defer slow.Close()
	fast := c.Subscribe("UserEvent")
	defer fast.Close()

	const n = 20000
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < n; i++ {
			srv.Emit(amitest.Event("UserEvent", "Seq", strconv.Itoa(i)))
		}
	}()
	for i := 0; i < n; i++ {
		if m := recv(t, fast); m.Get("Seq") != strconv.Itoa(i) {
			t.Fatalf("fast subscriber: event %d has Seq %s", i, m.Get("Seq"))
		}
	}
	<-done
	if _, err := c.Ping(context.Background()); err != nil {
		t.Fatalf("connection blocked by a slow subscriber: %v", err)
	}
	if p := slow.Pending(); p < n-100 {
		t.Errorf("slow subscriber backlog %d, want about %d", p, n)
	}
	if b := c.Stats().Backlog; b < n-100 {
		t.Errorf("Stats().Backlog = %d", b)
	}
	for i := 0; i < n; i++ {
		if m := recv(t, slow); m.Get("Seq") != strconv.Itoa(i) {
			t.Fatalf("slow subscriber: event %d has Seq %s", i, m.Get("Seq"))
		}
	}
	// The count drops just after each send completes.
	waitFor(t, "no backlog after draining", func() bool { return slow.Pending() == 0 })
}

func TestClientReconnect(t *testing.T) {
	srv := newServer(t)
	srv.SetChannels(channel("PJSIP/1001-00000001", "1795372633.1"))
	srv.Handle("Silent", func(*ami.Message) []*ami.Message { return nil })
	resynced := make(chan int, 4)
	disconnects := make(chan error, 4)
	cfg := testConfig(srv.Addr())
	cfg.OnConnect = func(ctx context.Context, c *ami.Client) {
		_, chans, err := c.ListAction(ctx, ami.Action{Name: "CoreShowChannels"})
		if err != nil {
			t.Errorf("resync: %v", err)
		}
		resynced <- len(chans)
	}
	cfg.OnDisconnect = func(err error) { disconnects <- err }
	c := connect(t, cfg)
	sub := c.Subscribe("UserEvent")
	defer sub.Close()

	if n := <-resynced; n != 1 {
		t.Errorf("first resync saw %d channels", n)
	}
	srv.Emit(amitest.Event("UserEvent", "Seq", "1"))
	if m := recv(t, sub); m.Get("Seq") != "1" {
		t.Fatalf("got %s", m)
	}

	// An action in flight when the connection drops fails at once.
	pending := make(chan error, 1)
	go func() {
		_, err := c.Action(context.Background(), ami.Action{Name: "Silent"})
		pending <- err
	}()
	waitFor(t, "Silent action", func() bool { return len(received(srv, "Silent")) == 1 })
	srv.KillConnections()
	select {
	case err := <-pending:
		if !errors.Is(err, ami.ErrConnectionLost) {
			t.Errorf("pending action failed with %v, want ErrConnectionLost", err)
		}
	case <-time.After(time.Second):
		t.Fatal("pending action not failed by the disconnection")
	}
	select {
	case err := <-disconnects:
		if err == nil {
			t.Error("OnDisconnect got a nil error")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("OnDisconnect not called")
	}

	select {
	case <-resynced:
	case <-time.After(5 * time.Second):
		t.Fatal("OnConnect not called again after reconnecting")
	}
	st := c.Status()
	if !st.Connected || st.Reconnects != 1 || st.LastError == nil {
		t.Errorf("Status() = %+v", st)
	}
	if got := c.Stats().Reconnects; got != 1 {
		t.Errorf("Stats().Reconnects = %d", got)
	}
	if n := len(received(srv, "Login")); n != 2 {
		t.Errorf("%d logins, want 2", n)
	}
	// The same subscription keeps receiving after the reconnection.
	srv.Emit(amitest.Event("UserEvent", "Seq", "2"))
	if m := recv(t, sub); m.Get("Seq") != "2" {
		t.Fatalf("after reconnecting got %s", m)
	}
	c.Close()
	select {
	case err := <-disconnects:
		if !errors.Is(err, ami.ErrClosed) {
			t.Errorf("OnDisconnect at Close got %v", err)
		}
	default:
		t.Error("OnDisconnect not called by Close")
	}
}

func TestClientPingTimeout(t *testing.T) {
	srv := newServer(t)
	var pings atomic.Int32
	srv.Handle("Ping", func(req *ami.Message) []*ami.Message {
		if pings.Add(1) == 1 {
			return nil // the first keep-alive goes unanswered: a hung Asterisk
		}
		return []*ami.Message{amitest.Success(req, "")}
	})
	cfg := testConfig(srv.Addr())
	cfg.PingInterval = 20 * time.Millisecond
	cfg.ActionTimeout = 100 * time.Millisecond
	c := connect(t, cfg)
	waitFor(t, "reconnection", func() bool { return c.Status().Reconnects == 1 && c.Status().Connected })
	if err := c.Status().LastError; err == nil || !strings.Contains(err.Error(), "keep-alive") {
		t.Errorf("LastError = %v, want a keep-alive error", err)
	}
	// Pings keep flowing on the new connection.
	n := pings.Load()
	waitFor(t, "more keep-alive pings", func() bool { return pings.Load() > n+2 })
	if c.Status().Reconnects != 1 {
		t.Error("answered pings caused a reconnection")
	}
}

func TestClientEventsOff(t *testing.T) {
	srv := newServer(t)
	cfg := testConfig(srv.Addr())
	cfg.Events = "off"
	c := connect(t, cfg)
	waitFor(t, "login", func() bool { return c.Status().Connected })
	sub := c.Subscribe()
	defer sub.Close()
	srv.Emit(amitest.Event("Hangup"))
	if _, err := c.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
	select {
	case m := <-sub.C():
		t.Errorf("event delivered with Events: off: %s", m)
	case <-time.After(50 * time.Millisecond):
	}
	if l := received(srv, "Login"); len(l) != 1 || l[0].Get("Events") != "off" {
		t.Errorf("Login = %v", l)
	}
}

// drainsToClose reads s until its channel is closed, or reports false after
// timeout.
func drainsToClose(s *ami.Subscription, timeout time.Duration) bool {
	deadline := time.After(timeout)
	for {
		select {
		case _, ok := <-s.C():
			if !ok {
				return true
			}
		case <-deadline:
			return false
		}
	}
}

func TestClientCloseNoLeak(t *testing.T) {
	before := runtime.NumGoroutine()

	srv := amitest.NewServer(testUser, testSecret)
	srv.Handle("Silent", func(*ami.Message) []*ami.Message { return nil })
	cfg := testConfig(srv.Addr())
	cfg.PingInterval = 10 * time.Millisecond
	cfg.OnConnect = func(ctx context.Context, c *ami.Client) { <-ctx.Done() }
	c, err := ami.Connect(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "login", func() bool { return c.Status().Connected })
	subs := []*ami.Subscription{c.Subscribe(), c.Subscribe("Hangup"), c.Subscribe("UserEvent")}
	for i := 0; i < 100; i++ {
		srv.Emit(amitest.Event("UserEvent", "Seq", strconv.Itoa(i))) // left unread
	}
	pending := make(chan error, 1)
	go func() {
		_, err := c.Action(context.Background(), ami.Action{Name: "Silent"})
		pending <- err
	}()
	waitFor(t, "Silent action", func() bool {
		for _, m := range srv.Received() {
			if m.Get("Action") == "Silent" {
				return true
			}
		}
		return false
	})

	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-pending; !errors.Is(err, ami.ErrClosed) {
		t.Errorf("pending action: %v, want ErrClosed", err)
	}
	for i, s := range subs {
		if !drainsToClose(s, 5*time.Second) {
			t.Fatalf("subscription %d not closed by Close", i)
		}
	}
	if err := c.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, ok := <-c.Subscribe().C(); ok {
		t.Error("Subscribe after Close delivered an event")
	}
	srv.Close()

	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines before, %d after Close:\n%s", before, runtime.NumGoroutine(), buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Texts from Asterisk go to the event log, and PostgreSQL refuses NUL and invalid
// UTF-8: a subscriber (the AMI observer) gets them repaired.
func TestClientCleansNULAndInvalidUTF8(t *testing.T) {
	srv := newServer(t)
	c := connected(t, srv)
	calls := c.Subscribe("Newchannel")
	defer calls.Close()
	srv.Emit(amitest.Event("Newchannel", "Uniqueid", "u1", "CallerIDName", "Jo\x00s\xffé", "Exten\x00", "100"))
	m := recv(t, calls)
	if got := m.Get("CallerIDName"); got != "Jos\uFFFDé" {
		t.Errorf("CallerIDName %q, want %q", got, "Jos\uFFFDé")
	}
	if got := m.Get("Exten"); got != "100" {
		t.Errorf("a key with a NUL: Exten %q, want 100", got)
	}
	if got := m.Get("Uniqueid"); got != "u1" {
		t.Errorf("Uniqueid %q", got)
	}
}
