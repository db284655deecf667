package screenpop_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ccdhq/ccd/integrations/screenpop"
)

// Every parameter of the seed goes in, URL-encoded for where it stands: a
// caller ID or attach data cannot add a parameter, change the path or the
// host.
func TestExpandEncodesEveryParameter(t *testing.T) {
	p := screenpop.Params{CLID: "0611 22&admin=1", DNIS: "5550100", AttachData: "cust=47/11;vip=yes please",
		Queue: "Sales Line", QueueCode: "sales", WaitingSeconds: 42, Greeting: "sound:welcome", Extension: "1001",
		CallID: "c1;2", Agent: "a1", Priority: 3}
	tmpl := "https://crm.example/pop/{queuecode}/{ATTACHDATA:cust}?clid={CLID}&dnis={DNIS}&attach={ATTACHDATA}&queue={QUEUE}" +
		"&waited={WAITING TIME}&greeting={GREETING}&ext={EXTENSION}&id={CALLID}&agent={AGENT}&prio={PRIORITY}&vip={ATTACHDATA:VIP}"
	if err := screenpop.Check(tmpl); err != nil {
		t.Fatal(err)
	}
	got := screenpop.Expand(tmpl, p)
	u, err := url.Parse(got)
	if err != nil {
		t.Fatal(err)
	}
	if u.Host != "crm.example" || u.Path != "/pop/sales/47/11" || u.EscapedPath() != "/pop/sales/47%2F11" {
		t.Fatalf("host %q path %q (%s)", u.Host, u.EscapedPath(), got)
	}
	want := url.Values{"clid": {"0611 22&admin=1"}, "dnis": {"5550100"}, "attach": {"cust=47/11;vip=yes please"},
		"queue": {"Sales Line"}, "waited": {"42"}, "greeting": {"sound:welcome"}, "ext": {"1001"}, "id": {"c1;2"},
		"agent": {"a1"}, "prio": {"3"}, "vip": {"yes please"}}
	if q := u.Query(); q.Encode() != want.Encode() {
		t.Fatalf("query\n got %v\nwant %v", q, want)
	}
}

func TestCheckRefusesBadTemplates(t *testing.T) {
	for tmpl, want := range map[string]string{
		"https://crm/pop?x={CLIDD}":       "unknown parameter {CLIDD}",
		"https://crm/pop?x={CLID":         "unclosed {",
		"ftp://crm/pop?x={CLID}":          "http",
		"/pop?x={CLID}":                   "http",
		"https://crm/pop?x={ATTACHDATA:}": "unknown parameter",
	} {
		if err := screenpop.Check(tmpl); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", tmpl, err, want)
		}
	}
}

// A queue's templates replace the system defaults; without its own, a queue
// pops the defaults.
func TestURLsFallBackToTheDefaults(t *testing.T) {
	p := screenpop.Params{CLID: "0611"}
	defaults := []string{"http://a/{CLID}", "http://b/{CLID}"}
	if got := screenpop.URLs(nil, defaults, p); len(got) != 2 || got[0] != "http://a/0611" || got[1] != "http://b/0611" {
		t.Fatalf("defaults: %v", got)
	}
	if got := screenpop.URLs([]string{"http://q/{CLID}"}, defaults, p); len(got) != 1 || got[0] != "http://q/0611" {
		t.Fatalf("the queue's own: %v", got)
	}
}

// Server-side GETs never reach loopback or link-local addresses (ccd's own
// host, a cloud metadata service) unless allowed, whatever name leads there.
func TestFetcherRefusesLoopbackAndLinkLocal(t *testing.T) {
	var hits int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits++
		if r.Header.Get("Idempotency-Key") != "k1" {
			t.Errorf("Idempotency-Key %q", r.Header.Get("Idempotency-Key"))
		}
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	guarded := screenpop.NewFetcher(2*time.Second, false)
	port := srv.URL[strings.LastIndex(srv.URL, ":"):]
	for _, u := range []string{srv.URL, "http://localhost" + port, "http://[::1]" + port, "http://169.254.169.254/latest/meta-data",
		"http://0.0.0.0" + port} {
		if _, err := guarded.Get(ctx, u, "k1"); !errors.Is(err, screenpop.ErrForbiddenAddress) {
			t.Errorf("%s: %v, want refused", u, err)
		}
	}
	if hits != 0 {
		t.Fatalf("%d requests reached the server", hits)
	}
	open := screenpop.NewFetcher(2*time.Second, true)
	if status, err := open.Get(ctx, srv.URL, "k1"); err != nil || status != http.StatusOK || hits != 1 {
		t.Fatalf("allowed: %d %v, %d hits", status, err, hits)
	}
}

// {PROFILE:name} is any field of the call profile, case-insensitive,
// encoded for where it stands; a field the call has not is empty.
func TestExpandProfileFields(t *testing.T) {
	p := screenpop.Params{Profile: map[string]string{"customer_number": "47/11", "segment": "a&b"}}
	got := screenpop.Expand("https://crm/c/{PROFILE:Customer_Number}?s={profile:segment}&x={PROFILE:none}", p)
	if want := "https://crm/c/47%2F11?s=a%26b&x="; got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
	if err := screenpop.Check("https://crm/{PROFILE:}"); err == nil {
		t.Fatal("an empty profile field name passed")
	}
}
