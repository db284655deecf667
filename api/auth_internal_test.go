package api

import (
	"strconv"
	"testing"
	"time"
)

func TestSessionTableIsBounded(t *testing.T) {
	now := time.Date(2026, 3, 10, 8, 0, 0, 0, time.UTC)
	tab := newSessionTable(time.Hour, 20)
	var tokens []string
	for i := range 3 * maxSessionsPerAgent {
		now = now.Add(time.Second)
		tokens = append(tokens, tab.open(now, "1001"))
		if n := tab.count("1001"); n > maxSessionsPerAgent {
			t.Fatalf("after %d logins the agent holds %d sessions", i+1, n)
		}
	}
	if _, ok := tab.agent(now, tokens[0]); ok {
		t.Fatal("the oldest session of the agent was kept")
	}
	if a, ok := tab.agent(now, tokens[len(tokens)-1]); !ok || a != "1001" {
		t.Fatal("the newest session was dropped")
	}
	for i := range 100 {
		now = now.Add(time.Second)
		tab.open(now, "agent"+strconv.Itoa(i))
		if len(tab.byID) > 20 {
			t.Fatalf("table holds %d sessions, limit 20", len(tab.byID))
		}
	}
	now = now.Add(time.Hour)
	tab.open(now, "1001")
	if len(tab.byID) != 1 {
		t.Fatalf("expired sessions kept: %d", len(tab.byID))
	}
}

func TestThrottleTableIsBounded(t *testing.T) {
	now := time.Date(2026, 3, 10, 8, 0, 0, 0, time.UTC)
	th := newThrottle(3, time.Minute)
	th.limit = 50
	fail := func() bool { return false }
	for i := range 1000 {
		th.attempt(now, []string{addressKey("10.0." + strconv.Itoa(i/250) + "." + strconv.Itoa(i%250))}, "", fail)
		if len(th.entries) > 50 {
			t.Fatalf("throttle holds %d entries, limit 50", len(th.entries))
		}
	}
	// One IPv6 client is one /64.
	for i := range 5 {
		th.attempt(now, []string{addressKey("2001:db8:1:2::" + strconv.Itoa(i+1))}, "", fail)
	}
	if _, wait := th.attempt(now, []string{addressKey("2001:db8:1:2:ffff::1")}, "", fail); wait <= 0 {
		t.Fatal("addresses of one IPv6 /64 are throttled apart")
	}
}
