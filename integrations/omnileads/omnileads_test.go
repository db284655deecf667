package omnileads_test

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/internal/apitest"
)

func TestOMniLeadsSessionAPI(t *testing.T) {
	s, f := apitest.NewAgentServer(t)
	code, m, raw := apitest.Do(t, s, "POST", "/api/v1/login", "", "application/json", `{"username":"1001","password":"alice-pw"}`)
	if code != 200 || m["token"] == nil || m["user"].(map[string]any)["first_name"] != "Alice" {
		t.Fatalf("login %d %s", code, raw)
	}
	token := m["token"].(string)
	for _, step := range []struct{ path, body, want string }{
		{"/api/v1/asterisk_login/", "", "ready"},
		{"/api/v1/asterisk_pause/", `{"pause_id":"lunch"}`, "not_ready"},
		{"/api/v1/asterisk_unpause/", `{"pause_id":"lunch"}`, "ready"},
		{"/api/v1/asterisk_logout/", "", "logged_out"},
	} {
		code, _, raw := apitest.Do(t, s, "POST", step.path, token, "application/json", step.body)
		if code != 200 {
			t.Fatalf("%s: %d %s", step.path, code, raw)
		}
		if st, _ := f.Agent(context.Background(), "1001"); st.State != step.want {
			t.Fatalf("after %s state %s, want %s", step.path, st.State, step.want)
		}
	}
	if f.Requests()[1] != "1001:not_ready:lunch" {
		t.Fatalf("pause recorded as %q", f.Requests()[1])
	}
	// An agent acts for itself only: it is known, so refused (403), not
	// asked for credentials (401).
	_, m, _ = apitest.Do(t, s, "POST", "/api/v1/login", "", "application/json", `{"username":"1001","password":"alice-pw"}`)
	token, _ = m["token"].(string)
	for _, tc := range []struct{ method, path, body string }{
		{"POST", "/api/v1/asterisk_pause/", `{"agent":"1002","pause_id":"x"}`},
		{"POST", "/api/agents/1002/ready", ""},
		{"GET", "/api/agents/1002", ""},
		{"GET", "/api/agents", ""},
	} {
		code, m, raw := apitest.Do(t, s, tc.method, tc.path, token, "application/json", tc.body)
		if e, _ := m["error"].(map[string]any); code != 403 || e["code"] != ccd.EFORBIDDEN {
			t.Fatalf("agent acting for another via %s: %d %s", tc.path, code, raw)
		}
	}
}

func TestLoginAnswersAsOMniLeads(t *testing.T) {
	s := apitest.NewAuthServer(t, apitest.NewClock(), 10)
	code, m, raw, _ := apitest.DoFrom(t, s, apitest.AddrA, "POST", "/api/v1/login", "", "application/json", apitest.LoginBody("1001", "alice-pw"))
	if code != 200 {
		t.Fatalf("login %d %s", code, raw)
	}
	user, _ := m["user"].(map[string]any)
	if tok, _ := m["token"].(string); len(tok) < 32 || m["expires_in"] != "3600" || user["first_name"] != "Alice" ||
		user["last_name"] != "Smith" || user["email"] != "alice@example.com" {
		t.Fatalf("login answer %s", raw)
	}
	// A wrong password and an unknown user get the same OMniLeads answer.
	for _, body := range []string{apitest.LoginBody("1001", "wrong"), apitest.LoginBody("nobody", "x")} {
		code, m, raw, _ := apitest.DoFrom(t, s, apitest.AddrA, "POST", "/api/v1/login", "", "application/json", body)
		if code != 404 || m["detail"] != "Invalid Credentials or activate account" || len(m) != 1 {
			t.Fatalf("failed login %s: %d %s", body, code, raw)
		}
	}
}

func TestLoginThrottlesGuessing(t *testing.T) {
	now := apitest.NewClock()
	const maxFailures = 5
	s := apitest.NewAuthServer(t, now, maxFailures)
	// 300 wrong passwords in parallel for one user from one address.
	var mu sync.Mutex
	counts := map[int]int{}
	var wg sync.WaitGroup
	for i := range 300 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			code, m, raw, h := apitest.DoFrom(t, s, apitest.AddrA, "POST", "/api/v1/login", "", "application/json", apitest.LoginBody("1001", "guess"+strconv.Itoa(i)))
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
	if code, _, raw, _ := apitest.DoFrom(t, s, apitest.AddrB, "POST", "/api/v1/login", "", "application/json", apitest.LoginBody("1001", "alice-pw")); code != 429 {
		t.Fatalf("throttled user logged in: %d %s", code, raw)
	}
	// Another user from another address logs in at once.
	if code, _, raw, _ := apitest.DoFrom(t, s, apitest.AddrB, "POST", "/api/v1/login", "", "application/json", apitest.LoginBody("1002", "bob-pw")); code != 200 {
		t.Fatalf("other user, other address: %d %s", code, raw)
	}
	// The guessing address is throttled for every user.
	if code, _, raw, _ := apitest.DoFrom(t, s, apitest.AddrA, "POST", "/api/v1/login", "", "application/json", apitest.LoginBody("1002", "bob-pw")); code != 429 {
		t.Fatalf("throttled address: %d %s", code, raw)
	}
	now.Add(5 * time.Minute)
	if code, _, raw, _ := apitest.DoFrom(t, s, apitest.AddrA, "POST", "/api/v1/login", "", "application/json", apitest.LoginBody("1001", "alice-pw")); code != 200 {
		t.Fatalf("after the window: %d %s", code, raw)
	}
}

func TestTokensExpireAndLogoutRevokes(t *testing.T) {
	now := apitest.NewClock()
	s := apitest.NewAuthServer(t, now, 10)
	login := func() string {
		t.Helper()
		code, m, raw, _ := apitest.DoFrom(t, s, apitest.AddrA, "POST", "/api/v1/login", "", "application/json", apitest.LoginBody("1001", "alice-pw"))
		if code != 200 {
			t.Fatalf("login %d %s", code, raw)
		}
		return m["token"].(string)
	}
	status := func(token string) int {
		code, _, _ := apitest.Do(t, s, "GET", "/api/agents/1001", token, "", "")
		return code
	}
	old := login()
	now.Add(59 * time.Minute)
	renewed := login() // a CRM renews before expires_in runs out
	if status(old) != 200 || status(renewed) != 200 {
		t.Fatal("tokens refused before they expire")
	}
	now.Add(time.Minute)
	if status(old) != 401 || status(renewed) != 200 {
		t.Fatalf("after an hour: old %d, renewed %d", status(old), status(renewed))
	}
	other := login()
	if code, _, raw := apitest.Do(t, s, "POST", "/api/v1/asterisk_logout/", renewed, "", ""); code != 200 {
		t.Fatalf("logout %d %s", code, raw)
	}
	if status(renewed) != 401 || status(other) != 401 {
		t.Fatalf("tokens after asterisk_logout: %d %d, want 401", status(renewed), status(other))
	}
}

func TestSessionAPIRejectsBadInput(t *testing.T) {
	s, _ := apitest.NewAgentServer(t)
	cases := []apitest.ErrorCase{
		{Name: "no username", Method: "POST", Path: "/api/v1/login", ContentType: "application/json", Body: `{"password":"x"}`, Code: 400, Field: "username"},
		{Name: "agent without password", Method: "POST", Path: "/api/v1/login", ContentType: "application/json", Body: `{"username":"1002","password":""}`, Code: 400, Field: "password"},
		{Name: "malformed json", Method: "POST", Path: "/api/v1/login", ContentType: "application/json", Body: `{"username":`, Code: 400, Field: "body"},
		{Name: "no token", Method: "POST", Path: "/api/v1/asterisk_login/", Code: 401},
		{Name: "bad token", Method: "POST", Path: "/api/v1/asterisk_login/", Token: "nope", Code: 401},
		{Name: "integration without agent", Method: "POST", Path: "/api/v1/asterisk_login/", Token: apitest.IntegrationToken, Code: 400, Field: "agent"},
		{Name: "pause without id", Method: "POST", Path: "/api/v1/asterisk_pause/", Token: apitest.IntegrationToken, ContentType: "application/json", Body: `{"agent":"1001"}`, Code: 400, Field: "pause_id"},
		{Name: "pause while logged out", Method: "POST", Path: "/api/v1/asterisk_pause/", Token: apitest.IntegrationToken, ContentType: "application/json", Body: `{"agent":"1002","pause_id":"x"}`, Code: 409},
	}
	apitest.CheckErrors(t, s, cases)
}

func TestSuccessfulLoginsAreNotThrottled(t *testing.T) {
	s := apitest.NewAuthServer(t, apitest.NewClock(), 3)
	for i := range 50 {
		if code, _, raw, _ := apitest.DoFrom(t, s, apitest.AddrA, "POST", "/api/v1/login", "", "application/json", apitest.LoginBody("1001", "alice-pw")); code != 200 {
			t.Fatalf("login %d: %d %s", i, code, raw)
		}
	}
}
