package api

import (
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
	"github.com/ccdhq/ccd/acd/endpoints"
)

// fakeAgents is an ccd.AgentControl that records calls and keeps a state per agent.
type fakeAgents struct {
	mu    sync.Mutex
	state map[string]ccd.AgentStatus
	calls []string
}

func newFakeAgents() *fakeAgents {
	return &fakeAgents{state: map[string]ccd.AgentStatus{
		"1001": {ID: "1001", Name: "Alice Smith", State: "logged_out"},
		"1002": {ID: "1002", Name: "Bob", State: "logged_out"},
	}}
}

func (f *fakeAgents) set(id, state, detail string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	st, ok := f.state[id]
	if !ok {
		return &ccd.Error{Code: ccd.ENOTFOUND, Message: "unknown agent " + id}
	}
	if state != "logged_out" && state != "ready" && st.State == "logged_out" && detail != "login" {
		return &ccd.Error{Code: ccd.ECONFLICT, Message: "agent is logged out"}
	}
	st.State = state
	f.state[id] = st
	f.calls = append(f.calls, id+":"+state+":"+detail)
	return nil
}

func (f *fakeAgents) Login(_ context.Context, id, ep string) error {
	if err := f.set(id, "ready", "login"); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	st := f.state[id]
	st.Endpoint = ep
	f.state[id] = st
	return nil
}
func (f *fakeAgents) Logout(_ context.Context, id string) error { return f.set(id, "logged_out", "") }
func (f *fakeAgents) Ready(_ context.Context, id string) error  { return f.set(id, "ready", "") }
func (f *fakeAgents) NotReady(_ context.Context, id, act string) error {
	return f.set(id, "not_ready", act)
}
func (f *fakeAgents) Agent(_ context.Context, id string) (ccd.AgentStatus, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	st, ok := f.state[id]
	if !ok {
		return st, &ccd.Error{Code: ccd.ENOTFOUND, Message: "unknown agent " + id}
	}
	return st, nil
}
func (f *fakeAgents) Agents(ctx context.Context) ([]ccd.AgentStatus, error) {
	a, _ := f.Agent(ctx, "1001")
	b, _ := f.Agent(ctx, "1002")
	return []ccd.AgentStatus{a, b}, nil
}

const integrationToken = "integration-token-0123456789"

func newAgentServer(t *testing.T) (*Server, *fakeAgents) {
	s := New(nil, nil)
	f := newFakeAgents()
	// Alice has her phone and a softphone; Bob his phone; 2000-2099 are hot desks.
	policy, err := endpoints.New("", "2000-2099", map[string][]string{
		"1001": {"PJSIP/1001", "Local/1001@agents"}, "1002": {"PJSIP/1002"},
	})
	if err != nil {
		t.Fatal(err)
	}
	s.MountAgents(f, AgentAuth{
		Token: integrationToken, Passwords: map[string]string{"1001": "alice-pw"}, Names: map[string]string{"1001": "Alice Smith"},
		TokenTTL: time.Hour, OptimusUser: "ws", OptimusPassword: "ws-pw", Endpoints: policy,
	})
	return s, f
}

func do(t *testing.T, s *Server, method, path, token, contentType, body string) (int, map[string]any, string) {
	t.Helper()
	code, m, raw, _ := doFrom(t, s, "192.0.2.1:40000", method, path, token, contentType, body)
	return code, m, raw
}

// doFrom is do from a client address, also returning the answer's headers.
func doFrom(t *testing.T, s *Server, addr, method, path, token, contentType, body string) (int, map[string]any, string, http.Header) {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.RemoteAddr = addr
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	rec := httptest.NewRecorder()
	s.Echo.ServeHTTP(rec, req)
	raw, _ := io.ReadAll(rec.Body)
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	return rec.Code, m, string(raw), rec.Header()
}

func TestOMniLeadsSessionAPI(t *testing.T) {
	s, f := newAgentServer(t)
	code, m, raw := do(t, s, "POST", "/api/v1/login", "", "application/json", `{"username":"1001","password":"alice-pw"}`)
	if code != 200 || m["token"] == nil || m["user"].(map[string]any)["first_name"] != "Alice" {
		t.Fatalf("login %d %s", code, raw)
	}
	token := m["token"].(string)
	for _, step := range []struct{ path, body, want string }{
		{"/api/v1/asterisk_login/", "", "ready"},
		{"/api/v1/asterisk_pause/", `{"pause_id":"lunch"}`, "not_ready"},
		{"/api/v1/asterisk_unpause/", `{"pause_id":"lunch"}`, "ready"},
		{"/api/v1/asterisk_logout/", "", "logged_out"},
	} {
		code, _, raw := do(t, s, "POST", step.path, token, "application/json", step.body)
		if code != 200 {
			t.Fatalf("%s: %d %s", step.path, code, raw)
		}
		if st, _ := f.Agent(context.Background(), "1001"); st.State != step.want {
			t.Fatalf("after %s state %s, want %s", step.path, st.State, step.want)
		}
	}
	if f.calls[1] != "1001:not_ready:lunch" {
		t.Fatalf("pause recorded as %q", f.calls[1])
	}
	// An agent acts for itself only: it is known, so refused (403), not
	// asked for credentials (401).
	_, m, _ = do(t, s, "POST", "/api/v1/login", "", "application/json", `{"username":"1001","password":"alice-pw"}`)
	token, _ = m["token"].(string)
	for _, tc := range []struct{ method, path, body string }{
		{"POST", "/api/v1/asterisk_pause/", `{"agent":"1002","pause_id":"x"}`},
		{"POST", "/api/agents/1002/ready", ""},
		{"GET", "/api/agents/1002", ""},
		{"GET", "/api/agents", ""},
	} {
		code, m, raw := do(t, s, tc.method, tc.path, token, "application/json", tc.body)
		if e, _ := m["error"].(map[string]any); code != 403 || e["code"] != ccd.EFORBIDDEN {
			t.Fatalf("agent acting for another via %s: %d %s", tc.path, code, raw)
		}
	}
}

func TestAgentAPIRejectsBadInput(t *testing.T) {
	s, _ := newAgentServer(t)
	cases := []struct {
		name, method, path, token, ctype, body string
		code                                   int
		field                                  string
	}{
		{"no username", "POST", "/api/v1/login", "", "application/json", `{"password":"x"}`, 400, "username"},
		{"agent without password", "POST", "/api/v1/login", "", "application/json", `{"username":"1002","password":""}`, 400, "password"},
		{"malformed json", "POST", "/api/v1/login", "", "application/json", `{"username":`, 400, "body"},
		{"no token", "POST", "/api/v1/asterisk_login/", "", "", "", 401, ""},
		{"bad token", "POST", "/api/v1/asterisk_login/", "nope", "", "", 401, ""},
		{"integration without agent", "POST", "/api/v1/asterisk_login/", integrationToken, "", "", 400, "agent"},
		{"pause without id", "POST", "/api/v1/asterisk_pause/", integrationToken, "application/json", `{"agent":"1001"}`, 400, "pause_id"},
		{"unknown agent", "POST", "/api/agents/9999/login", integrationToken, "", "", 404, ""},
		{"not ready without activity", "POST", "/api/agents/1001/not_ready", integrationToken, "application/json", `{}`, 400, "activity"},
		{"pause while logged out", "POST", "/api/v1/asterisk_pause/", integrationToken, "application/json", `{"agent":"1002","pause_id":"x"}`, 409, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, m, raw := do(t, s, tc.method, tc.path, tc.token, tc.ctype, tc.body)
			if code != tc.code {
				t.Fatalf("status %d, want %d: %s", code, tc.code, raw)
			}
			e, _ := m["error"].(map[string]any)
			if e == nil || e["message"] == "" {
				t.Fatalf("no JSON error body: %s", raw)
			}
			if tc.field != "" && e["field"] != tc.field {
				t.Fatalf("field %v, want %s: %s", e["field"], tc.field, raw)
			}
		})
	}
}

func TestNativeAgentAPI(t *testing.T) {
	s, _ := newAgentServer(t)
	code, m, raw := do(t, s, "POST", "/api/agents/1002/login", integrationToken, "application/json", `{"endpoint":"PJSIP/1002"}`)
	if code != 200 || m["state"] != "ready" {
		t.Fatalf("login %d %s", code, raw)
	}
	code, _, raw = do(t, s, "GET", "/api/agents", integrationToken, "", "")
	if code != 200 || !strings.Contains(raw, `"id":"1002","name":"Bob","state":"ready"`) {
		t.Fatalf("list %d %s", code, raw)
	}
}

func TestOptimusAgentServices(t *testing.T) {
	s, f := newAgentServer(t)
	q := url.Values{"webServiceUserName": {"ws"}, "password": {"ws-pw"}, "Username": {"1001"}, "ExtensionNumber": {"1001"}}
	code, _, raw := do(t, s, "GET", "/AgentServices.asmx/LOGIN?"+q.Encode(), "", "", "")
	if code != 200 || !strings.Contains(raw, `<string xmlns="http://tempuri.org/">OK</string>`) {
		t.Fatalf("LOGIN %d %s", code, raw)
	}
	form := url.Values{"webServiceUserName": {"ws"}, "password": {"ws-pw"}, "Username": {"1001"}, "activityCode": {"7"}}
	code, _, raw = do(t, s, "POST", "/AgentServices.asmx/NOT%20READY", "", "application/x-www-form-urlencoded", form.Encode())
	if code != 200 {
		t.Fatalf("NOT READY %d %s", code, raw)
	}
	if st, _ := f.Agent(context.Background(), "1001"); st.State != "not_ready" {
		t.Fatalf("state %s", st.State)
	}
	q.Set("password", "wrong")
	if code, _, _ := do(t, s, "GET", "/AgentServices.asmx/LOGOUT?"+q.Encode(), "", "", ""); code != 401 {
		t.Fatalf("bad ws password: %d", code)
	}
	q.Set("password", "ws-pw")
	code, _, raw = do(t, s, "GET", "/AgentServices.asmx/CheckExtensionState?"+q.Encode(), "", "", "")
	if code != 200 || !strings.Contains(raw, ">not_ready<") {
		t.Fatalf("CheckExtensionState %d %s", code, raw)
	}
}
