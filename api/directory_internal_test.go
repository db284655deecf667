package api

import (
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/acd/endpoints"
	"github.com/labstack/echo/v4"
)

// countingDirectory knows one agent and counts the password comparisons,
// which are slow (bcrypt) in the live configuration.
type countingDirectory struct{ checks atomic.Int64 }

func (d *countingDirectory) CheckPassword(agent, password string) (bool, bool) {
	d.checks.Add(1)
	return agent == "1001", agent == "1001" && password == "right-password-0123"
}
func (d *countingDirectory) Profile(string) (string, string) { return "Ann", "" }
func (d *countingDirectory) Endpoints() *endpoints.Policy    { return nil }

// Agents' passwords come from the directory (the live configuration); a
// throttled attempt is refused before any comparison is made.
func TestPasswordsComeFromTheDirectory(t *testing.T) {
	dir := &countingDirectory{}
	s := New(nil, nil)
	agents := s.MountAgents(nil, AgentAuth{Directory: dir, LoginMaxFailures: 3})
	ctx := func() echo.Context {
		return s.Echo.NewContext(httptest.NewRequest("POST", "/api/v1/login", nil), httptest.NewRecorder())
	}
	if ok, err := agents.CheckPassword(ctx(), "1001", "right-password-0123"); !ok || err != nil {
		t.Fatalf("the directory's password: %v %v", ok, err)
	}
	for range 3 {
		if ok, _ := agents.CheckPassword(ctx(), "1001", "wrong"); ok {
			t.Fatal("a wrong password passed")
		}
	}
	before := dir.checks.Load()
	_, err := agents.CheckPassword(ctx(), "1001", "right-password-0123")
	if ccd.ErrorCode(err) != ccd.ETOOMANY || dir.checks.Load() != before {
		t.Fatalf("throttled attempt: %v, %d comparisons made", err, dir.checks.Load()-before)
	}
}
