package webui_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/ari/aritest"
	"github.com/ccdhq/ccd/demo"
	"github.com/ccdhq/ccd/internal/pgtest"
	"github.com/chromedp/chromedp"
)

// untilWithin waits up to d for a JavaScript condition to hold in the page.
func untilWithin(expr string, d time.Duration) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		if _, err := chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(d))(ctx, t); err != nil {
			return fmt.Errorf("waiting for %s: %w", expr, err)
		}
		return nil
	})
}

// setCampaignActive starts or stops the demo's campaign over the REST API.
func setCampaignActive(t *testing.T, d *demo.Demo, active bool) {
	t.Helper()
	path := "/api/dialer/campaigns/" + strconv.Itoa(d.CampaignID)
	var cp map[string]any
	apiJSON(t, d, "GET", path, "", &cp)
	cp["isActive"] = active
	b, _ := json.Marshal(cp)
	apiJSON(t, d, "PUT", path, string(b), nil)
}

// choose selects a disposition option by its name, as the agent does.
func choose(name string) chromedp.Action[chromedp.Void] {
	return js(fmt.Sprintf(`(() => { const s = document.querySelector("#ag-wrapup-option");
	  s.value = [...s.options].find((o) => o.textContent === %q).value;
	  s.dispatchEvent(new Event("change")); return true; })()`, name))
}

// The wrap-up panel in a real browser: the demo's campaign calls the one
// agent; while it talks the panel shows the campaign's options (not the
// hidden one); an agenda option without its time is refused at its field;
// the agent saves one with a comment (the dialer.disposition row and event
// are there), then corrects it to a global callback; the customer hangs
// up, the panel stays through the wrap-up (a reload shows it again with
// the saved disposition) and closes when it ends.
func TestBrowserAgentWrapUp(t *testing.T) {
	ctx := browser(t)
	dsn := pgtest.NewEmptyDB(t)
	d := quietDemo(t, demo.Options{Agents: 1, DatabaseURL: dsn}, nil)
	db, err := sql.Open("postgres", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	options := "/api/dialer/campaigns/" + strconv.Itoa(d.CampaignID) + "/dispositionOptions"
	apiJSON(t, d, "POST", options, `{"name":"Renewed","kind":"engaged"}`, nil)
	apiJSON(t, d, "POST", options, `{"name":"Call back","kind":"agenda"}`, nil)
	apiJSON(t, d, "POST", options, `{"name":"Old offer","hidden":true}`, nil)
	d.Sim.SetEndpoint("PJSIP/1001", aritest.Behavior{Action: aritest.EndpointAnswer, Delay: 200 * time.Millisecond})
	agent := credential(t, d, "1001")

	do(t, ctx, "the agent logs in and is ready", login(d, agent.User, agent.Password),
		chromedp.WaitVisible(chromedp.CSS("#view-agent")), chromedp.Click(chromedp.CSS("#ag-login")),
		until(`document.querySelector("#ag-state").dataset.state === "ready"`),
		// The demo's campaign is progressive: no preview panel to offer.
		until(`document.querySelector("#ag-preview").hidden`))
	setCampaignActive(t, d, true)
	// Progressive: the campaign calls its numbers one at a time for the
	// one agent until a person answers (some ring out, some are machines).
	do(t, ctx, "a campaign call reaches the agent; the panel opens",
		untilWithin(`document.querySelector("#ag-state").dataset.state === "on_call"`, 90*time.Second),
		chromedp.WaitVisible(chromedp.CSS("#ag-wrapup")),
		until(text("#ag-wrapup-campaign")+`.startsWith("Campaign Renewals (demo)")`),
		until(`[...document.querySelectorAll("#ag-wrapup-option option")].map((o) => o.textContent).join("|") === "Choose…|Renewed|Call back"`),
		// The dialer's attach data (campaign=…;target=…;fName=…) is shown
		// field by field in the call profile.
		until(`[...document.querySelectorAll("#ag-profile-data dt")].map((d) => d.textContent).join("|").includes("campaign|target|fName|lName|dataI")`))
	setCampaignActive(t, d, false) // no next call after this one

	do(t, ctx, "an agenda option without its time is refused at the field", choose("Call back"),
		chromedp.WaitVisible(chromedp.CSS("#ag-wrapup-at")), chromedp.WaitVisible(chromedp.CSS("#ag-wrapup-kind")),
		chromedp.Click(chromedp.CSS("#ag-wrapup-save")),
		until(`document.querySelector("#ag-wrapup-at").getAttribute("aria-invalid") === "true"`),
		until(text("#ag-wrapup-at-error")+`.includes("schedules a callback")`))
	screenshot(t, ctx, "agent-wrapup-error")
	do(t, ctx, "the agent saves a disposition with a comment", choose("Renewed"),
		until(`document.querySelector("#ag-wrapup-agenda").hidden`),
		chromedp.SendKeys(chromedp.CSS("#ag-wrapup-comments"), "renews for two years"),
		chromedp.Click(chromedp.CSS("#ag-wrapup-save")),
		until(text("#ag-wrapup-message")+`.startsWith("Saved: Renewed.")`),
		until(`document.querySelector("#ag-wrapup-at").getAttribute("aria-invalid") === null`))
	screenshot(t, ctx, "agent-wrapup")
	do(t, ctx, "dark", colorScheme("dark"), chromedp.Sleep(200*time.Millisecond))
	screenshot(t, ctx, "agent-wrapup-dark")
	do(t, ctx, "light", colorScheme("light"))

	var callID, option, agentOf, comments string
	if err := db.QueryRow(`SELECT d.callid, o.name, d.agent, d.comments FROM dialer.disposition d
		JOIN dialer.disposition_option o USING (disposition_option_id)
		JOIN dialer.attempt a ON a.channel_id = d.callid AND a.target_id = d.target_id`).Scan(&callID, &option, &agentOf, &comments); err != nil {
		t.Fatalf("the disposition of the call: %v", err)
	}
	if option != "Renewed" || agentOf != "1001" || comments != "renews for two years" {
		t.Fatalf("disposition: %s by %s, %q", option, agentOf, comments)
	}
	var events int
	if err := db.QueryRow(`SELECT count(*) FROM call_event WHERE kind=$1 AND call_id=$2 AND agent='1001'`,
		ccd.EventDialerDisposition, callID).Scan(&events); err != nil || events != 1 {
		t.Fatalf("%d dialer.disposition events of %s (%v), want 1", events, callID, err)
	}

	do(t, ctx, "the agent corrects it: a global callback", choose("Call back"),
		chromedp.SetValue(chromedp.CSS("#ag-wrapup-at"), "2099-01-02T10:00"),
		chromedp.Click(chromedp.CSS("#ag-wrapup-global")),
		chromedp.Click(chromedp.CSS("#ag-wrapup-save")),
		until(text("#ag-wrapup-message")+`.startsWith("Saved: Call back.")`))
	var kind string
	var changed bool
	if err := db.QueryRow(`SELECT o.name, a.kind FROM dialer.disposition d JOIN dialer.disposition_option o USING (disposition_option_id)
		JOIN dialer.agenda a USING (disposition_id) WHERE d.callid=$1`, callID).Scan(&option, &kind); err != nil ||
		option != "Call back" || kind != "global" {
		t.Fatalf("after the correction: %s %s %v", option, kind, err)
	}
	if err := db.QueryRow(`SELECT coalesce((payload->>'changed')::bool, false) FROM call_event WHERE kind=$1 AND call_id=$2
		ORDER BY id DESC LIMIT 1`, ccd.EventDialerDisposition, callID).Scan(&changed); err != nil || !changed {
		t.Fatalf("the correction's event: changed=%v %v", changed, err)
	}

	if err := d.Sim.Channel(callID).Hangup(16); err != nil {
		t.Fatal(err)
	}
	do(t, ctx, "the panel stays through the wrap-up, also across a reload, and closes when it ends",
		until(`document.querySelector("#ag-state").dataset.state === "wrap_up"`),
		until(`!document.querySelector("#ag-wrapup").hidden`),
		chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("#view-agent")),
		until(`document.querySelector("#ag-state").dataset.state === "wrap_up"`),
		until(text("#ag-wrapup-message")+`.startsWith("Saved: Call back.")`),
		until(`document.querySelector("#ag-wrapup-global").checked`),
		untilWithin(`document.querySelector("#ag-state").dataset.state === "ready"`, 20*time.Second),
		until(`document.querySelector("#ag-wrapup").hidden`))
}
