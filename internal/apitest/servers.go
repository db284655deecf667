package apitest

import (
	"fmt"
	"testing"
	"time"

	"github.com/ccdhq/ccd/acd/endpoints"
	"github.com/ccdhq/ccd/api"
)

// Client addresses of the throttling tests.
const (
	AddrA = "198.51.100.7:50000"
	AddrB = "203.0.113.9:50000"
)

// NewAgentServer is every agent interface over FakeAgents: Alice (1001)
// has a password, her phone and a softphone; Bob (1002) his phone;
// 2000-2099 are hot desks.
func NewAgentServer(t *testing.T) (*api.Server, *FakeAgents) {
	t.Helper()
	s := api.NewServer(nil, nil, api.Options{Token: IntegrationToken})
	f := NewFakeAgents()
	policy, err := endpoints.New("", "2000-2099", map[string][]string{
		"1001": {"PJSIP/1001", "Local/1001@agents"}, "1002": {"PJSIP/1002"},
	})
	if err != nil {
		t.Fatal(err)
	}
	MountAgents(s, f, api.AgentAuth{
		Passwords: map[string]string{"1001": "alice-pw"}, Names: map[string]string{"1001": "Alice Smith"},
		TokenTTL: time.Hour, Endpoints: policy,
	}, Optimus)
	return s, f
}

// NewAuthServer is every agent interface with passwords for Alice and Bob,
// on the clock now, throttling after maxFailures failed logins in five
// minutes.
func NewAuthServer(t *testing.T, now *Clock, maxFailures int) *api.Server {
	t.Helper()
	s := api.NewServer(nil, nil, api.Options{Token: IntegrationToken, Now: now.Now})
	MountAgents(s, NewFakeAgents(), api.AgentAuth{
		Passwords: map[string]string{"1001": "alice-pw", "1002": "bob-pw"},
		Names:     map[string]string{"1001": "Alice Smith"}, Emails: map[string]string{"1001": "alice@example.com"},
		TokenTTL: time.Hour, LoginMaxFailures: maxFailures, LoginWindow: 5 * time.Minute,
	}, Optimus)
	return s
}

// LoginBody is the OMniLeads login request of user with password pw.
func LoginBody(user, pw string) string {
	return fmt.Sprintf(`{"username":%q,"password":%q}`, user, pw)
}
