package e2e

import (
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ccdhq/ccd/config"
)

// Asterisk restarts while a caller waits in ccd's queue: the caller's record
// ends once, abandoned; both links come back by themselves, and the next
// caller is answered by an agent who logged in while Asterisk was away. It
// needs a way to restart Asterisk, so it runs only when CCD_ASTERISK_RESTART
// holds a shell command that does, e.g. "asterisk -rx 'core restart now'".
func TestAsteriskRestartWithCallerWaiting(t *testing.T) {
	e := setup(t)
	restart := os.Getenv("CCD_ASTERISK_RESTART")
	if restart == "" {
		t.Skip("set CCD_ASTERISK_RESTART to a shell command that restarts Asterisk, e.g. asterisk -rx 'core restart now'")
	}
	e.queueFor(false, config.Agent{ID: "1001", Endpoint: "Local/1001@agents"})
	e.startDaemon(t)
	ctx := ctxT(t, 3*time.Minute)
	waiting := e.placeCaller(t, ctx, uniq("itest-astrestart"))
	e.waitEvent(t, "call.queued", waiting, 10*time.Second)

	if out, err := exec.CommandContext(ctx, "sh", "-c", restart).CombinedOutput(); err != nil {
		t.Fatalf("CCD_ASTERISK_RESTART: %v\n%s", err, out)
	}
	ended := e.waitEvent(t, "call.ended", waiting, time.Minute)
	if p := payloadOf(t, ended)["summary"].(map[string]any); p["end_type"] != float64(102) {
		t.Fatalf("call.ended of the caller Asterisk dropped: %s", ended.Payload)
	}
	// Agent requests need no Asterisk.
	e.agentRequest(t, ctx, "1001", "login")
	// The restart command may return before Asterisk closes its sockets: /readyz
	// counts only once ccd has reconnected.
	waitFor(t, time.Minute, "ccd's ARI link re-established", func() bool {
		return e.metric(t, ctx, `ccd_asterisk_reconnects_total{link="ari"}`) >= 1
	})
	e.waitReady(t, ctx, time.Minute)

	caller := e.placeCaller(t, ctx, uniq("itest-afterrestart"))
	e.waitEvent(t, "call.answered", caller, 15*time.Second)
	if p := payloadOf(t, e.waitEvent(t, "call.ended", caller, 20*time.Second))["summary"].(map[string]any); p["end_type"] != float64(101) || p["agent"] != "1001" {
		t.Fatalf("call after the restart: %v", p)
	}
	var ends int
	if err := e.db.Get(&ends, `SELECT count(*) FROM call_event WHERE kind = 'call.ended' AND call_id = $1`, waiting); err != nil || ends != 1 {
		t.Fatalf("%d call.ended rows for the dropped caller (%v), want 1", ends, err)
	}
}

// metric reads one series of ccd's /metrics; -1 when it is not there.
func (e *env) metric(t *testing.T, ctx context.Context, series string) float64 {
	t.Helper()
	resp := e.api(t, ctx, http.MethodGet, "/metrics")
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(body), "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("metric %s: %q", series, line)
			}
			return f
		}
	}
	return -1
}

// waitReady polls ccd's /readyz until every link is up again.
func (e *env) waitReady(t *testing.T, ctx context.Context, within time.Duration) {
	t.Helper()
	waitFor(t, within, "ccd ready (/readyz 200)", func() bool {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+e.cfg.Listen+"/readyz", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
}
