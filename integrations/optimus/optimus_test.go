package optimus_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/ccdhq/ccd/internal/apitest"
)

func TestOptimusAgentServices(t *testing.T) {
	s, f := apitest.NewAgentServer(t)
	q := url.Values{"webServiceUserName": {"ws"}, "password": {"ws-pw"}, "Username": {"1001"}, "ExtensionNumber": {"1001"}}
	code, _, raw := apitest.Do(t, s, "GET", "/AgentServices.asmx/LOGIN?"+q.Encode(), "", "", "")
	if code != 200 || !strings.Contains(raw, `<string xmlns="http://tempuri.org/">OK</string>`) {
		t.Fatalf("LOGIN %d %s", code, raw)
	}
	form := url.Values{"webServiceUserName": {"ws"}, "password": {"ws-pw"}, "Username": {"1001"}, "activityCode": {"7"}}
	code, _, raw = apitest.Do(t, s, "POST", "/AgentServices.asmx/NOT%20READY", "", "application/x-www-form-urlencoded", form.Encode())
	if code != 200 {
		t.Fatalf("NOT READY %d %s", code, raw)
	}
	if st, _ := f.Agent(context.Background(), "1001"); st.State != "not_ready" {
		t.Fatalf("state %s", st.State)
	}
	q.Set("password", "wrong")
	if code, _, _ := apitest.Do(t, s, "GET", "/AgentServices.asmx/LOGOUT?"+q.Encode(), "", "", ""); code != 401 {
		t.Fatalf("bad ws password: %d", code)
	}
	q.Set("password", "ws-pw")
	code, _, raw = apitest.Do(t, s, "GET", "/AgentServices.asmx/CheckExtensionState?"+q.Encode(), "", "", "")
	if code != 200 || !strings.Contains(raw, ">not_ready<") {
		t.Fatalf("CheckExtensionState %d %s", code, raw)
	}
}

func TestOptimusCredentialsAreThrottled(t *testing.T) {
	now := apitest.NewClock()
	s := apitest.NewAuthServer(t, now, 5)
	q := url.Values{"webServiceUserName": {"ws"}, "password": {"guess"}, "Username": {"1001"}}
	counts := map[int]int{}
	var last string
	var retry string
	for range 300 {
		code, _, raw, h := apitest.DoFrom(t, s, apitest.AddrA, "GET", "/AgentServices.asmx/LOGOUT?"+q.Encode(), "", "", "")
		counts[code]++
		last, retry = raw, h.Get("Retry-After")
	}
	if counts[401] != 5 || counts[429] != 295 || retry == "" || !strings.Contains(last, "ERROR: too many failed logins") {
		t.Fatalf("answers %v, last %s (Retry-After %q)", counts, last, retry)
	}
}

func TestSuccessfulCallsAreNotThrottled(t *testing.T) {
	s := apitest.NewAuthServer(t, apitest.NewClock(), 3)
	q := url.Values{"webServiceUserName": {"ws"}, "password": {"ws-pw"}, "Username": {"1001"}}
	for i := range 50 {
		if code, _, raw, _ := apitest.DoFrom(t, s, apitest.AddrA, "GET", "/AgentServices.asmx/CheckExtensionState?"+q.Encode(), "", "", ""); code != 200 {
			t.Fatalf("AgentServices call %d: %d %s", i, code, raw)
		}
	}
}
