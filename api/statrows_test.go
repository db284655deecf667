package api_test

import (
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ccdhq/ccd/internal/apitest"
)

// A read that fails before its first row is an ordinary error answer; one
// that fails after the answer began cuts the connection, so that the client
// sees a broken transfer rather than a short document.
func TestStatsStreamFailures(t *testing.T) {
	at := time.Date(2026, 3, 10, 10, 0, 0, 0, time.UTC)
	f := &apitest.FakeStats{Cols: []string{"thedate", "usercode"}, Rows: [][]any{{at, int64(1)}, {at, int64(2)}},
		Err: errors.New("connection reset by peer")}
	s := newStatsServer(t, f, nil)
	srv := httptest.NewServer(s.Echo)
	defer srv.Close()
	get := func(path string) (*http.Response, []byte, error) {
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+apitest.StatsToken)
		resp, err := srv.Client().Do(req)
		if err != nil {
			return nil, nil, err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		return resp, body, err
	}
	for _, format := range []string{"json", "csv"} {
		f.FailAfter = 0
		resp, body, err := get("/api/stats/agentstat?from=2026-03-10&format=" + format)
		if err != nil || resp.StatusCode != 500 || !json.Valid(body) {
			t.Fatalf("%s, failing at once: %v %v %s", format, resp, err, body)
		}
		// Whether the first bytes had left yet or not, the client must
		// get an error, not a complete-looking answer.
		f.FailAfter = 1
		if resp, body, err = get("/api/stats/agentstat?from=2026-03-10&format=" + format); err == nil {
			t.Fatalf("%s, failing after a row: the client read a whole answer: %d %s", format, resp.StatusCode, body)
		}
	}
	// Far enough in that the status and the first rows were sent.
	f.Rows = nil
	for i := range 20000 {
		f.Rows = append(f.Rows, []any{at, int64(i)})
	}
	f.FailAfter = 15000
	resp, body, err := get("/api/stats/agentstat?from=2026-03-10")
	if err == nil || resp.StatusCode != 200 || !strings.HasPrefix(string(body), `{"table":"agentstat"`) {
		t.Fatalf("failing after 15000 rows: %v, %d bytes, %v", resp, len(body), err)
	}
}

// Decimals JSON cannot carry are null; text is escaped whatever it holds.
func TestStatsJSONValues(t *testing.T) {
	f := &apitest.FakeStats{Cols: []string{"pct", "name"}, Rows: [][]any{
		{math.NaN(), "tab\there \"quoted\" \\ \u2028 \x01 bad\xff utf8"},
		{math.Inf(1), "</script>"},
		{math.Inf(-1), ""},
		{1e21, "ok"},
	}}
	s := newStatsServer(t, f, nil)
	code, v, rec := apitest.Get(t, s, "/api/stats/agentstat?from=2026-03-10", apitest.StatsToken)
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
