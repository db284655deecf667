package toolbar_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/api"
	"github.com/ccdhq/ccd/config"
	"github.com/ccdhq/ccd/eventlog"
	"github.com/ccdhq/ccd/integrations/toolbar"
	"github.com/ccdhq/ccd/store"
	"github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus"
)

const token = "integration-token-of-the-toolbar-tests"

// fakeLive is an ACD with agents and nothing else.
type fakeLive struct{ agents []string }

func (f fakeLive) Agent(_ context.Context, id string) (ccd.AgentStatus, error) {
	for _, a := range f.agents {
		if a == id {
			return ccd.AgentStatus{ID: id, State: ccd.AgentReady}, nil
		}
	}
	return ccd.AgentStatus{}, &ccd.Error{Code: ccd.ENOTFOUND, Message: "no agent " + id}
}

func (fakeLive) Agents(context.Context) ([]ccd.AgentStatus, error) { return nil, nil }
func (fakeLive) Calls(context.Context) ([]ccd.Call, error)         { return nil, nil }
func (fakeLive) Queues(context.Context) ([]ccd.QueueStatus, error) { return nil, nil }

// noFigures is a day without calls.
type noFigures struct{}

func (noFigures) ToolbarQueues(context.Context, time.Time) (map[string]store.ToolbarQueue, error) {
	return nil, nil
}

func (noFigures) ToolbarAgents(context.Context, time.Time) (map[string]store.ToolbarAgent, error) {
	return nil, nil
}

// syncBuffer is a log that tests read while the service writes it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type rig struct {
	svc *toolbar.Service
	url string
	reg *prometheus.Registry
	log *syncBuffer
	hub *eventlog.Hub
}

// newRig serves the toolbar over real TCP: agents a1 and a2 serve queue
// sales, whose name is nameBytes long.
func newRig(t *testing.T, tb config.Toolbar, nameBytes int) *rig {
	r := &rig{reg: prometheus.NewRegistry(), log: &syncBuffer{}, hub: eventlog.NewHub()}
	acd := config.ACD{Queues: []config.Queue{{Code: "sales", Name: strings.Repeat("n", nameBytes)}},
		Agents: []config.Agent{{ID: "a1", Endpoint: "PJSIP/1001"}, {ID: "a2", Endpoint: "PJSIP/1002"}}}
	r.svc = toolbar.New(toolbar.Options{Live: fakeLive{agents: []string{"a1", "a2"}}, Figures: noFigures{},
		ACD: func() config.ACD { return acd }, Toolbar: tb, Log: slog.New(slog.NewTextHandler(r.log, nil)), Registerer: r.reg})
	srv := api.NewServer(slog.New(slog.NewTextHandler(r.log, nil)), nil, api.Options{Token: token})
	r.svc.Mount(srv)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.svc.Run(ctx, r.hub)
	}()
	t.Cleanup(func() { cancel(); <-done })
	r.url = "ws" + strings.TrimPrefix(ts.URL, "http")
	return r
}

// dial opens agent's toolbar and returns once the service has attached it:
// the handshake's answer reaches the client before the service registers the
// connection, and an event handled in between would push to no one.
func (r *rig) dial(t *testing.T, d *websocket.Dialer, agent string) *websocket.Conn {
	t.Helper()
	attached := "msg=\"toolbar connected\" part=toolbar agent=" + agent + " "
	before := strings.Count(r.log.String(), attached)
	ws, _, err := d.Dial(r.url+"/api/agents/"+agent+"/toolbar", http.Header{"Authorization": {"Bearer " + token}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.Close() })
	waitFor(t, agent+"'s toolbar attached", func() bool { return strings.Count(r.log.String(), attached) > before })
	return ws
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A toolbar that never reads is cut off once its bounded queue is full,
// with a log line and a metric; the one that reads goes on getting its
// messages.
func TestToolbarCutsAClientThatDoesNotRead(t *testing.T) {
	// Every 10 ms: the slow client fills its buffers within seconds, while the
	// one that reads keeps up even on a busy machine under the race detector.
	r := newRig(t, config.Toolbar{Interval: 10 * time.Millisecond, SendBuffer: 4}, 32<<10)
	// A small receive buffer: the kernel holds little of what is not read.
	small := &websocket.Dialer{NetDial: func(network, addr string) (net.Conn, error) {
		c, err := net.Dial(network, addr)
		if err == nil {
			_ = c.(*net.TCPConn).SetReadBuffer(4096)
		}
		return c, err
	}}
	r.dial(t, small, "a1") // and never read
	reader := r.dial(t, websocket.DefaultDialer, "a2")
	// The client that reads does so all the time, as a toolbar does: one
	// read per poll of waitFor would fall behind a 1 ms interval on a busy
	// machine and be cut too.
	var read atomic.Int64
	readErr := make(chan error, 1)
	go func() {
		for {
			if _, _, err := reader.ReadMessage(); err != nil {
				readErr <- err
				return
			}
			read.Add(1)
		}
	}()
	waitFor(t, "the slow client to be cut", func() bool {
		return strings.Contains(r.log.String(), "toolbar client not reading: disconnected")
	})
	if n := metric(t, r.reg, "ccd_toolbar_disconnects_total", "slow"); n != 1 {
		t.Fatalf("slow disconnects %v", n)
	}
	if !strings.Contains(r.log.String(), "agent=a1") {
		t.Fatalf("the log line does not name the agent: %s", r.log.String())
	}
	from := read.Load()
	waitFor(t, "the reader to get 50 more figures", func() bool { return read.Load() >= from+50 })
	select {
	case err := <-readErr:
		t.Fatalf("the client that reads lost its connection: %v", err)
	default:
	}
}

// A client switches between the queue and the agent string with a message.
func TestToolbarViewSwitch(t *testing.T) {
	r := newRig(t, config.Toolbar{Interval: 20 * time.Millisecond, SendBuffer: 64}, 5)
	ws := r.dial(t, websocket.DefaultDialer, "a1")
	var m toolbar.QueuesInfo
	if err := ws.ReadJSON(&m); err != nil || m.Data != "3|sales|nnnnn|0|0|0|0|0|0|0|0|" {
		t.Fatalf("queues view %+v %v", m, err)
	}
	if err := ws.WriteJSON(map[string]string{"view": "agent"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the agent view", func() bool {
		if err := ws.ReadJSON(&m); err != nil {
			t.Fatal(err)
		}
		return m.Data == "4|a1|0|0|0|0|0|0|0|0|"
	})
}

// metric reads a counter of the registry by its label value.
func metric(t *testing.T, reg *prometheus.Registry, name, label string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetValue() == label {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	t.Fatalf("no %s{%s}", name, label)
	return 0
}

// A browser, which cannot set Authorization on a WebSocket, offers the token
// as a subprotocol; ccd answers with the toolbar's own.
func TestToolbarTokenAsSubprotocol(t *testing.T) {
	r := newRig(t, config.Toolbar{Interval: time.Hour, SendBuffer: 8}, 5)
	d := &websocket.Dialer{Subprotocols: []string{toolbar.Subprotocol, "bearer." + token}}
	ws, resp, err := d.Dial(r.url+"/api/agents/a1/toolbar", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	if ws.Subprotocol() != toolbar.Subprotocol {
		t.Fatalf("subprotocol %q (%v)", ws.Subprotocol(), resp.Header)
	}
	var m toolbar.QueuesInfo
	if err := ws.ReadJSON(&m); err != nil || m.Event != toolbar.EventQueuesInfo {
		t.Fatalf("first message %+v %v", m, err)
	}
	d.Subprotocols = []string{toolbar.Subprotocol, "bearer.wrong-token"}
	if _, resp, err := d.Dial(r.url+"/api/agents/a1/toolbar", nil); err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("a wrong token as subprotocol: %v %v", resp, err)
	}
}

// A handshake the upgrader refuses is answered in the interfaces' error
// shape, naming the header at fault.
func TestToolbarHandshakeErrorsNameTheHeader(t *testing.T) {
	r := newRig(t, config.Toolbar{Interval: time.Hour, SendBuffer: 8}, 5)
	for _, c := range []struct {
		set   map[string]string
		field string
		want  int
	}{
		{map[string]string{"Sec-WebSocket-Version": "8", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="}, "Sec-WebSocket-Version", http.StatusBadRequest},
		{map[string]string{"Sec-WebSocket-Version": "13"}, "Sec-WebSocket-Key", http.StatusBadRequest},
		{map[string]string{"Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==", "Origin": "http://evil.example"}, "Origin", http.StatusForbidden},
	} {
		req, _ := http.NewRequest("GET", "http"+strings.TrimPrefix(r.url, "ws")+"/api/agents/a1/toolbar", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Connection", "Upgrade")
		req.Header.Set("Upgrade", "websocket")
		for k, v := range c.set {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body struct {
			Error struct{ Field string } `json:"error"`
		}
		err = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if resp.StatusCode != c.want || err != nil || body.Error.Field != c.field {
			t.Errorf("%v: HTTP %d field %q (%v), want %d naming %s", c.set, resp.StatusCode, body.Error.Field, err, c.want, c.field)
		}
	}
}
