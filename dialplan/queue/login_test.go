package queue

import (
	"encoding/json"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/ccdhq/ccd/api"
	"github.com/ccdhq/ccd/ari/aritest"
	"github.com/ccdhq/ccd/integrations/optimus"
	"github.com/ccdhq/ccd/internal/apitest"
)

// agentServer serves the agent APIs over the queue application, as the
// daemon does.
type agentServer struct {
	t   *testing.T
	srv *api.Server
}

const testToken = "integration-token-0123456789"

func newAgentServer(t *testing.T, e *env, auth api.AgentAuth, creds optimus.Credentials) *agentServer {
	s := api.NewServer(nil, nil, api.Options{Token: testToken})
	apitest.MountAgents(s, e.app, auth, creds)
	return &agentServer{t: t, srv: s}
}

// answer is what the agent APIs answer: a token, or an error naming a field.
type answer struct {
	Token string `json:"token"`
	Error struct {
		Field string `json:"field"`
	} `json:"error"`
}

func (s *agentServer) call(method, path, token, body string) (int, answer, string) {
	s.t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	s.srv.Echo.ServeHTTP(rec, req)
	var a answer
	_ = json.Unmarshal(rec.Body.Bytes(), &a)
	return rec.Code, a, rec.Body.String()
}

func (s *agentServer) token(agent, password string) string {
	s.t.Helper()
	code, a, raw := s.call("POST", "/api/v1/login", "", `{"username":"`+agent+`","password":"`+password+`"}`)
	if code != 200 {
		s.t.Fatalf("login of %s: %d %s", agent, code, raw)
	}
	return a.Token
}

// An endpoint another logged-in agent holds is refused in every dialect, for
// agents and for the integration token, with a 409 naming the field; what the
// policy forbids never reaches the ACD.
func TestLoginAtAnEndpointHeldByAnotherAgent(t *testing.T) {
	sim := aritest.NewSim()
	defer sim.Close()
	cfg := testACD()
	cfg.Extensions = "2000-2099"
	cfg.Agents[0].Password, cfg.Agents[1].Password = "ann-password", "bob-password"
	e := newEnv(t, sim, cfg, nil)
	policy, err := cfg.EndpointPolicy()
	if err != nil {
		t.Fatal(err)
	}
	s := newAgentServer(t, e, api.AgentAuth{Endpoints: policy, Passwords: map[string]string{"a1": "ann-password", "a2": "bob-password"}},
		optimus.Credentials{User: "ws", Password: "ws-password"})
	ann, bob := s.token("a1", "ann-password"), s.token("a2", "bob-password")
	if code, _, raw := s.call("POST", "/api/v1/asterisk_login/", ann, `{"endpoint":"2001"}`); code != 200 {
		t.Fatalf("ann at extension 2001: %d %s", code, raw)
	}
	optimusLogin := url.Values{"webServiceUserName": {"ws"}, "password": {"ws-password"}, "Username": {"a2"}, "ExtensionNumber": {"2001"}}
	for _, tc := range []struct {
		name, method, path, token, body, field string
	}{
		{"omnileads", "POST", "/api/v1/asterisk_login/", bob, `{"endpoint":"2001"}`, "endpoint"},
		{"ccd", "POST", "/api/agents/a2/login", bob, `{"endpoint":"PJSIP/2001"}`, "endpoint"},
		{"integration", "POST", "/api/agents/a2/login", testToken, `{"endpoint":"PJSIP/2001"}`, "endpoint"},
		{"optimus", "GET", "/AgentServices.asmx/LOGIN?" + optimusLogin.Encode(), "", "", "ExtensionNumber"},
	} {
		if code, a, raw := s.call(tc.method, tc.path, tc.token, tc.body); code != 409 || (a.Error.Field != tc.field && !strings.Contains(raw, ">ERROR: "+tc.field+":")) {
			t.Errorf("%s: bob at ann's endpoint: %d %s, want 409 naming %s", tc.name, code, raw, tc.field)
		}
	}
	if code, a, raw := s.call("POST", "/api/v1/asterisk_login/", ann, `{"endpoint":"Local/0090055512345@outbound-trunk"}`); code != 403 || a.Error.Field != "endpoint" {
		t.Fatalf("ann at an outbound trunk: %d %s", code, raw)
	}
	st, err := e.app.Agent(e.ctx, "a1")
	if err != nil || st.Endpoint != "PJSIP/2001" {
		t.Fatalf("ann %+v %v", st, err)
	}
	if code, _, raw := s.call("POST", "/api/agents/a2/login", bob, `{"endpoint":"2002"}`); code != 200 {
		t.Fatalf("bob at a free extension: %d %s", code, raw)
	}
}
