package daemon_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/ccdhq/ccd/internal/daemontest"
	"github.com/ccdhq/ccd/internal/pgtest"
)

const agentPassword = "agent-a1-password-0123456789"

// login is the OMniLeads login of a1 at addr: the status and the raw answer.
func login(t *testing.T, addr string) (int, string) {
	t.Helper()
	resp, err := http.Post("http://"+addr+"/api/v1/login", "application/json",
		strings.NewReader(`{"username":"a1","password":"`+agentPassword+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// An agent's token outlives the ccd that issued it: sessions are in the
// database, so a restarted ccd accepts it; a logout ends it.
func TestAgentSessionSurvivesARestart(t *testing.T) {
	h := newHarness(t)
	h.cfg.ACD.Agents[0].Password = agentPassword
	h.start()
	code, body := login(t, h.cfg.Listen)
	var answer struct {
		Token string `json:"token"`
	}
	if err := json.Unmarshal([]byte(body), &answer); err != nil || code != http.StatusOK || answer.Token == "" {
		t.Fatalf("login: %d %s", code, body)
	}
	if err := h.stop(); err != nil {
		t.Fatal(err)
	}
	h.start()
	if code := send(t, http.MethodGet, h.cfg.Listen, "/api/agents/a1", answer.Token, ""); code != http.StatusOK {
		t.Fatalf("the token after a restart: HTTP %d", code)
	}
	if code := send(t, http.MethodPost, h.cfg.Listen, "/api/agents/a1/login", answer.Token, `{}`); code != http.StatusOK {
		t.Fatalf("agent login: HTTP %d", code)
	}
	if code := send(t, http.MethodPost, h.cfg.Listen, "/api/agents/a1/logout", answer.Token, `{}`); code != http.StatusOK {
		t.Fatalf("agent logout: HTTP %d", code)
	}
	if code := send(t, http.MethodGet, h.cfg.Listen, "/api/agents/a1", answer.Token, ""); code != http.StatusUnauthorized {
		t.Fatalf("the token after the logout: HTTP %d, want 401", code)
	}
	var n int
	if err := h.db.Get(&n, `SELECT count(*) FROM agent_session`); err != nil || n != 0 {
		t.Fatalf("%d sessions left after the logout (%v)", n, err)
	}
}

// Before the database is up, a login is a 503 that names it: not a panic, not
// a 500, and not a token that would be forgotten.
func TestLoginWithoutDatabaseIs503(t *testing.T) {
	cluster, dsn := pgtest.NewCluster(t)
	h := newHarness(t)
	h.cfg.Database.URL = dsn
	h.cfg.ACD.Agents[0].Password = agentPassword
	if err := cluster.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	daemontest.Start(t, h.cfg, nil, false)
	h.waitFor("HTTP served", func() bool { code, _ := h.readyz(h.cfg.Listen); return code != 0 })
	code, body := login(t, h.cfg.Listen)
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "database not connected yet") {
		t.Fatalf("login without a database: %d %s", code, body)
	}
}
