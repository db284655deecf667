package webui_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/api"
	"github.com/ccdhq/ccd/eventlog"
	"github.com/ccdhq/ccd/internal/apitest"
	"github.com/ccdhq/ccd/store"
	"github.com/ccdhq/ccd/webui"
)

// memStore is the interface's store in memory.
type memStore struct {
	mu       sync.Mutex
	users    map[string]store.UIUser
	sessions map[string]store.UISession
	// The dialer's campaign grid, how often it was read, and since when.
	grid      []store.CampaignLine
	gridReads int
	gridSince time.Time
	// disp keeps the dialer's dispositions (wrapup_test.go); nil: none.
	disp *store.DB
}

func (m *memStore) CampaignGrid(_ context.Context, since time.Time) ([]store.CampaignLine, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.gridReads++
	m.gridSince = since
	return append([]store.CampaignLine{}, m.grid...), nil
}

func (m *memStore) setGrid(lines ...store.CampaignLine) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.grid = lines
}

func (m *memStore) gridRead() (reads int, since time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.gridReads, m.gridSince
}

func (m *memStore) UIUserByName(_ context.Context, name string) (store.UIUser, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	u, ok := m.users[name]
	return u, ok, nil
}

func (m *memStore) OpenUISession(_ context.Context, hash []byte, kind, name string, _, expires time.Time, _ int) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sessions[string(hash)] = store.UISession{Kind: kind, Name: name, Expires: expires}
	return nil
}

func (m *memStore) UISessionOf(_ context.Context, hash []byte, now time.Time) (store.UISession, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.sessions[string(hash)]
	if !ok || !now.Before(s.Expires) {
		return store.UISession{}, false, nil
	}
	return s, true, nil
}

func (m *memStore) CloseUISession(_ context.Context, hash []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.sessions, string(hash))
	return nil
}

const (
	supervisorPW = "supervisor-password-0123"
	adminPW      = "admin-password-0123456"
	agentPW      = "alice-password-0123456"
)

type fixture struct {
	t      *testing.T
	srv    *api.Server
	clock  *apitest.Clock
	agents *apitest.FakeAgents
	mu     sync.Mutex
	events []eventlog.Event
	ui     *webui.UI
	st     *memStore
}

func newFixture(t *testing.T, rt webui.Realtime, hub *eventlog.Hub) *fixture {
	return newFixtureCtl(t, rt, hub, nil, nil)
}

// newFixtureCtl is newFixture with another ACD (nil: f.agents) and the
// listening of the supervisor console.
func newFixtureCtl(t *testing.T, rt webui.Realtime, hub *eventlog.Hub, ctl ccd.AgentControl, spy webui.Spy) *fixture {
	f := &fixture{t: t, clock: apitest.NewClock(), agents: apitest.NewFakeAgents()}
	f.srv = api.NewServer(nil, nil, api.Options{Token: apitest.IntegrationToken, Now: f.clock.Now})
	if ctl == nil {
		ctl = f.agents
	}
	agents := f.srv.MountAgents(ctl, api.AgentAuth{Passwords: map[string]string{"1001": agentPW}, TokenTTL: time.Hour})
	hash := func(pw string) string {
		h, err := webui.HashPasswordCost(pw, 4)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	st := &memStore{sessions: map[string]store.UISession{}, users: map[string]store.UIUser{
		"sue": {Username: "sue", Role: "supervisor", PasswordHash: hash(supervisorPW), Endpoint: "PJSIP/2000"},
		"ada": {Username: "ada", Role: "admin", PasswordHash: hash(adminPW)},
	}}
	f.st = st
	f.ui = webui.Mount(f.srv, webui.Options{Store: st, Agents: agents, Realtime: rt, Hub: hub, Now: f.clock.Now, Spy: spy,
		SessionTTL: time.Hour, Refresh: time.Hour,
		Emit: func(ev eventlog.Event) error {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.events = append(f.events, ev)
			return nil
		}})
	return f
}

// session is a logged-in browser: its cookie and CSRF token.
type session struct {
	cookie *http.Cookie
	csrf   string
	views  []any
}

func (f *fixture) do(method, path string, s *session, form url.Values, csrf string) *httptest.ResponseRecorder {
	var body *strings.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	} else {
		body = strings.NewReader("")
	}
	r := httptest.NewRequest(method, path, body)
	r.RemoteAddr = "192.0.2.7:5000"
	if form != nil {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if s != nil {
		r.AddCookie(s.cookie)
	}
	if csrf != "" {
		r.Header.Set(webui.CSRFHeader, csrf)
	}
	w := httptest.NewRecorder()
	f.srv.ServeHTTP(w, r)
	return w
}

func (f *fixture) login(user, pw string) (*session, *httptest.ResponseRecorder) {
	w := f.do("POST", "/ui/login", nil, url.Values{"username": {user}, "password": {pw}}, "")
	if w.Code != http.StatusOK {
		return nil, w
	}
	var body map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
		f.t.Fatal(err)
	}
	cookies := w.Result().Cookies()
	if len(cookies) != 1 {
		f.t.Fatalf("login set %d cookies", len(cookies))
	}
	views, _ := body["views"].([]any)
	return &session{cookie: cookies[0], csrf: body["csrf"].(string), views: views}, w
}

// openEvents logs user in and opens the session's live stream on the server
// at base; it closes when the test ends.
func (f *fixture) openEvents(ctx context.Context, base, user, pw string) *bufio.Scanner {
	f.t.Helper()
	s := f.mustLogin(user, pw)
	req, _ := http.NewRequestWithContext(ctx, "GET", base+"/ui/events", nil)
	req.AddCookie(s.cookie)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(func() { resp.Body.Close() })
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != 200 || ct != "text/event-stream" {
		f.t.Fatalf("events: %d %s", resp.StatusCode, ct)
	}
	return bufio.NewScanner(resp.Body)
}

// nextStreamed reads the stream's next snapshot.
func nextStreamed(t *testing.T, sc *bufio.Scanner) streamed {
	t.Helper()
	for sc.Scan() {
		if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
			var s streamed
			if err := json.Unmarshal([]byte(data), &s); err != nil {
				t.Fatal(err)
			}
			return s
		}
	}
	t.Fatalf("stream ended: %v", sc.Err())
	return streamed{}
}

func (f *fixture) mustLogin(user, pw string) *session {
	s, w := f.login(user, pw)
	if s == nil {
		f.t.Fatalf("login %s: %d %s", user, w.Code, w.Body)
	}
	return s
}

// Agents, supervisors and administrators log in and get their views; the
// cookie is HttpOnly and SameSite=Strict; logout needs the CSRF token and
// ends the session.
func TestLoginEachRoleAndLogout(t *testing.T) {
	f := newFixture(t, nil, nil)
	for _, c := range []struct{ user, pw, kind, views string }{
		{"1001", agentPW, "agent", "[agent]"},
		{"sue", supervisorPW, "supervisor", "[wallboard supervisor reports]"},
		{"ada", adminPW, "admin", "[wallboard supervisor reports admin]"},
	} {
		s := f.mustLogin(c.user, c.pw)
		if !s.cookie.HttpOnly || s.cookie.SameSite != http.SameSiteStrictMode || s.cookie.Path != "/" {
			t.Errorf("%s: cookie %+v", c.user, s.cookie)
		}
		w := f.do("GET", "/ui/session", s, nil, "")
		var got map[string]any
		_ = json.Unmarshal(w.Body.Bytes(), &got)
		if w.Code != 200 || got["kind"] != c.kind {
			t.Fatalf("%s: session %d %s", c.user, w.Code, w.Body)
		}
		if v := "[" + strings.Join(strs(got["views"]), " ") + "]"; v != c.views {
			t.Errorf("%s: views %s, want %s", c.user, v, c.views)
		}
		if w := f.do("POST", "/ui/logout", s, nil, ""); w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), `"field":"csrf_token"`) {
			t.Errorf("%s: logout without CSRF: %d %s", c.user, w.Code, w.Body)
		}
		wrong := "0" + s.csrf[1:] // one character off (never the token itself)
		if s.csrf[0] == '0' {
			wrong = "1" + s.csrf[1:]
		}
		if w := f.do("POST", "/ui/logout", s, nil, wrong); w.Code != http.StatusForbidden {
			t.Errorf("%s: logout with a wrong CSRF token: %d", c.user, w.Code)
		}
		if w := f.do("POST", "/ui/logout", s, nil, s.csrf); w.Code != http.StatusNoContent {
			t.Fatalf("%s: logout: %d %s", c.user, w.Code, w.Body)
		}
		if w := f.do("GET", "/ui/session", s, nil, ""); w.Code != http.StatusUnauthorized {
			t.Errorf("%s: session after logout: %d", c.user, w.Code)
		}
	}
}

func strs(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}

// The integration token, a wrong password and an unknown user do not log
// in; a form without a field names it.
func TestLoginRefusals(t *testing.T) {
	f := newFixture(t, nil, nil)
	for _, c := range []struct{ user, pw string }{
		{"integration", apitest.IntegrationToken},
		{"admin", apitest.IntegrationToken},
		{"sue", "wrong-password-0123"},
		{"1001", supervisorPW},
		{"1002", ""},
	} {
		s, w := f.login(c.user, c.pw)
		if s != nil {
			t.Errorf("%s logged in", c.user)
		}
		want := http.StatusUnauthorized
		if c.pw == "" {
			want = http.StatusBadRequest
		}
		if w.Code != want {
			t.Errorf("%s: %d %s", c.user, w.Code, w.Body)
		}
	}
	if w := f.do("POST", "/ui/login", nil, url.Values{"password": {"x"}}, ""); w.Code != 400 || !strings.Contains(w.Body.String(), `"field":"username"`) {
		t.Errorf("no username: %d %s", w.Code, w.Body)
	}
	// A page of another site cannot log the browser in.
	r0 := httptest.NewRequest("POST", "/ui/login", strings.NewReader(url.Values{"username": {"sue"}, "password": {supervisorPW}}.Encode()))
	r0.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r0.Header.Set("Origin", "https://evil.example")
	w0 := httptest.NewRecorder()
	f.srv.ServeHTTP(w0, r0)
	if w0.Code != http.StatusForbidden || len(w0.Result().Cookies()) != 0 {
		t.Errorf("login from another site: %d", w0.Code)
	}
	// A bearer token is not a session.
	r := httptest.NewRequest("GET", "/ui/session", nil)
	r.Header.Set("Authorization", "Bearer "+apitest.IntegrationToken)
	w := httptest.NewRecorder()
	f.srv.ServeHTTP(w, r)
	if w.Code != http.StatusUnauthorized {
		t.Errorf("session with the integration token: %d", w.Code)
	}
}

// A session ends at its expiry.
func TestSessionExpires(t *testing.T) {
	f := newFixture(t, nil, nil)
	s := f.mustLogin("sue", supervisorPW)
	f.clock.Add(59 * time.Minute)
	if w := f.do("GET", "/ui/session", s, nil, ""); w.Code != 200 {
		t.Fatalf("before expiry: %d", w.Code)
	}
	f.clock.Add(time.Minute)
	if w := f.do("GET", "/ui/session", s, nil, ""); w.Code != http.StatusUnauthorized {
		t.Fatalf("after expiry: %d", w.Code)
	}
	if w := f.do("POST", "/ui/agents/1001/ready", s, url.Values{}, s.csrf); w.Code != http.StatusUnauthorized {
		t.Fatalf("action after expiry: %d", w.Code)
	}
}

// Forcing ready on an agent who talks is a 409 naming the state, audited
// as refused, and the agent stays on its call; not ready and log out pass
// (the ACD applies them when the call ends). The agent's own console gets
// the same answer.
func TestForcingReadyOnACallIsAConflict(t *testing.T) {
	f := newFixture(t, nil, nil)
	if err := f.agents.Login(context.Background(), "1002", "PJSIP/1002"); err != nil {
		t.Fatal(err)
	}
	f.agents.SetState("1002", "on_call")
	sup := f.mustLogin("sue", supervisorPW)
	w := f.do("POST", "/ui/agents/1002/ready", sup, url.Values{}, sup.csrf)
	if w.Code != http.StatusConflict || !strings.Contains(w.Body.String(), `"field":"state"`) || !strings.Contains(w.Body.String(), "is on_call:") {
		t.Fatalf("force ready on a call: %d %s, want 409 naming the state", w.Code, w.Body)
	}
	if st, _ := f.agents.Agent(context.Background(), "1002"); st.State != "on_call" {
		t.Fatalf("the agent is %s after a refused ready, want on_call", st.State)
	}
	f.mu.Lock()
	var p ccd.AgentForced
	if len(f.events) != 1 || json.Unmarshal(f.events[0].Payload, &p) != nil || p.Action != "ready" || !strings.Contains(p.Error, "on_call") {
		f.mu.Unlock()
		t.Fatalf("audit of the refused force: %d events %+v", len(f.events), p)
	}
	f.mu.Unlock()
	if w := f.do("POST", "/ui/agents/1002/not_ready", sup, url.Values{"activity": {"lunch"}}, sup.csrf); w.Code != 200 {
		t.Fatalf("not ready on a call: %d %s, want 200", w.Code, w.Body)
	}

	if err := f.agents.Login(context.Background(), "1001", "PJSIP/1001"); err != nil {
		t.Fatal(err)
	}
	f.agents.SetState("1001", "ringing")
	agent := f.mustLogin("1001", agentPW)
	if w := f.do("POST", "/ui/agents/1001/ready", agent, url.Values{}, agent.csrf); w.Code != http.StatusConflict || !strings.Contains(w.Body.String(), "is ringing:") {
		t.Fatalf("the agent's own ready while ringing: %d %s, want 409 naming the state", w.Code, w.Body)
	}
}

// A supervisor forces agents ready, not ready and out, each audited; an
// agent changes only its own state, with the CSRF token; a supervisor
// does not log agents in.
func TestAgentActions(t *testing.T) {
	f := newFixture(t, nil, nil)
	ctx := context.Background()
	if err := f.agents.Login(ctx, "1002", "PJSIP/1002"); err != nil {
		t.Fatal(err)
	}
	sup := f.mustLogin("sue", supervisorPW)
	if w := f.do("POST", "/ui/agents/1002/not_ready", sup, url.Values{"activity": {"lunch"}}, ""); w.Code != http.StatusForbidden {
		t.Fatalf("without CSRF: %d", w.Code)
	}
	if w := f.do("POST", "/ui/agents/1002/not_ready", sup, url.Values{}, sup.csrf); w.Code != 400 || !strings.Contains(w.Body.String(), `"field":"activity"`) {
		t.Fatalf("no activity: %d %s", w.Code, w.Body)
	}
	w := f.do("POST", "/ui/agents/1002/not_ready", sup, url.Values{"activity": {"lunch"}}, sup.csrf)
	if w.Code != 200 || !strings.Contains(w.Body.String(), `"state":"not_ready"`) {
		t.Fatalf("force not ready: %d %s", w.Code, w.Body)
	}
	if w := f.do("POST", "/ui/agents/1002/logout", sup, url.Values{}, sup.csrf); w.Code != 200 {
		t.Fatalf("force logout: %d %s", w.Code, w.Body)
	}
	// Acting on an agent who is logged out is refused, and audited as such.
	if w := f.do("POST", "/ui/agents/1002/not_ready", sup, url.Values{"activity": {"lunch"}}, sup.csrf); w.Code != http.StatusConflict {
		t.Fatalf("not ready after logout: %d %s", w.Code, w.Body)
	}
	if w := f.do("POST", "/ui/agents/1002/login", sup, url.Values{}, sup.csrf); w.Code != http.StatusForbidden {
		t.Fatalf("supervisor logs an agent in: %d", w.Code)
	}
	f.mu.Lock()
	var audit []string
	for _, ev := range f.events {
		var p ccd.AgentForced
		_ = json.Unmarshal(ev.Payload, &p)
		audit = append(audit, ev.Kind+" "+ev.Agent+" "+p.Action+" "+p.Activity+" "+p.By+" "+cond(p.Error != "", "refused", "done"))
	}
	f.mu.Unlock()
	want := []string{
		"supervisor.forced 1002 not_ready lunch supervisor:sue done",
		"supervisor.forced 1002 logout  supervisor:sue done",
		"supervisor.forced 1002 not_ready lunch supervisor:sue refused",
	}
	if strings.Join(audit, "\n") != strings.Join(want, "\n") {
		t.Fatalf("audit:\n%s\nwant:\n%s", strings.Join(audit, "\n"), strings.Join(want, "\n"))
	}

	agent := f.mustLogin("1001", agentPW)
	if w := f.do("POST", "/ui/agents/1001/login", agent, url.Values{}, agent.csrf); w.Code != 200 || !strings.Contains(w.Body.String(), `"state":"ready"`) {
		t.Fatalf("agent login: %d %s", w.Code, w.Body)
	}
	if w := f.do("POST", "/ui/agents/1001/not_ready", agent, url.Values{"activity": {"break"}}, agent.csrf); w.Code != 200 {
		t.Fatalf("agent not ready: %d %s", w.Code, w.Body)
	}
	if w := f.do("POST", "/ui/agents/1002/ready", agent, url.Values{}, agent.csrf); w.Code != http.StatusForbidden {
		t.Fatalf("agent acts for another: %d", w.Code)
	}
	if w := f.do("POST", "/ui/agents/1001/ready", agent, url.Values{}, sup.csrf); w.Code != http.StatusForbidden {
		t.Fatalf("agent with another session's CSRF token: %d", w.Code)
	}
	if got := len(f.events); got != 3 {
		t.Fatalf("an agent's own changes are not supervisor actions: %d audit events", got)
	}
}

func cond(c bool, a, b string) string {
	if c {
		return a
	}
	return b
}

// fakeRealtime is a center whose waiting count the test changes.
type fakeRealtime struct {
	mu      sync.Mutex
	waiting int
}

func (r *fakeRealtime) set(n int) { r.mu.Lock(); r.waiting = n; r.mu.Unlock() }

func (r *fakeRealtime) Queues(context.Context) ([]api.QueueView, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return []api.QueueView{{QueueStatusView: api.QueueStatusView{Code: "sales", Waiting: r.waiting}}}, nil
}

func (r *fakeRealtime) Agents(context.Context) ([]api.AgentView, error) {
	return []api.AgentView{{ID: "1001", State: "ready"}, {ID: "1002", State: "on_call"}}, nil
}

type streamed struct {
	Seq    int64 `json:"seq"`
	Queues []struct {
		Waiting int `json:"waiting"`
	} `json:"queues"`
	Agents []struct {
		ID string `json:"id"`
	} `json:"agents"`
	Calls []struct {
		ID       string `json:"id"`
		Priority int    `json:"priority"`
	} `json:"calls"`
	Campaigns []struct {
		ID    int `json:"id"`
		Calls int `json:"calls"`
	} `json:"campaigns"`
}

// The live stream sends a snapshot at once and another as soon as the
// event log commits something (not at the next refresh, an hour away
// here); an agent's stream holds only that agent.
func TestLiveStreamFollowsTheEventLog(t *testing.T) {
	rt := &fakeRealtime{}
	hub := eventlog.NewHub()
	f := newFixture(t, rt, hub)
	// Cleanups run last in first: the streams close, then the server.
	ts := httptest.NewServer(f.srv)
	t.Cleanup(ts.Close)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go f.ui.Run(ctx)

	open := func(user, pw string) *bufio.Scanner { return f.openEvents(ctx, ts.URL, user, pw) }
	next := func(sc *bufio.Scanner) streamed { return nextStreamed(t, sc) }
	sup := open("sue", supervisorPW)
	first := next(sup)
	if len(first.Queues) != 1 || first.Queues[0].Waiting != 0 || len(first.Agents) != 2 {
		t.Fatalf("first snapshot: %+v", first)
	}
	rt.set(1)
	hub.Publish([]eventlog.Event{{ID: 1, Kind: ccd.EventCallQueued}}, time.Now())
	got := next(sup)
	if got.Queues[0].Waiting != 1 || got.Seq <= first.Seq {
		t.Fatalf("after the event: %+v", got)
	}
	agent := open("1001", agentPW)
	own := next(agent)
	if len(own.Agents) != 1 || own.Agents[0].ID != "1001" {
		t.Fatalf("an agent's stream: %+v", own)
	}
}

// The page and its assets are served from the binary, with a content
// security policy; other names are 404.
func TestAssets(t *testing.T) {
	f := newFixture(t, nil, nil)
	for _, p := range []string{"/ui/", "/ui/assets/app.js", "/ui/assets/style.css"} {
		w := f.do("GET", p, nil, nil, "")
		if w.Code != 200 || w.Body.Len() == 0 || !strings.Contains(w.Header().Get("Content-Security-Policy"), "default-src 'self'") {
			t.Errorf("%s: %d %d bytes %q", p, w.Code, w.Body.Len(), w.Header().Get("Content-Security-Policy"))
		}
	}
	if ct := f.do("GET", "/ui/assets/app.js", nil, nil, "").Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/javascript") {
		t.Errorf("app.js content type %q", ct)
	}
	for _, p := range []string{"/ui/assets/index.html", "/ui/assets/..%2fwebui.go", "/ui/assets/nothing.js"} {
		if w := f.do("GET", p, nil, nil, ""); w.Code != http.StatusNotFound {
			t.Errorf("%s: %d", p, w.Code)
		}
	}
}

// The page and its assets go gzipped to a browser that accepts it (the
// same bytes once unpacked), plain to one that does not.
func TestAssetsGzipped(t *testing.T) {
	f := newFixture(t, nil, nil)
	get := func(path, acceptEncoding string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("GET", path, nil)
		r.RemoteAddr = "192.0.2.7:5000"
		if acceptEncoding != "" {
			r.Header.Set("Accept-Encoding", acceptEncoding)
		}
		w := httptest.NewRecorder()
		f.srv.ServeHTTP(w, r)
		return w
	}
	for _, p := range []string{"/ui/", "/ui/assets/app.js", "/ui/assets/style.css"} {
		plain := get(p, "")
		if plain.Code != 200 || plain.Header().Get("Content-Encoding") != "" || plain.Header().Get("Vary") != "Accept-Encoding" {
			t.Fatalf("%s plain: %d %v", p, plain.Code, plain.Header())
		}
		for _, ae := range []string{"gzip, deflate, br, zstd", "br;q=1.0, gzip;q=0.5"} {
			w := get(p, ae)
			if w.Code != 200 || w.Header().Get("Content-Encoding") != "gzip" || w.Body.Len() >= plain.Body.Len()/2 {
				t.Fatalf("%s with %q: %d %v, %d bytes (plain %d)", p, ae, w.Code, w.Header(), w.Body.Len(), plain.Body.Len())
			}
			zr, err := gzip.NewReader(w.Body)
			if err != nil {
				t.Fatal(err)
			}
			unpacked, err := io.ReadAll(zr)
			if err != nil || !bytes.Equal(unpacked, plain.Body.Bytes()) {
				t.Fatalf("%s unpacked differs from the plain file (%v)", p, err)
			}
		}
		if w := get(p, "gzip;q=0, identity"); w.Header().Get("Content-Encoding") != "" {
			t.Fatalf("%s: gzip refused with q=0, yet sent", p)
		}
	}
}
