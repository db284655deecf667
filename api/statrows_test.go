package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ccdhq/ccd/store"
	"github.com/labstack/echo/v4"
)

// A read that fails before its first row is an ordinary error answer; one
// that fails after the answer began cuts the connection, so that the client
// sees a broken transfer rather than a short document.
func TestStatsStreamFailures(t *testing.T) {
	at := time.Date(2026, 3, 10, 10, 0, 0, 0, time.UTC)
	f := &fakeStats{cols: []string{"thedate", "usercode"}, rows: [][]any{{at, int64(1)}, {at, int64(2)}},
		err: errors.New("connection reset by peer")}
	s := newStatsServer(t, f, nil)
	srv := httptest.NewServer(s.Echo)
	defer srv.Close()
	get := func(path string) (*http.Response, []byte, error) {
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+statsToken)
		resp, err := srv.Client().Do(req)
		if err != nil {
			return nil, nil, err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		return resp, body, err
	}
	for _, format := range []string{"json", "csv"} {
		f.failAfter = 0
		resp, body, err := get("/api/stats/agentstat?from=2026-03-10&format=" + format)
		if err != nil || resp.StatusCode != 500 || !json.Valid(body) {
			t.Fatalf("%s, failing at once: %v %v %s", format, resp, err, body)
		}
		// Whether the first bytes had left yet or not, the client must
		// get an error, not a complete-looking answer.
		f.failAfter = 1
		if resp, body, err = get("/api/stats/agentstat?from=2026-03-10&format=" + format); err == nil {
			t.Fatalf("%s, failing after a row: the client read a whole answer: %d %s", format, resp.StatusCode, body)
		}
	}
	// Far enough in that the status and the first rows were sent.
	f.rows = nil
	for i := range 20000 {
		f.rows = append(f.rows, []any{at, int64(i)})
	}
	f.failAfter = 15000
	resp, body, err := get("/api/stats/agentstat?from=2026-03-10")
	if err == nil || resp.StatusCode != 200 || !strings.HasPrefix(string(body), `{"table":"agentstat"`) {
		t.Fatalf("failing after 15000 rows: %v, %d bytes, %v", resp, len(body), err)
	}
}

// Decimals JSON cannot carry are null; text is escaped whatever it holds.
func TestStatsJSONValues(t *testing.T) {
	f := &fakeStats{cols: []string{"pct", "name"}, rows: [][]any{
		{math.NaN(), "tab\there \"quoted\" \\ \u2028 \x01 bad\xff utf8"},
		{math.Inf(1), "</script>"},
		{math.Inf(-1), ""},
		{1e21, "ok"},
	}}
	s := newStatsServer(t, f, nil)
	code, v, rec := statsGet(t, s, "/api/stats/agentstat?from=2026-03-10", statsToken)
	if code != 200 || !json.Valid(rec.Body.Bytes()) {
		t.Fatalf("%d %s", code, rec.Body)
	}
	rows := v.(map[string]any)["rows"].([]any)
	want := []map[string]any{
		{"pct": nil, "name": "tab\there \"quoted\" \\ \u2028 \x01 bad\ufffd utf8"},
		{"pct": nil, "name": "</script>"},
		{"pct": nil, "name": ""},
		{"pct": 1e21, "name": "ok"},
	}
	for i, w := range want {
		got := rows[i].(map[string]any)
		if got["pct"] != w["pct"] || got["name"] != w["name"] {
			t.Errorf("row %d: %v, want %v", i, got, w)
		}
	}
}

// discardResponse throws an answer away, so that a benchmark measures the
// formatting of rows and nothing else.
type discardResponse struct{ h http.Header }

func (d *discardResponse) Header() http.Header         { return d.h }
func (d *discardResponse) Write(b []byte) (int, error) { return len(b), nil }
func (d *discardResponse) WriteHeader(int)             {}

// benchmarkRows writes rows shaped like callsstat's (times, integers, caller
// IDs half of which start with '+', names, a decimal) to out.
func benchmarkRows(b *testing.B, out func(c echo.Context) streamer) {
	cols := []store.Column{{Name: "offeredts", Kind: store.Time}, {Name: "callid", Kind: store.Integer},
		{Name: "clid", Kind: store.Text}, {Name: "agent_id", Kind: store.Text}, {Name: "holdtime", Kind: store.Integer},
		{Name: "pct", Kind: store.Decimal}, {Name: "adata1", Kind: store.Text}}
	at := time.Date(2026, 3, 10, 10, 0, 0, 0, time.UTC)
	const rows = 10000
	cells := make([][]store.Cell, rows)
	for i := range cells {
		clid := fmt.Sprintf("0611%06d", i)
		if i%2 == 0 {
			clid = fmt.Sprintf("+49301%06d", i)
		}
		cells[i] = []store.Cell{{Time: at.Add(time.Duration(i/100) * time.Minute)}, {Int: int64(i)}, {Raw: []byte(clid)},
			{Raw: []byte("1001")}, {Int: int64(i % 60)}, {Raw: []byte("62.5")}, {Raw: []byte("order 4711|vip")}}
	}
	e := echo.New()
	b.ReportAllocs()
	for b.Loop() {
		w := out(e.NewContext(httptest.NewRequest("GET", "/", nil), &discardResponse{h: http.Header{}}))
		if err := w.Columns(cols); err != nil {
			b.Fatal(err)
		}
		for _, r := range cells {
			if err := w.Row(r); err != nil {
				b.Fatal(err)
			}
		}
		if err := w.finish(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*rows), "ns/row")
}

func BenchmarkStatsCSV(b *testing.B) {
	benchmarkRows(b, func(c echo.Context) streamer { return &csvRows{c: c, file: "x", times: timeText{loc: time.UTC}} })
}

func BenchmarkStatsJSON(b *testing.B) {
	benchmarkRows(b, func(c echo.Context) streamer {
		return &jsonRows{c: c, times: timeText{loc: time.UTC}, meta: struct{}{}}
	})
}
