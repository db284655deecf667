package api_test

import (
	"testing"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/internal/apitest"
)

// A value of the wrong JSON type is refused naming its field, in every body
// shape the agent and call requests take; a transfer dials only numbers.
func TestWrongTypesAndNumbersNameTheField(t *testing.T) {
	s, f := newCallServer(t, []ccd.Call{{ID: "c1", Agent: "1001"}})
	for _, c := range []struct{ path, body, field string }{
		{"/api/v1/login", `{"username":{"$ne":null},"password":"x"}`, "username"},
		{"/api/v1/asterisk_pause/", `{"agent":"1001","pause_id":1e999}`, "pause_id"},
		{"/api/agents/1001/not_ready", `{"activity":1e999}`, "activity"},
		{"/api/agents/1001/not_ready", `{"activity":"lunch","note":{"a":1}}`, "note"},
		{"/api/calls/c1/transfer", `{"number":["1"]}`, "number"},
		{"/api/calls/c1/transfer", `{"number":"' OR '1'='1"}`, "number"},
		{"/api/calls/c1/transfer", `{"number":"100&Local/0090055512345@trunk"}`, "number"},
		{"/api/calls/c1/transfer", `{"number":"s"}`, "number"},
	} {
		code, m, raw := apitest.Do(t, s, "POST", c.path, apitest.IntegrationToken, "application/json", c.body)
		if e, _ := m["error"].(map[string]any); code != 400 || e == nil || e["field"] != c.field {
			t.Errorf("%s %s: %d %s, want 400 naming %s", c.path, c.body, code, raw, c.field)
		}
	}
	if got := f.LastAct(); got != "" {
		t.Fatalf("a refused transfer reached the ACD: %q", got)
	}
	if code, _, raw := apitest.Do(t, s, "POST", "/api/calls/c1/transfer", apitest.IntegrationToken, "application/json", `{"number":"+49301234#"}`); code != 200 {
		t.Fatalf("a dialable number: %d %s", code, raw)
	}
}
