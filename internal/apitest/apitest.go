// Package apitest holds what the tests of the HTTP layer and of the
// dialects share: fakes of the ACD's services and of the statistics, the
// wiring of the whole HTTP surface as the daemon mounts it, and helpers that
// send requests to it.
package apitest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/api"
	"github.com/ccdhq/ccd/integrations/omnileads"
	"github.com/ccdhq/ccd/integrations/optimus"
)

// Tokens of the tests: the integration token, and the one the statistics
// tests configure (an integration token too).
const (
	IntegrationToken = "integration-token-0123456789"
	StatsToken       = "stats-token-0123456789"
)

// Optimus web-service credentials of the tests.
var Optimus = optimus.Credentials{User: "ws", Password: "ws-pw"}

// MountAgents mounts the agent interfaces of every dialect as the daemon
// does: ccd's JSON (and the call routes when ctl controls calls), the
// OMniLeads session API and, with credentials, Optimus AgentServices.
func MountAgents(s *api.Server, ctl ccd.AgentControl, auth api.AgentAuth, creds optimus.Credentials) *api.Agents {
	agents := s.MountAgents(ctl, auth)
	omnileads.Mount(s, agents)
	optimus.Mount(s, agents, creds)
	return agents
}

// MountStats mounts the statistics and the supervision views as the daemon
// does.
func MountStats(s *api.Server, r api.StatsReader, live api.LiveSource, loc *time.Location, sl map[string]time.Duration) {
	omnileads.MountSupervision(s, s.MountStats(r, live, loc, sl))
}

// Do sends a request from 192.0.2.1 with a bearer token ("" for none) and
// returns the status, the answer decoded as a JSON object (nil when it is
// not one) and the raw answer.
func Do(t *testing.T, h http.Handler, method, path, token, contentType, body string) (int, map[string]any, string) {
	t.Helper()
	code, m, raw, _ := DoFrom(t, h, "192.0.2.1:40000", method, path, token, contentType, body)
	return code, m, raw
}

// DoFrom is Do from a client address, also returning the answer's headers.
func DoFrom(t *testing.T, h http.Handler, addr, method, path, token, contentType, body string) (int, map[string]any, string, http.Header) {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.RemoteAddr = addr
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	raw, _ := io.ReadAll(rec.Body)
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	return rec.Code, m, string(raw), rec.Header()
}

// DoAuth sends a request with an Authorization header as given.
func DoAuth(t *testing.T, h http.Handler, method, path, authorization string) (int, map[string]any, string) {
	t.Helper()
	req := httptest.NewRequest(method, path, nil)
	req.Header.Set("Authorization", authorization)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var m map[string]any
	_ = json.Unmarshal(rec.Body.Bytes(), &m)
	return rec.Code, m, rec.Body.String()
}

// Get sends a GET with a bearer token ("" for none) and returns the
// status, the decoded JSON (nil when it is not) and the recorder.
func Get(t *testing.T, h http.Handler, path, token string) (int, any, *httptest.ResponseRecorder) {
	t.Helper()
	req := httptest.NewRequest("GET", path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var v any
	_ = json.Unmarshal(rec.Body.Bytes(), &v)
	return rec.Code, v, rec
}

// Clock is a settable clock for api.Options.Now, safe for concurrent use.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock is a clock at 2026-03-10 08:00 UTC.
func NewClock() *Clock {
	return &Clock{now: time.Date(2026, 3, 10, 8, 0, 0, 0, time.UTC)}
}

// Now reads the clock.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Add moves the clock on.
func (c *Clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// ErrorCase is a request that must fail with Code, in the JSON error shape,
// naming Field when it is set.
type ErrorCase struct {
	Name, Method, Path, Token, ContentType, Body string
	Code                                         int
	Field                                        string
}

// CheckErrors sends each case to h as a subtest and checks its answer.
func CheckErrors(t *testing.T, h http.Handler, cases []ErrorCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) {
			code, m, raw := Do(t, h, tc.Method, tc.Path, tc.Token, tc.ContentType, tc.Body)
			if code != tc.Code {
				t.Fatalf("status %d, want %d: %s", code, tc.Code, raw)
			}
			e, _ := m["error"].(map[string]any)
			if e == nil || e["message"] == "" {
				t.Fatalf("no JSON error body: %s", raw)
			}
			if tc.Field != "" && e["field"] != tc.Field {
				t.Fatalf("field %v, want %s: %s", e["field"], tc.Field, raw)
			}
		})
	}
}
