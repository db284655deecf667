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

// A change that makes no sense in the agent's state is a 409 naming the
// state, and never reaches the ACD: ready on a call or ringing, anything
// while logged out. Not ready and log out on a call pass (the ACD applies
// them when the call ends).
func TestAgentAPIRefusesSenselessChanges(t *testing.T) {
	s, f := apitest.NewAgentServer(t)
	post := func(agent, change, body string) (int, string) {
		code, _, raw := apitest.Do(t, s, "POST", "/api/agents/"+agent+"/"+change, apitest.IntegrationToken, "application/json", body)
		return code, raw
	}
	if code, raw := post("1002", "login", `{"endpoint":"PJSIP/1002"}`); code != 200 {
		t.Fatalf("login %d %s", code, raw)
	}
	before := len(f.Requests())
	f.SetState("1002", "on_call")
	refused := []struct{ state, change, body string }{
		{"on_call", "ready", `{}`},
		{"ringing", "ready", `{}`},
		{"logged_out", "ready", `{}`},
		{"logged_out", "not_ready", `{"activity":"break"}`},
	}
	for _, r := range refused {
		f.SetState("1002", r.state)
		code, raw := post("1002", r.change, r.body)
		if code != 409 || !strings.Contains(raw, `"field":"state"`) || !strings.Contains(raw, "is "+r.state+":") {
			t.Errorf("%s while %s: %d %s, want 409 naming the state", r.change, r.state, code, raw)
		}
	}
	if got := f.Requests()[before:]; len(got) != 0 {
		t.Errorf("refused changes reached the ACD: %v", got)
	}
	// Logging out a logged-out agent again changes nothing and is no error:
	// scripts log everyone out at the end of the day.
	f.SetState("1002", "logged_out")
	if code, raw := post("1002", "logout", `{}`); code != 200 {
		t.Errorf("logout while logged out: %d %s, want 200", code, raw)
	}
	for _, change := range []struct{ name, body string }{{"not_ready", `{"activity":"break"}`}, {"logout", `{}`}} {
		f.SetState("1002", "on_call")
		if code, raw := post("1002", change.name, change.body); code != 200 {
			t.Errorf("%s on a call: %d %s, want 200", change.name, code, raw)
		}
	}
}
