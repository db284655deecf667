package api_test

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/api"
	"github.com/ccdhq/ccd/internal/apitest"
)

func newCallServer(t *testing.T, calls []ccd.Call) (*api.Server, *apitest.FakeCalls) {
	t.Helper()
	s := api.NewServer(nil, nil, api.Options{Token: apitest.IntegrationToken})
	f := apitest.NewFakeCalls(calls)
	apitest.MountAgents(s, f, api.AgentAuth{Passwords: map[string]string{"1001": "alice-pw"}, TokenTTL: time.Hour}, apitest.Optimus)
	return s, f
}

// Path parameters arrive percent-decoded: a call id with ';' or '/' in it is
// the id, not its escaped form, on every route that takes one.
func TestPathParamsDecoded(t *testing.T) {
	s, f := newCallServer(t, []ccd.Call{{ID: "c1;2", Agent: "1001"}, {ID: "a/b", Agent: "1002"}})
	for _, c := range []struct{ path, body, want string }{
		{"/api/calls/c1%3B2/hold", "", "hold c1;2"},
		{"/api/calls/c1%3b2/unhold", "", "unhold c1;2"},
		{"/api/calls/a%2Fb/transfer", `{"queue":"sales"}`, "transfer a/b sales"},
		{"/api/calls/c1;2/hold", "", "hold c1;2"}, // unescaped, as before
	} {
		code, _, raw := apitest.Do(t, s, "POST", c.path, apitest.IntegrationToken, "application/json", c.body)
		if code != 200 || f.LastAct() != c.want {
			t.Errorf("%s: %d %s, did %q; want %q", c.path, code, raw, f.LastAct(), c.want)
		}
	}
	// An agent's own call is found by its decoded id; another's is refused.
	token := agentToken(t, s)
	if code, _, raw := apitest.Do(t, s, "POST", "/api/calls/c1%3B2/hold", token, "", ""); code != 200 || f.LastAct() != "hold c1;2" {
		t.Errorf("agent on its own call: %d %s", code, raw)
	}
	if code, _, raw := apitest.Do(t, s, "POST", "/api/calls/a%2Fb/hold", token, "", ""); code == 200 || code == 404 {
		t.Errorf("agent on another's call: %d %s", code, raw)
	}

	// The agent routes: %30 is "0".
	for _, p := range []string{"/api/agents/100%31", "/api/agents/%31%30%30%31"} {
		code, m, raw := apitest.Do(t, s, "GET", p, apitest.IntegrationToken, "", "")
		if code != 200 || m["id"] != "1001" {
			t.Errorf("GET %s: %d %s", p, code, raw)
		}
	}
	if code, m, raw := apitest.Do(t, s, "POST", "/api/agents/100%32/login", apitest.IntegrationToken, "application/json", `{}`); code != 200 || m["state"] != "ready" {
		t.Errorf("login 100%%32: %d %s", code, raw)
	}

	// A decoded value passes the text rule: %00 cannot smuggle a NUL in.
	for _, r := range []struct{ method, path string }{
		{"GET", "/api/agents/1001%00"}, {"POST", "/api/calls/c1%00/hold"}, {"POST", "/api/agents/%FF%FE/ready"},
	} {
		code, m, raw := apitest.Do(t, s, r.method, r.path, apitest.IntegrationToken, "", "")
		if e, _ := m["error"].(map[string]any); code != 400 || e["field"] != "id" {
			t.Errorf("%s %s: %d %s; want 400 naming id", r.method, r.path, code, raw)
		}
	}
}

// The raw path is what a client sent; url.PathEscape gives the escapes the
// tests above write by hand.
func TestPathParamsEscapedByClients(t *testing.T) {
	s, f := newCallServer(t, []ccd.Call{{ID: "sip:x@y;tag=1"}})
	id := "sip:x@y;tag=1"
	if code, _, raw := apitest.Do(t, s, "POST", "/api/calls/"+url.PathEscape(id)+"/hold", apitest.IntegrationToken, "", ""); code != 200 ||
		!strings.HasSuffix(f.LastAct(), id) {
		t.Fatalf("%d %s, did %q", code, raw, f.LastAct())
	}
}

// Durations are seconds in every JSON answer: /api/queues and /api/calls
// gave the ACD's milliseconds (longest_wait_ms, hold_ms) while the real-time
// views beside them gave seconds.
func TestDurationsInSeconds(t *testing.T) {
	s, f := newCallServer(t, []ccd.Call{{ID: "c1", Agent: "1001", Queue: "sales", Holds: 1, HoldMS: 2500}, {ID: "c2"}})
	f.QueueList = []ccd.QueueStatus{{Code: "sales", Name: "Sales", Waiting: 2, LongestWaitMS: 12500, ExpectedWaitMS: 30000, LoggedIn: 1,
		AgentsByState: map[string]int{"on_call": 1}}}
	apitest.MountStats(s, &apitest.FakeStats{}, f, time.UTC, nil)

	_, _, raw := apitest.Do(t, s, "GET", "/api/queues", apitest.IntegrationToken, "", "")
	var qs []map[string]any
	if err := json.Unmarshal([]byte(raw), &qs); err != nil || len(qs) != 1 {
		t.Fatalf("queues %s: %v", raw, err)
	}
	if q := qs[0]; q["longest_wait_seconds"] != 12.5 || q["expected_wait_seconds"] != 30.0 || q["waiting"] != 2.0 || q["name"] != "Sales" {
		t.Errorf("queues %s", raw)
	}
	_, _, raw = apitest.Do(t, s, "GET", "/api/calls", apitest.IntegrationToken, "", "")
	var calls []map[string]any
	if err := json.Unmarshal([]byte(raw), &calls); err != nil || len(calls) != 2 {
		t.Fatalf("calls %s: %v", raw, err)
	}
	if c := calls[0]; c["call_id"] != "c1" || c["hold_seconds"] != 2.5 || c["holds"] != 1.0 || c["queue"] != "sales" {
		t.Errorf("calls %s", raw)
	}
	if _, ok := calls[1]["hold_seconds"]; ok {
		t.Errorf("a call never held has a hold time: %s", raw)
	}

	// No answer names a duration in anything but seconds.
	for _, r := range []struct{ path, token string }{
		{"/api/queues", apitest.IntegrationToken}, {"/api/calls", apitest.IntegrationToken}, {"/api/agents", apitest.IntegrationToken},
		{"/api/agents/1001", apitest.IntegrationToken}, {"/api/stats/realtime/queues", apitest.IntegrationToken},
		{"/api/stats/realtime/agents", apitest.IntegrationToken}, {"/api/v1/supervision/inbound", apitest.IntegrationToken},
	} {
		code, _, raw := apitest.Do(t, s, "GET", r.path, r.token, "", "")
		var v any
		if err := json.Unmarshal([]byte(raw), &v); code != 200 || err != nil {
			t.Fatalf("%s: %d %s", r.path, code, raw)
		}
		for _, k := range jsonKeys(v) {
			if strings.HasSuffix(k, "_ms") || strings.Contains(k, "millis") {
				t.Errorf("%s: %q is not in seconds: %s", r.path, k, raw)
			}
		}
	}
}

// jsonKeys lists every object key in a decoded JSON value, at any depth.
func jsonKeys(v any) []string {
	var keys []string
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			keys = append(keys, k)
			keys = append(keys, jsonKeys(e)...)
		}
	case []any:
		for _, e := range x {
			keys = append(keys, jsonKeys(e)...)
		}
	}
	return keys
}
