package api_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"

	"github.com/ccdhq/ccd/api"
	"github.com/ccdhq/ccd/integrations/optimus"
	"github.com/ccdhq/ccd/internal/apitest"
	"github.com/ccdhq/ccd/internal/pgtest"
	"github.com/ccdhq/ccd/store"
)

// newDialerServer is the dialer's interfaces over a fresh database: ccd's API
// (integration token) and the Optimus REST methods (apitest.Optimus).
func newDialerServer(t *testing.T) (*api.Server, *store.DB) {
	t.Helper()
	db := pgtest.NewDB(t)
	s := api.NewServer(nil, nil, api.Options{Token: apitest.IntegrationToken})
	agents := apitest.MountAgents(s, apitest.NewFakeAgents(), api.AgentAuth{}, apitest.Optimus)
	get := func() (*store.DB, error) { return db, nil }
	s.MountDialer(get)
	optimus.MountDialer(s, agents, get, apitest.Optimus)
	return s, db
}

func createCampaign(t *testing.T, s http.Handler, body string) int {
	t.Helper()
	code, m, raw := apitest.Do(t, s, "POST", "/api/dialer/campaigns", apitest.IntegrationToken, "application/json", body)
	if code != http.StatusCreated {
		t.Fatalf("create campaign: %d %s", code, raw)
	}
	return int(m["campaignId"].(float64))
}

func TestDialerAPIRefusesBadInputNamingTheField(t *testing.T) {
	s, _ := newDialerServer(t)
	id := createCampaign(t, s, `{"name":"winter","queueCode":"sales","mode":"predictive"}`)
	tok := apitest.IntegrationToken
	apitest.CheckErrors(t, s, []apitest.ErrorCase{
		{Name: "unknown campaign", Method: "GET", Path: "/api/dialer/campaigns/999", Token: tok, Code: 404, Field: "campaignId"},
		{Name: "unknown campaign update", Method: "PUT", Path: "/api/dialer/campaigns/999", Token: tok, ContentType: "application/json",
			Body: `{"name":"x","queueCode":"sales"}`, Code: 404, Field: "campaignId"},
		{Name: "target of an unknown campaign", Method: "POST", Path: "/api/dialer/campaigns/999/targets", Token: tok,
			ContentType: "application/json", Body: `{"phoneI":"123"}`, Code: 404, Field: "campaignId"},
		{Name: "campaign id not a number", Method: "GET", Path: "/api/dialer/campaigns/abc", Token: tok, Code: 400, Field: "id"},
		{Name: "schedule ends before it starts", Method: "POST", Path: "/api/dialer/schedules", Token: tok, ContentType: "application/json",
			Body: `{"scheduleName":"s","fromDateTime":"2026-03-10T09:00:00","toDateTime":"2026-03-01T17:00:00","isMonday":true}`, Code: 400, Field: "toDateTime"},
		{Name: "schedule time unreadable", Method: "POST", Path: "/api/dialer/schedules", Token: tok, ContentType: "application/json",
			Body: `{"scheduleName":"s","fromDateTime":"yesterday","toDateTime":"2026-03-01T17:00:00"}`, Code: 400, Field: "fromDateTime"},
		{Name: "phone with a letter", Method: "POST", Path: fmt.Sprintf("/api/dialer/campaigns/%d/targets", id), Token: tok,
			ContentType: "application/json", Body: `{"phoneI":"05366O8810"}`, Code: 400, Field: "phoneI"},
		{Name: "phone with a space", Method: "POST", Path: fmt.Sprintf("/api/dialer/campaigns/%d/targets", id), Token: tok,
			ContentType: "application/json", Body: `{"phoneI":"053 660"}`, Code: 400, Field: "phoneI"},
		{Name: "phone too long", Method: "POST", Path: fmt.Sprintf("/api/dialer/campaigns/%d/targets", id), Token: tok,
			ContentType: "application/json", Body: `{"phoneI":"123456789012345678901"}`, Code: 400, Field: "phoneI"},
		{Name: "abandon limit over 3 %", Method: "POST", Path: "/api/dialer/campaigns", Token: tok, ContentType: "application/json",
			Body: `{"name":"x","queueCode":"sales","maxAbandonRate":0.05}`, Code: 400, Field: "maxAbandonRate"},
		{Name: "negative agenda fallback", Method: "POST", Path: "/api/dialer/campaigns", Token: tok, ContentType: "application/json",
			Body: `{"name":"x","queueCode":"sales","agendaFallbackMinutes":-5}`, Code: 400, Field: "agendaFallbackMinutes"},
		{Name: "unknown field", Method: "POST", Path: "/api/dialer/campaigns", Token: tok, ContentType: "application/json",
			Body: `{"name":"x","queueCode":"sales","speed":9}`, Code: 400, Field: "speed"},
		{Name: "unknown schedule", Method: "PUT", Path: fmt.Sprintf("/api/dialer/campaigns/%d", id), Token: tok, ContentType: "application/json",
			Body: `{"name":"x","queueCode":"sales","scheduleIds":[42]}`, Code: 400, Field: "scheduleIds"},
		{Name: "no token", Method: "GET", Path: "/api/dialer/campaigns", Code: 401},
	})
}

func TestDialerCampaignLifecycle(t *testing.T) {
	s, _ := newDialerServer(t)
	tok := apitest.IntegrationToken
	code, m, raw := apitest.Do(t, s, "POST", "/api/dialer/schedules", tok, "application/json",
		`{"scheduleName":"weekdays","fromDateTime":"2026-03-01T09:00:00","toDateTime":"2026-03-31T17:00:00","isMonday":true}`)
	if code != http.StatusCreated {
		t.Fatalf("schedule: %d %s", code, raw)
	}
	sched := int(m["scheduleId"].(float64))
	id := createCampaign(t, s, fmt.Sprintf(`{"name":"winter","queueCode":"sales","scheduleIds":[%d],"timeZone":"Europe/Paris"}`, sched))
	code, m, raw = apitest.Do(t, s, "GET", fmt.Sprintf("/api/dialer/campaigns/%d", id), tok, "", "")
	if code != 200 || m["maxAbandonRate"] != 0.03 || m["mode"] != "progressive" || m["noAnswerDuration"] != 25.0 ||
		!strings.Contains(raw, `"agendaFallbackMinutes":null`) {
		t.Errorf("defaults: %d %s", code, raw)
	}
	code, _, raw = apitest.Do(t, s, "PUT", fmt.Sprintf("/api/dialer/campaigns/%d", id), tok, "application/json",
		`{"name":"winter","queueCode":"support","mode":"power","dialRatio":2,"agendaFallbackMinutes":45}`)
	if code != 200 || !strings.Contains(raw, `"queueCode":"support"`) || !strings.Contains(raw, `"scheduleIds":[]`) ||
		!strings.Contains(raw, `"agendaFallbackMinutes":45`) {
		t.Errorf("update: %d %s", code, raw)
	}
	if code, _, raw := apitest.Do(t, s, "DELETE", fmt.Sprintf("/api/dialer/campaigns/%d", id), tok, "", ""); code != http.StatusNoContent {
		t.Errorf("delete: %d %s", code, raw)
	}
	if code, _, _ := apitest.Do(t, s, "GET", fmt.Sprintf("/api/dialer/campaigns/%d", id), tok, "", ""); code != http.StatusNotFound {
		t.Errorf("a deleted campaign answers %d", code)
	}
}

// The seed's example URLs (000 §6.3), with the test's credentials.
func TestOptimusDialerREST(t *testing.T) {
	s, db := newDialerServer(t)
	id := createCampaign(t, s, `{"name":"rest","queueCode":"sales"}`)
	base := "/OptimusIntegration/Rest/DialerWebMethods.aspx/"
	cred := fmt.Sprintf("username=%s&password=%s&campaignId=%d", apitest.Optimus.User, apitest.Optimus.Password, id)
	get := func(method, query string) (int, string) {
		code, _, raw := apitest.Do(t, s, "GET", base+method+"?"+query, "", "", "")
		return code, raw
	}
	if code, body := get("AddTargetToCampaign", cred+"&phoneI=0536608810&dataI=Tami"); code != 200 || body != "true" {
		t.Errorf("AddTargetToCampaign: %d %q", code, body)
	}
	code, body := get("AddTargetToCampaignWithTargetID", cred+"&phoneI=0536608811&dataI=Tami&fName=Tami&priority=1")
	if code != 200 || body == "" || strings.Trim(body, "0123456789") != "" {
		t.Errorf("AddTargetToCampaignWithTargetID: %d %q, want the target's id", code, body)
	}
	var prio int
	if err := db.Get(&prio, `SELECT priority FROM dialer.target WHERE target_id = $1`, body); err != nil || prio != 1 {
		t.Errorf("the target's priority: %d %v", prio, err)
	}
	if code, body := get("GetTargetStatus", cred+"&phoneI=0536608810&dataI=tami"); code != 404 || !strings.HasPrefix(body, "ERROR: phoneI:") {
		t.Errorf("GetTargetStatus of another dataI: %d %q", code, body)
	}
	if code, body := get("GetTargetStatus", cred+"&phoneI=0536608810&dataI=Tami"); code != 200 || body != "0,0" {
		t.Errorf("GetTargetStatus: %d %q, want 0,0 (new, no dial)", code, body)
	}
	if code, body := get("RemoveTargetFromCampaign", cred+"&phoneI=0536608810"); code != 200 || body != "true" {
		t.Errorf("RemoveTargetFromCampaign: %d %q", code, body)
	}
	if code, body := get("GetTargetStatus", cred+"&phoneI=0536608810"); code != 200 || body != "13,0" {
		t.Errorf("GetTargetStatus after the removal: %d %q, want 13,0", code, body)
	}
	if code, body := get("RemoveTargetFromCampaign", cred+"&phone=0536608810"); code != 200 || body != "false" {
		t.Errorf("second removal: %d %q", code, body)
	}
	for _, c := range []struct{ method, query, field string }{
		{"AddTargetToCampaign", cred + "&phoneI=05366O8810", "phoneI"},
		{"AddTargetToCampaign", cred + "&phoneI=1&priority=4", "priority"},
		{"AddTargetToCampaign", strings.Replace(cred, fmt.Sprintf("campaignId=%d", id), "campaignId=999", 1) + "&phoneI=1", "campaignId"},
		{"GetTargetStatus", strings.Replace(cred, fmt.Sprintf("campaignId=%d", id), "campaignId=x", 1) + "&phoneI=1", "campaignId"},
	} {
		code, body := get(c.method, c.query)
		if code/100 != 4 || !strings.HasPrefix(body, "ERROR: "+c.field+":") {
			t.Errorf("%s?%s: %d %q, want a 4xx naming %s", c.method, c.query, code, body, c.field)
		}
	}
	if code, body := get("AddTargetToCampaign", "username=aspireun&password=aspirepass&campaignId=1&phoneI=1"); code != 401 {
		t.Errorf("the seed's example credentials are not a default: %d %q", code, body)
	}
}

func importCSV(t *testing.T, s http.Handler, id int, body string) (int, map[string]any, string) {
	t.Helper()
	return apitest.Do(t, s, "POST", fmt.Sprintf("/api/dialer/campaigns/%d/targets.csv", id), apitest.IntegrationToken, "text/csv", body)
}

func countTargets(t *testing.T, db *store.DB, id int) int {
	t.Helper()
	var n int
	if err := db.Get(&n, `SELECT count(*) FROM dialer.target WHERE campaign_id = $1`, id); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestTargetImportReportsRowsAndAppliesNothingOnError(t *testing.T) {
	s, db := newDialerServer(t)
	id := createCampaign(t, s, `{"name":"imp","queueCode":"sales"}`)
	bad := "\ufefffName,phoneI,priority\nAnn,0536608810,1\nBob,05366 08810,2\nCid,12345678901234567890123,3\nDan,0536608813,9\nEve,\xff\xfe,1\n"
	code, m, raw := importCSV(t, s, id, bad)
	if code != http.StatusBadRequest {
		t.Fatalf("import with bad rows: %d %s", code, raw)
	}
	want := []string{`"row":3,"column":"phoneI","message":"contains a space"`, `"row":4,"column":"phoneI","message":"is longer than 20 characters"`,
		`"row":5,"column":"priority"`, `"row":6,"column":"phoneI","message":"is not UTF-8 text`}
	for _, w := range want {
		if !strings.Contains(raw, w) {
			t.Errorf("report lacks %s: %s", w, raw)
		}
	}
	if m["refused"] != 4.0 || countTargets(t, db, id) != 0 {
		t.Errorf("refused %v, %d targets stored; want 4 and none", m["refused"], countTargets(t, db, id))
	}
	for body, field := range map[string]string{
		"fName,dataI\nAnn,x\n":      "phoneI",
		"phoneI,colour\n1,red\n":    "colour",
		"":                          "body",
		"phoneI,phoneI\n1,2\n":      "phoneI",
		"phoneI\n\"unterminated\n1": "body",
	} {
		code, m, raw := importCSV(t, s, id, body)
		e, _ := m["error"].(map[string]any)
		if code != http.StatusBadRequest || e["field"] != field {
			t.Errorf("%q: %d %s, want 400 naming %s", body, code, raw, field)
		}
	}
	if code, _, raw := importCSV(t, s, id+50, "phoneI\n1\n"); code != http.StatusNotFound {
		t.Errorf("unknown campaign: %d %s", code, raw)
	}
	code, m, raw = importCSV(t, s, id, "phoneI,fName,priority,externalTargetId\n0536608810,Ann,1,77\n+97253660881,Bob,,\n")
	if code != 200 || m["added"] != 2.0 || countTargets(t, db, id) != 2 {
		t.Errorf("good import: %d %s", code, raw)
	}
}

// csvRows streams n generated rows without holding them, measuring the live
// heap every 20 000 rows.
type csvRows struct {
	n, i    int
	buf     []byte
	maxLive uint64
}

func (r *csvRows) Read(p []byte) (int, error) {
	for len(r.buf) < len(p) && r.i <= r.n {
		if r.i%20_000 == 0 {
			var m runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&m)
			r.maxLive = max(r.maxLive, m.HeapAlloc)
		}
		if r.i == 0 {
			r.buf = append(r.buf, "fName,lName,phoneI,dataI\n"...)
		} else {
			r.buf = fmt.Appendf(r.buf, "First%d,Last%d,0%09d,crm-%d\n", r.i, r.i, r.i, r.i)
		}
		r.i++
	}
	if len(r.buf) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.buf)
	r.buf = r.buf[n:]
	return n, nil
}

// A large import is read as it arrives: the live heap does not grow with the
// file (the rows go to PostgreSQL in batches), and a file over the body limit
// of the other routes is taken.
func TestTargetImportIsStreamed(t *testing.T) {
	if testing.Short() {
		t.Skip("imports 200 000 rows")
	}
	s, db := newDialerServer(t)
	id := createCampaign(t, s, `{"name":"big","queueCode":"sales"}`)
	const rows = 200_000 // about 8 MB of CSV
	body := &csvRows{n: rows}
	req := httptest.NewRequest("POST", fmt.Sprintf("/api/dialer/campaigns/%d/targets.csv", id), body)
	req.Header.Set("Authorization", "Bearer "+apitest.IntegrationToken)
	req.Header.Set("Content-Type", "text/csv")
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), fmt.Sprintf(`"added":%d`, rows)) {
		t.Fatalf("import: %d %s", rec.Code, rec.Body)
	}
	if n := countTargets(t, db, id); n != rows {
		t.Errorf("%d targets stored, want %d", n, rows)
	}
	if grew := int64(body.maxLive) - int64(before.HeapAlloc); grew > 3<<20 {
		t.Errorf("the live heap grew by %d bytes during an 8 MB import: the body is not streamed", grew)
	}
}
