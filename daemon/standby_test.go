package daemon_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ccdhq/ccd/ari/aritest"
	"github.com/ccdhq/ccd/internal/daemontest"
	"github.com/ccdhq/ccd/store"
)

// readyz is the readiness answer of the ccd at addr, with the reasons the
// integration token may read.
func (h *harness) readyz(addr string) (int, string) {
	req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/readyz", nil)
	req.Header.Set("Authorization", "Bearer "+h.cfg.API.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// send calls addr's REST API with a bearer token and returns the status.
func send(t *testing.T, method, addr, path, token, body string) int {
	t.Helper()
	req, _ := http.NewRequest(method, "http://"+addr+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Logf("%s %s: %d %s", method, path, resp.StatusCode, b)
	}
	return resp.StatusCode
}

// Two ccd on one database: the first runs the ACD, the second starts, serves
// HTTP and the AMI observer, and waits as a standby without touching ARI.
// When the first stops, the second takes the queues over (restored from the
// event log, reconciled with ARI), offers the caller the first had queued,
// and accepts the agent token the first issued.
func TestStandbyTakesOverTheACD(t *testing.T) {
	h := newHarness(t)
	h.cfg.ACD.Agents[0].Password = agentPassword
	h.ari.SetEndpoint("PJSIP/1001", aritest.Behavior{Action: aritest.EndpointAnswer, Delay: 20 * time.Millisecond})
	h.start()
	h.callInbound()
	h.waitFor("the caller queued", func() bool { return h.count("call.queued") == 1 })

	code, body := login(t, h.cfg.Listen)
	var answer struct {
		Token string `json:"token"`
	}
	if err := json.Unmarshal([]byte(body), &answer); err != nil || code != http.StatusOK || answer.Token == "" {
		t.Fatalf("login on the first ccd: %d %s", code, body)
	}

	second := h.cfg
	second.Listen = daemontest.FreeAddr(t)
	second.StateDir = t.TempDir()
	stopSecond := daemontest.Start(t, second, nil, false)
	h.waitFor("the second ccd in standby", func() bool {
		code, body := h.readyz(second.Listen)
		return code == http.StatusServiceUnavailable &&
			strings.Contains(body, `{"name":"acd","ok":false,"error":"standby: another ccd holds the ACD lock"}`)
	})
	h.waitFor("the second ccd's AMI observer", func() bool { return h.ami.Connections() == 2 })
	if code, body := h.readyz(second.Listen); !strings.Contains(body, `{"name":"database","ok":true}`) ||
		!strings.Contains(body, `"name":"ari","ok":false,"error":"standby`) {
		t.Fatalf("standby readyz: %d %s", code, body)
	}

	if err := h.stop(); err != nil {
		t.Fatal(err)
	}
	if !h.ari.Channel("c1;2").Exists() {
		t.Fatal("the stop dropped the caller")
	}
	h.waitFor("the second ccd ready", func() bool { code, _ := h.readyz(second.Listen); return code == http.StatusOK })
	if code := send(t, http.MethodPost, second.Listen, "/api/agents/a1/login", answer.Token, `{}`); code != http.StatusOK {
		t.Fatalf("the first ccd's agent token on the second: HTTP %d", code)
	}
	h.waitFor("the restored call answered by the second ccd", func() bool { return h.count("call.answered") == 1 })
	if err := stopSecond(); err != nil {
		t.Fatal(err)
	}
}

// A ccd whose hold on the ACD lock broke (its database connection ended) and
// that finds another holder when it looks again stops, so that two ACDs
// never drive the same calls.
func TestACDStopsWhenAnotherTookTheLock(t *testing.T) {
	h := newHarness(t)
	h.start()
	var pid int
	if err := h.db.Get(&pid, `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND objid = $1
		AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`, store.ACDLockID); err != nil {
		t.Fatal(err)
	}
	if _, err := h.db.Exec(`SELECT pg_terminate_backend($1)`, pid); err != nil {
		t.Fatal(err)
	}
	var taken *store.SessionLock
	h.waitFor("the lock taken by another session", func() bool {
		l, ok, err := h.db.TryLock(t.Context(), store.ACDLockID)
		taken = l
		return err == nil && ok
	})
	defer taken.Release(context.Background())
	h.waitFor("the ccd to stop serving", func() bool {
		resp, err := http.Get("http://" + h.cfg.Listen + "/healthz")
		if err == nil {
			resp.Body.Close()
		}
		return err != nil
	})
	if err := h.stop(); err == nil || !strings.Contains(err.Error(), "another ccd took the ACD lock") {
		t.Fatalf("Run returned %v", err)
	}
}
