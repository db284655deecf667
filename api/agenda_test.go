package api_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/api"
	"github.com/ccdhq/ccd/dialer"
	"github.com/ccdhq/ccd/internal/apitest"
	"github.com/ccdhq/ccd/internal/pgtest"
	"github.com/ccdhq/ccd/store"
)

// GET /api/agents/:id/agenda lists an agent's personal callbacks: the agent
// reads its own and no other's, a supervisor any agent's; an unknown agent
// is a 404 naming id.
func TestAgentAgendaRoute(t *testing.T) {
	const supervisorToken, biToken = "supervisor-token-0123456789", "bi-token-0123456789"
	db := pgtest.NewDB(t)
	ctx := context.Background()
	s := api.NewServer(nil, nil, api.Options{Token: apitest.IntegrationToken})
	s.Grant(supervisorToken, ccd.NewPrincipal(ccd.Supervisor, "wallboard"))
	s.Grant(biToken, ccd.NewPrincipal(ccd.BI, "reports"))
	agents := apitest.MountAgents(s, apitest.NewFakeAgents(), api.AgentAuth{TokenTTL: time.Hour}, apitest.Optimus)
	s.MountAgenda(func() (*store.DB, error) { return db, nil }, agents)
	alice, _, err := agents.OpenSession(ctx, "1001")
	if err != nil {
		t.Fatal(err)
	}
	c, err := db.CreateCampaign(ctx, dialer.Campaign{Name: "winter", QueueCode: "sales", IsActive: true}.WithDefaults())
	if err != nil {
		t.Fatal(err)
	}
	target, err := db.AddTarget(ctx, dialer.Target{CampaignID: c, PhoneI: "5550100", FirstName: "Tami"}.WithDefaults())
	if err != nil {
		t.Fatal(err)
	}
	opt, err := db.AddDispositionOption(ctx, store.DispositionOption{CampaignID: c, Name: "Call back", Kind: store.DispositionAgenda})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 3, 2, 18, 13, 0, 0, time.UTC)
	if _, err := db.CreateDisposition(ctx, store.ContactRef{ID: target}, store.Disposition{DispositionOptionID: opt, Agent: "1001",
		Agenda: &store.Agenda{At: at, Kind: "personal", Comments: "after work"}}); err != nil {
		t.Fatal(err)
	}
	for _, tok := range []string{alice, supervisorToken, apitest.IntegrationToken} {
		code, m, raw := apitest.Do(t, s, "GET", "/api/agents/1001/agenda", tok, "", "")
		list, _ := m["callbacks"].([]any)
		if code != http.StatusOK || len(list) != 1 {
			t.Fatalf("agenda: %d %s", code, raw)
		}
		cb := list[0].(map[string]any)
		if cb["callbackAt"] != "2026-03-02T18:13:00Z" || cb["fName"] != "Tami" || cb["phone"] != "5550100" || cb["comments"] != "after work" {
			t.Fatalf("callback %v", cb)
		}
	}
	if code, m, raw := apitest.Do(t, s, "GET", "/api/agents/1002/agenda", apitest.IntegrationToken, "", ""); code != http.StatusOK ||
		len(m["callbacks"].([]any)) != 0 {
		t.Fatalf("Bob's agenda: %d %s", code, raw)
	}
	apitest.CheckErrors(t, s, []apitest.ErrorCase{
		{Name: "another agent's", Method: "GET", Path: "/api/agents/1002/agenda", Token: alice, Code: 403},
		{Name: "a BI token", Method: "GET", Path: "/api/agents/1001/agenda", Token: biToken, Code: 403},
		{Name: "no token", Method: "GET", Path: "/api/agents/1001/agenda", Code: 401},
		{Name: "unknown agent", Method: "GET", Path: "/api/agents/9999/agenda", Token: supervisorToken, Code: 404, Field: "id"},
	})
}
