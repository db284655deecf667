package e2e

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/ccdhq/ccd/config"
	"github.com/ccdhq/ccd/dialer"
)

// A preview campaign on a real Asterisk: the agent (a Local channel into
// [ccd-dialer-agents], which answers at once and talks 2 to 4 s) takes the
// next target over the REST API, sees phone I (busy in the test dialplan),
// dials phone II (a person) instead: its own phone rings first, then the
// customer's, both are bridged, and the attempt ends answered with the
// agent's name on it, phone II's counter and the preview events in the log.
func TestPreviewDialConnectsAgentAndTarget(t *testing.T) {
	e := setup(t)
	e.checkDialplanText(t, DialerDialplan, "ccd-dialer-test", "ccd-dialer-agents")
	e.cfg.ACD = config.ACD{Queues: []config.Queue{{Code: "outbound", RingTimeout: 10 * time.Second}},
		Agents: []config.Agent{{ID: "8101", Endpoint: "Local/8101@ccd-dialer-agents"}}}
	e.cfg.API.Token = randomHex(16)
	e.cfg.Dialer.DialEndpoint = "Local/{number}@ccd-dialer-test"
	stop := e.startDaemon(t)
	defer func() { _ = stop() }()
	ctx := ctxT(t, 2*time.Minute)
	e.agentRequest(t, ctx, "8101", "login")
	c := dialer.Campaign{Name: "e2e preview", QueueCode: "outbound", Mode: "preview", IsActive: true, RetryNumber: 3,
		WindowStart: "00:00", WindowEnd: "23:59:59"}.WithDefaults()
	id, err := e.db.CreateCampaign(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	target, err := e.db.AddTarget(ctx, dialer.Target{CampaignID: id, FirstName: "Ann", PhoneI: "30001", PhoneII: "10001",
		DataI: "contract-1"}.WithDefaults())
	if err != nil {
		t.Fatal(err)
	}
	var held struct {
		State  string `json:"state"`
		Phone  string `json:"phone"`
		Target struct {
			ID    int64  `json:"targetId"`
			FName string `json:"fName"`
		} `json:"target"`
	}
	// The preview service starts once this ccd leads and the queues are
	// checked against Asterisk: 503 until then.
	var code int
	var b []byte
	waitFor(t, 20*time.Second, "the preview service", func() bool {
		code, b = e.send(t, ctx, http.MethodPost, "/api/agents/8101/preview/next", e.cfg.API.Token, map[string]int{"campaignId": id})
		return code != http.StatusServiceUnavailable
	})
	if code != http.StatusOK || json.Unmarshal(b, &held) != nil || held.State != "reserved" || held.Target.ID != target ||
		held.Target.FName != "Ann" || held.Phone != "30001" {
		t.Fatalf("next: HTTP %d %s", code, b)
	}
	code, b = e.send(t, ctx, http.MethodPost, "/api/agents/8101/preview/dial", e.cfg.API.Token, map[string]int{"phone": 2})
	var dialing struct {
		State  string `json:"state"`
		CallID string `json:"callId"`
	}
	if code != http.StatusOK || json.Unmarshal(b, &dialing) != nil || dialing.State != "dialing" || dialing.CallID == "" {
		t.Fatalf("dial: HTTP %d %s", code, b)
	}
	agentUp := e.waitEvent(t, "ari.StasisStart", dialing.CallID+"-a1", 15*time.Second)
	customerUp := e.waitEvent(t, "ari.StasisStart", dialing.CallID+"-c", 15*time.Second)
	if customerUp.ID < agentUp.ID {
		t.Fatalf("the customer answered (event %d) before the agent (event %d)", customerUp.ID, agentUp.ID)
	}
	e.waitEvent(t, "ari.ChannelEnteredBridge", dialing.CallID+"-c", 10*time.Second)
	var attempt struct {
		Agent  string `db:"agent"`
		Phone  string `db:"phone"`
		Result int    `db:"result"`
		Human  bool   `db:"human"`
	}
	waitFor(t, 30*time.Second, "the preview attempt ends", func() bool {
		return e.db.GetContext(ctx, &attempt, `SELECT agent, phone, coalesce(result, 0) AS result, human FROM dialer.attempt
			WHERE target_id = $1 AND result IS NOT NULL`, target) == nil
	})
	if attempt.Agent != "8101" || attempt.Phone != "10001" || attempt.Result != dialer.StatusAnswered || !attempt.Human {
		t.Errorf("attempt %+v", attempt)
	}
	var kinds []string
	waitFor(t, 10*time.Second, "the attempt's result in the event log", func() bool {
		kinds = nil
		return e.db.SelectContext(ctx, &kinds, `SELECT kind FROM call_event WHERE kind IN ('preview.reserved', 'preview.dialed',
			'dialer.attempt', 'dialer.result') ORDER BY id`) == nil && slices.Contains(kinds, "dialer.result")
	})
	if len(kinds) != 4 || kinds[0] != "preview.reserved" || !slices.Contains(kinds, "preview.dialed") ||
		!slices.Contains(kinds, "dialer.attempt") || kinds[3] != "dialer.result" {
		t.Errorf("events %v", kinds)
	}
	// dialer.result follows the retry rules' update of the target
	tg, err := e.db.Target(ctx, target)
	if err != nil || tg.StatusCode != dialer.StatusAnswered || tg.PhoneIICounter != 1 || tg.PhoneICounter != 0 || tg.TotalDials != 1 {
		t.Errorf("target %+v %v", tg, err)
	}
}
