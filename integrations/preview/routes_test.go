package preview_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/api"
	ddialer "github.com/ccdhq/ccd/dialplan/dialer"
	"github.com/ccdhq/ccd/integrations/optimus"
	"github.com/ccdhq/ccd/integrations/preview"
	"github.com/ccdhq/ccd/internal/apitest"
)

// fakeService records what it was asked.
type fakeService struct {
	mu    sync.Mutex
	asked []string
}

func (f *fakeService) note(s string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.asked = append(f.asked, s)
}

func (f *fakeService) Current(_ context.Context, agent string) (ddialer.PreviewState, error) {
	f.note("current " + agent)
	return ddialer.PreviewState{Agent: agent, State: ddialer.PreviewIdle}, nil
}

func (f *fakeService) Next(_ context.Context, agent string, campaign int) (ddialer.PreviewState, error) {
	f.note("next " + agent)
	return ddialer.PreviewState{Agent: agent, State: ddialer.PreviewReserved, CampaignID: campaign}, nil
}

func (f *fakeService) Skip(_ context.Context, agent string) (ddialer.PreviewState, error) {
	f.note("skip " + agent)
	return ddialer.PreviewState{Agent: agent, State: ddialer.PreviewIdle}, nil
}

func (f *fakeService) Dial(_ context.Context, agent string, phone int) (ddialer.PreviewState, error) {
	f.note("dial " + agent)
	return ddialer.PreviewState{Agent: agent, State: ddialer.PreviewDialing, PhoneIndex: phone}, nil
}

// An agent works its own preview targets only (403 for another agent's);
// a supervisor and the integration act for any agent; bad bodies are 400
// naming the field; without the service running the routes answer 503.
func TestPreviewRoutesCheckWhoActs(t *testing.T) {
	const supervisorToken = "supervisor-token-0123456789"
	s := api.NewServer(nil, nil, api.Options{Token: apitest.IntegrationToken})
	s.Grant(supervisorToken, ccd.NewPrincipal(ccd.Supervisor, "sue"))
	fakes := apitest.NewFakeAgents()
	agents := apitest.MountAgents(s, fakes, api.AgentAuth{TokenTTL: time.Hour}, optimus.Credentials{})
	svc := &fakeService{}
	var running bool
	preview.Mount(s, fakes, func() (preview.Service, error) {
		if !running {
			return nil, &ccd.Error{Code: ccd.EUNAVAILABLE, Message: "off"}
		}
		return svc, nil
	})
	session, _, err := agents.OpenSession(context.Background(), "1001")
	if err != nil {
		t.Fatal(err)
	}
	if code, _, _ := apitest.Do(t, s.Echo, "POST", "/api/agents/1001/preview/next", session, "", ""); code != 503 {
		t.Errorf("service off: HTTP %d, want 503", code)
	}
	running = true
	cases := []struct {
		method, path, token, body string
		want                      int
	}{
		{"POST", "/api/agents/1001/preview/next", session, `{"campaignId":3}`, 200},
		{"POST", "/api/agents/1002/preview/next", session, `{"campaignId":3}`, 403},
		{"POST", "/api/agents/1002/preview/dial", session, `{"phone":2}`, 403},
		{"POST", "/api/agents/1002/preview/skip", session, "", 403},
		{"GET", "/api/agents/1002/preview", session, "", 403},
		{"POST", "/api/agents/1001/preview/dial", session, `{"phone":2}`, 200},
		{"POST", "/api/agents/1002/preview/next", supervisorToken, "", 200},
		{"POST", "/api/agents/1002/preview/skip", apitest.IntegrationToken, "", 200},
		{"GET", "/api/agents/1001/preview", "", "", 401},
		{"GET", "/api/agents/nobody/preview", apitest.IntegrationToken, "", 404},
	}
	for _, c := range cases {
		ct := ""
		if c.body != "" {
			ct = "application/json"
		}
		if code, _, raw := apitest.Do(t, s.Echo, c.method, c.path, c.token, ct, c.body); code != c.want {
			t.Errorf("%s %s: HTTP %d %s, want %d", c.method, c.path, code, raw, c.want)
		}
	}
	svc.mu.Lock()
	asked := svc.asked
	svc.mu.Unlock()
	if len(asked) != 4 || asked[0] != "next 1001" || asked[1] != "dial 1001" || asked[2] != "next 1002" || asked[3] != "skip 1002" {
		t.Errorf("the service was asked %v", asked)
	}
	apitest.CheckErrors(t, s.Echo, []apitest.ErrorCase{
		{Name: "phone out of range", Method: "POST", Path: "/api/agents/1001/preview/dial", Token: session,
			ContentType: "application/json", Body: `{"phone":4}`, Code: 400, Field: "phone"},
		{Name: "phone as text", Method: "POST", Path: "/api/agents/1001/preview/dial", Token: session,
			ContentType: "application/json", Body: `{"phone":"II"}`, Code: 400, Field: "phone"},
		{Name: "negative campaign", Method: "POST", Path: "/api/agents/1001/preview/next", Token: session,
			ContentType: "application/json", Body: `{"campaignId":-1}`, Code: 400, Field: "campaignId"},
	})
}
