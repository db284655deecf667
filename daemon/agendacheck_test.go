package daemon_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ccdhq/ccd/config"
	"github.com/ccdhq/ccd/dialer"
	"github.com/ccdhq/ccd/store"
)

// The daemon checks a PERSONAL callback's agent against the live
// configuration: an agent outside the campaign's queue is refused (400
// naming idAgent), one of the queue is taken.
func TestDaemonRefusesAPersonalCallbackOfAnAgentOutsideTheQueue(t *testing.T) {
	h := newHarness(t)
	h.cfg.ACD.Queues = []config.Queue{{Code: "sales", Skills: map[string]int{"sales": 1}, RingTimeout: 5 * time.Second}}
	h.cfg.ACD.Agents = []config.Agent{{ID: "a1", Endpoint: "PJSIP/1001", Skills: map[string]int{"sales": 1}},
		{ID: "a2", Endpoint: "PJSIP/1002", Skills: map[string]int{"support": 1}}}
	h.start()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	id, err := h.db.CreateCampaign(ctx, dialer.Campaign{Name: "agenda", QueueCode: "sales", IsActive: true}.WithDefaults())
	if err != nil {
		t.Fatal(err)
	}
	opt, err := h.db.AddDispositionOption(ctx, store.DispositionOption{CampaignID: id, Name: "Agenda", Kind: store.DispositionAgenda})
	if err != nil {
		t.Fatal(err)
	}
	target := func() int64 {
		tg, err := h.db.AddTarget(ctx, dialer.Target{CampaignID: id, PhoneI: "5550100"}.WithDefaults())
		if err != nil {
			t.Fatal(err)
		}
		return tg
	}
	body := func(tg int64, agent string) string {
		return fmt.Sprintf(`{"idContact":"%d","idDispositionOption":%d,"idAgent":"%s",
			"agenda":{"date":"2030-04-10","time":"18:13","type":"PERSONAL","comments":"x"}}`, tg, opt, agent)
	}
	// The check is set once the database is up, just after ccd is ready:
	// a fresh contact each time until it answers.
	var answer string
	h.waitFor("the personal callback of a2 refused", func() bool {
		var code int
		code, answer = h.sendAs(h.cfg.API.Token, http.MethodPost, "/api/v1/disposition/", body(target(), "a2"))
		return code == http.StatusBadRequest
	})
	if !strings.Contains(answer, `"idAgent"`) {
		t.Errorf("the refusal does not name idAgent: %s", answer)
	}
	if code, answer := h.sendAs(h.cfg.API.Token, http.MethodPost, "/api/v1/disposition/", body(target(), "a1")); code != http.StatusCreated {
		t.Errorf("the personal callback of a1, of the queue: %d %s", code, answer)
	}
}
