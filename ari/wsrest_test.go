package ari_test

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ccdhq/ccd/ari"
	"github.com/ccdhq/ccd/ari/aritest"
	"github.com/gorilla/websocket"
)

// overWebSocket connects with RESTOverWebSocket and waits until Asterisk
// (the fake) has answered the client's probe.
func overWebSocket(t *testing.T, cfg ari.Config) *ari.Client {
	t.Helper()
	cfg.RESTOverWebSocket = true
	c := connect(t, cfg)
	deadline := time.Now().Add(10 * time.Second)
	for !c.RESTOverWebSocket() {
		if time.Now().After(deadline) {
			t.Fatal("REST requests never went over the websocket")
		}
		time.Sleep(5 * time.Millisecond)
	}
	return c
}

// lastRequest is the last request the fake received.
func lastRequest(t *testing.T, s *aritest.Server) aritest.Request {
	t.Helper()
	reqs := s.Requests()
	if len(reqs) == 0 {
		t.Fatal("no request")
	}
	return reqs[len(reqs)-1]
}

// Requests over the websocket carry their query and body, come back as the
// same typed values and the same errors as over HTTP.
func TestRESTOverWebSocket(t *testing.T) {
	sim := aritest.NewSim()
	defer sim.Close()
	ctx := testCtx(t)
	c := overWebSocket(t, sim.Config("ccd"))

	ch, err := c.Originate(ctx, ari.OriginateParams{Endpoint: "PJSIP/1001", App: "ccd", ChannelID: "agent-1",
		Variables: map[string]string{"CCD_CALL": "c-1"}})
	if err != nil {
		t.Fatal(err)
	}
	if ch.ID != "agent-1" || ch.Name == "" {
		t.Fatalf("originate answered %+v", ch)
	}
	r := lastRequest(t, sim.Server)
	if !r.OverWebSocket || r.Method != "POST" || r.Path != "/channels" || r.Query.Get("endpoint") != "PJSIP/1001" ||
		!strings.Contains(string(r.Body), `"CCD_CALL":"c-1"`) {
		t.Fatalf("the originate reached the server as %+v (body %s)", r, r.Body)
	}
	if err := sim.Channel("agent-1").Answer(); err != nil { // into Stasis
		t.Fatal(err)
	}
	if err := c.Channel("agent-1").SetVariable(ctx, "FOO", "b a;r"); err != nil {
		t.Fatal(err)
	}
	if v, err := c.Channel("agent-1").GetVariable(ctx, "FOO"); err != nil || v != "b a;r" {
		t.Fatalf("variable %q %v", v, err)
	}
	if got := lastRequest(t, sim.Server); !got.OverWebSocket || got.Path != "/channels/agent-1/variable" {
		t.Fatalf("last request %+v", got)
	}
	// Errors are the same *ari.Error as over HTTP.
	err = c.Channel("nope").Answer(ctx)
	if err == nil || err.Error() != "ari: POST /channels/nope/answer: 404 Channel not found" || !ari.IsNotFound(err) {
		t.Fatalf("404 over the websocket: %v", err)
	}
	_, err = c.Originate(ctx, ari.OriginateParams{Endpoint: "PJSIP/1001", App: "ccd", ChannelID: "agent-1"})
	if !ari.IsConflict(err) {
		t.Fatalf("409 over the websocket: %v", err)
	}
	// A channel id with the characters Local channels have.
	if _, err := c.Channel("caller-1;2").Get(ctx); !ari.IsNotFound(err) {
		t.Fatalf("GET of an unknown Local channel: %v", err)
	}
	if got := lastRequest(t, sim.Server); !got.OverWebSocket || got.Path != "/channels/caller-1;2" {
		t.Fatalf("last request %+v", got)
	}
	// Many at once: every answer reaches its own request.
	var wg sync.WaitGroup
	errs := make(chan error, 50)
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			want := strings.Repeat("x", i)
			if err := c.Channel("agent-1").SetVariable(ctx, "V"+want, want); err != nil {
				errs <- err
				return
			}
			if v, err := c.Channel("agent-1").GetVariable(ctx, "V"+want); err != nil || v != want {
				errs <- errors.New("variable V" + want + " came back as " + v)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// An Asterisk that does not answer REST requests on the websocket (before
// 22.3) keeps the client on HTTP.
func TestRESTOverWebSocketOnAnOlderAsterisk(t *testing.T) {
	defer ari.SetProbeTimeout(200 * time.Millisecond)()
	sim := aritest.NewSim(aritest.WithoutRESTOverWebSocket())
	defer sim.Close()
	ctx := testCtx(t)
	cfg := sim.Config("ccd")
	cfg.RESTOverWebSocket = true
	c := connect(t, cfg)
	if err := sim.WaitConnected(ctx, "ccd"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(400 * time.Millisecond) // the probe's answer never comes
	if c.RESTOverWebSocket() {
		t.Fatal("the client believes Asterisk answers on the websocket")
	}
	if _, err := c.ListChannels(ctx); err != nil {
		t.Fatal(err)
	}
	if r := lastRequest(t, sim.Server); r.OverWebSocket || r.Path != "/channels" {
		t.Fatalf("last request %+v", r)
	}
}

// While the websocket is down requests go over HTTP; once it is back, over
// the websocket again.
func TestRESTOverWebSocketFallsBackWhileDisconnected(t *testing.T) {
	sim := aritest.NewSim()
	defer sim.Close()
	ctx := testCtx(t)
	cfg := sim.Config("ccd")
	cfg.Backoff = ari.Backoff{Min: time.Second, Max: time.Second, Jitter: -1}
	c := overWebSocket(t, cfg)
	sim.KillWebsockets()
	if err := sim.WaitDisconnected(ctx, "ccd"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for c.RESTOverWebSocket() && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if _, err := c.ListChannels(ctx); err != nil {
		t.Fatal(err)
	}
	if r := lastRequest(t, sim.Server); r.OverWebSocket {
		t.Fatalf("a request went to a websocket that is gone: %+v", r)
	}
	deadline = time.Now().Add(10 * time.Second)
	for !c.RESTOverWebSocket() {
		if time.Now().After(deadline) {
			t.Fatal("REST never went back to the websocket after the reconnection")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if _, err := c.ListChannels(ctx); err != nil {
		t.Fatal(err)
	}
	if r := lastRequest(t, sim.Server); !r.OverWebSocket {
		t.Fatalf("after the reconnection: %+v", r)
	}
}

// silentAsterisk answers the probe on its websocket and nothing else: a
// request then waits until its context ends or the connection drops.
type silentAsterisk struct {
	*httptest.Server
	mu    sync.Mutex
	conns []*websocket.Conn
	got   chan string // URIs of the requests received
}

func newSilentAsterisk(t *testing.T) *silentAsterisk {
	s := &silentAsterisk{got: make(chan string, 16)}
	up := websocket.Upgrader{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/ari/channels" {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte("[]"))
			return
		}
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		s.mu.Lock()
		s.conns = append(s.conns, ws)
		s.mu.Unlock()
		for {
			var m struct {
				RequestID string `json:"request_id"`
				URI       string `json:"uri"`
			}
			_, data, err := ws.ReadMessage()
			if err != nil {
				return
			}
			_ = json.Unmarshal(data, &m)
			if m.URI == "asterisk/ping" {
				_ = ws.WriteMessage(websocket.TextMessage, []byte(`{"type":"RESTResponse","transaction_id":"ccd","request_id":"`+
					m.RequestID+`","status_code":200,"reason_phrase":"OK","uri":"asterisk/ping","content_type":"application/json","message_body":"{\"ping\":\"pong\"}"}`))
				continue
			}
			s.got <- m.URI
		}
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *silentAsterisk) drop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.conns {
		c.Close()
	}
}

// A request whose connection drops before its answer fails with an error
// that says it may have been carried out (it is not sent again over HTTP:
// an originate would ring twice); one whose context ends gives the
// context's error.
func TestRESTOverWebSocketLostOrCancelledRequest(t *testing.T) {
	s := newSilentAsterisk(t)
	ctx := testCtx(t)
	c := overWebSocket(t, ari.Config{URL: s.URL, Username: "u", Password: "p", Application: "ccd",
		Backoff: ari.Backoff{Min: 10 * time.Second, Max: 10 * time.Second}})

	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	if _, err := c.Channel("a").Get(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("cancelled request: %v", err)
	}
	if uri := <-s.got; uri != "channels/a" {
		t.Fatalf("the request reached Asterisk as %q", uri)
	}

	done := make(chan error, 1)
	go func() {
		_, err := c.Originate(ctx, ari.OriginateParams{Endpoint: "PJSIP/1001", App: "ccd"})
		done <- err
	}()
	if uri := <-s.got; !strings.HasPrefix(uri, "channels?") {
		t.Fatalf("the originate reached Asterisk as %q", uri)
	}
	s.drop()
	err := <-done
	if err == nil || !strings.Contains(err.Error(), "may have been carried out") {
		t.Fatalf("request lost with its connection: %v", err)
	}
	// The next request goes over HTTP while the websocket is down.
	if _, err := c.ListChannels(ctx); err != nil {
		t.Fatal(err)
	}
}

// The fake answers the requests of a session recorded on Asterisk 22.9
// (testdata/captures/rest-over-websocket.ws.txt) as Asterisk did: the same
// status, URI and error message, and the members in the same order.
func TestAritestAnswersRESTOverWebSocketAsAsterisk(t *testing.T) {
	f, err := os.Open(captures + "rest-over-websocket.ws.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sim := aritest.NewSim()
	defer sim.Close()
	sim.SetEndpoint("Local/s@default", aritest.Behavior{Action: aritest.EndpointAnswer, Delay: time.Hour})
	cfg := sim.Config("ccd-rest-ws")
	ws, _, err := websocket.DefaultDialer.Dial(strings.Replace(cfg.URL, "http", "ws", 1)+"/ari/events?app=ccd-rest-ws",
		http.Header{"Authorization": {"Basic " + basic(cfg.Username, cfg.Password)}})
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	var sent string
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "> "):
			sent = line[2:]
			if err := ws.WriteMessage(websocket.TextMessage, []byte(sent)); err != nil {
				t.Fatal(err)
			}
		case strings.HasPrefix(line, "< "):
			want := decodeOrdered(t, []byte(line[2:]))
			got := nextResponse(t, ws)
			if got.get("status_code") != want.get("status_code") || got.get("uri") != want.get("uri") ||
				got.get("request_id") != want.get("request_id") || got.message() != want.message() {
				t.Errorf("%s\n got %s\nwant %s", sent, got.raw, want.raw)
			}
			if g, w := strings.Join(got.keys, ","), strings.Join(want.keys, ","); g != w {
				t.Errorf("%s: members %s, Asterisk wrote %s", sent, g, w)
			}
		}
	}
}

type orderedMsg struct {
	raw  string
	keys []string
	vals map[string]json.RawMessage
}

func (m orderedMsg) get(k string) string { return string(m.vals[k]) }

// message is the "message" of an error body, "" for a success.
func (m orderedMsg) message() string {
	var body string
	_ = json.Unmarshal(m.vals["message_body"], &body)
	var e struct{ Message string }
	_ = json.Unmarshal([]byte(body), &e)
	return e.Message
}

func decodeOrdered(t *testing.T, data []byte) orderedMsg {
	t.Helper()
	m := orderedMsg{raw: string(data), vals: map[string]json.RawMessage{}}
	dec := json.NewDecoder(strings.NewReader(string(data)))
	if _, err := dec.Token(); err != nil {
		t.Fatal(err)
	}
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			t.Fatal(err)
		}
		m.keys = append(m.keys, k.(string))
		m.vals[k.(string)] = v
	}
	return m
}

// nextResponse skips events up to the next RESTResponse.
func nextResponse(t *testing.T, ws *websocket.Conn) orderedMsg {
	t.Helper()
	_ = ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		_, data, err := ws.ReadMessage()
		if err != nil {
			t.Fatal(err)
		}
		if m := decodeOrdered(t, data); m.get("type") == `"RESTResponse"` {
			return m
		}
	}
}

func basic(user, pass string) string {
	return base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))
}
