package api_test

import (
	"strings"
	"testing"

	"github.com/ccdhq/ccd/internal/apitest"
)

func TestAgentAPIRejectsBadInput(t *testing.T) {
	s, _ := apitest.NewAgentServer(t)
	cases := []apitest.ErrorCase{
		{Name: "no token", Method: "POST", Path: "/api/agents/1001/login", Code: 401},
		{Name: "bad token", Method: "POST", Path: "/api/agents/1001/login", Token: "nope", Code: 401},
		{Name: "unknown agent", Method: "POST", Path: "/api/agents/9999/login", Token: apitest.IntegrationToken, Code: 404},
		{Name: "not ready without activity", Method: "POST", Path: "/api/agents/1001/not_ready", Token: apitest.IntegrationToken, ContentType: "application/json", Body: `{}`, Code: 400, Field: "activity"},
		{Name: "not ready while logged out", Method: "POST", Path: "/api/agents/1002/not_ready", Token: apitest.IntegrationToken, ContentType: "application/json", Body: `{"activity":"x"}`, Code: 409},
	}
	apitest.CheckErrors(t, s, cases)
}

func TestNativeAgentAPI(t *testing.T) {
	s, _ := apitest.NewAgentServer(t)
	code, m, raw := apitest.Do(t, s, "POST", "/api/agents/1002/login", apitest.IntegrationToken, "application/json", `{"endpoint":"PJSIP/1002"}`)
	if code != 200 || m["state"] != "ready" {
		t.Fatalf("login %d %s", code, raw)
	}
	code, _, raw = apitest.Do(t, s, "GET", "/api/agents", apitest.IntegrationToken, "", "")
	if code != 200 || !strings.Contains(raw, `"id":"1002","name":"Bob","state":"ready"`) {
		t.Fatalf("list %d %s", code, raw)
	}
}
