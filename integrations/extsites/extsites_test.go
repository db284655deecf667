package extsites_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"

	"github.com/ccdhq/ccd/config"
	"github.com/ccdhq/ccd/integrations/extsites"
	"github.com/ccdhq/ccd/integrations/webhook"
)

// The facts of OMniLeads' examples (003 §17): contact 321321321, campaign
// 11, lang=es, the call's recording.
var facts = extsites.Facts{CallID: "c1", Contact: "321321321", Queue: "11", Recording: "prev-115-20190604-2-4149014-1559667982.424.wav",
	Telephone: "+4586515151", Agent: "a1", AgentName: "Ann", Extension: "1001", Profile: map[string]string{"customerid": "77 & co"}}

var exampleParams = func(names ...string) []config.ExternalSiteParam {
	return []config.ExternalSiteParam{
		{Type: "call", Value: "contact_id", Name: names[0]},
		{Type: "campaign", Value: "id", Name: names[1]},
		{Type: "fixed", Value: "es", Name: names[2]},
		{Type: "call", Value: "rec_filename", Name: names[3]},
	}
}

// Example 1 (GET with parameters) and example 2 (clean URL with holders)
// give the URLs the seed shows; POST and JSON carry the same parameters in
// a form and an object; a profile field is encoded.
func TestRenderAsOMniLeadsExamples(t *testing.T) {
	get := extsites.Render(config.ExternalSite{Name: "crm_example_1", URL: "https://my_crm.domain.com", Trigger: "automatic", Method: "GET"},
		exampleParams("idClient", "idCamp", "lang", "recordingFile"), facts)
	if want := "https://my_crm.domain.com?idCamp=11&idClient=321321321&lang=es&recordingFile=prev-115-20190604-2-4149014-1559667982.424.wav"; get.URL != want {
		t.Errorf("GET: %s\nwant %s", get.URL, want)
	}
	clean := extsites.Render(config.ExternalSite{Name: "crm_example_2", URL: "https://my_crm.domain.com/{1}/{2}/{3}/{4}", Trigger: "automatic", Method: "GET"},
		exampleParams("{1}", "{2}", "{3}", "{4}"), facts)
	if want := "https://my_crm.domain.com/321321321/11/es/prev-115-20190604-2-4149014-1559667982.424.wav"; clean.URL != want {
		t.Errorf("clean URL: %s\nwant %s", clean.URL, want)
	}
	params := append(exampleParams("idClient", "idCamp", "lang", "recordingFile"), config.ExternalSiteParam{Type: "profile", Value: "customerid", Name: "customer"},
		config.ExternalSiteParam{Type: "agent", Value: "extension", Name: "ext"})
	post := extsites.Render(config.ExternalSite{Name: "p", URL: "https://crm.example/in", Trigger: "server", Method: "POST"}, params, facts)
	if post.URL != "https://crm.example/in" || post.Form != "customer=77+%26+co&ext=1001&idCamp=11&idClient=321321321&lang=es&recordingFile=prev-115-20190604-2-4149014-1559667982.424.wav" {
		t.Errorf("POST: %+v", post)
	}
	js := extsites.Render(config.ExternalSite{Name: "j", URL: "https://crm.example/in", Trigger: "server", Method: "JSON"}, params, facts)
	if js.JSON["customer"] != "77 & co" || js.JSON["idClient"] != "321321321" || js.JSON["ext"] != "1001" || len(js.JSON) != 6 {
		t.Errorf("JSON: %+v", js.JSON)
	}
}

// A holder's value is one path segment: a slash in it cannot climb the
// CRM's path.
func TestHolderValueIsOneSegment(t *testing.T) {
	f := facts
	f.Contact = "../admin?x=1"
	r := extsites.Render(config.ExternalSite{URL: "https://crm.example/c/{1}", Method: "GET"},
		[]config.ExternalSiteParam{{Type: "call", Value: "contact_id", Name: "{1}"}}, f)
	if r.URL != "https://crm.example/c/..%2Fadmin%3Fx=1" {
		t.Errorf("holder: %s", r.URL)
	}
}

// The server-side sender refuses a loopback receiver unless its network is
// allowed (the webhooks' SSRF policy), and sends to it when it is.
func TestSenderSSRFPolicy(t *testing.T) {
	got := make(chan string, 4)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- r.Method + " " + r.Header.Get("Content-Type") + " " + string(b)
	}))
	defer srv.Close()
	r := extsites.Rendered{Site: "s", Method: "JSON", URL: srv.URL + "/hook", JSON: map[string]string{"call": "c1"}}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))

	closed := &extsites.Sender{Timeout: time.Second, Log: log}
	closed.Deliver(context.Background(), r, "c1")
	if closed.Refused.Load() != 1 || len(got) != 0 {
		t.Fatalf("a loopback receiver was not refused: refused %d, received %d", closed.Refused.Load(), len(got))
	}
	open := &extsites.Sender{Timeout: time.Second, Log: log, Policy: webhook.Policy{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}}
	open.Deliver(context.Background(), r, "c1")
	if open.Sent.Load() != 1 {
		t.Fatalf("not sent: failed %d", open.Failed.Load())
	}
	if b := <-got; b != `POST application/json {"call":"c1"}` {
		t.Errorf("received %q", b)
	}
}

// BenchmarkRender renders a clean-URL site with four holders and two query
// parameters: go test -run '^$' -bench Render -benchmem ./integrations/extsites
func BenchmarkRender(b *testing.B) {
	site := config.ExternalSite{Name: "crm", URL: "https://my_crm.domain.com/{1}/{2}/{3}/{4}", Trigger: "automatic", Method: "GET"}
	params := append(exampleParams("{1}", "{2}", "{3}", "{4}"), config.ExternalSiteParam{Type: "agent", Value: "id", Name: "agent"},
		config.ExternalSiteParam{Type: "profile", Value: "customerid", Name: "customer"})
	for b.Loop() {
		_ = extsites.Render(site, params, facts)
	}
}
