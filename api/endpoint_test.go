package api_test

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/ccdhq/ccd/api"
	"github.com/ccdhq/ccd/internal/apitest"
)

// agentToken logs Alice (1001) in to the OMniLeads session API.
func agentToken(t *testing.T, s *api.Server) string {
	t.Helper()
	code, m, raw := apitest.Do(t, s, "POST", "/api/v1/login", "", "application/json", `{"username":"1001","password":"alice-pw"}`)
	token, _ := m["token"].(string)
	if code != 200 || token == "" {
		t.Fatalf("login %d %s", code, raw)
	}
	return token
}

// loginVia logs agent 1001 in at endpoint through one dialect: "oml"
// (asterisk_login with token), "ccd" (/api/agents/1001/login with token) or
// "optimus" (LOGIN with the web-service credential and ExtensionNumber).
func loginVia(t *testing.T, s *api.Server, dialect, token, endpoint string) (int, map[string]any, string) {
	t.Helper()
	body := `{"endpoint":` + quoteJSON(endpoint) + `}`
	switch dialect {
	case "oml":
		if token == apitest.IntegrationToken {
			body = `{"agent":"1001","endpoint":` + quoteJSON(endpoint) + `}`
		}
		return apitest.Do(t, s, "POST", "/api/v1/asterisk_login/", token, "application/json", body)
	case "ccd":
		return apitest.Do(t, s, "POST", "/api/agents/1001/login", token, "application/json", body)
	default:
		q := url.Values{"webServiceUserName": {"ws"}, "password": {"ws-pw"}, "Username": {"1001"}, "ExtensionNumber": {endpoint}}
		return apitest.Do(t, s, "GET", "/AgentServices.asmx/LOGIN?"+q.Encode(), "", "", "")
	}
}

// errorField is the field an error answer names: "field" in the JSON shape, or
// the parameter in AgentServices' "ERROR: <parameter>: <problem>".
func errorField(m map[string]any, raw string) string {
	if e, _ := m["error"].(map[string]any); e != nil {
		f, _ := e["field"].(string)
		return f
	}
	_, rest, ok := strings.Cut(raw, ">ERROR: ")
	if !ok {
		return ""
	}
	f, _, _ := strings.Cut(rest, ":")
	return f
}

func quoteJSON(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// The attacks of the toll-fraud report: with only its own password an agent
// made ccd dial an outbound trunk, a colleague's phone, or a path. Each
// dialect refuses them, naming its own field.
func TestAgentCannotLogInAtArbitraryEndpoints(t *testing.T) {
	for _, dialect := range []string{"oml", "ccd", "optimus"} {
		field := map[string]string{"oml": "endpoint", "ccd": "endpoint", "optimus": "ExtensionNumber"}[dialect]
		t.Run(dialect, func(t *testing.T) {
			s, f := apitest.NewAgentServer(t)
			token := agentToken(t, s)
			for _, tc := range []struct {
				endpoint string
				code     int
			}{
				{"Local/0090055512345@outbound-trunk", 403},
				{"PJSIP/1002", 403}, // Bob's phone
				{"1002", 403},       // the same by number
				{"PJSIP/2100", 403}, // not in acd.extensions
				{"../../etc/passwd", 400},
				{"PJSIP/2001&Local/0090055512345@outbound-trunk", 400},
				{"PJSIP/2001,60,tT", 400},
			} {
				code, m, raw := loginVia(t, s, dialect, token, tc.endpoint)
				if code != tc.code || errorField(m, raw) != field {
					t.Fatalf("login at %q: %d %s, want %d naming %s", tc.endpoint, code, raw, tc.code, field)
				}
			}
			if st, _ := f.Agent(context.Background(), "1001"); st.State != "logged_out" {
				t.Fatalf("a refused login logged the agent in: %+v", st)
			}
		})
	}
}

// What the configuration allows an agent works in every dialect: its own
// endpoints and a free extension in acd.extensions, dialled through
// acd.extension_endpoint.
func TestAgentLogsInAtAllowedEndpoints(t *testing.T) {
	for _, dialect := range []string{"oml", "ccd", "optimus"} {
		t.Run(dialect, func(t *testing.T) {
			s, f := apitest.NewAgentServer(t)
			token := agentToken(t, s)
			for _, tc := range []struct{ endpoint, want string }{
				{"2050", "PJSIP/2050"},
				{"1001", "PJSIP/1001"},
				{"Local/1001@agents", "Local/1001@agents"},
				{"PJSIP/2099", "PJSIP/2099"},
			} {
				if dialect == "optimus" && tc.endpoint[0] > '9' {
					continue // Optimus sends extension numbers
				}
				code, _, raw := loginVia(t, s, dialect, token, tc.endpoint)
				if code != 200 {
					t.Fatalf("login at %q: %d %s", tc.endpoint, code, raw)
				}
				if st, _ := f.Agent(context.Background(), "1001"); st.Endpoint != tc.want {
					t.Fatalf("login at %q reached the ACD as %q, want %q", tc.endpoint, st.Endpoint, tc.want)
				}
			}
		})
	}
}

// The integration token is trusted with any well-formed endpoint, and still
// held to the syntax.
func TestIntegrationTokenSetsAnyWellFormedEndpoint(t *testing.T) {
	for _, dialect := range []string{"oml", "ccd"} {
		t.Run(dialect, func(t *testing.T) {
			s, f := apitest.NewAgentServer(t)
			code, _, raw := loginVia(t, s, dialect, apitest.IntegrationToken, "Local/0090055512345@outbound-trunk")
			if code != 200 {
				t.Fatalf("integration login: %d %s", code, raw)
			}
			if st, _ := f.Agent(context.Background(), "1001"); st.Endpoint != "Local/0090055512345@outbound-trunk" {
				t.Fatalf("agent %+v", st)
			}
			code, m, raw := loginVia(t, s, dialect, apitest.IntegrationToken, "../../etc/passwd")
			if e, _ := m["error"].(map[string]any); code != 400 || e == nil || e["field"] != "endpoint" {
				t.Fatalf("integration login at a path: %d %s", code, raw)
			}
		})
	}
}
