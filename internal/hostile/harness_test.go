package hostile_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ccdhq/ccd/ami/amitest"
	"github.com/ccdhq/ccd/api"
	"github.com/ccdhq/ccd/ari/aritest"
	"github.com/ccdhq/ccd/config"
	"github.com/ccdhq/ccd/daemon"
	"github.com/ccdhq/ccd/flow"
	"github.com/ccdhq/ccd/internal/daemontest"
	"github.com/ccdhq/ccd/internal/pgtest"
	"github.com/ccdhq/ccd/store"
	"github.com/ccdhq/ccd/webui"
	"golang.org/x/crypto/bcrypt"
)

const (
	integrationToken = "hostile-suite-integration-token-0123456789"
	optimusUser      = "optimus-web-service-user"
	optimusPassword  = "optimus-web-service-password-0123456789abcdef"
	flexfoneAccount  = "4711"
	flexfoneHash     = "flexfone-hash-of-the-hostile-suite-0123456789"
	adminToken       = "hostile-suite-admin-token-0123456789"
)

func agentPassword(id string) string { return "password-of-agent-" + id + "-0123456789abcdef" }

// panicLog keeps the lines of a log that mention a panic: net/http logs a
// handler's panic (and closes the connection) when nothing recovers it.
type panicLog struct {
	mu    sync.Mutex
	lines []string
}

func (p *panicLog) Write(b []byte) (int, error) {
	for _, line := range strings.Split(string(b), "\n") {
		if strings.Contains(strings.ToLower(line), "panic") {
			p.mu.Lock()
			p.lines = append(p.lines, line)
			p.mu.Unlock()
		}
	}
	return len(b), nil
}

func (p *panicLog) all() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.lines...)
}

// harness is one ccd, with its real wiring, against the fake Asterisk servers
// and a fresh database.
type harness struct {
	t      *testing.T
	cfg    config.Config
	db     *store.DB
	ari    *aritest.Sim
	srv    *api.Server
	stop   func() error
	panics *panicLog
	// client sends everything but wrong credentials; strangers sends those,
	// from another loopback address, so that throttling them does not lock
	// the suite's own client out.
	client, strangers *http.Client

	mu     sync.Mutex
	tokens map[string]string // agent id -> session token
	// uiTokens are the web interface's sessions (user -> cookie token) and
	// csrf their CSRF tokens (cookie token -> CSRF token).
	uiTokens, csrf map[string]string
	// loggingOut serialises the requests about the agent the logout routes
	// act on: a logout revokes every token of the agent, so one running
	// beside another request of that agent would fail it with a 401.
	loggingOut sync.Mutex
	callID     string
}

var agentIDs = []string{agentPause, agentOnCall, agentFinal, agentLogout, agentLogin, agentLocked, agentAdmin, adminGone}

func newHarness(t *testing.T) *harness {
	dsn := pgtest.NewEmptyDB(t)
	amiSrv := amitest.NewServer("ccd", "ami-secret-of-the-hostile-suite-0123456789")
	ariSim := aritest.NewSim(aritest.WithCredentials("ccd", "ari-secret-of-the-hostile-suite-0123456789"))
	t.Cleanup(amiSrv.Close)
	t.Cleanup(ariSim.Close)

	cfg := config.Default()
	cfg.Listen = daemontest.FreeAddr(t)
	cfg.StateDir = t.TempDir()
	cfg.Database.URL = dsn
	cfg.ARI.URL, cfg.ARI.Username, cfg.ARI.Password = ariSim.URL, "ccd", "ari-secret-of-the-hostile-suite-0123456789"
	cfg.AMI.Addr, cfg.AMI.Username, cfg.AMI.Secret = amiSrv.Addr(), "ccd", "ami-secret-of-the-hostile-suite-0123456789"
	cfg.PBX.InternalNumbers = `^[12][0-9]{3}$`
	cfg.ACD.ExtensionEndpoint = "PJSIP/{extension}"
	cfg.ACD.Queues = []config.Queue{{Code: "sales", RingTimeout: 5 * time.Second}, {Code: "support"}}
	cfg.ACD.Routes = []config.Route{{DNIS: "5550100", Queue: "sales"}}
	for _, id := range agentIDs {
		// Hashes of the lowest bcrypt cost: the suite logs in thousands of
		// times, and ccd's default cost, right for real passwords, would
		// spend minutes of the race detector's time on them.
		hash, err := bcrypt.GenerateFromPassword([]byte(agentPassword(id)), bcrypt.MinCost)
		if err != nil {
			t.Fatal(err)
		}
		cfg.ACD.Agents = append(cfg.ACD.Agents, config.Agent{ID: id, Name: "Agent " + strings.ToUpper(id),
			Endpoint: agentEndpoint(id), PasswordHash: string(hash), SIPUser: "webrtc-" + id, SIPPassword: "sip-password-of-" + id + "-0123"})
	}
	cfg.API.Token = integrationToken
	cfg.API.AdminToken = adminToken
	cfg.ACD.Queues = append(cfg.ACD.Queues, config.Queue{Code: adminGone})
	cfg.ACD.Routes = append(cfg.ACD.Routes, config.Route{DNIS: adminRouteOld, Queue: "support"})
	cfg.ACD.Groups = []config.AgentGroup{{Name: adminGroup, Agents: []string{agentAdmin}}, {Name: adminGone}}
	cfg.ACD.Activities = []config.Activity{{Code: adminActivity, Name: "Lunch"}, {Code: adminGone}}
	cfg.ACD.Agents[len(cfg.ACD.Agents)-1].Skills = map[string]int{"support": 2} // adminGone, until removed
	cfg.API.OptimusUser, cfg.API.OptimusPassword = optimusUser, optimusPassword
	cfg.Webhooks.AccountID = "4711"
	cfg.Webhooks.Subscriptions = []config.WebhookSubscription{
		{ID: webhookKept, URL: "http://192.0.2.10/hook", Format: "json", Events: []string{"outgoing"}},
		{ID: webhookGone, URL: "http://192.0.2.10/gone", Format: "get", Events: []string{"outgoing"}},
	}
	cfg.Recordings.Dir = t.TempDir()
	cfg.Recordings.Retention = []config.RetentionRule{{Queue: "sales", Days: 30}}
	cfg.ACD.Queues = append(cfg.ACD.Queues, config.Queue{Code: callbackQueue, Skills: map[string]int{"nobody-has-it": 1}})
	cfg.Callbacks.Queues = []config.CallbackQueue{{Queue: callbackQueue, MaxAttempts: 2, RetryInterval: time.Minute}}
	cfg.API.FlexfoneAccount, cfg.API.FlexfoneHash = flexfoneAccount, flexfoneHash
	cfg.Dialer.DialEndpoint = "PJSIP/{number}" // the dialer and preview campaigns run (the seeded campaigns are inactive)
	cfg.ACD.Switches = []flow.Switch{{Localnumber: adminSwitch, Name: "Night", ActiveGoto: "queue:sales", InactiveGoto: "queue:support"},
		{Localnumber: adminSwitchOld}}
	cfg.ACD.Flows = []flow.Flow{
		{Name: adminFlow, Start: "night", Nodes: []flow.Node{{ID: "night", Switch: &flow.SwitchNode{Switch: adminSwitch}}}},
		{Name: adminGone, Start: "h", Nodes: []flow.Node{{ID: "h", Hangup: true}}}}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(context.Background(), dsn, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })

	h := &harness{t: t, cfg: cfg, db: db, ari: ariSim, panics: &panicLog{}, tokens: map[string]string{},
		uiTokens: map[string]string{}, csrf: map[string]string{}}
	h.client = &http.Client{Timeout: 30 * time.Second, Transport: transport(nil)}
	h.strangers = &http.Client{Timeout: 30 * time.Second, Transport: transport(strangerAddr())}

	// net/http reports a handler's panic on the standard logger unless the
	// server has its own.
	prev := log.Writer()
	log.SetOutput(io.MultiWriter(h.panics, prev))
	t.Cleanup(func() { log.SetOutput(prev) })
	daemon.ServerHook = func(s *api.Server) { h.srv = s }
	t.Cleanup(func() { daemon.ServerHook = nil })
	logger := slog.New(slog.NewTextHandler(h.panics, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h.stop = daemontest.Start(t, cfg, logger, true)
	for _, user := range []string{uiSue, uiLeaver} {
		hash, err := webui.HashPasswordCost(uiPassword(user), bcrypt.MinCost)
		if err != nil {
			t.Fatal(err)
		}
		if err := db.PutUIUser(context.Background(), store.UIUser{Username: user, Role: "supervisor", PasswordHash: hash, Endpoint: "PJSIP/1990"}); err != nil {
			t.Fatal(err)
		}
	}
	h.seedRecording()
	return h
}

// seedRecording puts a recorded call in the statistics and its file in the
// recording directory (the daemon has migrated the database by now).
func (h *harness) seedRecording() {
	const name = "20260310-sales-hostile"
	if err := os.WriteFile(filepath.Join(h.cfg.Recordings.Dir, name+".wav"), []byte("RIFF....WAVEfmt "), 0o600); err != nil {
		h.t.Fatal(err)
	}
	if _, err := h.db.Exec(`INSERT INTO stat.callsstat (callid, calltype, clid, offeredts, endtype, ucid, recording, lastts)
		VALUES ($1, 1, $2, $3, 0, 'hostile-call', $4, $3)`, recordedCall, recordedCLID, time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC), name); err != nil {
		h.t.Fatal(err)
	}
	later := time.Now().AddDate(5, 0, 0)
	if _, err := h.db.Exec(`INSERT INTO callback (id, queue, number, origin, priority, state, place_at, max_attempts,
		retry_interval, next_attempt_at, requested_by, created_at, updated_at)
		VALUES ($1, $2, '0611223344', 'web', 5, 'waiting', now(), 2, '1 minute', $3, 'hostile', now(), now())`,
		seededCallback, callbackQueue, later); err != nil {
		h.t.Fatal(err)
	}
}

// uiToken returns the web interface session of user (a supervisor, or an
// agent id), logging in when there is none or stale is the one there is.
func (h *harness) uiToken(user, password, stale string) (string, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if tok := h.uiTokens[user]; tok != "" && tok != stale {
		return tok, nil
	}
	resp, err := h.client.PostForm(h.url("/ui/login"), url.Values{"username": {user}, "password": {password}})
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var out struct {
		CSRF string `json:"csrf"`
	}
	body, _ := io.ReadAll(resp.Body)
	var cookie string
	for _, c := range resp.Cookies() {
		if c.Name == webui.CookieName {
			cookie = c.Value
		}
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &out) != nil || cookie == "" {
		return "", fmt.Errorf("web interface login of %s: HTTP %d %s", user, resp.StatusCode, body)
	}
	h.uiTokens[user], h.csrf[cookie] = cookie, out.CSRF
	return cookie, nil
}

// uiUser is who a web interface caller of v logs in as, and the password.
func uiUser(v variant, c caller) (string, string) {
	if c == uiAgent {
		return v.agent, agentPassword(v.agent)
	}
	user := v.uiUser
	if user == "" {
		user = uiSue
	}
	return user, uiPassword(user)
}

// strangerAddr is the client address of requests without valid credentials:
// 127.0.0.2 where the system routes all of 127/8 to the loopback (Linux), and
// the default elsewhere, where throttling may then hide a few answers.
func strangerAddr() net.Addr {
	addr := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}
	ln, err := net.ListenTCP("tcp", addr)
	if err != nil {
		return nil
	}
	ln.Close()
	return addr
}

func transport(local net.Addr) *http.Transport {
	d := &net.Dialer{Timeout: 5 * time.Second, LocalAddr: local}
	return &http.Transport{DialContext: d.DialContext, MaxIdleConnsPerHost: 16, DisableCompression: true}
}

func (h *harness) url(path string) string { return "http://" + h.cfg.Listen + path }

// do sends a request with the integration token and returns status and body.
func (h *harness) do(method, path, token string, body any) (int, []byte) {
	h.t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			h.t.Fatal(err)
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, h.url(path), r)
	if err != nil {
		h.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := h.client.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// must sends a request that has to succeed.
func (h *harness) must(method, path, token string, body any) []byte {
	h.t.Helper()
	code, b := h.do(method, path, token, body)
	if code/100 != 2 {
		h.t.Fatalf("%s %s: HTTP %d %s", method, path, code, b)
	}
	return b
}

// token returns an agent's session token, logging in when it has none or
// when stale is the one it has (revoked, for instance by a logout).
func (h *harness) token(agentID, stale string) (string, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if tok := h.tokens[agentID]; tok != "" && tok != stale {
		return tok, nil
	}
	b, _ := json.Marshal(map[string]string{"username": agentID, "password": agentPassword(agentID)})
	resp, err := h.client.Post(h.url("/api/v1/login"), "application/json", bytes.NewReader(b))
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var out struct {
		Token string `json:"token"`
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &out) != nil || out.Token == "" {
		return "", fmt.Errorf("login of %s: HTTP %d %s", agentID, resp.StatusCode, body)
	}
	h.tokens[agentID] = out.Token
	return out.Token, nil
}

// connectCall puts a caller in a queue and connects it to agentOnCall.
func (h *harness) connectCall() {
	h.t.Helper()
	h.ari.SetEndpoint(agentEndpoint(agentOnCall), aritest.Behavior{Action: aritest.EndpointAnswer, Delay: 20 * time.Millisecond})
	h.must(http.MethodPost, "/api/agents/"+agentOnCall+"/login", integrationToken, map[string]string{})
	if _, err := h.ari.NewCaller(aritest.CallerOptions{Args: []string{"inbound", "5550100"}, Number: "5551234", ChannelID: "c1"}); err != nil {
		h.t.Fatal(err)
	}
	h.waitFor("the test call connected to "+agentOnCall, func() bool {
		var calls []struct {
			ID    string `json:"call_id"`
			State string `json:"state"`
			Agent string `json:"agent"`
		}
		_, b := h.do(http.MethodGet, "/api/calls", integrationToken, nil)
		_ = json.Unmarshal(b, &calls)
		for _, c := range calls {
			if c.State == "connected" && c.Agent == agentOnCall {
				h.callID = c.ID
				return true
			}
		}
		return false
	})
}

func (h *harness) waitFor(what string, cond func() bool) bool {
	h.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			h.t.Errorf("timed out after 20s waiting for %s", what)
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
	return true
}

// count counts the event log's rows of kind for agentID.
func (h *harness) count(kind, agentID string, since time.Time) int {
	var n int
	if err := h.db.Get(&n, `SELECT count(*) FROM call_event WHERE kind = $1 AND agent = $2 AND at >= $3`, kind, agentID, since); err != nil {
		h.t.Fatal(err)
	}
	return n
}

// metric reads one series from /metrics.
func (h *harness) metric(name string) string {
	_, b := h.do(http.MethodGet, "/metrics", "", nil)
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			return v
		}
	}
	return ""
}

// checkEventLogWrites proves that the event log still writes: an agent logs
// in, its event reaches PostgreSQL, nothing is left pending and no batch
// failed.
func (h *harness) checkEventLogWrites(agentID string) {
	h.t.Helper()
	since := time.Now().Add(-time.Second)
	h.must(http.MethodPost, "/api/agents/"+agentID+"/login", integrationToken, map[string]string{"endpoint": agentEndpoint(agentID)})
	if !h.waitFor("the login of "+agentID+" in call_event", func() bool { return h.count("agent.logged_in", agentID, since) > 0 }) {
		return
	}
	h.waitFor("no event pending in the writer", func() bool { return h.metric("ccd_eventlog_pending") == "0" })
	if f := h.metric("ccd_eventlog_write_failures_total"); f != "0" {
		h.t.Errorf("the event log writer failed %s batches", f)
	}
}

// checkAlive fails when the server stopped answering or logged a panic.
func (h *harness) checkAlive() {
	h.t.Helper()
	if code, b := h.do(http.MethodGet, "/healthz", "", nil); code != http.StatusOK {
		h.t.Errorf("/healthz: HTTP %d %s", code, b)
	}
	if lines := h.panics.all(); len(lines) > 0 {
		h.t.Errorf("%d log lines mention a panic; the first: %.300s", len(lines), lines[0])
	}
}

// ---- error shapes ----

// jsonError reads ccd's error shape {"error": {"code": ..., "field": ...}}.
func jsonError(body []byte) (string, bool) {
	var e struct {
		Error *struct {
			Code  string `json:"code"`
			Field string `json:"field"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &e) != nil || e.Error == nil || e.Error.Code == "" {
		return "", false
	}
	return e.Error.Field, true
}

// loginError also accepts the OMniLeads failed login (003 §18.1.1):
// {"detail": "Invalid Credentials or activate account"}.
func loginError(body []byte) (string, bool) {
	if f, ok := jsonError(body); ok {
		return f, true
	}
	var d struct {
		Detail string `json:"detail"`
	}
	return "", json.Unmarshal(body, &d) == nil && d.Detail != ""
}

// optimusError also accepts an XML answer, the AgentServices' own format;
// its text stands for the field and names it when it mentions it.
func optimusError(body []byte) (string, bool) {
	if f, ok := jsonError(body); ok {
		return f, true
	}
	var doc struct {
		Text  string `xml:",chardata"`
		Inner []byte `xml:",innerxml"`
	}
	if xml.Unmarshal(body, &doc) != nil {
		return "", false
	}
	return string(doc.Inner), true
}

// soapFault reads a SOAP fault of the dialer web service: the parameter its
// detail names.
func soapFault(body []byte) (string, bool) {
	var e struct {
		Body struct {
			Fault *struct {
				Code  string `xml:"faultcode"`
				Field string `xml:"detail>error>field"`
			} `xml:"Fault"`
		} `xml:"Body"`
	}
	if xml.Unmarshal(body, &e) != nil || e.Body.Fault == nil || e.Body.Fault.Code == "" {
		return jsonError(body)
	}
	return e.Body.Fault.Field, true
}

// omniLeadsDialerError reads the OMniLeads campaign API's errors (003
// §18.1.5-18.1.9): {"status": "ERROR", "errors": {field: ...}}, {"detail":
// ...}, or the one key that names the field ({"contact": ...},
// {"idDispositionOption": ...}).
func omniLeadsDialerError(body []byte) (string, bool) {
	if f, ok := jsonError(body); ok {
		return f, true
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) != nil || len(m) == 0 {
		return "", false
	}
	var errs map[string]json.RawMessage
	if json.Unmarshal(m["errors"], &errs) == nil && len(errs) > 0 {
		for k := range errs {
			return k, true
		}
	}
	if _, ok := m["detail"]; ok {
		return "", true
	}
	delete(m, "status")
	delete(m, "msg")
	for k := range m {
		if len(m) == 1 {
			return k, true
		}
	}
	return "", false
}

// ---- requests ----

// jsonString writes s as a JSON string, keeping invalid UTF-8 as the raw bytes
// it is (encoding/json would replace it) and control characters as \u escapes,
// as a client that wants to smuggle them would.
func jsonString(s string) []byte {
	b := []byte{'"'}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20:
			b = fmt.Appendf(b, `\u%04x`, c)
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

// request is one request of the suite: a variant with one parameter carrying
// one hostile value.
type request struct {
	v      variant
	caller caller
	p      param
	val    value
	// stranger: the request has no valid credentials; it comes from another
	// client address.
	stranger bool
}

func (r request) String() string {
	if r.p.name == "" {
		return fmt.Sprintf("%s as %s, no hostile value", r.v.route, r.caller)
	}
	return fmt.Sprintf("%s as %s, %s=%s", r.v.route, r.caller, r.p.name, r.val.name)
}

// build turns r into an HTTP request.
func (h *harness) build(r request, token string) (*http.Request, error) {
	path := r.v.path()
	q := url.Values{}
	var form url.Values
	var jsonBody [][]byte
	if r.v.body == inForm {
		form = url.Values{}
	}
	if r.v.body == inJSON {
		jsonBody = [][]byte{}
	}
	var header string
	var csvHeader, csvRow []string
	var soapParams [][2]string
	set := func(p param, text string, rawJSON string) {
		switch p.in {
		case inPath:
			seg := url.PathEscape(text)
			if p.name == "*" {
				path = strings.TrimSuffix(path, "*") + "no/such/" + seg
			} else {
				path = strings.Replace(path, ":"+p.name, seg, 1)
			}
		case inQuery:
			q.Set(p.name, text)
		case inForm:
			form.Set(p.name, text)
		case inJSON:
			v := jsonString(text)
			if rawJSON != "" {
				v = []byte(rawJSON)
			}
			jsonBody = append(jsonBody, append(append(jsonString(p.name), ':'), v...))
		case inHeader:
			header = text
		case inCSV:
			csvHeader, csvRow = append(csvHeader, p.name), append(csvRow, text)
		case inSOAP:
			soapParams = append(soapParams, [2]string{p.name, text})
		}
	}
	for _, p := range r.v.params {
		if p.name == r.p.name && p.in == r.p.in {
			continue
		}
		if (p.valid == "" && p.validJSON == "") || (p.optimusCred && r.caller != optimus) || (p.oneOf != "" && p.oneOf == r.p.oneOf) {
			continue
		}
		set(p, strings.ReplaceAll(p.valid, callIDPlaceholder, h.callID), p.validJSON)
	}
	if r.p.name != "" {
		set(r.p, r.val.text, r.val.rawJSON)
	}

	var body io.Reader
	contentType := ""
	switch {
	case form != nil:
		body, contentType = strings.NewReader(form.Encode()), "application/x-www-form-urlencoded"
	case jsonBody != nil:
		body, contentType = bytes.NewReader(append(append([]byte{'{'}, bytes.Join(jsonBody, []byte{','})...), '}')), "application/json"
	case r.v.body == inCSV:
		var b bytes.Buffer
		w := csv.NewWriter(&b)
		_ = w.Write(csvHeader)
		_ = w.Write(csvRow)
		w.Flush()
		body, contentType = &b, "text/csv"
	case r.v.body == inSOAP:
		body, contentType = strings.NewReader(soapEnvelope(r.v.soapAction, soapParams)), "text/xml; charset=utf-8"
	}
	u := h.url(path)
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequest(r.v.sendMethod(), u, body)
	if err != nil {
		return nil, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if r.v.soapAction != "" {
		req.Header.Set("SOAPAction", `"http://tempuri.org/`+r.v.soapAction+`"`)
	}
	switch {
	case r.p.in == inHeader:
		req.Header.Set("Authorization", "Bearer "+header)
	case r.caller == integration:
		req.Header.Set("Authorization", "Bearer "+integrationToken)
	case r.caller == admin:
		req.Header.Set("Authorization", "Bearer "+adminToken)
	case r.caller == agent:
		req.Header.Set("Authorization", "Bearer "+token)
	case r.caller.ui():
		req.AddCookie(&http.Cookie{Name: webui.CookieName, Value: token})
		h.mu.Lock()
		req.Header.Set(webui.CSRFHeader, h.csrf[token])
		h.mu.Unlock()
	}
	return req, nil
}

// soapEnvelope is a SOAP 1.1 request of op as an ASMX client sends it. A
// value goes in as the bytes it is, with only the markup characters
// escaped: invalid UTF-8 and control characters reach the server, as a
// hostile client would send them.
func soapEnvelope(op string, params [][2]string) string {
	esc := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" ` +
		`xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><` +
		op + ` xmlns="http://tempuri.org/">`)
	for _, p := range params {
		b.WriteString("<" + p[0] + ">" + esc.Replace(p[1]) + "</" + p[0] + ">")
	}
	b.WriteString("</" + op + "></soap:Body></soap:Envelope>")
	return b.String()
}

// answer is what came back.
type answer struct {
	status int
	body   []byte
	err    error
}

// send sends r; an agent whose token was revoked meanwhile (a logout sent by
// another request) logs in again, once.
func (h *harness) send(r request) answer {
	client := h.client
	if r.stranger {
		client = h.strangers
	}
	if r.v.agent == agentLogout || r.v.uiUser == uiLeaver {
		h.loggingOut.Lock()
		defer h.loggingOut.Unlock()
	}
	var token string
	for attempt := 0; ; attempt++ {
		var err error
		switch {
		case r.caller == agent:
			token, err = h.token(r.v.agent, token)
		case r.caller.ui():
			user, password := uiUser(r.v, r.caller)
			token, err = h.uiToken(user, password, token)
		}
		if err != nil {
			return answer{err: err}
		}
		req, err := h.build(r, token)
		if err != nil {
			return answer{err: fmt.Errorf("building the request: %w", err)}
		}
		resp, err := client.Do(req)
		if err != nil {
			return answer{err: err}
		}
		if r.v.stream && resp.StatusCode == http.StatusOK {
			resp.Body.Close() // the stream goes on until the client leaves
			return answer{status: resp.StatusCode}
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		a := answer{status: resp.StatusCode, body: b}
		if (r.caller == agent || r.caller.ui()) && a.status == http.StatusUnauthorized && r.p.in != inHeader && attempt == 0 && r.v.reaches(r.caller) {
			continue
		}
		return a
	}
}

func (v variant) reaches(c caller) bool {
	for _, x := range v.callers {
		if x == c {
			return true
		}
	}
	return false
}
