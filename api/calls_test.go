package api

import (
	"context"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ccdhq/ccd/acd"
)

// fakeCalls is an AgentControl that is also a CallControl: the queues and calls
// it is given, and the transfers and holds it was asked for.
type fakeCalls struct {
	*fakeAgents
	queues []acd.QueueStatus
	calls  []acd.Call

	mu   sync.Mutex
	acts []string // "hold c1", "unhold c1", "transfer c1 sales"
}

func (f *fakeCalls) Queues(context.Context) ([]acd.QueueStatus, error) { return f.queues, nil }
func (f *fakeCalls) Calls(context.Context) ([]acd.Call, error)         { return f.calls, nil }

func (f *fakeCalls) Transfer(_ context.Context, callID, toQueue, toNumber string) error {
	return f.act("transfer " + callID + " " + toQueue + toNumber)
}

func (f *fakeCalls) Hold(_ context.Context, callID string, on bool) error {
	if on {
		return f.act("hold " + callID)
	}
	return f.act("unhold " + callID)
}

func (f *fakeCalls) act(a string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.acts = append(f.acts, a)
	return nil
}

func (f *fakeCalls) lastAct() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.acts) == 0 {
		return ""
	}
	return f.acts[len(f.acts)-1]
}

func newCallServer(t *testing.T, calls []acd.Call) (*Server, *fakeCalls) {
	t.Helper()
	s := New(nil, nil)
	f := &fakeCalls{fakeAgents: newFakeAgents(), calls: calls}
	s.MountAgents(f, AgentAuth{Token: integrationToken, Passwords: map[string]string{"1001": "alice-pw"}, TokenTTL: time.Hour})
	return s, f
}

// agentToken logs agent 1001 in through the OMniLeads login.
func agentToken(t *testing.T, s *Server) string {
	t.Helper()
	code, m, raw := do(t, s, "POST", "/api/v1/login", "", "application/json", `{"username":"1001","password":"alice-pw"}`)
	token, _ := m["token"].(string)
	if code != 200 || token == "" {
		t.Fatalf("login %d %s", code, raw)
	}
	return token
}

// Path parameters arrive percent-decoded: a call id with ';' or '/' in it is
// the id, not its escaped form, on every route that takes one.
func TestPathParamsDecoded(t *testing.T) {
	s, f := newCallServer(t, []acd.Call{{ID: "c1;2", Agent: "1001"}, {ID: "a/b", Agent: "1002"}})
	for _, c := range []struct{ path, body, want string }{
		{"/api/calls/c1%3B2/hold", "", "hold c1;2"},
		{"/api/calls/c1%3b2/unhold", "", "unhold c1;2"},
		{"/api/calls/a%2Fb/transfer", `{"queue":"sales"}`, "transfer a/b sales"},
		{"/api/calls/c1;2/hold", "", "hold c1;2"}, // unescaped, as before
	} {
		code, _, raw := do(t, s, "POST", c.path, integrationToken, "application/json", c.body)
		if code != 200 || f.lastAct() != c.want {
			t.Errorf("%s: %d %s, did %q; want %q", c.path, code, raw, f.lastAct(), c.want)
		}
	}
	// An agent's own call is found by its decoded id; another's is refused.
	token := agentToken(t, s)
	if code, _, raw := do(t, s, "POST", "/api/calls/c1%3B2/hold", token, "", ""); code != 200 || f.lastAct() != "hold c1;2" {
		t.Errorf("agent on its own call: %d %s", code, raw)
	}
	if code, _, raw := do(t, s, "POST", "/api/calls/a%2Fb/hold", token, "", ""); code == 200 || code == 404 {
		t.Errorf("agent on another's call: %d %s", code, raw)
	}

	// The agent routes: %30 is "0".
	for _, p := range []string{"/api/agents/100%31", "/api/agents/%31%30%30%31"} {
		code, m, raw := do(t, s, "GET", p, integrationToken, "", "")
		if code != 200 || m["id"] != "1001" {
			t.Errorf("GET %s: %d %s", p, code, raw)
		}
	}
	if code, m, raw := do(t, s, "POST", "/api/agents/100%32/login", integrationToken, "application/json", `{}`); code != 200 || m["state"] != "ready" {
		t.Errorf("login 100%%32: %d %s", code, raw)
	}

	// A decoded value passes the text rule: %00 cannot smuggle a NUL in.
	for _, r := range []struct{ method, path string }{
		{"GET", "/api/agents/1001%00"}, {"POST", "/api/calls/c1%00/hold"}, {"POST", "/api/agents/%FF%FE/ready"},
	} {
		code, m, raw := do(t, s, r.method, r.path, integrationToken, "", "")
		if e, _ := m["error"].(map[string]any); code != 400 || e["field"] != "id" {
			t.Errorf("%s %s: %d %s; want 400 naming id", r.method, r.path, code, raw)
		}
	}
}

// The raw path is what a client sent; url.PathEscape gives the escapes the
// tests above write by hand.
func TestPathParamsEscapedByClients(t *testing.T) {
	s, f := newCallServer(t, []acd.Call{{ID: "sip:x@y;tag=1"}})
	id := "sip:x@y;tag=1"
	if code, _, raw := do(t, s, "POST", "/api/calls/"+url.PathEscape(id)+"/hold", integrationToken, "", ""); code != 200 ||
		!strings.HasSuffix(f.lastAct(), id) {
		t.Fatalf("%d %s, did %q", code, raw, f.lastAct())
	}
}
