package omnileads_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/api"
	"github.com/ccdhq/ccd/internal/apitest"
)

// GET /api/v1/sip/credentials/agent/ answers a logged-in agent its own
// softphone's credentials in OMniLeads' fields (003 §18.1.11); an agent
// without a softphone gets a 404, and no other principal, the integration
// token included, reads anyone's.
func TestSIPCredentialsOfTheAgentItself(t *testing.T) {
	s := api.NewServer(nil, nil, api.Options{Token: apitest.IntegrationToken})
	sip := map[string][2]string{"1001": {"webrtc-1001", "sip-secret-of-1001-0123"}, "1003": {"webrtc-1003", "sip-secret-of-1003-0123"}}
	agents := apitest.MountAgents(s, apitest.NewFakeAgents(), api.AgentAuth{TokenTTL: time.Hour,
		SIP:        func(agent string) (string, string, bool) { c, ok := sip[agent]; return c[0], c[1], ok },
		AutoAnswer: func(agent string) bool { return agent == "1003" }}, apitest.Optimus)
	ann, _, err := agents.OpenSession(context.Background(), "1001")
	if err != nil {
		t.Fatal(err)
	}
	bob, _, err := agents.OpenSession(context.Background(), "1002")
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/api/v1/sip/credentials/agent/", "/api/v1/sip/credentials/agent"} {
		code, m, raw := apitest.Do(t, s, "GET", path, ann, "", "")
		if code != 200 || m["status"] != "OK" || m["sip_user"] != "webrtc-1001" || m["sip_password"] != "sip-secret-of-1001-0123" ||
			m["auto_answer"] != false {
			t.Fatalf("%s: %d %s", path, code, raw)
		}
	}
	// The web softphone learns from here that it answers by itself.
	carl, _, err := agents.OpenSession(context.Background(), "1003")
	if err != nil {
		t.Fatal(err)
	}
	if code, m, raw := apitest.Do(t, s, "GET", "/api/v1/sip/credentials/agent/", carl, "", ""); code != 200 || m["auto_answer"] != true {
		t.Errorf("auto-answer agent: %d %s", code, raw)
	}
	if code, _, raw := apitest.Do(t, s, "GET", "/api/v1/sip/credentials/agent/", bob, "", ""); code != 404 || strings.Contains(raw, "sip-secret") {
		t.Errorf("agent without a softphone: %d %s", code, raw)
	}
	code, m, raw := apitest.Do(t, s, "GET", "/api/v1/sip/credentials/agent/", apitest.IntegrationToken, "", "")
	if e, _ := m["error"].(map[string]any); code != 403 || e["code"] != ccd.EFORBIDDEN || strings.Contains(raw, "sip-secret") {
		t.Errorf("integration token: %d %s", code, raw)
	}
	if code, _, _ := apitest.Do(t, s, "GET", "/api/v1/sip/credentials/agent/", "", "", ""); code != 401 {
		t.Errorf("no credentials: %d", code)
	}
}
