package daemon_test

import (
	"encoding/json"
	"net"
	"net/http"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/ccdhq/ccd/config"
)

// asteriskTrap listens where ccd is told Asterisk is and counts the
// connections ccd opens there.
type asteriskTrap struct {
	addr     string
	accepted atomic.Int64
}

func newAsteriskTrap(t *testing.T) *asteriskTrap {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	trap := &asteriskTrap{addr: ln.Addr().String()}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			trap.accepted.Add(1)
			c.Close()
		}
	}()
	return trap
}

// readyzChecks are the names of the readiness checks ccd reports.
func (h *harness) readyzChecks() []string {
	h.t.Helper()
	code, body := h.sendAs(h.cfg.API.Token, http.MethodGet, "/readyz", "")
	var answer struct {
		Checks []struct {
			Name string `json:"name"`
		} `json:"checks"`
	}
	if err := json.Unmarshal([]byte(body), &answer); err != nil {
		h.t.Fatalf("readyz: HTTP %d %s", code, body)
	}
	var names []string
	for _, c := range answer.Checks {
		names = append(names, c.Name)
	}
	return names
}

// A ccd with the roles api and stats serves the admin API and the
// statistics on the shared database, and runs neither the ACD nor the AMI
// observer: it is ready without Asterisk, never connects to it, and does
// not mount the agent interfaces, which need the queue application.
func TestRolesSwitchComponentsOff(t *testing.T) {
	h := newLiveHarness(t)
	asterisk := newAsteriskTrap(t)
	h.cfg.ARI.URL = "http://" + asterisk.addr
	h.cfg.AMI.Addr = asterisk.addr
	h.cfg.Roles = []string{config.RoleAPI, config.RoleStats}
	h.start() // waits until /readyz answers 200

	if got := h.readyzChecks(); !slices.Equal(got, []string{"database", "eventlog"}) {
		t.Fatalf("readiness checks %v, want only the database's and the event log's", got)
	}
	h.mustAdmin(http.MethodPut, "/api/admin/queues/support", `{"skills":{"support":1}}`, http.StatusCreated)
	h.mustAdmin(http.MethodGet, "/api/admin/queues/support", "", http.StatusOK)
	if code, body := h.sendAs(h.cfg.API.Token, http.MethodPost, "/api/agents/a1/login", ""); code != http.StatusNotFound {
		t.Fatalf("agent login on a ccd without the acd role: HTTP %d %s, want 404", code, body)
	}
	if code, body := h.sendAs(h.cfg.API.Token, http.MethodGet, "/api/stats/realtime/queues", ""); code != http.StatusServiceUnavailable {
		t.Fatalf("real-time views without the acd role: HTTP %d %s, want 503", code, body)
	}
	if n := asterisk.accepted.Load(); n != 0 {
		t.Fatalf("%d connections to Asterisk from a ccd without the acd and observer roles", n)
	}
}

// With every role but api, ccd runs the ACD and the observer and serves
// only health, readiness and metrics.
func TestRolesWithoutAPI(t *testing.T) {
	h := newLiveHarness(t)
	h.cfg.Roles = []string{config.RoleACD, config.RoleObserver, config.RoleStats}
	h.start()
	if got := h.readyzChecks(); !slices.Equal(got, []string{"ami", "ari", "acd", "database", "eventlog"}) {
		t.Fatalf("readiness checks %v", got)
	}
	if code, body := h.admin(http.MethodGet, "/api/admin/queues", ""); code != http.StatusNotFound {
		t.Fatalf("admin API on a ccd without the api role: HTTP %d %s, want 404", code, body)
	}
}
