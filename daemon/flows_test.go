package daemon_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/ccdhq/ccd/ari/aritest"
)

// An admin adds a switch, a flow reading it and a route to the flow over
// REST; calls to the route run the flow on the ARI simulation and reach
// the queue the switch's state names, and toggling the switch (audited)
// changes where the next call goes, without a restart.
func TestAdminAddsAFlowAndARouteThenCallsFollowTheSwitch(t *testing.T) {
	h := newLiveHarness(t)
	h.start()
	h.mustAdmin("PUT", "/api/admin/queues/night", `{}`, http.StatusCreated)
	h.mustAdmin("PUT", "/api/admin/switches/100", `{"name":"Night service","active_goto":"queue:night","inactive_goto":"queue:`+
		h.cfg.ACD.Queues[0].Code+`"}`, http.StatusCreated)
	code, body := h.admin("PUT", "/api/admin/flows/main", `{"start":"sw","nodes":[{"id":"sw","switch":{"switch":"100"}},{"id":"lost","hangup":true}]}`)
	if code != http.StatusBadRequest || !strings.Contains(body, `"field":"nodes[1].id"`) || !strings.Contains(body, `node \"lost\"`) {
		t.Fatalf("an unreachable node: HTTP %d %s", code, body)
	}
	h.mustAdmin("PUT", "/api/admin/flows/main", `{"start":"sw","nodes":[{"id":"sw","switch":{"switch":"100"}}]}`, http.StatusCreated)
	h.mustAdmin("PUT", "/api/admin/routes/5550300", `{"flow":"main"}`, http.StatusCreated)

	call := func(id string) {
		if _, err := h.ari.NewCaller(aritest.CallerOptions{Args: []string{"inbound", "5550300"}, Number: "5551234", ChannelID: id}); err != nil {
			t.Fatal(err)
		}
	}
	queueOf := func(n int) string {
		var q string
		h.waitFor("the call queued", func() bool { return h.count("call.queued") == n })
		if err := h.db.QueryRow(`SELECT queue FROM call_event WHERE kind = 'call.queued' ORDER BY id DESC LIMIT 1`).Scan(&q); err != nil {
			t.Fatal(err)
		}
		return q
	}
	call("f1")
	if q := queueOf(1); q != h.cfg.ACD.Queues[0].Code {
		t.Fatalf("inactive switch: queued in %q", q)
	}
	h.mustAdmin("POST", "/api/admin/switches/100/state", `{"active":true}`, http.StatusOK)
	call("f2")
	if q := queueOf(2); q != "night" {
		t.Fatalf("active switch: queued in %q", q)
	}
	if h.count("flow.node_entered") != 2 || h.count("flow.left") != 2 {
		t.Fatalf("flow events: %d entered, %d left", h.count("flow.node_entered"), h.count("flow.left"))
	}
	var audits int
	if err := h.db.QueryRow(`SELECT count(*) FROM call_event WHERE kind = 'config.changed' AND payload->>'item' = 'switch'`).Scan(&audits); err != nil || audits != 2 {
		t.Fatalf("switch audits %d %v", audits, err)
	}
}

// A caller in a flow's menu when ccd stops is not left in silence (its
// menu's sound must exist on Asterisk to be saved): the
// next ccd finds it in the Stasis application, routes it again and its
// flow starts from the start; its keys work.
func TestACallerInAFlowAcrossARestartStartsTheFlowAgain(t *testing.T) {
	h := newLiveHarness(t)
	h.start()
	menu := `{"start":"m","nodes":[{"id":"m","menu":{"prompt":["sound:welcome"],
		"timeout":"1h","timeout_dest":"hangup","invalid_dest":"hangup","keys":{"1":"queue:` + h.cfg.ACD.Queues[0].Code + `"}}}]}`
	// A sound Asterisk does not have is refused, naming node and field.
	if code, body := h.admin("PUT", "/api/admin/flows/menu", menu); code != http.StatusBadRequest ||
		!strings.Contains(body, `"field":"nodes[0].menu.prompt[0]"`) || !strings.Contains(body, "sound:welcome") {
		t.Fatalf("a missing sound: HTTP %d %s", code, body)
	}
	h.ari.AddSound("welcome", "gsm")
	h.mustAdmin("PUT", "/api/admin/flows/menu", menu, http.StatusCreated)
	h.mustAdmin("PUT", "/api/admin/routes/5550400", `{"flow":"menu"}`, http.StatusCreated)
	caller, err := h.ari.NewCaller(aritest.CallerOptions{Args: []string{"inbound", "5550400"}, Number: "5551234", ChannelID: "r1"})
	if err != nil {
		t.Fatal(err)
	}
	h.waitFor("the caller in the menu", func() bool { return h.count("flow.node_entered") == 1 })
	if err := h.stop(); err != nil {
		t.Fatal(err)
	}
	h.start()
	h.waitFor("the flow started again", func() bool { return h.count("flow.node_entered") == 2 })
	if err := caller.SendDTMF("1"); err != nil {
		t.Fatal(err)
	}
	h.waitFor("the call queued", func() bool { return h.count("call.queued") == 1 })
}
