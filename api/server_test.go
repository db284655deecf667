package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/api"
	"github.com/ccdhq/ccd/metrics"
)

func get(t *testing.T, s *api.Server, path string) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	s.Echo.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	b, _ := io.ReadAll(rec.Body)
	return rec.Code, string(b)
}

func TestHealthReadyMetrics(t *testing.T) {
	m := metrics.New()
	m.EventsIn.WithLabelValues("ami", "Hangup").Add(3)
	s := api.New(nil, m.Registry)
	if code, body := get(t, s, "/healthz"); code != 200 || !strings.Contains(body, `"ok"`) {
		t.Fatalf("healthz %d %s", code, body)
	}
	s.AddCheck(api.Check{Name: "database", Func: func(context.Context) error { return nil }})
	if code, _ := get(t, s, "/readyz"); code != 200 {
		t.Fatalf("readyz with passing checks: %d", code)
	}
	s.AddCheck(api.Check{Name: "ami", Func: func(context.Context) error { return errors.New("dial tcp 127.0.0.1:5038: connection refused") }})
	code, body := get(t, s, "/readyz")
	if code != http.StatusServiceUnavailable {
		t.Fatalf("readyz with a failing check: %d", code)
	}
	var r struct {
		Status string `json:"status"`
		Checks []struct {
			Name string `json:"name"`
			OK   bool   `json:"ok"`
		} `json:"checks"`
	}
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		t.Fatal(err)
	}
	if r.Status != "not ready" || len(r.Checks) != 2 || r.Checks[1].OK || !r.Checks[0].OK {
		t.Fatalf("readyz body %s", body)
	}
	code, body = get(t, s, "/metrics")
	if code != 200 || !strings.Contains(body, `ccd_events_in_total{link="ami",type="Hangup"} 3`) {
		t.Fatalf("metrics %d %s", code, body)
	}
}

func TestErrorsAreJSON(t *testing.T) {
	s := api.New(nil, nil)
	s.Echo.GET("/bad", func(c echo.Context) error { return ccd.Invalid("from", "from must be before to") })
	s.Echo.GET("/boom", func(c echo.Context) error { return errors.New("secret detail") })
	code, body := get(t, s, "/bad")
	if code != 400 || !strings.Contains(body, `"field":"from"`) {
		t.Fatalf("invalid: %d %s", code, body)
	}
	code, body = get(t, s, "/boom")
	if code != 500 || strings.Contains(body, "secret detail") {
		t.Fatalf("internal: %d %s", code, body)
	}
	code, body = get(t, s, "/nowhere")
	if code != 404 || !strings.Contains(body, `"code":"not_found"`) {
		t.Fatalf("not found: %d %s", code, body)
	}
}
