package api_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/api"
	"github.com/ccdhq/ccd/integrations/optimus"
	"github.com/ccdhq/ccd/internal/apitest"
)

// Handlers check the principal's roles, whatever credential it came with: a
// supervisor watches but does not act for agents, a BI tool reads the
// statistics only, and neither learns why ccd is not ready.
func TestRolesDecideAccess(t *testing.T) {
	const supervisorToken, biToken = "supervisor-token-0123456789", "bi-token-0123456789"
	s := api.NewServer(nil, nil, api.Options{Token: apitest.IntegrationToken})
	s.Grant(supervisorToken, ccd.NewPrincipal(ccd.Supervisor, "wallboard"))
	s.Grant(biToken, ccd.NewPrincipal(ccd.BI, "reports"))
	f := apitest.NewFakeCalls(nil)
	agents := apitest.MountAgents(s, f, api.AgentAuth{TokenTTL: time.Hour}, optimus.Credentials{})
	apitest.MountStats(s, &apitest.FakeStats{}, &apitest.FakeLive{}, time.UTC, nil)
	session, _, err := agents.OpenSession(context.Background(), "1001")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		method, path, body string
		want               map[string]int // token -> status
	}{
		{"GET", "/api/stats/agentstat?from=2026-03-10", "",
			map[string]int{apitest.IntegrationToken: 200, supervisorToken: 200, biToken: 200, session: 403}},
		{"GET", "/api/stats/realtime/agents", "",
			map[string]int{apitest.IntegrationToken: 200, supervisorToken: 200, biToken: 403, session: 403}},
		{"GET", "/api/v1/supervision/inbound", "",
			map[string]int{apitest.IntegrationToken: 200, supervisorToken: 200, biToken: 403, session: 403}},
		{"GET", "/api/agents", "",
			map[string]int{apitest.IntegrationToken: 200, supervisorToken: 200, biToken: 403, session: 403}},
		{"GET", "/api/calls", "",
			map[string]int{apitest.IntegrationToken: 200, supervisorToken: 200, biToken: 403, session: 200}},
		{"POST", "/api/agents/1001/ready", "",
			map[string]int{apitest.IntegrationToken: 200, supervisorToken: 403, biToken: 403, session: 200}},
		{"POST", "/api/v1/asterisk_pause/", `{"agent":"1001","pause_id":"lunch"}`,
			map[string]int{apitest.IntegrationToken: 200, supervisorToken: 403, biToken: 403, session: 200}},
		{"GET", "/api/stats/agentstat?from=2026-03-10", "", map[string]int{"unknown-token-0123456789": 401}},
	}
	// The agent is not ready before every request, so that ready and a
	// pause with another activity both change its state.
	if err := f.Login(context.Background(), "1001", "PJSIP/1001"); err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		for token, want := range c.want {
			if err := f.NotReady(context.Background(), "1001", "break"); err != nil {
				t.Fatal(err)
			}
			if code, m, raw := apitest.Do(t, s, c.method, c.path, token, "application/json", c.body); code != want {
				t.Errorf("%s %s as %.10s: %d %s, want %d", c.method, c.path, token, code, raw, want)
			} else if e, _ := m["error"].(map[string]any); want == 403 && e["code"] != ccd.EFORBIDDEN {
				t.Errorf("%s %s as %.10s: %s, want the forbidden code", c.method, c.path, token, raw)
			}
		}
	}
	s.AddCheck(api.Check{Name: "database", Func: func(ctx context.Context) error { return errors.New("dial tcp 10.1.2.3:5432: refused") }})
	for token, reasons := range map[string]bool{apitest.IntegrationToken: true, supervisorToken: false, biToken: false, session: false} {
		_, _, raw := apitest.DoAuth(t, s, "GET", "/readyz", "Bearer "+token)
		if strings.Contains(raw, "10.1.2.3") != reasons {
			t.Errorf("readyz as %.10s: %s, want reasons %v", token, raw, reasons)
		}
	}
}
