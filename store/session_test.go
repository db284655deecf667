package store_test

import (
	"crypto/sha256"
	"fmt"
	"testing"
	"time"

	"github.com/ccdhq/ccd/internal/pgtest"
)

func tokenHash(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

// Sessions in the database keep the bounds of the in-memory table: expiry,
// at most perAgent per agent and total in all (the oldest go), and a logout
// ends them. Only the hash is stored.
func TestAgentSessionsAreBoundedAndRevoked(t *testing.T) {
	db := pgtest.NewDB(t)
	ctx := ctxT(t)
	now := time.Date(2026, 3, 10, 8, 0, 0, 0, time.UTC)
	open := func(token, agent string) {
		t.Helper()
		now = now.Add(time.Second)
		if err := db.OpenAgentSession(ctx, tokenHash(token), agent, now, now.Add(time.Hour), 3, 5); err != nil {
			t.Fatal(err)
		}
	}
	agentOf := func(token string) string {
		t.Helper()
		a, ok, err := db.AgentOfSession(ctx, tokenHash(token), now)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			return ""
		}
		return a
	}
	for i := range 4 {
		open(fmt.Sprint("t", i), "1001")
	}
	if agentOf("t0") != "" || agentOf("t1") != "1001" || agentOf("t3") != "1001" {
		t.Fatal("the agent's oldest session was not the one dropped")
	}
	for i := range 4 {
		open(fmt.Sprint("u", i), fmt.Sprint("agent", i))
	}
	var n int
	if err := db.Get(&n, `SELECT count(*) FROM agent_session`); err != nil || n != 5 {
		t.Fatalf("%d sessions stored, limit 5 (%v)", n, err)
	}
	var leaked int
	if err := db.Get(&leaked, `SELECT count(*) FROM agent_session WHERE token_hash = $1`, []byte("u3")); err != nil || leaked != 0 {
		t.Fatalf("a token stored as it is (%v)", err)
	}
	if agentOf("u3") != "agent3" {
		t.Fatal("the newest session was dropped")
	}
	if err := db.RevokeAgentSessions(ctx, "agent3"); err != nil {
		t.Fatal(err)
	}
	if agentOf("u3") != "" {
		t.Fatal("a revoked session is still open")
	}
	now = now.Add(time.Hour)
	if agentOf("u2") != "" {
		t.Fatal("an expired session is still open")
	}
	open("v", "1001")
	if err := db.Get(&n, `SELECT count(*) FROM agent_session`); err != nil || n != 1 {
		t.Fatalf("expired sessions kept: %d (%v)", n, err)
	}
}
