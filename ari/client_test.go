package ari_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ccdhq/ccd/ari"
	"github.com/ccdhq/ccd/ari/aritest"
)

func TestConfigValidate(t *testing.T) {
	ok := ari.Config{URL: "http://127.0.0.1:8088", Username: "ccd", Password: "x", Application: "ccd"}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	cases := map[string]func(c *ari.Config){
		"ari: Application is required": func(c *ari.Config) { c.Application = "" },
		"ari: URL is required":         func(c *ari.Config) { c.URL = "" },
		"ari: Username is required":    func(c *ari.Config) { c.Username = "" },
		"ari: URL must be http":        func(c *ari.Config) { c.URL = "ftp://x" },
		"ari: URL has no host":         func(c *ari.Config) { c.URL = "http://" },
	}
	for want, mutate := range cases {
		c := ok
		mutate(&c)
		err := c.Validate()
		if err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("got %v, want %q", err, want)
		}
		if _, err := ari.Connect(context.Background(), c); err == nil {
			t.Errorf("Connect accepted invalid config (%s)", want)
		}
	}
}

// REST errors come back the same, whether requests go over HTTP or over
// the websocket.
func TestErrors(t *testing.T) {
	t.Run("http", func(t *testing.T) { testErrors(t, false) })
	t.Run("websocket", func(t *testing.T) { testErrors(t, true) })
}

func testErrors(t *testing.T, overWS bool) {
	sim := aritest.NewSim()
	defer sim.Close()
	ctx := testCtx(t)
	var c *ari.Client
	if overWS {
		c = overWebSocket(t, sim.Config("ccd"))
	} else {
		c = connect(t, sim.Config("ccd"))
	}
	if err := sim.WaitConnected(ctx, "ccd"); err != nil {
		t.Fatal(err)
	}
	log := record(c.Subscribe())

	check := func(err error, status int, msg, method, path string, is func(error) bool) {
		t.Helper()
		var e *ari.Error
		if !errors.As(err, &e) {
			t.Fatalf("error %v (%T) is not *ari.Error", err, err)
		}
		if e.StatusCode != status || e.Message != msg || e.Method != method || e.Path != path {
			t.Errorf("got %+v, want %d %q %s %s", e, status, msg, method, path)
		}
		if is != nil && !is(err) {
			t.Errorf("predicate false for %v", err)
		}
	}

	// 404: unknown channel.
	err := c.Channel("nope").Answer(ctx)
	check(err, 404, "Channel not found", "POST", "/channels/nope/answer", ari.IsNotFound)
	if err.Error() != "ari: POST /channels/nope/answer: 404 Channel not found" {
		t.Errorf("Error() = %q", err.Error())
	}
	_, err = c.Bridge("nope").Get(ctx)
	check(err, 404, "Bridge not found", "GET", "/bridges/nope", ari.IsNotFound)

	// 409: channelId reused.
	orig := ari.OriginateParams{Endpoint: "PJSIP/1001", App: "ccd", ChannelID: "agent-1"}
	if _, err := c.Originate(ctx, orig); err != nil {
		t.Fatal(err)
	}
	_, err = c.Originate(ctx, orig)
	check(err, 409, "Channel with given unique ID already exists", "POST", "/channels", ari.IsConflict)

	// 412: answering an outbound channel that is still ringing.
	err = c.Channel("agent-1").Answer(ctx)
	check(err, 409, "Channel not in Stasis application", "POST", "/channels/agent-1/answer", ari.IsConflict)
	if err := sim.Channel("agent-1").Answer(); err != nil {
		t.Fatal(err)
	}
	log.wait(t, "agent StasisStart", func(ev ari.Event) bool {
		e, is := ev.(*ari.StasisStart)
		return is && e.Channel.ID == "agent-1"
	})
	// A created (not yet dialed) channel is in Stasis but Down: 412.
	if _, err := c.CreateChannel(ctx, ari.CreateChannelParams{Endpoint: "PJSIP/1002", App: "ccd", ChannelID: "created-1"}); err != nil {
		t.Fatal(err)
	}
	err = c.Channel("created-1").Answer(ctx)
	check(err, 412, "Channel in invalid state", "POST", "/channels/created-1/answer", ari.IsPreconditionFailed)

	// 422: bridging a channel that is not in Stasis.
	if _, err := c.Originate(ctx, ari.OriginateParams{Endpoint: "PJSIP/1003", Extension: "s", ChannelID: "dialplan-1"}); err != nil {
		t.Fatal(err)
	}
	br, err := c.CreateBridge(ctx, ari.CreateBridgeParams{})
	if err != nil {
		t.Fatal(err)
	}
	err = c.Bridge(br.ID).AddChannels(ctx, "agent-1", "dialplan-1")
	check(err, 422, "Channel not in Stasis application", "POST", "/bridges/"+br.ID+"/addChannel", ari.IsUnprocessable)
	err = c.Bridge(br.ID).RemoveChannel(ctx, "agent-1")
	check(err, 422, "Channel not in this bridge", "POST", "/bridges/"+br.ID+"/removeChannel", ari.IsUnprocessable)

	// 400: invalid hangup reason.
	err = c.Channel("agent-1").Hangup(ctx, "because")
	check(err, 400, "Invalid reason for hangup reason provided", "DELETE", "/channels/agent-1", ari.IsBadRequest)

	// 500: the replay server has no recording for this request.
	rp := aritest.NewReplayFrom(nil, nil)
	defer rp.Close()
	c2 := connect(t, rp.Config("ccd"))
	_, err = c2.ListChannels(ctx)
	check(err, 500, "aritest: no recorded response for GET /channels", "GET", "/channels", nil)
	if ari.IsNotFound(err) || ari.IsConflict(err) {
		t.Error("500 matched another predicate")
	}

	// 401: bad credentials, for REST and for the websocket.
	cfg := sim.Config("other")
	cfg.Password = "wrong"
	c3 := connect(t, cfg)
	_, err = c3.ListChannels(ctx)
	check(err, 401, "Authentication required", "GET", "/channels", nil)
	deadline := time.Now().Add(5 * time.Second)
	for c3.Status().LastError == nil && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if st := c3.Status(); st.Connected || statusCode(st.LastError) != 401 {
		t.Errorf("status with bad credentials: %+v", st)
	}

	// Wrapped errors still match.
	wrapped := errors.Join(errors.New("context"), &ari.Error{StatusCode: 404})
	if !ari.IsNotFound(wrapped) {
		t.Error("IsNotFound through errors.Join")
	}
}

func statusCode(err error) int {
	var e *ari.Error
	if errors.As(err, &e) {
		return e.StatusCode
	}
	return 0
}

// The websocket drops mid-call: the client reconnects with backoff, calls
// OnConnect again with the calls still in the application (from GET
// /channels), and later events arrive through the same subscriptions.
func TestReconnect(t *testing.T) {
	sim := aritest.NewSim()
	defer sim.Close()
	ctx := testCtx(t)
	connects := make(chan []ari.Channel, 10)
	disconnects := make(chan error, 10)
	cfg := sim.Config("ccd")
	cfg.Backoff = ari.Backoff{Min: 20 * time.Millisecond, Max: 100 * time.Millisecond}
	cfg.OnConnect = func(ctx context.Context, c *ari.Client, inApp []ari.Channel) { connects <- inApp }
	cfg.OnDisconnect = func(err error) { disconnects <- err }
	c := connect(t, cfg)
	log := record(c.Subscribe())
	callerLog := record(c.Channel("caller-1;2").Subscribe())

	select {
	case inApp := <-connects:
		if len(inApp) != 0 {
			t.Errorf("first connect: %v", inApp)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no first connect")
	}
	if st := c.Status(); !st.Connected || st.Reconnects != 0 || st.Since.IsZero() {
		t.Errorf("status %+v", st)
	}
	caller, err := sim.NewCaller(aritest.CallerOptions{ChannelID: "caller-1", Name: "Customer", Number: "5551234", Args: []string{"inbound", "5551234"}})
	if err != nil {
		t.Fatal(err)
	}
	log.wait(t, "StasisStart", func(ev ari.Event) bool { return ev.EventType() == "StasisStart" })
	if err := c.Channel("caller-1;2").Answer(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.Channel("caller-1;2").StartMOH(ctx, ""); err != nil {
		t.Fatal(err)
	}
	// An agent being dialed, not yet in Stasis: not re-adopted.
	if _, err := c.Originate(ctx, ari.OriginateParams{Endpoint: "PJSIP/1001", App: "ccd", ChannelID: "agent-1"}); err != nil {
		t.Fatal(err)
	}

	sim.KillWebsockets()
	select {
	case err := <-disconnects:
		if err == nil {
			t.Error("OnDisconnect(nil)")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no disconnect")
	}
	var inApp []ari.Channel
	select {
	case inApp = <-connects:
	case <-time.After(5 * time.Second):
		t.Fatal("no reconnect")
	}
	ids := []string{}
	for _, ch := range inApp {
		ids = append(ids, ch.ID)
	}
	if !slices.Equal(ids, []string{"caller-1;2"}) {
		t.Errorf("re-adopted %v, want [caller-1;2]", ids)
	}
	if len(inApp) == 1 && (inApp[0].State != "Up" || inApp[0].Dialplan.AppData != "ccd,inbound,5551234") {
		t.Errorf("re-adopted channel %+v", inApp[0])
	}
	if st := c.Status(); !st.Connected || st.Reconnects != 1 || st.LastError == nil {
		t.Errorf("status after reconnect %+v", st)
	}
	if on, class := caller.MOH(); !on || class != "default" || caller.App() != "ccd" {
		t.Errorf("caller lost its state over the reconnect: moh=%v %q app=%q", on, class, caller.App())
	}

	// The caller hangs up: the events reach the old subscriptions.
	if err := caller.Hangup(16); err != nil {
		t.Fatal(err)
	}
	hr := callerLog.wait(t, "ChannelHangupRequest", func(ev ari.Event) bool { return ev.EventType() == "ChannelHangupRequest" }).(*ari.ChannelHangupRequest)
	if hr.Cause != 16 || hr.Soft {
		t.Errorf("%+v", hr)
	}
	callerLog.wait(t, "StasisEnd", func(ev ari.Event) bool { return ev.EventType() == "StasisEnd" })
	log.wait(t, "StasisEnd", func(ev ari.Event) bool { return ev.EventType() == "StasisEnd" })

	// A second drop: Reconnects counts again.
	sim.KillWebsockets()
	select {
	case <-connects:
	case <-time.After(5 * time.Second):
		t.Fatal("no second reconnect")
	}
	if st := c.Status(); st.Reconnects != 2 {
		t.Errorf("reconnects %d", st.Reconnects)
	}
}

// Asterisk is down when the client starts: Connect returns at once,
// Status reports the failures, and the client connects once Asterisk is
// up.
func TestConnectWhileDown(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens here now
	cfg := ari.Config{URL: "http://" + addr, Username: "u", Password: "p", Application: "ccd",
		Backoff: ari.Backoff{Min: 5 * time.Millisecond, Max: 20 * time.Millisecond}}
	start := time.Now()
	c, err := ari.Connect(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if time.Since(start) > time.Second {
		t.Error("Connect blocked")
	}
	deadline := time.Now().Add(5 * time.Second)
	for c.Status().LastError == nil && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if st := c.Status(); st.Connected || st.LastError == nil || st.Since.IsZero() {
		t.Errorf("status %+v", st)
	}
	_, err = c.ListChannels(testCtx(t))
	var e *ari.Error
	if err == nil || errors.As(err, &e) {
		t.Errorf("REST while down: %v", err)
	}
	done := make(chan struct{})
	go func() { c.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.Fatal("Close blocked")
	}
}

// Cancelling the context given to Connect stops the client like Close.
func TestConnectContextCancel(t *testing.T) {
	sim := aritest.NewSim()
	defer sim.Close()
	ctx, cancel := context.WithCancel(context.Background())
	c, err := ari.Connect(ctx, sim.Config("ccd"))
	if err != nil {
		t.Fatal(err)
	}
	sub := c.Subscribe()
	if err := sim.WaitConnected(testCtx(t), "ccd"); err != nil {
		t.Fatal(err)
	}
	cancel()
	select {
	case _, open := <-sub.C():
		if open {
			t.Error("event after cancel")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("subscription not closed after cancel")
	}
	if err := sim.WaitDisconnected(testCtx(t), "ccd"); err != nil {
		t.Fatal(err)
	}
	c.Close()
}

// Close leaves no goroutine behind: connection loop, reader, pinger,
// subscription pumps, HTTP connections.
func TestCloseLeavesNoGoroutines(t *testing.T) {
	base := runtime.NumGoroutine()
	func() {
		sim := aritest.NewSim(aritest.WithPlaybackDuration(10 * time.Millisecond))
		defer sim.Close()
		ctx := testCtx(t)
		cfg := sim.Config("ccd")
		cfg.PingInterval = 20 * time.Millisecond
		cfg.OnConnect = func(context.Context, *ari.Client, []ari.Channel) {}
		c, err := ari.Connect(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		subs := []*ari.Subscription{c.Subscribe(), c.Subscribe("StasisStart"), c.Channel("x;2").Subscribe()}
		log := record(c.Subscribe())
		if err := sim.WaitConnected(ctx, "ccd"); err != nil {
			t.Fatal(err)
		}
		if _, err := sim.NewCaller(aritest.CallerOptions{ChannelID: "x"}); err != nil {
			t.Fatal(err)
		}
		log.wait(t, "StasisStart", func(ev ari.Event) bool { return ev.EventType() == "StasisStart" })
		if err := c.Channel("x;2").Answer(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Channel("x;2").Play(ctx, ari.PlayParams{Media: []string{"sound:hello-world"}}); err != nil {
			t.Fatal(err)
		}
		log.wait(t, "PlaybackFinished", func(ev ari.Event) bool { return ev.EventType() == "PlaybackFinished" })
		time.Sleep(50 * time.Millisecond) // let a few pings go
		subs[2].Close()
		subs[2].Close() // idempotent
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
		c.Close() // idempotent
		for i, s := range subs {
			if _, open := <-s.C(); open {
				t.Errorf("subscription %d still open", i)
			}
		}
		<-log.done
		if s := c.Subscribe(); s != nil {
			if _, open := <-s.C(); open {
				t.Error("subscription after Close is open")
			}
		}
	}()
	http.DefaultClient.CloseIdleConnections()
	checkGoroutines(t, base)
}

// A malformed or truncated websocket message is counted and skipped; the stream
// goes on.
func TestUndecodableMessagesAreCountedAndSkipped(t *testing.T) {
	srv := aritest.NewSim()
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := ari.Connect(ctx, srv.Config("ccd"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sub := c.Subscribe()
	defer sub.Close()
	if err := srv.WaitConnected(ctx, "ccd"); err != nil {
		t.Fatal(err)
	}
	srv.SendRaw([]byte(`{"type":"StasisStart","timestamp":"2026-11-22T18:35:24.138+0000","chan`))
	srv.SendRaw([]byte(`not json at all`))
	srv.SendRaw([]byte(`{"type":"FutureEvent","timestamp":"2026-11-22T18:35:24.138+0000","application":"ccd","x":1}`))
	ev, err := sub.Next(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if u, ok := ev.(*ari.UnknownEvent); !ok || u.Type != "FutureEvent" {
		t.Fatalf("got %T %v, want the unknown event passed through", ev, ev)
	}
	if st := c.Stats(); st.Undecodable != 2 || st.Events != 1 {
		t.Fatalf("stats %+v", st)
	}
}

// A client whose Start is not closed does not connect: a standby must not
// take the Stasis application from the running instance. Once Start is
// closed it connects as any other.
func TestStartHoldsTheConnectionBack(t *testing.T) {
	sim := aritest.NewSim()
	defer sim.Close()
	start := make(chan struct{})
	cfg := sim.Config("ccd")
	cfg.Start = start
	held, err := ari.Connect(testCtx(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	// A client started after the held one connects; the held one has not
	// even tried.
	other, err := ari.Connect(testCtx(t), sim.Config("other"))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if err := sim.WaitConnected(testCtx(t), "other"); err != nil {
		t.Fatal(err)
	}
	if st := held.Status(); st.Connected || st.LastError != nil || !st.Since.IsZero() {
		t.Fatalf("held client's status %+v", st)
	}
	close(start)
	if err := sim.WaitConnected(testCtx(t), "ccd"); err != nil {
		t.Fatal(err)
	}
}

// OnEvent gets every event in order: those that arrived while OnConnect ran
// once it returns, then the later ones as they come, on this connection and
// on the next.
func TestOnEventInOrderAfterOnConnect(t *testing.T) {
	sim := aritest.NewSim()
	defer sim.Close()
	var mu sync.Mutex
	var started []string
	release := make(chan struct{})
	connects := make(chan struct{}, 10)
	cfg := sim.Config("ccd")
	cfg.Backoff = ari.Backoff{Min: 20 * time.Millisecond, Max: 100 * time.Millisecond}
	cfg.OnConnect = func(ctx context.Context, c *ari.Client, inApp []ari.Channel) {
		connects <- struct{}{}
		<-release
	}
	cfg.OnEvent = func(ev ari.Event) {
		if ss, ok := ev.(*ari.StasisStart); ok {
			mu.Lock()
			started = append(started, ss.Channel.ID)
			mu.Unlock()
		}
	}
	c := connect(t, cfg)
	seen := func() []string {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(started)
	}
	caller := func(id string) {
		t.Helper()
		if _, err := sim.NewCaller(aritest.CallerOptions{ChannelID: id, Endpoint: "PJSIP/trunk", Args: []string{"inbound", "100"}}); err != nil {
			t.Fatal(err)
		}
	}
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s; OnEvent saw %v", what, seen())
			}
			time.Sleep(time.Millisecond)
		}
	}
	<-connects
	for _, id := range []string{"c1", "c2", "c3"} {
		caller(id)
	}
	waitFor("the client to read three events", func() bool { return c.Stats().Events >= 3 })
	if s := seen(); len(s) != 0 {
		t.Fatalf("OnEvent before OnConnect returned: %v", s)
	}
	close(release)
	for _, id := range []string{"c4", "c5", "c6"} {
		caller(id)
	}
	want := []string{"c1", "c2", "c3", "c4", "c5", "c6"}
	waitFor("six StasisStarts", func() bool { return len(seen()) >= len(want) })
	if s := seen(); !slices.Equal(s, want) {
		t.Fatalf("OnEvent saw %v, want %v", s, want)
	}
	sim.KillWebsockets()
	<-connects
	caller("c7")
	waitFor("the StasisStart after the reconnection", func() bool { return len(seen()) == len(want)+1 })
}
