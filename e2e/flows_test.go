package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ccdhq/ccd/acd"
	"github.com/ccdhq/ccd/ami"
	"github.com/ccdhq/ccd/config"
	"github.com/ccdhq/ccd/eventlog"
	"github.com/ccdhq/ccd/flow"
	"github.com/ccdhq/ccd/stats"
	"github.com/ccdhq/ccd/store"
)

// FlowsDialplan is what the call-flow, callback and webhook tests need in
// Asterisk's extensions.conf besides ACDDialplan and the [agents] context. A
// caller is a Local channel pair: one half enters ccd through ccd-inbound,
// the other (the caller's phone) runs ccd-flow-callers, whose "d<keys>"
// presses the keys (w is half a second's pause) 1.5 s after ccd answered and
// then listens until ccd hangs up. ccd-flow-callback is the customer's phone
// a callback dials: it answers at once.
const FlowsDialplan = `[ccd-flow-callers]
exten => _d.,1,Wait(1.5)
 same => n,SendDTMF(${EXTEN:1})
 same => n,Wait(600)
 same => n,Hangup()

[ccd-flow-callback]
exten => _X.,1,Answer()
 same => n,Wait(600)
 same => n,Hangup()
`

// flowEnv is a test's Asterisk, ccd and AMI client for calls through flows.
type flowEnv struct {
	*env
	mc *ami.Client
}

func setupFlows(t *testing.T) *flowEnv {
	t.Helper()
	e := setup(t)
	mc := e.amiClient(t)
	e.checkDialplanText(t, FlowsDialplan, "ccd-inbound", "ccd-callers", "agents", "ccd-flow-callers", "ccd-flow-callback")
	e.cfg.API.Token = randomHex(16)
	e.cfg.API.AdminToken = randomHex(16)
	return &flowEnv{env: e, mc: mc}
}

// call places a caller from clid to dnis whose phone runs exten in context
// (ccd-flow-callers "d<keys>", or ccd-callers "talk"); it returns ccd's call
// id, the Stasis half of the Local channel pair.
func (e *flowEnv) call(t *testing.T, ctx context.Context, dnis, clid, context, exten string) string {
	t.Helper()
	id := uniq("itest-flow")
	resp, err := e.mc.Originate(ctx, ami.Action{Fields: []ami.Field{
		{Key: "Channel", Value: "Local/" + dnis + "@ccd-inbound"},
		{Key: "Context", Value: context}, {Key: "Exten", Value: exten}, {Key: "Priority", Value: "1"},
		{Key: "CallerID", Value: fmt.Sprintf(`"Caller" <%s>`, clid)},
		{Key: "ChannelId", Value: id}, {Key: "Timeout", Value: "30000"},
	}})
	if err != nil {
		t.Fatalf("originate caller %s: %v (%v)", id, err, resp)
	}
	return id + ";2"
}

// send calls ccd's REST API with a token and a JSON body.
func (e *env) send(t *testing.T, ctx context.Context, method, path, token string, body any) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://"+e.cfg.Listen+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// callRows waits until every call of ids has its CallsStat row and returns
// them by call id.
func (e *env) callRows(t *testing.T, ctx context.Context, ids ...string) map[string]map[string]any {
	t.Helper()
	var out map[string]map[string]any
	waitFor(t, 40*time.Second, "a CallsStat row for every call", func() bool {
		out = map[string]map[string]any{}
		for _, r := range e.statRows(t, ctx, "callsstat", nil) {
			if id, _ := r["ucid"].(string); id != "" {
				out[id] = r
			}
		}
		for _, id := range ids {
			if out[id] == nil {
				return false
			}
		}
		return true
	})
	return out
}

// routerRows sums flow's RouterStat rows over the day: the flow's own row
// under "" and each node's under its id.
func (e *env) routerRows(t *testing.T, ctx context.Context, flowName string) map[string]map[string]int {
	t.Helper()
	out := map[string]map[string]int{}
	for _, r := range e.statRows(t, ctx, "routerstat", nil) {
		if r["device"] != flowName {
			continue
		}
		block := ""
		if r["devicetype"] == float64(stats.DevRouterBlock) {
			block = strings.TrimPrefix(fmt.Sprint(r["block"]), flowName+"/") // stat.code names a block flow/node
		}
		m := out[block]
		if m == nil {
			m = map[string]int{}
			out[block] = m
		}
		for _, c := range []string{"offered", "answered", "abandoned"} {
			v, _ := r[c].(float64)
			m[c] += int(v)
		}
	}
	return out
}

// waitRouter waits until cond holds for flowName's RouterStat rows (the
// live aggregator follows the event log within its interval).
func (e *env) waitRouter(t *testing.T, ctx context.Context, flowName string, cond func(map[string]map[string]int) bool) map[string]map[string]int {
	t.Helper()
	var rows map[string]map[string]int
	deadline := time.Now().Add(40 * time.Second)
	for {
		rows = e.routerRows(t, ctx, flowName)
		if cond(rows) {
			return rows
		}
		if time.Now().After(deadline) {
			t.Fatalf("RouterStat of flow %s: %v", flowName, rows)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func (e *env) events(t *testing.T, kind string) []eventlog.Event {
	t.Helper()
	evs, err := e.db.Events(context.Background(), store.EventFilter{Kind: kind})
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

func endType(r map[string]any) int {
	v, _ := r["endtype"].(float64)
	return int(v)
}

// Callers press keys through a menu on the real Asterisk: a key straight to
// the queue, a key into a nested menu and its key, two invalid keys (the
// second sends the caller to the invalid destination, a queue), and silence
// (two timeouts, then a hangup node). The queued callers are answered by
// Local-channel agents; CallsStat says how each call ended and RouterStat
// counts the flow and its nodes.
func TestFlowMenuDTMF(t *testing.T) {
	e := setupFlows(t)
	e.cfg.ACD = config.ACD{
		Routes: []config.Route{{DNIS: "5553000", Flow: "menu"}},
		Queues: []config.Queue{{Code: "sales", RingTimeout: 15 * time.Second, WrapUp: time.Second}},
		Agents: []config.Agent{{ID: "1001", Endpoint: "Local/1001@agents"}, {ID: "1002", Endpoint: "Local/1002@agents"}},
		Flows: []flow.Flow{{Name: "menu", Start: "main", Nodes: []flow.Node{
			{ID: "main", Menu: &flow.Menu{Prompt: []string{"sound:welcome"}, Invalid: []string{"sound:invalid"},
				Timeout: 3 * time.Second, TimeoutRetries: 1, TimeoutDest: "bye", InvalidRetries: 1, InvalidDest: "queue:sales",
				Keys: map[string]string{"1": "queue:sales", "2": "sub"}}},
			{ID: "sub", Menu: &flow.Menu{Prompt: []string{"sound:submenu"}, Timeout: 3 * time.Second, TimeoutDest: "bye",
				InvalidDest: "bye", Keys: map[string]string{"3": "queue:sales"}}},
			{ID: "bye", Hangup: true},
		}}},
	}
	e.startDaemon(t)
	ctx := ctxT(t, 3*time.Minute)
	e.agentRequest(t, ctx, "1001", "login")
	e.agentRequest(t, ctx, "1002", "login")

	key1 := e.call(t, ctx, "5553000", "5550001", "ccd-flow-callers", "d1")
	nested := e.call(t, ctx, "5553000", "5550002", "ccd-flow-callers", "d2ww3")
	invalid := e.call(t, ctx, "5553000", "5550003", "ccd-flow-callers", "d7ww8")
	silent := e.call(t, ctx, "5553000", "5550004", "ccd-callers", "talk")

	rows := e.callRows(t, ctx, key1, nested, invalid, silent)
	for _, id := range []string{key1, nested, invalid} {
		r := rows[id]
		if endType(r) != acd.EndTalked || r["agent_id"] == nil || r["handled_on_queue_code"] != "sales" || r["router_flow"] != "menu" {
			t.Errorf("call %s should have talked to an agent of sales through flow menu: %v", id, r)
		}
	}
	if r := rows[silent]; endType(r) != acd.EndInIVR || r["router_flow"] != "menu" || r["agent_id"] != nil {
		t.Errorf("silent call %s should have ended in the flow (108): %v", silent, r)
	}
	// How each call left the menus, from the event log: the keys pressed,
	// the second invalid key, the second timeout.
	for _, left := range []struct{ call, node, reason, to string }{
		{key1, "main", "key 1", "queue:sales"}, {nested, "main", "key 2", "sub"}, {nested, "sub", "key 3", "queue:sales"},
		{invalid, "main", "invalid", "queue:sales"}, {silent, "main", "timeout", "bye"},
	} {
		e.waitEventWhere(t, "flow.node_left", left.call, 5*time.Second, func(p map[string]any) bool {
			return p["node"] == left.node && p["reason"] == left.reason && p["to"] == left.to
		})
	}

	router := e.waitRouter(t, ctx, "menu", func(r map[string]map[string]int) bool {
		return r[""]["offered"] == 4 && r["bye"]["offered"] == 1 && r["sub"]["answered"] == 1
	})
	if f := router[""]; f["abandoned"] != 0 || f["answered"] != 4 {
		t.Errorf("RouterStat of the flow: %v, want 4 offered and treated, none abandoned", f)
	}
	if m := router["main"]; m["offered"] != 4 || m["answered"] != 4 {
		t.Errorf("RouterStat of node main: %v, want 4 offered and treated", m)
	}
	if t.Failed() {
		t.Logf("RouterStat %v", router)
	}
}

// A time condition read in pbx.time_zone (one range around now, one that
// starts two hours from now: both branches are taken) leads to a day/night
// switch toggled over REST between two calls: the first call takes the
// inactive destination, the second the active one.
func TestFlowTimeConditionAndSwitch(t *testing.T) {
	e := setupFlows(t)
	const zone = "America/New_York" // not the machine's UTC: the wrong zone misses the ranges
	e.cfg.PBX.TimeZone = zone
	loc, err := time.LoadLocation(zone)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().In(loc)
	hm := func(d time.Duration) string { return now.Add(d).Format("15:04") }
	week := func(from, to time.Duration) flow.TimeGroup {
		return flow.TimeGroup{Weekly: []flow.Weekly{{Days: "sun-sat", From: hm(from), To: hm(to)}}}
	}
	e.cfg.ACD = config.ACD{
		Routes:   []config.Route{{DNIS: "5553100", Flow: "hours"}},
		Queues:   []config.Queue{{Code: "sales"}},
		Switches: []flow.Switch{{Localnumber: "100", Name: "Night service", ActiveGoto: "on", InactiveGoto: "off"}},
		Flows: []flow.Flow{{Name: "hours", Start: "open", Nodes: []flow.Node{
			{ID: "open", Time: &flow.TimeCond{Group: week(-time.Hour, time.Hour), Match: "later", NoMatch: "wrong1"}},
			{ID: "later", Time: &flow.TimeCond{Group: week(2*time.Hour, 3*time.Hour), Match: "wrong2", NoMatch: "night"}},
			{ID: "night", Switch: &flow.SwitchNode{Switch: "100"}},
			{ID: "on", Hangup: true}, {ID: "off", Hangup: true},
			{ID: "wrong1", Hangup: true}, {ID: "wrong2", Hangup: true},
		}}},
	}
	e.startDaemon(t)
	ctx := ctxT(t, 2*time.Minute)

	first := e.call(t, ctx, "5553100", "5550011", "ccd-callers", "talk")
	// A call the flow hangs up has no queue's call.ended: flow.left ends it.
	e.waitEvent(t, "flow.left", first, 15*time.Second)
	audits := len(e.events(t, "config.changed"))
	code, body := e.send(t, ctx, http.MethodPost, "/api/admin/switches/100/state", e.cfg.API.AdminToken, map[string]bool{"active": true})
	if code != http.StatusOK {
		t.Fatalf("toggle the switch: %d %s", code, body)
	}
	if n := len(e.events(t, "config.changed")); n != audits+1 {
		t.Fatalf("%d config.changed events after the toggle, want %d: every toggle is audited", n, audits+1)
	}
	second := e.call(t, ctx, "5553100", "5550012", "ccd-callers", "talk")

	rows := e.callRows(t, ctx, first, second)
	for _, id := range []string{first, second} {
		if r := rows[id]; endType(r) != acd.EndInIVR || r["router_flow"] != "hours" {
			t.Errorf("call %s should have been hung up by flow hours (108): %v", id, r)
		}
	}
	e.waitEventWhere(t, "flow.node_entered", first, 5*time.Second, func(p map[string]any) bool { return p["node"] == "off" })
	e.waitEventWhere(t, "flow.node_entered", second, 5*time.Second, func(p map[string]any) bool { return p["node"] == "on" })
	router := e.waitRouter(t, ctx, "hours", func(r map[string]map[string]int) bool {
		return r[""]["offered"] == 2 && r["on"]["offered"] == 1 && r["off"]["offered"] == 1
	})
	for _, n := range []string{"open", "later", "night"} {
		if m := router[n]; m["offered"] != 2 || m["answered"] != 2 {
			t.Errorf("RouterStat of node %s: %v, want 2 offered and treated", n, m)
		}
	}
	for _, n := range []string{"wrong1", "wrong2"} {
		if router[n]["offered"] != 0 {
			t.Errorf("a call took the wrong branch to %s: RouterStat %v", n, router)
		}
	}
}

// crmServer answers as the Flexfone PHP examples and OMniLeads' CRM do: the
// number check returns 6050 for a known caller, 1503 otherwise; the
// identification answers true for customer 1234.
type crmServer struct {
	*httptest.Server
	mu       sync.Mutex
	checks   []url.Values
	idents   []url.Values
	idAgents []string
}

func newCRMServer(t *testing.T) *crmServer {
	s := &crmServer{}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /check.php", func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.checks = append(s.checks, r.URL.Query())
		s.mu.Unlock()
		if r.URL.Query().Get("number") == "5550021" {
			fmt.Fprint(w, "6050")
			return
		}
		fmt.Fprint(w, "1503")
	})
	mux.HandleFunc("POST /identify", func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		s.mu.Lock()
		s.idents = append(s.idents, r.PostForm)
		s.idAgents = append(s.idAgents, r.UserAgent())
		s.mu.Unlock()
		dest := "false"
		if r.PostForm.Get("idContact") == "1234" {
			dest = "true"
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"status":"ok","destination":%q}`, dest)
	})
	s.Server = httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

// The HTTP integration module asks a local CRM whether the caller is known
// (goto the returned number: 6050 or 1503), and the known caller keys a
// customer id that is POSTed to the CRM as OMniLeads does (idContact) and
// routes on its true/false answer.
func TestFlowHTTPModuleAndIdentification(t *testing.T) {
	e := setupFlows(t)
	crm := newCRMServer(t)
	e.cfg.ACD = config.ACD{
		Routes: []config.Route{{DNIS: "5553200", Flow: "crm"}},
		Queues: []config.Queue{{Code: "sales"}},
		Flows: []flow.Flow{{Name: "crm", Start: "check", Nodes: []flow.Node{
			{ID: "check", HTTP: &flow.HTTP{URL: crm.URL + "/check.php?number=[callerid]&call=[uniquecallid]", Timeout: 2 * time.Second,
				Action: "goto", Goto: "1503", Returns: []string{"6050", "1503"}}},
			{ID: "6050", Identify: &flow.Identify{Prompt: []string{"sound:enter-id"}, Length: 4, Timeout: 8 * time.Second, Attempts: 1,
				Mode: "bool", URL: crm.URL + "/identify", Found: "known", NotFound: "unknown"}},
			{ID: "1503", Hangup: true}, {ID: "known", Hangup: true}, {ID: "unknown", Hangup: true},
		}}},
	}
	e.startDaemon(t)
	ctx := ctxT(t, 2*time.Minute)

	known := e.call(t, ctx, "5553200", "5550021", "ccd-flow-callers", "d1234")
	stranger := e.call(t, ctx, "5553200", "5550022", "ccd-callers", "talk")
	rows := e.callRows(t, ctx, known, stranger)
	for _, id := range []string{known, stranger} {
		if r := rows[id]; endType(r) != acd.EndInIVR || r["router_flow"] != "crm" {
			t.Errorf("call %s should have been hung up by flow crm (108): %v", id, r)
		}
	}
	// The identified customer is the call's attached data (the flow's default
	// adata: attach_data, customer_number).
	if r := rows[known]; r["adata2"] != "1234" {
		t.Errorf("identified call's Adata2 %v, want the customer id 1234: %v", r["adata2"], r)
	}
	router := e.waitRouter(t, ctx, "crm", func(r map[string]map[string]int) bool {
		return r[""]["offered"] == 2 && r["known"]["offered"] == 1 && r["1503"]["offered"] == 1
	})
	if router["check"]["offered"] != 2 || router["6050"]["offered"] != 1 || router["unknown"]["offered"] != 0 {
		t.Errorf("RouterStat of flow crm: %v", router)
	}

	crm.mu.Lock()
	defer crm.mu.Unlock()
	callIDs := map[string]string{}
	for _, q := range crm.checks {
		callIDs[q.Get("number")] = q.Get("call")
	}
	if len(crm.checks) != 2 || callIDs["5550021"] != known || callIDs["5550022"] != stranger {
		t.Errorf("number checks %v, want one per caller with its call id", crm.checks)
	}
	if len(crm.idents) != 1 || crm.idents[0].Get("idContact") != "1234" || crm.idAgents[0] != "OMniLeads" {
		t.Errorf("identification requests %v (User-Agent %v), want one idContact=1234 from OMniLeads", crm.idents, crm.idAgents)
	}
}

// Call-me-back end to end: a caller waits in a queue without a free agent,
// presses the callback key, confirms the number read back and is hung up;
// an agent logs in, its Local channel is rung first, then the customer's
// number is dialled into a context that answers; the callback ends done and
// the statistics count the offer and the call ended in the IVR.
func TestCallbackEndToEnd(t *testing.T) {
	e := setupFlows(t)
	e.cfg.ACD = config.ACD{
		Routes: []config.Route{{DNIS: "5553300", Queue: "cbq"}},
		Queues: []config.Queue{{Code: "cbq", RingTimeout: 15 * time.Second, WrapUp: time.Second}},
		Agents: []config.Agent{{ID: "1001", Endpoint: "Local/1001@agents"}},
	}
	e.cfg.Callbacks.DialEndpoint = "Local/{number}@ccd-flow-callback"
	e.cfg.Callbacks.InputTimeout = 5 * time.Second
	e.cfg.Callbacks.Queues = []config.CallbackQueue{{Queue: "cbq", OfferKey: "5", OfferEvery: 30 * time.Second,
		MaxAttempts: 2, RetryInterval: 5 * time.Second}}
	e.startDaemon(t)
	ctx := ctxT(t, 2*time.Minute)

	caller := e.call(t, ctx, "5553300", "5550031", "ccd-flow-callers", "d5ww1")
	ended := e.waitEvent(t, "call.ended", caller, 20*time.Second)
	if p := payloadOf(t, ended)["summary"].(map[string]any); p["end_type"] != float64(acd.EndInIVR) {
		t.Fatalf("the caller who took the callback: %s, want end type 108", ended.Payload)
	}
	cbs := e.callbacks(t, ctx)
	if len(cbs) != 1 || cbs[0]["number"] != "5550031" || cbs[0]["call_id"] != caller || cbs[0]["state"] != "waiting" {
		t.Fatalf("callbacks after the offer: %v", cbs)
	}

	e.agentRequest(t, ctx, "1001", "login")
	waitFor(t, 40*time.Second, "the callback done", func() bool {
		cbs = e.callbacks(t, ctx)
		return len(cbs) == 1 && cbs[0]["state"] == "done"
	})
	if cbs[0]["agent"] != "1001" || cbs[0]["attempts"] != float64(1) {
		t.Errorf("callback %v, want done by agent 1001 at the first attempt", cbs[0])
	}
	// The agent's channel was created before the customer's.
	agentUp := e.waitEventWhere(t, "pbx.channel", "", 5*time.Second, func(p map[string]any) bool {
		return strings.HasPrefix(fmt.Sprint(p["channel"]), "Local/1001@agents")
	})
	customerUp := e.waitEventWhere(t, "pbx.channel", "", 5*time.Second, func(p map[string]any) bool {
		return strings.HasPrefix(fmt.Sprint(p["channel"]), "Local/5550031@ccd-flow-callback")
	})
	if !agentUp.At.Before(customerUp.At) {
		t.Errorf("the customer was dialled at %s, before the agent's phone at %s", customerUp.At, agentUp.At)
	}

	rows := e.callRows(t, ctx, caller)
	if r := rows[caller]; endType(r) != acd.EndInIVR || r["initial_queue_code"] != "cbq" {
		t.Errorf("the original call's CallsStat: %v, want 108 in cbq", r)
	}
	var attempt map[string]any
	waitFor(t, 40*time.Second, "the callback attempt's CallsStat row", func() bool {
		for _, r := range e.statRows(t, ctx, "callsstat", nil) {
			if r["adata1"] == caller && r["calltype"] == float64(2) {
				attempt = r
			}
		}
		return attempt != nil
	})
	if attempt["agent_id"] != "1001" {
		t.Errorf("callback attempt's CallsStat: %v, want agent 1001", attempt)
	}
	waitFor(t, 40*time.Second, "DeviceStat OfferedCB and EndedInIVR of queue cbq", func() bool {
		var cb, ivr int
		for _, r := range e.statRows(t, ctx, "devicestat", url.Values{"queue": {"cbq"}}) {
			v, _ := r["offeredcb"].(float64)
			w, _ := r["endedinivr"].(float64)
			cb, ivr = cb+int(v), ivr+int(w)
		}
		return cb == 1 && ivr == 1
	})
}

func (e *env) callbacks(t *testing.T, ctx context.Context) []map[string]any {
	t.Helper()
	code, body := e.send(t, ctx, http.MethodGet, "/api/callbacks", e.cfg.API.Token, nil)
	if code != http.StatusOK {
		t.Fatalf("GET /api/callbacks: %d %s", code, body)
	}
	var out []map[string]any
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatalf("GET /api/callbacks: %v: %s", err, body)
	}
	return out
}

// hookReceiver collects the employee webhooks posted to it.
type hookReceiver struct {
	*httptest.Server
	mu   sync.Mutex
	got  []hookMessage
	seen map[string]bool
}

type hookMessage struct {
	Event  string
	Fields map[string]string
}

func newHookReceiver(t *testing.T) *hookReceiver {
	h := &hookReceiver{seen: map[string]bool{}}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var f map[string]string
		if err := json.NewDecoder(r.Body).Decode(&f); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		h.mu.Lock()
		defer h.mu.Unlock()
		if id := r.Header.Get("webhook-id"); !h.seen[id] { // at least once: drop repeats by id
			h.seen[id] = true
			h.got = append(h.got, hookMessage{Event: strings.TrimPrefix(r.URL.Path, "/"), Fields: f})
		}
	}))
	t.Cleanup(h.Close)
	return h
}

// find waits for a message of event whose fields satisfy match.
func (h *hookReceiver) find(t *testing.T, event string, match func(map[string]string) bool) map[string]string {
	t.Helper()
	var found map[string]string
	deadline := time.Now().Add(30 * time.Second)
	for found == nil {
		h.mu.Lock()
		for _, m := range h.got {
			if m.Event == event && match(m.Fields) {
				found = m.Fields
			}
		}
		got := append([]hookMessage(nil), h.got...)
		h.mu.Unlock()
		if found == nil && time.Now().After(deadline) {
			t.Fatalf("no %s webhook as wanted; received %v", event, got)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return found
}

// The employee webhooks reach a local receiver (loopback allowed by
// webhooks.allow_networks) for an ACD call answered by an agent and for a
// direct call between two extensions that only the AMI sees, with the seed's
// fields.
func TestEmployeeWebhooksOnAsterisk(t *testing.T) {
	e := setupFlows(t)
	rcv := newHookReceiver(t)
	e.queueFor(false, config.Agent{ID: "1001", Endpoint: "Local/1001@agents"})
	e.cfg.API.AdminToken = randomHex(16)
	e.cfg.Webhooks.AccountID = "4711"
	e.cfg.Webhooks.AllowNetworks = []string{"127.0.0.0/8"}
	e.cfg.Webhooks.Subscriptions = []config.WebhookSubscription{{ID: "crm", URL: rcv.URL + "/{event}", Format: "json"}}
	e.startDaemon(t)
	ctx := ctxT(t, 2*time.Minute)
	e.agentRequest(t, ctx, "1001", "login")

	caller := e.placeCaller(t, ctx, uniq("itest-hook"))
	e.waitEvent(t, "call.ended", caller, 30*time.Second)
	is := func(fs map[string]string) bool { return fs["UniqueCallId"] == caller }
	ring := rcv.find(t, "ringing", is)
	if ring["EmployeeLocalNumber"] != "1001" || ring["ANumber"] != "5551234" || ring["Calledphone"] != "1001" || ring["AccountId"] != "4711" || ring["TimeStamp"] == "" {
		t.Errorf("ringing of the ACD call: %v", ring)
	}
	if a := rcv.find(t, "answered", is); a["EmployeeLocalNumber"] != "1001" || a["ANumber"] != "5551234" {
		t.Errorf("answered of the ACD call: %v", a)
	}
	if end := rcv.find(t, "ended", is); end["CallDirection"] != "Incoming" || end["Transfer"] != "false" || end["Duration"] == "" {
		t.Errorf("ended of the ACD call: %v", end)
	}

	// 2001 dials 1002 in the plain dialplan: no Stasis, only the AMI.
	id := uniq("itest-hookdirect")
	if resp, err := e.mc.Originate(ctx, ami.Action{Name: "Originate", Fields: []ami.Field{
		{Key: "Channel", Value: "Local/2001@agents"}, {Key: "Application", Value: "Dial"},
		{Key: "Data", Value: "Local/1002@agents"}, {Key: "CallerID", Value: `"Ext 2001" <2001>`},
		{Key: "ChannelId", Value: id}, {Key: "Timeout", Value: "10000"},
	}}); err != nil {
		t.Fatalf("originate: %v (%v)", err, resp)
	}
	out := rcv.find(t, "outgoing", func(fs map[string]string) bool { return fs["EmployeeLocalNumber"] == "2001" && fs["ANumber"] == "1002" })
	direct := out["UniqueCallId"]
	if direct == "" || out["AccountId"] != "4711" {
		t.Errorf("outgoing of the direct call: %v", out)
	}
	same := func(fs map[string]string) bool { return fs["UniqueCallId"] == direct }
	// Calledphone is the local number of the employee's phone (the seed's
	// words), the phone that rang.
	if r := rcv.find(t, "ringing", same); r["EmployeeLocalNumber"] != "1002" || r["ANumber"] != "2001" || r["Calledphone"] != "1002" {
		t.Errorf("ringing of the direct call: %v", r)
	}
	// (The originate that made 2001's phone ring is a call of its own.)
	answeredBy1002 := func(fs map[string]string) bool { return same(fs) && fs["EmployeeLocalNumber"] == "1002" }
	if a := rcv.find(t, "answered", answeredBy1002); a["ANumber"] != "2001" {
		t.Errorf("answered of the direct call: %v", a)
	}
	if end := rcv.find(t, "ended", same); end["Duration"] == "" || end["Transfer"] != "false" {
		t.Errorf("ended of the direct call: %v", end)
	}
}
