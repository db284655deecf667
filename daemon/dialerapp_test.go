package daemon_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ccdhq/ccd/ari/aritest"
	"github.com/ccdhq/ccd/dialer"
)

// With dialer.dial_endpoint set, ccd places an active campaign's calls
// once an agent of its queue is ready: the busy number's target gets its
// result and retry, the attempt is counted in the metrics and logged.
func TestDaemonDialsAnActiveCampaign(t *testing.T) {
	h := newHarness(t)
	h.cfg.Dialer.DialEndpoint = "PJSIP/{number}@trunk"
	h.ari.SetEndpoint("PJSIP/5550777@trunk", aritest.Behavior{Action: aritest.EndpointBusy, Delay: 50 * time.Millisecond})
	h.start()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := dialer.Campaign{Name: "d", QueueCode: "sales", IsActive: true, RetryNumber: 3, WindowStart: "00:00", WindowEnd: "23:59:59"}.WithDefaults()
	id, err := h.db.CreateCampaign(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	tg, err := h.db.AddTarget(ctx, dialer.Target{CampaignID: id, PhoneI: "5550777"}.WithDefaults())
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+h.cfg.Listen+"/api/agents/a1/login", nil)
	req.Header.Set("Authorization", "Bearer "+h.cfg.API.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("login: %v %v", resp, err)
	}
	resp.Body.Close()
	h.waitFor("the busy target's result", func() bool {
		got, err := h.db.Target(ctx, tg)
		return err == nil && got.StatusCode == dialer.StatusBusy && got.NextCallTS != nil
	})
	h.waitFor("the attempt in the metrics", func() bool {
		return strings.Contains(h.metricLine(`ccd_dialer_attempts_total{campaign="`), `result="busy"} 1`)
	})
	h.waitFor("dialer.attempt and dialer.result in the event log", func() bool {
		return h.count("dialer.attempt") == 1 && h.count("dialer.result") == 1
	})
}

// metricLine is the first line of /metrics that starts with prefix.
func (h *harness) metricLine(prefix string) string {
	resp, err := http.Get("http://" + h.cfg.Listen + "/metrics")
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, prefix) {
			return l
		}
	}
	return ""
}
