package daemon_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ccdhq/ccd/ami"
	"github.com/ccdhq/ccd/ari/aritest"
	"github.com/ccdhq/ccd/config"
	"github.com/gorilla/websocket"
)

const toolbarPassword = "the-password-of-agent-a1"

// toolbarMsg is any message of the toolbar push.
type toolbarMsg struct {
	Event      string   `json:"event"`
	CLID       string   `json:"clid"`
	DNIS       string   `json:"dnis"`
	AttachData *string  `json:"attachData"`
	CallID     string   `json:"callId"`
	URLs       []string `json:"urls"`
	Data       string   `json:"data"`
	IsAnswer   *int     `json:"isAnswer"`
	IsRecorded *int     `json:"isRecorded"`
	// DefaultTransferNumber: the CRM's, when it answered Call Start.
	DefaultTransferNumber string `json:"defaultTransferNumber"`
}

// agentToken logs an agent in as the OMniLeads login does and returns its
// bearer token.
func (h *harness) agentToken(agent, password string) string {
	h.t.Helper()
	resp, err := http.Post("http://"+h.cfg.Listen+"/api/v1/login", "application/json",
		strings.NewReader(`{"username":"`+agent+`","password":"`+password+`"}`))
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	var login struct {
		Token string `json:"token"`
	}
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || json.Unmarshal(b, &login) != nil || login.Token == "" {
		h.t.Fatalf("login of %s: HTTP %d %s", agent, resp.StatusCode, b)
	}
	return login.Token
}

// dialToolbar opens the toolbar WebSocket of agent with token, over TCP to
// the daemon's HTTP server.
func (h *harness) dialToolbar(agent, token, view string) (*websocket.Conn, *http.Response, error) {
	u := "ws://" + h.cfg.Listen + "/api/agents/" + agent + "/toolbar"
	if view != "" {
		u += "?view=" + view
	}
	return websocket.DefaultDialer.Dial(u, http.Header{"Authorization": {"Bearer " + token}})
}

// asteriskLogin puts the agent of token on its phone, as the toolbar's
// login button does.
func (h *harness) asteriskLogin(token string) {
	h.t.Helper()
	if code, body := h.sendAs(token, "POST", "/api/v1/asterisk_login/", ""); code != http.StatusOK {
		h.t.Fatalf("asterisk_login: HTTP %d %s", code, body)
	}
}

// toolbarOf logs agent in with password, puts it on its phone and opens its
// toolbar in view, closed when the test ends.
func (h *harness) toolbarOf(agent, password, view string) (token string, ws *websocket.Conn) {
	h.t.Helper()
	token = h.agentToken(agent, password)
	h.asteriskLogin(token)
	ws, _, err := h.dialToolbar(agent, token, view)
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { ws.Close() })
	return token, ws
}

// next reads messages until one of event comes, failing on anything else
// than the periodic OnQueuesInfoData in between.
func next(t *testing.T, ws *websocket.Conn, event string) toolbarMsg {
	t.Helper()
	_ = ws.SetReadDeadline(time.Now().Add(20 * time.Second))
	for {
		_, b, err := ws.ReadMessage()
		if err != nil {
			t.Fatalf("waiting for %s: %v", event, err)
		}
		var m toolbarMsg
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("not JSON: %s", b)
		}
		if m.Event == event {
			return m
		}
		if m.Event != "OnQueuesInfoData" {
			t.Fatalf("waiting for %s, got %s", event, b)
		}
	}
}

// popReceiver is a CRM that takes the screen pop as a GET.
type popReceiver struct {
	mu   sync.Mutex
	reqs []*http.Request
}

func (p *popReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	p.reqs = append(p.reqs, r)
	p.mu.Unlock()
}

func (p *popReceiver) got() []*http.Request {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]*http.Request(nil), p.reqs...)
}

func newToolbarHarness(t *testing.T, crm string) *harness {
	h := newHarness(t)
	h.cfg.ACD.Agents = []config.Agent{{ID: "a1", Endpoint: "PJSIP/1001", Password: toolbarPassword},
		{ID: "a2", Endpoint: "PJSIP/1002", Password: toolbarPassword}}
	h.cfg.ACD.Queues[0].Name = "Sales Line"
	h.cfg.ACD.Queues[0].Record = true
	h.cfg.ACD.Queues[0].ScreenPop = []string{crm + "/pop?clid={CLID}&call={CALLID}&q={QUEUE}&ext={EXTENSION}"}
	h.cfg.ACD.Queues[0].ScreenPopFetch = true
	h.cfg.Toolbar.FetchAllowLoopback = true // the CRM of the test is on loopback
	h.cfg.Toolbar.Interval = 200 * time.Millisecond
	return h
}

// An agent logged in as the OMniLeads login does connects its toolbar; a
// queue call offered, answered and ended on the ARI simulation gives it
// OnScreenPopUpData (before the answer), OnCall(1) and OnCall(0) with the
// call's id; the screen pop URL is fetched once by ccd, also across a
// restart.
func TestToolbarFollowsAQueueCall(t *testing.T) {
	crm := &popReceiver{}
	srv := httptest.NewServer(crm)
	defer srv.Close()
	h := newToolbarHarness(t, srv.URL)
	h.ari.SetEndpoint("PJSIP/1001", aritest.Behavior{Action: aritest.EndpointAnswer, Delay: 300 * time.Millisecond, HangupAfter: 500 * time.Millisecond})
	h.start()
	_, ws := h.toolbarOf("a1", toolbarPassword, "")
	// At once: the figures of the queue the agent serves.
	if m := next(t, ws, "OnQueuesInfoData"); m.Data != "3|sales|Sales Line|0|0|0|0|0|0|0|0|" {
		t.Fatalf("first OnQueuesInfoData %q", m.Data)
	}

	h.callInbound()
	pop := next(t, ws, "OnScreenPopUpData")
	if h.count("call.answered") > 0 {
		t.Fatal("OnScreenPopUpData came after the answer was in the log")
	}
	var callID string
	if err := h.db.Get(&callID, `SELECT call_id FROM call_event WHERE kind = 'call.ringing'`); err != nil {
		t.Fatal(err)
	}
	wantURL := srv.URL + "/pop?clid=5551234&call=" + url.QueryEscape(callID) + "&q=Sales+Line&ext=1001"
	if pop.CLID != "5551234" || pop.DNIS != "5550100" || pop.AttachData == nil || pop.CallID != callID ||
		len(pop.URLs) != 1 || pop.URLs[0] != wantURL {
		t.Fatalf("OnScreenPopUpData %+v, want call %s and URL %s", pop, callID, wantURL)
	}
	on := next(t, ws, "OnCall")
	if on.CallID != callID || on.IsAnswer == nil || *on.IsAnswer != 1 || on.IsRecorded == nil || *on.IsRecorded != 1 {
		t.Fatalf("first OnCall %+v", on)
	}
	off := next(t, ws, "OnCall")
	if off.CallID != callID || off.IsAnswer == nil || *off.IsAnswer != 0 {
		t.Fatalf("second OnCall %+v", off)
	}
	// The figures follow the statistics: one call offered and answered.
	h.waitFor("the answered call in OnQueuesInfoData", func() bool {
		m := next(t, ws, "OnQueuesInfoData")
		f := strings.Split(m.Data, "|")
		return len(f) == 12 && f[6] == "1" && f[7] == "1"
	})

	h.waitFor("the server-side screen pop", func() bool { return len(crm.got()) == 1 })
	if got := crm.got()[0]; got.URL.RequestURI() != strings.TrimPrefix(wantURL, srv.URL) || got.Header.Get("Idempotency-Key") == "" {
		t.Fatalf("the CRM got %s (Idempotency-Key %q)", got.URL, got.Header.Get("Idempotency-Key"))
	}
	// A restart fetches nothing again.
	if err := h.stop(); err != nil {
		t.Fatal(err)
	}
	h.start()
	h.waitFor("the screen pop consumer caught up", func() bool {
		return h.metric(`ccd_consumer_lag_events{consumer="screenpop"}`) == "0"
	})
	if n := len(crm.got()); n != 1 {
		t.Fatalf("%d screen pop GETs after a restart, want 1", n)
	}
}

// A toolbar that connects (again) while its agent is on a call gets the
// call at once; the connection it replaces is closed. A token of another
// agent, or none that is valid, is refused before the upgrade.
func TestToolbarReconnectGetsThePresentAndRefusesOthers(t *testing.T) {
	crm := &popReceiver{}
	srv := httptest.NewServer(crm)
	defer srv.Close()
	h := newToolbarHarness(t, srv.URL)
	h.ari.SetEndpoint("PJSIP/1001", aritest.Behavior{Action: aritest.EndpointAnswer, Delay: 50 * time.Millisecond})
	h.start()
	token, first := h.toolbarOf("a1", toolbarPassword, "agent")
	if m := next(t, first, "OnQueuesInfoData"); m.Data != "4|a1|0|0|0|0|0|0|0|0|" {
		t.Fatalf("agent view %q", m.Data)
	}
	h.callInbound()
	next(t, first, "OnScreenPopUpData")
	on := next(t, first, "OnCall")

	second, _, err := h.dialToolbar("a1", token, "")
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	if pop := next(t, second, "OnScreenPopUpData"); pop.CallID != on.CallID || pop.CLID != "5551234" {
		t.Fatalf("present call %+v, want %s", pop, on.CallID)
	}
	if again := next(t, second, "OnCall"); again.CallID != on.CallID || *again.IsAnswer != 1 {
		t.Fatalf("present OnCall %+v", again)
	}
	_ = first.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		_, _, err := first.ReadMessage()
		if err == nil {
			continue
		}
		if !websocket.IsCloseError(err, websocket.ClosePolicyViolation) {
			t.Fatalf("the replaced connection ended with %v", err)
		}
		break
	}

	other := h.agentToken("a2", toolbarPassword)
	for _, c := range []struct {
		token string
		want  int
	}{{other, http.StatusForbidden}, {"not-a-token", http.StatusUnauthorized}} {
		_, resp, err := h.dialToolbar("a1", c.token, "")
		if err == nil || resp == nil || resp.StatusCode != c.want {
			t.Fatalf("token %q: %v %v, want HTTP %d", c.token, resp, err, c.want)
		}
	}
	if _, resp, err := h.dialToolbar("a1", token, "wallboard"); err == nil || resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("a view that does not exist: %v %v", resp, err)
	}
	// Without a WebSocket, the same present as JSON.
	code, body := h.sendAs(token, "GET", "/api/agents/a1/toolbar", "")
	if code != http.StatusOK || !strings.Contains(body, `"event":"OnScreenPopUpData"`) || !strings.Contains(body, on.CallID) {
		t.Fatalf("GET without upgrade: HTTP %d %s", code, body)
	}
}

// The screen pop URLs of a queue are set through the admin API, live: the
// next offer pops them; without them the queue pops the system defaults
// (toolbar.screen_pop). A bad template is a 400 naming it.
func TestAdminSetsTheScreenPopOfAQueue(t *testing.T) {
	h := newToolbarHarness(t, "http://crm.example")
	h.cfg.API.AdminToken = adminToken
	h.cfg.ACD.Queues[0].ScreenPop, h.cfg.ACD.Queues[0].ScreenPopFetch = nil, false
	h.cfg.Toolbar.ScreenPop = []string{"http://default.example/pop?clid={CLID}"}
	h.ari.SetEndpoint("PJSIP/1001", aritest.Behavior{Action: aritest.EndpointAnswer, Delay: 50 * time.Millisecond, HangupAfter: 50 * time.Millisecond})
	h.start()
	_, ws := h.toolbarOf("a1", toolbarPassword, "")
	// The present a connection starts with ends with OnQueuesInfoData: a call
	// placed before it could be popped by the present and again by its event.
	next(t, ws, "OnQueuesInfoData")
	call := func(id string) toolbarMsg {
		t.Helper()
		if _, err := h.ari.NewCaller(aritest.CallerOptions{Args: []string{"inbound", "5550100"}, Number: "5551234", ChannelID: id}); err != nil {
			t.Fatal(err)
		}
		pop := next(t, ws, "OnScreenPopUpData")
		next(t, ws, "OnCall")
		next(t, ws, "OnCall")
		return pop
	}
	if pop := call("c1"); len(pop.URLs) != 1 || pop.URLs[0] != "http://default.example/pop?clid=5551234" {
		t.Fatalf("the system default: %v", pop.URLs)
	}
	h.mustAdmin("PUT", "/api/admin/queues/sales", `{"name":"Sales","ring_timeout":"5s","screen_pop":["http://crm.example/a/{CLID}","http://crm.example/b?dnis={DNIS}&q={QUEUECODE}"]}`, http.StatusOK)
	if pop := call("c2"); len(pop.URLs) != 2 || pop.URLs[0] != "http://crm.example/a/5551234" || pop.URLs[1] != "http://crm.example/b?dnis=5550100&q=sales" {
		t.Fatalf("the queue's own: %v", pop.URLs)
	}
	for _, c := range []struct{ body, field string }{
		{`{"screen_pop":["http://crm.example/{CLIDX}"]}`, "screen_pop[0]"},
		{`{"screen_pop":["http://a/","http://b/","http://c/","http://d/"]}`, "screen_pop"},
		{`{"screen_pop_fetch":"yes"}`, "screen_pop_fetch"},
	} {
		code, body := h.admin("PUT", "/api/admin/queues/sales", c.body)
		var e struct {
			Error struct{ Field string } `json:"error"`
		}
		_ = json.Unmarshal([]byte(body), &e)
		if code != http.StatusBadRequest || e.Error.Field != c.field {
			t.Errorf("PUT %s: HTTP %d %s, want 400 naming %s", c.body, code, body, c.field)
		}
	}
}

// An agent's own call from its phone, seen on the AMI, gives OnCall(1)
// when the called party answers and OnCall(0) when it ends.
func TestToolbarOnCallOfAnAgentsOutboundCall(t *testing.T) {
	h := newToolbarHarness(t, "http://crm.example")
	h.start()
	// The push's series exist before anything happened, so alerts on them work.
	for _, series := range []string{"ccd_toolbar_connections", "ccd_toolbar_connects_total", "ccd_toolbar_figure_errors_total",
		`ccd_toolbar_messages_total{event="OnCall"}`, `ccd_toolbar_disconnects_total{reason="slow"}`,
		`ccd_screenpop_fetches_total{result="refused"}`} {
		if got := h.metric(series); got != "0" {
			t.Errorf("%s = %q at start, want 0", series, got)
		}
	}
	token, ws := h.toolbarOf("a1", toolbarPassword, "")
	next(t, ws, "OnQueuesInfoData")
	// Another phone's call first: not a1's.
	h.ami.Emit(ami.NewMessage("Event", "DialEnd", "Channel", "PJSIP/1009-00000001", "Uniqueid", "o0", "Linkedid", "o0",
		"CallerIDNum", "1009", "DestChannel", "PJSIP/trunk-00000002", "DestUniqueid", "o0b", "DestLinkedid", "o0",
		"DialStatus", "ANSWER", "DialString", "trunk/0049301234"))
	h.ami.Emit(ami.NewMessage("Event", "DialEnd", "Channel", "PJSIP/1001-00000003", "Uniqueid", "o1", "Linkedid", "o1",
		"CallerIDNum", "1001", "DestChannel", "PJSIP/trunk-00000004", "DestUniqueid", "o1b", "DestLinkedid", "o1",
		"DialStatus", "ANSWER", "DialString", "trunk/0049301234"))
	on := next(t, ws, "OnCall")
	if on.CallID != "o1" || *on.IsAnswer != 1 || *on.IsRecorded != 0 {
		t.Fatalf("OnCall of the outbound call %+v", on)
	}
	h.ami.Emit(ami.NewMessage("Event", "Hangup", "Channel", "PJSIP/1001-00000003", "Uniqueid", "o1", "Linkedid", "o1",
		"CallerIDNum", "1001", "Cause", "16"))
	if off := next(t, ws, "OnCall"); off.CallID != "o1" || *off.IsAnswer != 0 {
		t.Fatalf("OnCall at the end %+v", off)
	}
	// Logging out ends the agent's tokens, and the toolbar opened with one.
	if code, body := h.sendAs(token, "POST", "/api/v1/asterisk_logout/", ""); code != http.StatusOK {
		t.Fatalf("asterisk_logout: HTTP %d %s", code, body)
	}
	_ = ws.SetReadDeadline(time.Now().Add(20 * time.Second))
	for {
		_, _, err := ws.ReadMessage()
		if err == nil {
			continue
		}
		if !websocket.IsCloseError(err, websocket.ClosePolicyViolation) || !strings.Contains(err.Error(), "logged out") {
			t.Fatalf("after the logout: %v", err)
		}
		break
	}
}
