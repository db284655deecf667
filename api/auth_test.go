package api

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ccdhq/ccd"
)

// fakeClock sets the agent interfaces' clock for one test.
func fakeClock(t *testing.T) *time.Time {
	now := time.Date(2026, 3, 10, 8, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	agentsNow = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	t.Cleanup(func() { agentsNow = time.Now })
	return &now
}

const (
	addrA = "198.51.100.7:50000"
	addrB = "203.0.113.9:50000"
)

func newAuthServer(t *testing.T, maxFailures int) *Server {
	s := New(nil, nil)
	s.MountAgents(newFakeAgents(), AgentAuth{
		Token: integrationToken, Passwords: map[string]string{"1001": "alice-pw", "1002": "bob-pw"},
		Names: map[string]string{"1001": "Alice Smith"}, Emails: map[string]string{"1001": "alice@example.com"},
		TokenTTL: time.Hour, OptimusUser: "ws", OptimusPassword: "ws-pw",
		LoginMaxFailures: maxFailures, LoginWindow: 5 * time.Minute,
	})
	return s
}

func loginBody(user, pw string) string {
	return fmt.Sprintf(`{"username":%q,"password":%q}`, user, pw)
}

func TestLoginAnswersAsOMniLeads(t *testing.T) {
	s := newAuthServer(t, 10)
	code, m, raw, _ := doFrom(t, s, addrA, "POST", "/api/v1/login", "", "application/json", loginBody("1001", "alice-pw"))
	if code != 200 {
		t.Fatalf("login %d %s", code, raw)
	}
	user, _ := m["user"].(map[string]any)
	if tok, _ := m["token"].(string); len(tok) < 32 || m["expires_in"] != "3600" || user["first_name"] != "Alice" ||
		user["last_name"] != "Smith" || user["email"] != "alice@example.com" {
		t.Fatalf("login answer %s", raw)
	}
	// A wrong password and an unknown user get the same OMniLeads answer.
	for _, body := range []string{loginBody("1001", "wrong"), loginBody("nobody", "x")} {
		code, m, raw, _ := doFrom(t, s, addrA, "POST", "/api/v1/login", "", "application/json", body)
		if code != 404 || m["detail"] != "Invalid Credentials or activate account" || len(m) != 1 {
			t.Fatalf("failed login %s: %d %s", body, code, raw)
		}
	}
}

func TestLoginThrottlesGuessing(t *testing.T) {
	now := fakeClock(t)
	const maxFailures = 5
	s := newAuthServer(t, maxFailures)
	// 300 wrong passwords in parallel for one user from one address.
	var mu sync.Mutex
	counts := map[int]int{}
	var wg sync.WaitGroup
	for i := range 300 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			code, m, raw, h := doFrom(t, s, addrA, "POST", "/api/v1/login", "", "application/json", loginBody("1001", "guess"+strconv.Itoa(i)))
			if code == 429 {
				e, _ := m["error"].(map[string]any)
				if secs, err := strconv.Atoi(h.Get("Retry-After")); err != nil || secs < 1 || secs > 300 || e["code"] != ccd.ETOOMANY {
					t.Errorf("throttled answer: Retry-After %q, %s", h.Get("Retry-After"), raw)
				}
			}
			mu.Lock()
			counts[code]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	if counts[404] != maxFailures || counts[429] != 300-maxFailures {
		t.Fatalf("answers %v: want %d password checks, then 429", counts, maxFailures)
	}
	// The right password does not open a throttled user, from anywhere.
	if code, _, raw, _ := doFrom(t, s, addrB, "POST", "/api/v1/login", "", "application/json", loginBody("1001", "alice-pw")); code != 429 {
		t.Fatalf("throttled user logged in: %d %s", code, raw)
	}
	// Another user from another address logs in at once.
	if code, _, raw, _ := doFrom(t, s, addrB, "POST", "/api/v1/login", "", "application/json", loginBody("1002", "bob-pw")); code != 200 {
		t.Fatalf("other user, other address: %d %s", code, raw)
	}
	// The guessing address is throttled for every user.
	if code, _, raw, _ := doFrom(t, s, addrA, "POST", "/api/v1/login", "", "application/json", loginBody("1002", "bob-pw")); code != 429 {
		t.Fatalf("throttled address: %d %s", code, raw)
	}
	*now = now.Add(5 * time.Minute)
	if code, _, raw, _ := doFrom(t, s, addrA, "POST", "/api/v1/login", "", "application/json", loginBody("1001", "alice-pw")); code != 200 {
		t.Fatalf("after the window: %d %s", code, raw)
	}
}

func TestSuccessfulLoginsAreNotThrottled(t *testing.T) {
	fakeClock(t)
	s := newAuthServer(t, 3)
	for i := range 50 {
		if code, _, raw, _ := doFrom(t, s, addrA, "POST", "/api/v1/login", "", "application/json", loginBody("1001", "alice-pw")); code != 200 {
			t.Fatalf("login %d: %d %s", i, code, raw)
		}
	}
	q := url.Values{"webServiceUserName": {"ws"}, "password": {"ws-pw"}, "Username": {"1001"}}
	for i := range 50 {
		if code, _, raw, _ := doFrom(t, s, addrA, "GET", "/AgentServices.asmx/CheckExtensionState?"+q.Encode(), "", "", ""); code != 200 {
			t.Fatalf("AgentServices call %d: %d %s", i, code, raw)
		}
	}
}

func TestOptimusCredentialsAreThrottled(t *testing.T) {
	fakeClock(t)
	s := newAuthServer(t, 5)
	q := url.Values{"webServiceUserName": {"ws"}, "password": {"guess"}, "Username": {"1001"}}
	counts := map[int]int{}
	var last string
	var retry string
	for range 300 {
		code, _, raw, h := doFrom(t, s, addrA, "GET", "/AgentServices.asmx/LOGOUT?"+q.Encode(), "", "", "")
		counts[code]++
		last, retry = raw, h.Get("Retry-After")
	}
	if counts[401] != 5 || counts[429] != 295 || retry == "" || !strings.Contains(last, "ERROR: too many failed logins") {
		t.Fatalf("answers %v, last %s (Retry-After %q)", counts, last, retry)
	}
}

func TestTokensExpireAndLogoutRevokes(t *testing.T) {
	now := fakeClock(t)
	s := newAuthServer(t, 10)
	login := func() string {
		t.Helper()
		code, m, raw, _ := doFrom(t, s, addrA, "POST", "/api/v1/login", "", "application/json", loginBody("1001", "alice-pw"))
		if code != 200 {
			t.Fatalf("login %d %s", code, raw)
		}
		return m["token"].(string)
	}
	status := func(token string) int {
		code, _, _ := do(t, s, "GET", "/api/agents/1001", token, "", "")
		return code
	}
	old := login()
	*now = now.Add(59 * time.Minute)
	renewed := login() // a CRM renews before expires_in runs out
	if status(old) != 200 || status(renewed) != 200 {
		t.Fatal("tokens refused before they expire")
	}
	*now = now.Add(time.Minute)
	if status(old) != 401 || status(renewed) != 200 {
		t.Fatalf("after an hour: old %d, renewed %d", status(old), status(renewed))
	}
	other := login()
	if code, _, raw := do(t, s, "POST", "/api/v1/asterisk_logout/", renewed, "", ""); code != 200 {
		t.Fatalf("logout %d %s", code, raw)
	}
	if status(renewed) != 401 || status(other) != 401 {
		t.Fatalf("tokens after asterisk_logout: %d %d, want 401", status(renewed), status(other))
	}
}

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

func TestBearerSchemeIsCaseInsensitive(t *testing.T) {
	s, _ := newAgentServer(t)
	for _, scheme := range []string{"Bearer", "bearer", "BEARER"} {
		code, _, raw := doAuth(t, s, "GET", "/api/agents/1001", scheme+" "+integrationToken)
		if code != 200 {
			t.Fatalf("%s: %d %s", scheme, code, raw)
		}
	}
	if code, _, _ := doAuth(t, s, "GET", "/api/agents/1001", "Basic "+integrationToken); code != 401 {
		t.Fatalf("Basic accepted: %d", code)
	}
	// The statistics interfaces read the header the same way: past the
	// authentication, they answer that no live source is there.
	s.MountStats(nil, nil, integrationToken, time.UTC, nil)
	if code, _, raw := doAuth(t, s, "GET", "/api/stats/realtime/queues", "bearer "+integrationToken); code != 503 {
		t.Fatalf("statistics with lower-case bearer: %d %s", code, raw)
	}
}

// doAuth sends a request with an Authorization header as given.
func doAuth(t *testing.T, s *Server, method, path, authorization string) (int, map[string]any, string) {
	t.Helper()
	req := httptest.NewRequest(method, path, nil)
	req.Header.Set("Authorization", authorization)
	rec := httptest.NewRecorder()
	s.Echo.ServeHTTP(rec, req)
	var m map[string]any
	_ = json.Unmarshal(rec.Body.Bytes(), &m)
	return rec.Code, m, rec.Body.String()
}
