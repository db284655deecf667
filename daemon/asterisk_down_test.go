package daemon_test

import (
	"bufio"
	"io"
	"log/slog"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ccdhq/ccd/ari/aritest"
	"github.com/ccdhq/ccd/internal/daemontest"
)

// startWithoutAsterisk runs the daemon with both Asterisk links pointing at
// addresses nothing listens on; up brings the fake Asterisk up there.
func (h *harness) startWithoutAsterisk(log *slog.Logger) (up func()) {
	ariAddr, amiAddr := daemontest.FreeAddr(h.t), daemontest.FreeAddr(h.t)
	h.cfg.ARI.URL = "http://" + ariAddr
	h.cfg.AMI.Addr = amiAddr
	h.stop = daemontest.Start(h.t, h.cfg, log, false)
	// The queue application has read the event log once its queues answer.
	h.waitFor("the queues to answer", func() bool {
		code, _ := h.send(http.MethodGet, "/api/queues", "")
		return code == http.StatusOK
	})
	return func() {
		daemontest.Forward(h.t, ariAddr, strings.TrimPrefix(h.ari.URL, "http://"))
		daemontest.Forward(h.t, amiAddr, h.ami.Addr())
	}
}

// send calls the REST API with the integration token and a JSON body; the code
// is 0 when ccd does not answer (yet).
func (h *harness) send(method, path, body string) (int, string) {
	req, _ := http.NewRequest(method, "http://"+h.cfg.Listen+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+h.cfg.API.Token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// Asterisk is down when ccd starts: agents log in, pause and log out, the
// queue and real-time views answer, all from the event log; an action that
// needs Asterisk names the missing link. When Asterisk comes up, a caller is
// queued and answered.
func TestAsteriskDownAtStart(t *testing.T) {
	h := newHarness(t)
	h.ari.SetEndpoint("PJSIP/1001", aritest.Behavior{Action: aritest.EndpointAnswer, Delay: 20 * time.Millisecond})
	var logged logBuffer
	up := h.startWithoutAsterisk(slog.New(slog.NewTextHandler(&logged, nil)))

	for _, step := range []struct{ path, body string }{
		{"/api/agents/a1/login", ""},
		{"/api/agents/a1/not_ready", `{"activity":"lunch"}`},
		{"/api/agents/a1/ready", ""},
		{"/api/agents/a1/logout", ""},
		{"/api/agents/a1/login", ""},
	} {
		if code, body := h.send(http.MethodPost, step.path, step.body); code != http.StatusOK {
			t.Fatalf("POST %s with Asterisk down: HTTP %d %s", step.path, code, body)
		}
	}
	for _, path := range []string{"/api/agents/a1", "/api/queues", "/api/calls", "/api/stats/realtime/queues", "/api/stats/realtime/agents"} {
		if code, body := h.send(http.MethodGet, path, ""); code != http.StatusOK {
			t.Fatalf("GET %s with Asterisk down: HTTP %d %s", path, code, body)
		}
	}
	code, body := h.send(http.MethodPost, "/api/calls/c1/transfer", `{"queue":"sales"}`)
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "ari not connected") {
		t.Fatalf("transfer with Asterisk down: HTTP %d %s", code, body)
	}
	if code, body := h.send(http.MethodGet, "/readyz", ""); code != http.StatusServiceUnavailable || !strings.Contains(body, `"name":"ari","ok":false`) {
		t.Fatalf("readyz with Asterisk down: HTTP %d %s", code, body)
	}

	if l := logged.String(); strings.Contains(l, "ccd ready") || !strings.Contains(l, "ccd started; waiting for ami, ari, acd") {
		t.Fatalf("the log before Asterisk is up:\n%s", l)
	}

	up()
	h.waitFor("ready", func() bool {
		code, _ := h.send(http.MethodGet, "/readyz", "")
		return code == http.StatusOK
	})
	h.waitFor("the log to say ready", func() bool { return strings.Contains(logged.String(), "ccd ready") })
	h.callInbound()
	h.waitFor("the caller answered by the agent who logged in before Asterisk came up", func() bool { return h.count("call.answered") == 1 })
	if err := h.stop(); err != nil {
		t.Fatal(err)
	}
}

// logBuffer collects the daemon's log; it is written from several goroutines.
type logBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// readmeMetrics returns the metric names README.md lists in its /metrics entry.
func readmeMetrics(t *testing.T) []string {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	start := strings.Index(text, "**`/metrics`**")
	if start < 0 {
		t.Fatal("README.md has no **`/metrics`** entry")
	}
	section := text[start:]
	if end := strings.Index(section, "\n- **"); end >= 0 { // the next entry of the list
		section = section[:end]
	}
	var names []string
	for _, n := range regexp.MustCompile("`(ccd_[a-z0-9_]+)").FindAllStringSubmatch(section, -1) {
		if !slices.Contains(names, n[1]) {
			names = append(names, n[1])
		}
	}
	if len(names) < 10 {
		t.Fatalf("found only %v in README.md's /metrics entry", names)
	}
	return names
}

// Every metric the README lists exists from the start, before Asterisk was
// ever reached, so that an alert on it can fire; the link gauges and counters
// read 0.
func TestMetricsListedInREADMEExistBeforeAsterisk(t *testing.T) {
	names := readmeMetrics(t)
	h := newHarness(t)
	h.startWithoutAsterisk(nil)
	resp, err := http.Get("http://" + h.cfg.Listen + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	series := map[string]string{} // series -> value
	present := map[string]bool{}  // metric name -> has a series
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		s, v, _ := strings.Cut(line, " ")
		series[s] = v
		name, _, _ := strings.Cut(s, "{")
		name = strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(name, "_bucket"), "_sum"), "_count")
		present[name] = true
	}
	for _, n := range names {
		if !present[n] {
			t.Errorf("%s is listed in README.md but has no series before Asterisk is connected", n)
		}
	}
	for _, s := range []string{`ccd_asterisk_connected{link="ami"}`, `ccd_asterisk_connected{link="ari"}`,
		`ccd_asterisk_reconnects_total{link="ami"}`, `ccd_asterisk_reconnects_total{link="ari"}`,
		`ccd_acd_agents{queue="sales",state="ready"}`} {
		if v, ok := series[s]; !ok || v != "0" {
			t.Errorf("%s = %q (present %v), want 0", s, v, ok)
		}
	}
}
