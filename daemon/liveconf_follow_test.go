package daemon_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/ccdhq/ccd/config"
	"github.com/ccdhq/ccd/internal/daemontest"
)

// Two ccd on one database, the second serving only the API: a queue the
// admin adds through the second is running in the first's ACD, without a
// restart.
func TestAdminChangeThroughAnotherInstanceReachesTheACD(t *testing.T) {
	h := newLiveHarness(t)
	h.start()
	apiOnly := h.cfg
	apiOnly.Listen = daemontest.FreeAddr(t)
	apiOnly.StateDir = t.TempDir()
	apiOnly.Roles = []string{config.RoleAPI}
	daemontest.Start(t, apiOnly, nil, true)

	acd := h.cfg.Listen
	h.cfg.Listen = apiOnly.Listen // the admin calls go to the API-only ccd
	h.mustAdmin(http.MethodPut, "/api/admin/queues/support", `{"skills":{"support":1}}`, http.StatusCreated)
	h.cfg.Listen = acd
	h.waitFor("the queue in the first ccd's ACD", func() bool {
		code, body := h.sendAs(h.cfg.API.Token, http.MethodGet, "/api/queues", "")
		return code == http.StatusOK && strings.Contains(body, `"support"`)
	})
}
