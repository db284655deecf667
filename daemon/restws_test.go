package daemon_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/ccdhq/ccd/ari/aritest"
)

// With ari.rest_over_websocket, a queued caller reaches an agent with every
// REST request of the call (answer, bridge, the agent's originate) carried
// on the event websocket.
func TestQueueCallWithRESTOverWebSocket(t *testing.T) {
	h := newHarness(t)
	h.cfg.ARI.RESTOverWebSocket = true
	h.ari.SetEndpoint("PJSIP/1001", aritest.Behavior{Action: aritest.EndpointAnswer, Delay: 20 * time.Millisecond})
	h.start()
	h.waitFor("REST on the websocket", func() bool {
		for _, r := range h.ari.Requests() {
			if r.OverWebSocket && r.Path == "/asterisk/ping" {
				return true
			}
		}
		return false
	})
	h.waitFor("the transport in the metrics", func() bool { return h.metric("ccd_ari_rest_over_websocket") == "1" })
	if code := h.post("/api/agents/a1/login"); code != http.StatusOK {
		t.Fatalf("login: HTTP %d", code)
	}
	since := len(h.ari.Requests())
	h.callInbound()
	h.waitFor("the call answered by the agent", func() bool { return h.count("call.answered") == 1 })
	var originate bool
	for _, r := range h.ari.Requests()[since:] {
		if !r.OverWebSocket {
			t.Errorf("%s went over HTTP", r)
		}
		originate = originate || (r.Method == http.MethodPost && r.Path == "/channels")
	}
	if !originate {
		t.Fatalf("no originate of the agent among %v", h.ari.Requests()[since:])
	}
	if err := h.stop(); err != nil {
		t.Fatal(err)
	}
}
