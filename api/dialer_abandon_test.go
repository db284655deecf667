package api_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/ccdhq/ccd/dialer"
	"github.com/ccdhq/ccd/internal/apitest"
	"github.com/ccdhq/ccd/store"
)

// The abandon rate per window comes from the attempts table: calls a
// person answered, those abandoned, against the campaign's limit.
func TestDialerAbandonRateOverTheWindows(t *testing.T) {
	s, db := newDialerServer(t)
	id := createCampaign(t, s, `{"name":"winter","queueCode":"sales","maxAbandonRate":0.02}`)
	ctx := context.Background()
	now := time.Now()
	// 4 people answered in the last hour, 1 abandoned; one more abandoned 3
	// days ago (in the 30 days only).
	for i, a := range []struct {
		ago       time.Duration
		abandoned bool
	}{{time.Minute, true}, {2 * time.Minute, false}, {3 * time.Minute, false}, {4 * time.Minute, false}, {72 * time.Hour, true}} {
		tg, err := db.AddTarget(ctx, dialer.Target{CampaignID: id, PhoneI: fmt.Sprintf("555010%d", i)}.WithDefaults())
		if err != nil {
			t.Fatal(err)
		}
		at, err := db.StartAttempt(ctx, store.Attempt{CampaignID: id, TargetID: tg, Phone: "5550100", PhoneIndex: 1, StartedAt: now.Add(-a.ago)})
		if err != nil {
			t.Fatal(err)
		}
		answered := now.Add(-a.ago + 5*time.Second)
		status := dialer.StatusAnswered
		if a.abandoned {
			status = dialer.StatusAbandoned
		}
		if err := db.EndAttempt(ctx, store.AttemptEnd{ID: at, AnsweredAt: &answered, EndedAt: answered.Add(time.Minute), Result: status,
			Human: true, Abandoned: a.abandoned}); err != nil {
			t.Fatal(err)
		}
	}
	code, m, raw := apitest.Do(t, s, "GET", fmt.Sprintf("/api/dialer/campaigns/%d/abandon", id), apitest.IntegrationToken, "", "")
	if code != http.StatusOK {
		t.Fatalf("%d %s", code, raw)
	}
	ws := m["windows"].([]any)
	want := []struct {
		name                string
		answered, abandoned float64
	}{{"1h", 4, 1}, {"24h", 4, 1}, {"30d", 5, 2}}
	for i, w := range want {
		got := ws[i].(map[string]any)
		if got["window"] != w.name || got["answered"] != w.answered || got["abandoned"] != w.abandoned ||
			got["rate"] != w.abandoned/w.answered || got["limit"] != 0.02 || got["over"] != true {
			t.Fatalf("window %d: %s", i, raw)
		}
	}
	code, _, raw = apitest.Do(t, s, "GET", "/api/dialer/campaigns/999/abandon", apitest.IntegrationToken, "", "")
	if code != http.StatusNotFound {
		t.Fatalf("unknown campaign: %d %s", code, raw)
	}
}

// A campaign's AMD settings: defaults until set, then what was set; bad
// arguments and messages are refused naming the field.
func TestDialerAMDSettings(t *testing.T) {
	s, _ := newDialerServer(t)
	id := createCampaign(t, s, `{"name":"winter","queueCode":"sales"}`)
	path := fmt.Sprintf("/api/dialer/campaigns/%d/amd", id)
	tok := apitest.IntegrationToken
	if code, m, raw := apitest.Do(t, s, "GET", path, tok, "", ""); code != 200 || m["enabled"] != true || m["params"] != "" {
		t.Fatalf("defaults: %d %s", code, raw)
	}
	body := `{"enabled":true,"params":"2500,1500,,5000","machineMessage":"sound:acme-offer","abandonMessage":"sound:acme-sorry"}`
	if code, _, raw := apitest.Do(t, s, "PUT", path, tok, "application/json", body); code != 200 {
		t.Fatalf("put: %d %s", code, raw)
	}
	if code, m, raw := apitest.Do(t, s, "GET", path, tok, "", ""); code != 200 || m["params"] != "2500,1500,,5000" || m["machineMessage"] != "sound:acme-offer" {
		t.Fatalf("after put: %d %s", code, raw)
	}
	apitest.CheckErrors(t, s, []apitest.ErrorCase{
		{Name: "params with a letter", Method: "PUT", Path: path, Token: tok, ContentType: "application/json", Body: `{"params":"25a0"}`, Code: 400, Field: "params"},
		{Name: "ten params", Method: "PUT", Path: path, Token: tok, ContentType: "application/json", Body: `{"params":"1,2,3,4,5,6,7,8,9,10"}`, Code: 400, Field: "params"},
		{Name: "message with a space", Method: "PUT", Path: path, Token: tok, ContentType: "application/json", Body: `{"machineMessage":"sound:a b"}`, Code: 400, Field: "machineMessage"},
		{Name: "unknown campaign", Method: "PUT", Path: "/api/dialer/campaigns/999/amd", Token: tok, ContentType: "application/json", Body: `{}`, Code: 404, Field: "campaignId"},
	})
}
