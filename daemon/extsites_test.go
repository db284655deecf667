package daemon_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/ccdhq/ccd/ari/aritest"
	"github.com/ccdhq/ccd/config"
)

// A queue call answered by a1: the agent's desktop gets the automatic
// site's clean URL with the call's parameters, an agent may not read
// another's calls, and the server-side site of the other queue is posted
// by ccd to the CRM (allowed on loopback by webhooks.allow_networks).
func TestExternalSites(t *testing.T) {
	received := make(chan map[string]string, 4)
	crm := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body map[string]string
		b, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(b, &body)
		body["path"] = r.URL.Path
		received <- body
	}))
	defer crm.Close()
	h := newClickToCallHarness(t)
	h.cfg.ACD.Routes = append(h.cfg.ACD.Routes, config.Route{DNIS: "5550200", Queue: "support"})
	h.cfg.Webhooks.AllowNetworks = []string{"127.0.0.0/8"}
	h.cfg.ExternalSites.Sites = []config.ExternalSite{
		{Name: "desk", URL: "https://crm.example/{1}/{2}", Trigger: "automatic", Method: "GET"},
		{Name: "push", URL: crm.URL + "/calls", Trigger: "server", Method: "JSON"},
	}
	h.cfg.ExternalSites.Queues = []config.ExternalSiteQueue{
		{Queue: "sales", Site: "desk", Parameters: []config.ExternalSiteParam{{Type: "call", Value: "telephone", Name: "{1}"},
			{Type: "campaign", Value: "id", Name: "{2}"}, {Type: "fixed", Value: "es", Name: "lang"}}},
		{Queue: "support", Site: "push", Parameters: []config.ExternalSiteParam{{Type: "call", Value: "call_id", Name: "callid"},
			{Type: "agent", Value: "id", Name: "agent"}, {Type: "call", Value: "telephone", Name: "tel"}}},
	}
	h.cfg.API.AdminToken = adminToken
	h.start()
	if code := h.post("/api/agents/a1/login"); code != http.StatusOK {
		t.Fatalf("login: %d", code)
	}
	if _, err := h.ari.NewCaller(aritest.CallerOptions{Args: []string{"inbound", "5550100"}, Number: "5551234", ChannelID: "c1", Endpoint: "PJSIP/trunk"}); err != nil {
		t.Fatal(err)
	}
	h.waitFor("the call answered", func() bool { return h.count("call.answered") == 1 })
	token := h.agentToken("a1", c2cAgentPassword)
	code, body := h.sendAs(token, "GET", "/api/agents/a1/external_sites?call=c1", "")
	var sites []struct{ Site, Trigger, Method, URL string }
	if err := json.Unmarshal([]byte(body), &sites); code != 200 || err != nil || len(sites) != 1 {
		t.Fatalf("external sites: %d %s", code, body)
	}
	if s := sites[0]; s.Site != "desk" || s.Trigger != "automatic" || s.URL != "https://crm.example/5551234/sales?lang=es" {
		t.Errorf("rendered %+v", s)
	}
	if code, body := h.sendAs(token, "GET", "/api/agents/a2/external_sites?call=c1", ""); code != http.StatusForbidden {
		t.Errorf("another agent's sites: %d %s", code, body)
	}
	if code, body := h.sendAs(token, "GET", "/api/agents/a1/external_sites", ""); code != http.StatusBadRequest {
		t.Errorf("no call: %d %s", code, body)
	}
	if code, body := h.sendAs(token, "GET", "/api/agents/a1/external_sites?call=nosuch", ""); code != http.StatusNotFound {
		t.Errorf("unknown call: %d %s", code, body)
	}
	// The admin API changes the sites at once, audited; a bad set is
	// refused naming the key.
	code, body = h.admin("PUT", "/api/admin/external_sites", `{"sites": [{"name": "desk", "url": "https://crm2.example/c", "trigger": "agent", "method": "GET"},
		{"name": "push", "url": "`+crm.URL+`/calls", "trigger": "server", "method": "JSON"}],
		"queues": [{"queue": "sales", "site": "desk", "parameters": [{"type": "call", "value": "call_id", "name": "id"}]},
		{"queue": "support", "site": "push", "parameters": [{"type": "call", "value": "call_id", "name": "callid"},
			{"type": "agent", "value": "id", "name": "agent"}, {"type": "call", "value": "telephone", "name": "tel"}]}]}`)
	if code != http.StatusOK {
		t.Fatalf("PUT external sites: %d %s", code, body)
	}
	_, body = h.sendAs(token, "GET", "/api/agents/a1/external_sites?call=c1", "")
	if err := json.Unmarshal([]byte(body), &sites); err != nil || len(sites) != 1 || sites[0].URL != "https://crm2.example/c?id=c1" || sites[0].Trigger != "agent" {
		t.Errorf("after the change: %s", body)
	}
	if n := h.count("config.changed"); n < 1 {
		t.Errorf("the change was not audited")
	}
	for _, bad := range []struct{ body, field string }{
		{`{"sites": [{"name": "x", "url": "ftp://crm", "trigger": "agent", "method": "GET"}]}`, "sites[0].url"},
		{`{"sites": [{"name": "x", "url": "https://crm/{1}", "trigger": "agent", "method": "GET"}], "queues": [{"queue": "sales", "site": "x"}]}`, "queues[0].parameters"},
		{`{"sites": [{"name": "x", "url": "https://crm", "trigger": "server", "method": "PUT"}]}`, "sites[0].method"},
		{`{"sites": [{"name": "x", "url": "http://169.254.169.254/latest", "trigger": "server", "method": "GET"}]}`, "sites[0].url"},
	} {
		code, body := h.admin("PUT", "/api/admin/external_sites", bad.body)
		var e struct{ Error struct{ Field string } }
		_ = json.Unmarshal([]byte(body), &e)
		if code != http.StatusBadRequest || e.Error.Field != bad.field {
			t.Errorf("%s: %d %s, want 400 naming %s", bad.body, code, body, bad.field)
		}
	}
	if err := h.ari.Channel("c1").Hangup(16); err != nil {
		t.Fatal(err)
	}
	h.waitFor("a1 ready", func() bool { return h.post("/api/agents/a1/ready") == http.StatusOK })

	if _, err := h.ari.NewCaller(aritest.CallerOptions{Args: []string{"inbound", "5550200"}, Number: "5559876", ChannelID: "c2", Endpoint: "PJSIP/trunk"}); err != nil {
		t.Fatal(err)
	}
	select {
	case got := <-received:
		if got["path"] != "/calls" || got["callid"] != "c2" || got["agent"] != "a1" || got["tel"] != "5559876" {
			t.Errorf("the CRM received %v", got)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the server-side site was not sent")
	}
	select {
	case got := <-received:
		t.Errorf("sent twice: %v", got)
	case <-time.After(300 * time.Millisecond):
	}
}
