package api_test

import (
	"strings"
	"testing"

	"github.com/ccdhq/ccd/internal/apitest"
)

func TestAgentAPIRejectsBadInput(t *testing.T) {
	s, _ := apitest.NewAgentServer(t)
	cases := []struct {
		name, method, path, token, ctype, body string
		code                                   int
		field                                  string
	}{
		{"no token", "POST", "/api/agents/1001/login", "", "", "", 401, ""},
		{"bad token", "POST", "/api/agents/1001/login", "nope", "", "", 401, ""},
		{"unknown agent", "POST", "/api/agents/9999/login", apitest.IntegrationToken, "", "", 404, ""},
		{"not ready without activity", "POST", "/api/agents/1001/not_ready", apitest.IntegrationToken, "application/json", `{}`, 400, "activity"},
		{"not ready while logged out", "POST", "/api/agents/1002/not_ready", apitest.IntegrationToken, "application/json", `{"activity":"x"}`, 409, ""},
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
	s, _ := apitest.NewAgentServer(t)
	code, m, raw := do(t, s, "POST", "/api/agents/1002/login", apitest.IntegrationToken, "application/json", `{"endpoint":"PJSIP/1002"}`)
	if code != 200 || m["state"] != "ready" {
		t.Fatalf("login %d %s", code, raw)
	}
	code, _, raw = do(t, s, "GET", "/api/agents", apitest.IntegrationToken, "", "")
	if code != 200 || !strings.Contains(raw, `"id":"1002","name":"Bob","state":"ready"`) {
		t.Fatalf("list %d %s", code, raw)
	}
}
