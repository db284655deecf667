package api_test

import (
	"context"
	"encoding/csv"
	"io"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/api"
	"github.com/ccdhq/ccd/integrations/optimus"
	"github.com/ccdhq/ccd/internal/apitest"
	"github.com/ccdhq/ccd/internal/pgtest"
	"github.com/ccdhq/ccd/store"
)

// buenosAires is the test center's zone: UTC-3 all year, so expectations do not
// depend on DST.
func buenosAires(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("America/Argentina/Buenos_Aires")
	if err != nil {
		t.Skip(err)
	}
	return loc
}

func newStatsServer(t *testing.T, r api.StatsReader, live api.LiveSource) *api.Server {
	t.Helper()
	return newStatsServerAt(t, r, live, nil)
}

// newStatsServerAt is newStatsServer on the clock now (nil: time.Now).
func newStatsServerAt(t *testing.T, r api.StatsReader, live api.LiveSource, now func() time.Time) *api.Server {
	t.Helper()
	s := api.NewServer(nil, nil, api.Options{Token: apitest.StatsToken, Now: now})
	apitest.MountStats(s, r, live, buenosAires(t), map[string]time.Duration{"sales": 20 * time.Second})
	return s
}

var statsPaths = []string{
	"/api/stats/agentstat?from=2026-03-10",
	"/api/stats/bi/getallqueues",
	"/api/stats/realtime/queues",
	"/api/stats/realtime/agents",
	"/api/v1/supervision/agents",
	"/api/v1/supervision/inbound",
}

func TestStatsAuth(t *testing.T) {
	s := newStatsServer(t, &apitest.FakeStats{}, &apitest.FakeLive{})
	for _, p := range statsPaths {
		for _, h := range []string{"", "Bearer", "Bearer ", "Basic " + apitest.StatsToken, "Bearer wrong-token", "Bearer " + apitest.StatsToken + "x"} {
			req := httptest.NewRequest("GET", p, nil)
			if h != "" {
				req.Header.Set("Authorization", h)
			}
			rec := httptest.NewRecorder()
			s.Echo.ServeHTTP(rec, req)
			// The one authentication of every route: a token it does not
			// know is an invalid_token (RFC 6750 §3.1), none a bare challenge.
			challenge := `Bearer error="invalid_token"`
			if !strings.HasPrefix(h, "Bearer ") || strings.TrimSpace(h) == "Bearer" {
				challenge = "Bearer"
			}
			if rec.Code != 401 || !strings.Contains(rec.Body.String(), `"unauthorized"`) || rec.Header().Get("WWW-Authenticate") != challenge {
				t.Errorf("%s with %q: %d %s (WWW-Authenticate %q)", p, h, rec.Code, rec.Body, rec.Header().Get("WWW-Authenticate"))
			}
		}
		if code, _, rec := apitest.Get(t, s, p, apitest.StatsToken); code != 200 {
			t.Errorf("%s with the token: %d %s", p, code, rec.Body)
		}
	}
	// No token, no stats API.
	off := api.New(nil, nil)
	apitest.MountStats(off, &apitest.FakeStats{}, &apitest.FakeLive{}, time.UTC, nil)
	for _, p := range statsPaths {
		if code, _, _ := apitest.Get(t, off, p, ""); code != 404 {
			t.Errorf("%s with the stats API off: %d", p, code)
		}
	}
}

func TestStatsBadRequests(t *testing.T) {
	s := newStatsServer(t, &apitest.FakeStats{}, &apitest.FakeLive{})
	for _, c := range []struct{ path, field, msg string }{
		{"/api/stats/agentstat", "from", "is required"},
		{"/api/stats/agentstat?from=yesterday", "from", "is not a time"},
		{"/api/stats/agentstat?from=2026-03-10&to=10/03/2026", "to", "is not a time"},
		{"/api/stats/agentstat?from=2026-03-10&to=2026-03-10", "to", "to must be after from"},
		{"/api/stats/agentstat?from=2026-03-10&to=2026-03-09T23:00", "to", "to must be after from"},
		{"/api/stats/agentstat?from=2026-01-01&to=2026-06-01", "to", "over 92 days"},
		{"/api/stats/agentstat?from=2026-01-01&to=2026-04-03T00:01", "to", "over 92 days"},
		{"/api/stats/call_event?from=2026-03-10", "table", "unknown table"},
		{"/api/stats/agentstat?from=2026-03-10&queue=sales", "queue", "agentstat"},
		{"/api/stats/agentstat?from=2026-03-10&dnis=5550100", "dnis", "agentstat"},
		{"/api/stats/devicestat?from=2026-03-10&agent=1001", "agent", "devicestat"},
		{"/api/stats/extensionstat?from=2026-03-10&queue=sales", "queue", "extensionstat"},
		{"/api/stats/agentstat?from=2026-03-10&format=xml", "format", "json or csv"},
		{"/api/stats/agentstat?from=2026-03-10&limit=0", "limit", "positive"},
		{"/api/stats/agentstat?from=2026-03-10&limit=-3", "limit", "positive"},
		{"/api/stats/agentstat?from=2026-03-10&limit=ten", "limit", "positive"},
		{"/api/stats/bi/dialertargetsdata", "function", "unknown BI function"},
		{"/api/stats/bi/agentdata", "from", "is required"},
		{"/api/stats/bi/queuedata?from=2026-03-10&till=2026-03-10", "till", "till must be after from"},
		{"/api/stats/bi/queuedata?from=2026-03-10&till=2026-12-10", "till", "over 92 days"},
		{"/api/stats/bi/getallqueues?from=2026-03-10", "from", "takes no range"},
		{"/api/stats/bi/getallqueuesagents?till=2026-03-10", "till", "takes no range"},
		{"/api/stats/bi/queuedata?from=2026-03-10&format=pdf", "format", "json or csv"},
	} {
		code, v, rec := apitest.Get(t, s, c.path, apitest.StatsToken)
		e, _ := v.(map[string]any)["error"].(map[string]any)
		if code != 400 || e["code"] != ccd.EINVALID || e["field"] != c.field || !strings.Contains(e["message"].(string), c.msg) {
			t.Errorf("%s: %d %s; want 400 on %s saying %q", c.path, code, rec.Body, c.field, c.msg)
		}
	}
	// A refusal of the reader itself is a 400 on its field too.
	f := &apitest.FakeStats{Err: &store.QueryError{Field: "queue", Message: "no such thing"}}
	s = newStatsServer(t, f, &apitest.FakeLive{})
	code, v, rec := apitest.Get(t, s, "/api/stats/devicestat?from=2026-03-10&queue=x", apitest.StatsToken)
	if e, _ := v.(map[string]any)["error"].(map[string]any); code != 400 || e["field"] != "queue" {
		t.Fatalf("reader refusal: %d %s", code, rec.Body)
	}
}

// Every statistics route declares its query parameters: one it does not
// take, one given twice or a value PostgreSQL refuses is a 400 naming it,
// before anything is read.
func TestStatsQueryParameters(t *testing.T) {
	f := &apitest.FakeStats{}
	s := newStatsServer(t, f, &apitest.FakeLive{})
	for _, c := range []struct{ path, field, msg string }{
		{"/api/stats/bi/queuedata?from=2026-03-10&to=2026-03-12", "to", "takes from, till, format"},
		{"/api/stats/bi/getallqueues?limit=5", "limit", "unknown parameter"},
		{"/api/stats/agentstat?from=2026-03-10&till=2026-03-12", "till", "takes from, to, queue, agent, dnis, format, limit"},
		{"/api/stats/agentstat?from=2026-03-10&Agent=1001", "Agent", "unknown parameter"},
		{"/api/stats/realtime/queues?queue=sales", "queue", "takes no parameters"},
		{"/api/stats/realtime/agents?x", "x", "takes no parameters"},
		{"/api/stats/agentstat?from=2026-03-10&from=2026-03-11", "from", "more than once"},
		{"/api/stats/callsstat?from=2026-03-10&dnis=%00", "dnis", "NUL"},
		{"/api/stats/callsstat?from=2026-03-10&agent=%ff%fe", "agent", "UTF-8"},
		{"/api/stats/callsstat?from=2026-03-10&queue=%c3%28", "queue", "UTF-8"},
		{"/api/stats/callsstat?from=2026-03-10&queue=a%0Ab", "queue", "control character"},
		{"/api/stats/callsstat?from=2026-03-10%00", "from", "NUL"},
		{"/api/stats/bi/queuedata?from=2026-03-10&format=%ff", "format", "UTF-8"},
		{"/api/stats/callsstat?from=2026-03-10&dnis=%zz", "query", "escape"},
	} {
		f.Q = store.StatQuery{}
		code, v, rec := apitest.Get(t, s, c.path, apitest.StatsToken)
		m, _ := v.(map[string]any)
		e, _ := m["error"].(map[string]any)
		if msg, _ := e["message"].(string); code != 400 || e["code"] != ccd.EINVALID || e["field"] != c.field || !strings.Contains(msg, c.msg) {
			t.Errorf("%s: %d %s; want 400 on %s saying %q", c.path, code, rec.Body, c.field, c.msg)
		}
		if f.Q.Table != "" {
			t.Errorf("%s: read %+v although the request was refused", c.path, f.Q)
		}
	}
	// Every declared parameter is taken.
	for _, p := range []string{
		"/api/stats/agentbydevicestat?from=2026-03-10&to=2026-03-11&queue=sales&agent=1001&dnis=5550100&format=json&limit=5",
		"/api/stats/bi/queuedata?from=2026-03-10&till=2026-03-11&format=csv",
		"/api/stats/bi/getallqueues?format=json",
	} {
		if code, _, rec := apitest.Get(t, s, p, apitest.StatsToken); code != 200 {
			t.Errorf("%s: %d %s", p, code, rec.Body)
		}
	}
}

func TestStatsTableJSON(t *testing.T) {
	loc := buenosAires(t)
	at := time.Date(2026, 3, 10, 10, 0, 0, 0, time.UTC) // 07:00 in Buenos Aires
	f := &apitest.FakeStats{
		Cols: []string{"thedate", "usercode", "minringtime", "answeredpercentage", "agent"},
		Rows: [][]any{{at, int64(1001), nil, 62.5, "1001"}, {at.Add(15 * time.Minute), int64(1002), int64(4), 0.0, "Zoë"}},
	}
	s := newStatsServer(t, f, nil)
	code, _, rec := apitest.Get(t, s, "/api/stats/agentbydevicestat?from=2026-03-10&queue=sales&agent=1001&dnis=5550100&limit=50", apitest.StatsToken)
	if code != 200 {
		t.Fatalf("%d %s", code, rec.Body)
	}
	// Dates without an offset are the center's; to is a day later; the
	// filters travel as given.
	want := store.StatQuery{Table: "agentbydevicestat", From: time.Date(2026, 3, 10, 0, 0, 0, 0, loc),
		To: time.Date(2026, 3, 11, 0, 0, 0, 0, loc), Queue: "sales", Agent: "1001", DNIS: "5550100", Limit: 50}
	if !f.Q.From.Equal(want.From) || !f.Q.To.Equal(want.To) {
		t.Fatalf("range %v .. %v", f.Q.From, f.Q.To)
	}
	f.Q.From, f.Q.To = want.From, want.To
	if !reflect.DeepEqual(f.Q, want) {
		t.Fatalf("query %+v", f.Q)
	}
	// Keys in column order, times in the center's zone, NULL as null.
	wantBody := `{"table":"agentbydevicestat","from":"2026-03-10T00:00:00-03:00","to":"2026-03-11T00:00:00-03:00",` +
		`"columns":["thedate","usercode","minringtime","answeredpercentage","agent"],"rows":[` +
		`{"thedate":"2026-03-10T07:00:00-03:00","usercode":1001,"minringtime":null,"answeredpercentage":62.5,"agent":"1001"},` +
		`{"thedate":"2026-03-10T07:15:00-03:00","usercode":1002,"minringtime":4,"answeredpercentage":0,"agent":"Zoë"}]}`
	if got := strings.TrimSpace(rec.Body.String()); got != wantBody {
		t.Fatalf("body\n got %s\nwant %s", got, wantBody)
	}

	// The other time forms.
	for _, c := range []struct {
		query    string
		from, to time.Time
	}{
		{"from=2026-03-10T08:30", time.Date(2026, 3, 10, 8, 30, 0, 0, loc), time.Date(2026, 3, 11, 8, 30, 0, 0, loc)},
		{"from=2026-03-10T08:30:15&to=2026-03-10T09:00", time.Date(2026, 3, 10, 8, 30, 15, 0, loc), time.Date(2026, 3, 10, 9, 0, 0, 0, loc)},
		{"from=2026-03-10T11:00:00Z&to=2026-03-12T00:00:00%2B01:00", time.Date(2026, 3, 10, 11, 0, 0, 0, time.UTC),
			time.Date(2026, 3, 11, 23, 0, 0, 0, time.UTC)},
	} {
		if code, _, rec := apitest.Get(t, s, "/api/stats/callsstat?"+c.query, apitest.StatsToken); code != 200 {
			t.Fatalf("%s: %d %s", c.query, code, rec.Body)
		}
		if !f.Q.From.Equal(c.from) || !f.Q.To.Equal(c.to) || f.Q.Table != "callsstat" || f.Q.Limit != 0 {
			t.Errorf("%s: read %+v", c.query, f.Q)
		}
	}

	// No rows is an empty list, not null.
	f.Cols, f.Rows = []string{"thedate"}, nil
	_, v, _ := apitest.Get(t, s, "/api/stats/agentstat?from=2026-03-10", apitest.StatsToken)
	if rows, ok := v.(map[string]any)["rows"].([]any); !ok || len(rows) != 0 {
		t.Fatalf("empty rows: %v", v)
	}
}

func TestStatsCSV(t *testing.T) {
	at := time.Date(2026, 3, 10, 10, 0, 0, 0, time.UTC)
	f := &apitest.FakeStats{
		Cols: []string{"callid", "clid", "offeredts", "answeredts", "adata1", "pct"},
		Rows: [][]any{{int64(1), `0611, "x"`, at, nil, "line1\nline2", 33.25}, {int64(2), "plain", at, at, "", 100.0}},
	}
	s := newStatsServer(t, f, nil)
	code, _, rec := apitest.Get(t, s, "/api/stats/callsstat?from=2026-03-10T08:00&to=2026-03-10T12:00&format=csv", apitest.StatsToken)
	if code != 200 {
		t.Fatalf("%d %s", code, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
		t.Fatalf("Content-Type %q", ct)
	}
	if cd := rec.Header().Get("Content-Disposition"); cd != `attachment; filename="callsstat-2026-03-10T0800.csv"` {
		t.Fatalf("Content-Disposition %q", cd)
	}
	want := "callid,clid,offeredts,answeredts,adata1,pct\r\n" +
		"1,\"0611, \"\"x\"\"\",2026-03-10T07:00:00-03:00,,\"line1\r\nline2\",33.25\r\n" + // CRLF inside quotes too; readers give back \n
		"2,plain,2026-03-10T07:00:00-03:00,2026-03-10T07:00:00-03:00,,100\r\n"
	if got := rec.Body.String(); got != want {
		t.Fatalf("csv\n got %q\nwant %q", got, want)
	}
	recs, err := csv.NewReader(strings.NewReader(rec.Body.String())).ReadAll()
	if err != nil || len(recs) != 3 || recs[1][1] != `0611, "x"` || recs[1][4] != "line1\nline2" {
		t.Fatalf("csv does not read back: %q %v", recs, err)
	}

	// BI functions answer CSV the same way.
	f.Cols, f.Rows = []string{"code", "description"}, [][]any{{int64(1000000), "Sales, North"}}
	code, _, rec = apitest.Get(t, s, "/api/stats/bi/getallqueues?format=csv", apitest.StatsToken)
	if code != 200 || rec.Body.String() != "code,description\r\n1000000,\"Sales, North\"\r\n" ||
		rec.Header().Get("Content-Disposition") != `attachment; filename="getallqueues.csv"` {
		t.Fatalf("bi csv: %d %q %q", code, rec.Body, rec.Header().Get("Content-Disposition"))
	}
	code, _, rec = apitest.Get(t, s, "/api/stats/bi/queuedata?from=2026-03-10&format=csv", apitest.StatsToken)
	if code != 200 || rec.Header().Get("Content-Disposition") != `attachment; filename="queuedata-2026-03-10.csv"` {
		t.Fatalf("bi csv: %d %q", code, rec.Header().Get("Content-Disposition"))
	}
}

// A text cell a spreadsheet would run as a formula starts with a single quote
// in CSV (OWASP CSV injection); numbers, negative ones too, stay numbers, and
// JSON gives every value as it is.
func TestStatsCSVNeutralisesFormulas(t *testing.T) {
	texts := []string{"=HYPERLINK(\"http://x\",\"y\")", "+4930123", "-2+3", "@SUM(A1)", "\t=1", "\r=1", "a=b", "'quoted", ""}
	f := &apitest.FakeStats{Cols: []string{"callid", "clid", "holdtime", "pct"}}
	for i, txt := range texts {
		f.Rows = append(f.Rows, []any{int64(-i), txt, int64(-7), -2.5})
	}
	s := newStatsServer(t, f, nil)
	code, _, rec := apitest.Get(t, s, "/api/stats/callsstat?from=2026-03-10&format=csv", apitest.StatsToken)
	if code != 200 {
		t.Fatalf("%d %s", code, rec.Body)
	}
	recs, err := csv.NewReader(strings.NewReader(rec.Body.String())).ReadAll()
	if err != nil || len(recs) != len(texts)+1 {
		t.Fatalf("csv %q %v", rec.Body, err)
	}
	for i, txt := range texts {
		want := txt
		if i < 6 {
			want = "'" + txt
		}
		// encoding/csv, ending lines with CRLF, drops a CR inside a field: the
		// cell reads back as "=1", which is why it needs the quote too.
		want = strings.ReplaceAll(want, "\r", "")
		r := recs[i+1]
		if r[0] != strconv.Itoa(-i) || r[1] != want || r[2] != "-7" || r[3] != "-2.5" {
			t.Errorf("row %d: %q; want clid %q and the numbers as they are", i, r, want)
		}
	}
	// The BI functions' CSV too (a queue description is text).
	f.Cols, f.Rows = []string{"code", "description"}, [][]any{{int64(-1), "=cmd|' /C calc'!A0"}}
	if _, _, rec = apitest.Get(t, s, "/api/stats/bi/getallqueues?format=csv", apitest.StatsToken); rec.Body.String() != "code,description\r\n-1,'=cmd|' /C calc'!A0\r\n" {
		t.Errorf("bi csv %q", rec.Body)
	}
	// JSON is data, not a spreadsheet: as it is.
	_, v, _ := apitest.Get(t, s, "/api/stats/bi/getallqueues", apitest.StatsToken)
	if rows := v.(map[string]any)["rows"].([]any); rows[0].(map[string]any)["description"] != "=cmd|' /C calc'!A0" {
		t.Errorf("json %v", rows)
	}
}

func TestStatsBIJSON(t *testing.T) {
	loc := buenosAires(t)
	f := &apitest.FakeStats{Cols: []string{"queuecode", "queuedesc", "answeredpercentage"}, Rows: [][]any{{int64(7), "Sales", 75.0}}}
	s := newStatsServer(t, f, nil)
	code, v, rec := apitest.Get(t, s, "/api/stats/bi/agentdata?from=2026-03-01&till=2026-03-08", apitest.StatsToken)
	if code != 200 {
		t.Fatalf("%d %s", code, rec.Body)
	}
	if f.BIName != "agentdata" || !f.BIFrom.Equal(time.Date(2026, 3, 1, 0, 0, 0, 0, loc)) || !f.BITill.Equal(time.Date(2026, 3, 8, 0, 0, 0, 0, loc)) {
		t.Fatalf("asked %s %v %v", f.BIName, f.BIFrom, f.BITill)
	}
	want := map[string]any{"function": "agentdata", "from": "2026-03-01T00:00:00-03:00", "till": "2026-03-08T00:00:00-03:00",
		"columns": []any{"queuecode", "queuedesc", "answeredpercentage"},
		"rows":    []any{map[string]any{"queuecode": 7.0, "queuedesc": "Sales", "answeredpercentage": 75.0}}}
	if !reflect.DeepEqual(v, want) {
		t.Fatalf("agentdata %v", v)
	}
	_, v, _ = apitest.Get(t, s, "/api/stats/bi/getallqueuesagents", apitest.StatsToken)
	if m := v.(map[string]any); m["function"] != "getallqueuesagents" || m["from"] != nil || m["till"] != nil || f.BIName != "getallqueuesagents" {
		t.Fatalf("getallqueuesagents %v", v)
	}
}

func TestStatsRealtime(t *testing.T) {
	loc := buenosAires(t)
	now := time.Date(2026, 3, 10, 15, 4, 5, 0, loc)
	f, live := apitest.RealtimeFixture(now)
	// 1002 asked for not ready on its call: the ACD makes it at the call's end.
	live.AgentList[1].Pending = &ccd.PendingChange{Change: ccd.ChangeNotReady, Activity: "lunch"}
	s := newStatsServerAt(t, f, live, func() time.Time { return now })

	code, v, rec := apitest.Get(t, s, "/api/stats/realtime/queues", apitest.StatsToken)
	if code != 200 {
		t.Fatalf("%d %s", code, rec.Body)
	}
	if !f.Since.Equal(time.Date(2026, 3, 10, 0, 0, 0, 0, loc)) || f.SL["sales"] != 20*time.Second {
		t.Fatalf("today asked since %v with %v", f.Since, f.SL)
	}
	// sales: abandoned 1 + 1 ringing; service level 6 / (8 + 2) = 60 %; waits
	// 100 s / 8 answered, 25 s / 2 abandoned.
	want := []any{
		map[string]any{"code": "sales", "name": "Sales Line", "waiting": 2.0, "longest_wait_seconds": 12.5,
			"expected_wait_seconds": 30.0, "logged_in": 3.0, "agents": map[string]any{"ready": 1.0, "on_call": 2.0},
			"today": map[string]any{"offered": 15.0, "inflowed": 4.0, "answered": 8.0, "abandoned": 2.0, "abandoned_ringing": 1.0,
				"overflowed": 3.0, "answered_in_sl": 6.0, "service_level_seconds": 20.0, "service_level_percent": 60.0,
				"avg_wait_seconds": 12.5, "avg_abandon_seconds": 12.5}},
		map[string]any{"code": "support", "name": "", "waiting": 0.0, "longest_wait_seconds": 0.0,
			"expected_wait_seconds": 0.0, "logged_in": 0.0, "agents": map[string]any{},
			"today": map[string]any{"offered": 0.0, "inflowed": 0.0, "answered": 0.0, "abandoned": 0.0, "abandoned_ringing": 0.0,
				"overflowed": 0.0, "answered_in_sl": 0.0, "service_level_seconds": nil, "service_level_percent": nil,
				"avg_wait_seconds": 0.0, "avg_abandon_seconds": 0.0}},
	}
	if !reflect.DeepEqual(v, want) {
		t.Fatalf("queues\n got %v\nwant %v", v, want)
	}

	code, v, rec = apitest.Get(t, s, "/api/stats/realtime/agents", apitest.StatsToken)
	if code != 200 {
		t.Fatalf("%d %s", code, rec.Body)
	}
	type agentRow struct {
		status, queue, contact string
		secs                   float64
	}
	var got []agentRow
	for _, a := range v.([]any) {
		m := a.(map[string]any)
		got = append(got, agentRow{m["status"].(string), m["queue"].(string), m["contact"].(string), m["seconds_in_status"].(float64)})
	}
	wantA := []agentRow{
		{"READY", "", "", 3}, {"ONCALL", "sales", "6141644", 65}, {"PAUSE-Carga_de_Venta", "", "", 3700}, {"PAUSE", "", "", 1},
		{"PAUSE-ACW", "", "", 20}, {"OFFLINE", "", "", 360000}, {"RINGING", "support", "0821291", 0}, {"ONCALL", "", "", 0},
	}
	if !reflect.DeepEqual(got, wantA) {
		t.Fatalf("agents\n got %v\nwant %v", got, wantA)
	}
	second := v.([]any)[1].(map[string]any)
	if second["call_id"] != "c1" || !reflect.DeepEqual(second["today"], map[string]any{"offered": 5.0, "answered": 4.0,
		"login_seconds": 3600.0, "ready_seconds": 3000.0, "not_ready_seconds": 600.0, "acd_talk_seconds": 1200.0, "talk_seconds": 1300.0}) {
		t.Fatalf("agent 1002 %v", second)
	}
	if !reflect.DeepEqual(second["pending"], map[string]any{"change": "not_ready", "activity": "lunch"}) {
		t.Fatalf("agent 1002's pending change: %v", second["pending"])
	}
	if _, ok := v.([]any)[0].(map[string]any)["pending"]; ok {
		t.Fatal("agent 1001 shows a pending change it did not ask for")
	}
}

// Without the ACD the real-time views are unavailable; the tables are not.
func TestStatsWithoutLive(t *testing.T) {
	s := newStatsServer(t, &apitest.FakeStats{}, nil)
	for _, p := range statsPaths[2:] {
		code, v, rec := apitest.Get(t, s, p, apitest.StatsToken)
		if e, _ := v.(map[string]any)["error"].(map[string]any); code != 503 || e["code"] != ccd.EUNAVAILABLE {
			t.Errorf("%s: %d %s", p, code, rec.Body)
		}
	}
	for _, p := range statsPaths[:2] {
		if code, _, rec := apitest.Get(t, s, p, apitest.StatsToken); code != 200 {
			t.Errorf("%s: %d %s", p, code, rec.Body)
		}
	}
}

// The supervision routes under /api/v1 live beside the session API's group
// there, in either mounting order, behind the one authentication: the
// integration token holds the supervise role, an agent's session does not
// (it is known, so 403, not 401).
func TestStatsBesideAgents(t *testing.T) {
	for _, statsFirst := range []bool{true, false} {
		s := api.NewServer(nil, nil, api.Options{Token: apitest.IntegrationToken})
		mountStats := func() { apitest.MountStats(s, &apitest.FakeStats{}, &apitest.FakeLive{}, time.UTC, nil) }
		if statsFirst {
			mountStats()
		}
		agents := apitest.MountAgents(s, apitest.NewFakeAgents(), api.AgentAuth{TokenTTL: time.Hour}, optimus.Credentials{})
		if !statsFirst {
			mountStats()
		}
		session, _, err := agents.OpenSession(context.Background(), "1001")
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range []string{"/api/v1/supervision/agents", "/api/v1/supervision/inbound", "/api/stats/realtime/agents", "/api/agents"} {
			if code, _, rec := apitest.Get(t, s, p, apitest.IntegrationToken); code != 200 {
				t.Errorf("stats first %v: %s with the integration token: %d %s", statsFirst, p, code, rec.Body)
			}
			if code, _, rec := apitest.Get(t, s, p, session); code != 403 {
				t.Errorf("stats first %v: %s with an agent's session: %d %s", statsFirst, p, code, rec.Body)
			}
		}
		if code, _, rec := apitest.Get(t, s, "/api/agents/1001", session); code != 200 {
			t.Errorf("stats first %v: the agent's own state: %d %s", statsFirst, code, rec.Body)
		}
		req := httptest.NewRequest("POST", "/api/v1/asterisk_login/", strings.NewReader(`{"agent":"1001"}`))
		req.Header.Set("Authorization", "Bearer "+apitest.IntegrationToken)
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		s.Echo.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b, _ := io.ReadAll(rec.Body)
			t.Errorf("stats first %v: asterisk_login: %d %s", statsFirst, rec.Code, b)
		}
	}
}

// Through the real store: a table read with a filter, names resolved, as CSV.
func TestStatsWithStore(t *testing.T) {
	db := pgtest.NewDB(t)
	loc := buenosAires(t)
	var sales int
	if err := db.QueryRow(`SELECT stat.code_of('queue', 'sales')`).Scan(&sales); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 3, 10, 9, 0, 0, 0, loc)
	for _, q := range []int{sales, 7777} {
		if _, err := db.Exec(`INSERT INTO stat.devicestat (calcts, thedate, themonth, theweek, theday, thehour,
			devicecode, devicetype, offered) VALUES ($1, $1, '2026-03', '2026-W11', '2026-03-10', '09:00', $2, 3, 4)`, at, q); err != nil {
			t.Fatal(err)
		}
	}
	s := api.NewServer(nil, nil, api.Options{Token: apitest.StatsToken})
	apitest.MountStats(s, db, nil, loc, nil)
	code, _, rec := apitest.Get(t, s, "/api/stats/devicestat?from=2026-03-10&queue=sales&format=csv", apitest.StatsToken)
	if code != 200 {
		t.Fatalf("%d %s", code, rec.Body)
	}
	recs, err := csv.NewReader(strings.NewReader(rec.Body.String())).ReadAll()
	if err != nil || len(recs) != 2 {
		t.Fatalf("csv %q %v", rec.Body, err)
	}
	h, r := recs[0], recs[1]
	if h[1] != "thedate" || r[1] != "2026-03-10T09:00:00-03:00" || h[len(h)-1] != "device" || r[len(r)-1] != "sales" {
		t.Fatalf("csv %q", recs)
	}
	// Filters the database would refuse, and names it has no code for, are
	// 400s on their field; a JSON shape like every other error.
	for _, c := range []struct{ query, field, msg string }{
		{"dnis=%00", "dnis", "NUL"},
		{"agent=%ff%fe", "agent", "UTF-8"},
		{"queue=%c3%28", "queue", "UTF-8"},
		{"queue=nope", "queue", `no queue "nope"`},
		{"agent=1001", "agent", `no agent "1001"`},
	} {
		code, v, rec := apitest.Get(t, s, "/api/stats/callsstat?from=2026-03-10&"+c.query, apitest.StatsToken)
		e, _ := v.(map[string]any)["error"].(map[string]any)
		if msg, _ := e["message"].(string); code != 400 || e["code"] != ccd.EINVALID || e["field"] != c.field || !strings.Contains(msg, c.msg) {
			t.Errorf("%s: %d %s; want 400 on %s saying %s", c.query, code, rec.Body, c.field, c.msg)
		}
	}
	code, v, rec := apitest.Get(t, s, "/api/stats/bi/queuedata?from=2026-03-10", apitest.StatsToken)
	rows, _ := v.(map[string]any)["rows"].([]any)
	// Ordered by code: 7777 (no stat.code name, so no description) before sales.
	if code != 200 || len(rows) != 2 || rows[1].(map[string]any)["queuedesc"] != "sales" || rows[1].(map[string]any)["offered"] != 4.0 ||
		rows[0].(map[string]any)["queuedesc"] != "" {
		t.Fatalf("queuedata %d %s", code, rec.Body)
	}
}
