package api_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/api"
	"github.com/ccdhq/ccd/internal/apitest"
)

// downSessions is a session store whose database is not reachable.
type downSessions struct{}

var errDown = &ccd.Error{Code: ccd.EUNAVAILABLE, Message: "database not connected yet: agent sessions are kept in the database; retry"}

func (downSessions) OpenAgentSession(context.Context, []byte, string, time.Time, time.Time, int, int) error {
	return errDown
}

func (downSessions) AgentOfSession(context.Context, []byte, time.Time) (string, bool, error) {
	return "", false, errDown
}

func (downSessions) RevokeAgentSessions(context.Context, string) error { return errDown }

// While the sessions cannot be read, a request with a token that is not a
// configured one is a 503 saying why, not a 401 that would make the agent
// log in again for nothing; configured tokens go on working.
func TestSessionStoreDownIs503(t *testing.T) {
	s := api.NewServer(nil, nil, api.Options{Token: apitest.IntegrationToken})
	apitest.MountAgents(s, apitest.NewFakeAgents(), api.AgentAuth{TokenTTL: time.Hour, Sessions: downSessions{},
		Passwords: map[string]string{"1001": "alice-password-0123456789"}}, apitest.Optimus)
	code, _, raw := apitest.Do(t, s, "GET", "/api/agents/1001", "some-agent-token", "", "")
	if code != 503 || !strings.Contains(raw, "database") {
		t.Fatalf("agent token while the sessions are down: %d %s", code, raw)
	}
	code, _, raw = apitest.Do(t, s, "POST", "/api/v1/login", "", "application/json", apitest.LoginBody("1001", "alice-password-0123456789"))
	if code != 503 || !strings.Contains(raw, "database") {
		t.Fatalf("login while the sessions are down: %d %s", code, raw)
	}
	if code, _, raw := apitest.Do(t, s, "GET", "/api/agents/1001", apitest.IntegrationToken, "", ""); code != 200 {
		t.Fatalf("integration token while the sessions are down: %d %s", code, raw)
	}
}
