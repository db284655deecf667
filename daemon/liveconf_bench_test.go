package daemon_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ccdhq/ccd/ami/amitest"
	"github.com/ccdhq/ccd/ari/aritest"
	"github.com/ccdhq/ccd/config"
	"github.com/ccdhq/ccd/internal/daemontest"
	"github.com/ccdhq/ccd/internal/pgtest"
)

// BenchmarkAdminChangeToOffer measures a configuration change through the
// whole daemon: a caller waits in a queue whose only logged-in agent lacks
// the skill; the admin API gives the agent the skill (validation, the
// PostgreSQL write, the running engine); the time runs until the agent's
// phone is originated in the ARI simulation. Reported: p50 and p99.
//
//	go run ./internal/tools/withpg -- go test -run '^$' -bench AdminChangeToOffer -benchtime 200x ./daemon/
func BenchmarkAdminChangeToOffer(b *testing.B) {
	ctx := context.Background()
	amiSrv := amitest.NewServer("ccd", "ami-secret-0123456789")
	defer amiSrv.Close()
	sim := aritest.NewSim(aritest.WithCredentials("ccd", "ari-secret-0123456789"))
	defer sim.Close()
	sim.SetEndpoint("PJSIP/1001", aritest.Behavior{Action: aritest.EndpointRing})
	cfg := config.Default()
	cfg.Listen, cfg.StateDir, cfg.Database.URL = daemontest.FreeAddr(b), b.TempDir(), pgtest.NewEmptyDB(b)
	cfg.ARI.URL, cfg.ARI.Username, cfg.ARI.Password = sim.URL, "ccd", "ari-secret-0123456789"
	cfg.AMI.Addr, cfg.AMI.Username, cfg.AMI.Secret = amiSrv.Addr(), "ccd", "ami-secret-0123456789"
	cfg.ACD.Queues = []config.Queue{{Code: "support", Skills: map[string]int{"support": 1}, RingTimeout: time.Minute}}
	cfg.ACD.Agents = []config.Agent{{ID: "a1", Endpoint: "PJSIP/1001"}}
	cfg.API.Token, cfg.API.AdminToken = "integration-token-0123456789", adminToken
	if err := cfg.Validate(); err != nil {
		b.Fatal(err)
	}
	daemontest.Start(b, cfg, nil, true)
	call := func(token, method, path, body string) (int, string) {
		req, _ := http.NewRequest(method, "http://"+cfg.Listen+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		defer resp.Body.Close()
		out, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(out)
	}
	waitFor := func(cond func() bool) {
		for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(500 * time.Microsecond) {
			if time.Now().After(deadline) {
				b.Fatal("timed out")
			}
		}
	}
	if code, body := call(cfg.API.Token, "POST", "/api/agents/a1/login", ""); code != http.StatusOK {
		b.Fatalf("login: %d %s", code, body)
	}
	waiting := func() bool {
		_, body := call(cfg.API.Token, "GET", "/api/queues", "")
		var qs []struct{ Waiting int }
		_ = json.Unmarshal([]byte(body), &qs)
		return len(qs) == 1 && qs[0].Waiting == 1
	}
	ready := func() bool {
		_, body := call(cfg.API.Token, "GET", "/api/agents/a1", "")
		return strings.Contains(body, `"state":"ready"`)
	}
	latencies := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		id := fmt.Sprintf("c%d", i)
		if _, err := sim.NewCaller(aritest.CallerOptions{Args: []string{"queue", "support"}, ChannelID: id, Endpoint: "PJSIP/caller"}); err != nil {
			b.Fatal(err)
		}
		waitFor(waiting)
		b.StartTimer()
		start := time.Now()
		// The offer is made once the change is applied, which may be
		// before the answer to the request is sent (the audit follows).
		answered := make(chan string, 1)
		go func() {
			code, body := call(adminToken, "PUT", "/api/admin/agents/a1/skills/support", `{"level":1}`)
			answered <- fmt.Sprint(code, " ", body)
		}()
		wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		_, err := sim.WaitChannel(wctx, id+"-1")
		cancel()
		if err != nil {
			b.Fatal(err)
		}
		latencies = append(latencies, time.Since(start))
		b.StopTimer()
		if a := <-answered; !strings.HasPrefix(a, "200 ") {
			b.Fatalf("skill: %s", a)
		}
		if code, body := call(adminToken, "DELETE", "/api/admin/agents/a1/skills/support", ""); code != http.StatusNoContent {
			b.Fatalf("skill removal: %d %s", code, body)
		}
		if err := sim.Channel(id).Hangup(16); err != nil {
			b.Fatal(err)
		}
		waitFor(ready)
		b.StartTimer()
	}
	b.StopTimer()
	slices.Sort(latencies)
	at := func(p float64) float64 {
		return float64(latencies[int(p*float64(len(latencies)-1))].Microseconds()) / 1000
	}
	b.ReportMetric(at(0.50), "p50-ms")
	b.ReportMetric(at(0.99), "p99-ms")
}
