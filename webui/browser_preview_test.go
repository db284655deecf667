package webui_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ccdhq/ccd/ari/aritest"
	"github.com/ccdhq/ccd/demo"
	"github.com/ccdhq/ccd/dialer"
	"github.com/ccdhq/ccd/internal/pgtest"
	"github.com/ccdhq/ccd/store"
	"github.com/chromedp/chromedp"
)

// demoAPI sends a request with the demo's integration token and decodes the
// JSON answer into out (when not nil).
func demoAPI(tb testing.TB, d *demo.Demo, method, path, body string, want int, out any) {
	tb.Helper()
	req, _ := http.NewRequest(method, d.URL+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+d.Token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		tb.Fatalf("%s %s: HTTP %d %s, want %d", method, path, resp.StatusCode, b, want)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			tb.Fatal(err)
		}
	}
}

// previewCampaign creates an active preview campaign for the sales queue,
// open all day, and returns the path its targets are added at.
func previewCampaign(t *testing.T, d *demo.Demo) string {
	t.Helper()
	var c struct {
		ID int `json:"campaignId"`
	}
	demoAPI(t, d, "POST", "/api/dialer/campaigns", `{"name":"Win-back (preview)","queueCode":"sales","mode":"preview",`+
		`"isActive":true,"windowStart":"00:00","windowEnd":"23:59","callerId":"5550100","previewTimeout":300}`, http.StatusCreated, &c)
	return "/api/dialer/campaigns/" + strconv.Itoa(c.ID) + "/targets"
}

// The agent console's preview panel in a real browser: the agent takes
// the next target of a preview campaign and sees its data, skips it with
// the keyboard, takes the next, picks phone II and dials: its own phone
// rings first, then the customer's, and when the call is over the panel
// is free again and the attempt is the campaign's.
func TestBrowserAgentPreview(t *testing.T) {
	ctx := browser(t)
	dsn := pgtest.NewEmptyDB(t)
	d := quietDemo(t, demo.Options{Agents: 2, DatabaseURL: dsn}, nil)
	campaign := previewCampaign(t, d)
	demoAPI(t, d, "POST", campaign, `{"fName":"Ann","lName":"Lee","phoneI":"5558101","dataI":"contract-81","priority":1}`, http.StatusCreated, nil)
	demoAPI(t, d, "POST", campaign, `{"fName":"Ben","lName":"Ortiz","phoneI":"5558201","phoneII":"5558202","dataI":"contract-82",`+
		`"dataII":"gold","priority":2}`, http.StatusCreated, nil)
	d.Sim.SetEndpoint("PJSIP/1001", aritest.Behavior{Action: aritest.EndpointAnswer, Delay: 200 * time.Millisecond})
	d.Sim.SetEndpoint("PJSIP/5558202", aritest.Behavior{Action: aritest.EndpointAnswer, Delay: 300 * time.Millisecond,
		HangupAfter: 1500 * time.Millisecond})
	agent := credential(t, d, "1001")

	do(t, ctx, "the agent logs in and is ready", login(d, agent.User, agent.Password),
		chromedp.WaitVisible(chromedp.CSS("#view-agent")),
		chromedp.WaitVisible(chromedp.CSS("#ag-preview")),
		until(textOf("#ag-preview-state")+` === "No target held."`),
		chromedp.Click(chromedp.CSS("#ag-login")),
		until(`document.querySelector("#ag-state").dataset.state === "ready"`))
	do(t, ctx, "the next target", chromedp.Click(chromedp.CSS("#ag-preview-next")),
		until(textOf("#ag-preview-state")+`.startsWith("Target held for you (Win-back (preview))")`),
		until(textOf("#ag-preview-data")+`.includes("Ann Lee")`),
		until(textOf("#ag-preview-data")+`.includes("contract-81")`),
		until(textOf("#ag-preview-data")+`.includes("Attempts so far0")`),
		until(textOf("#ag-state")+` === "Previewing"`),
		until(`document.querySelector("#ag-preview-phone1").checked`),
		until(`!document.querySelector("#ag-preview-skip").disabled && document.querySelector("#ag-preview-next").disabled`))
	do(t, ctx, "skip with the keyboard", chromedp.Focus(chromedp.CSS("#ag-preview-skip")),
		chromedp.KeyEvent("\r"),
		until(textOf("#ag-preview-message")+` === "Skipped."`),
		until(textOf("#ag-preview-state")+` === "No target held."`))
	do(t, ctx, "the next one has two phones", chromedp.Click(chromedp.CSS("#ag-preview-next")),
		until(textOf("#ag-preview-data")+`.includes("Ben Ortiz")`),
		until(`!document.querySelector("#ag-preview-phone2").disabled`),
		chromedp.Click(chromedp.CSS("#ag-preview-phone2")),
		until(`document.querySelector("#ag-preview-phone2").checked`))
	screenshot(t, ctx, "agent-preview")
	do(t, ctx, "dial phone II", chromedp.Click(chromedp.CSS("#ag-preview-dial")),
		until(textOf("#ag-preview-message")+` === "Calling 5558202: your phone rings first."`),
		until(textOf("#ag-preview-state")+`.startsWith("Dialling 5558202")`))
	screenshot(t, ctx, "agent-preview-dialing")
	do(t, ctx, "the call ends", until(textOf("#ag-preview-state")+` === "No target held."`),
		until(`!document.querySelector("#ag-preview-next").disabled`))
	// The customer's phone rang after the agent's, and the attempt is
	// the campaign's, with its result.
	var order []string
	for _, r := range d.Sim.Requests() {
		if ep := r.Query.Get("endpoint"); r.Method == "POST" && strings.HasPrefix(r.Path, "/channels") &&
			(ep == "PJSIP/1001" || ep == "PJSIP/5558202") {
			order = append(order, ep)
		}
	}
	if len(order) < 2 || order[0] != "PJSIP/1001" || order[len(order)-1] != "PJSIP/5558202" {
		t.Errorf("rang %v, want the agent's phone, then the customer's", order)
	}
	db, err := store.Open(context.Background(), dsn, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var result int
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline) && result == 0; time.Sleep(100 * time.Millisecond) {
		_ = db.GetContext(context.Background(), &result, `SELECT coalesce(result, 0) FROM dialer.attempt
			WHERE agent='1001' AND mode='preview' AND phone='5558202'`)
	}
	if result != dialer.StatusAnswered {
		t.Errorf("the preview attempt's result is %d, want %d (answered)", result, dialer.StatusAnswered)
	}
}

// An agent whose own phone does not answer a preview dial has called
// nobody: the console holds the same target again and says why.
func TestBrowserPreviewAgentPhoneNotAnswering(t *testing.T) {
	ctx := browser(t)
	d := quietDemo(t, demo.Options{Agents: 1}, nil)
	demoAPI(t, d, "POST", previewCampaign(t, d),
		`{"fName":"Ann","lName":"Lee","phoneI":"5558101","priority":1}`, http.StatusCreated, nil)
	d.Sim.SetEndpoint("PJSIP/1001", aritest.Behavior{Action: aritest.EndpointFail, Delay: 300 * time.Millisecond, Cause: 19,
		DialStatus: "NOANSWER"})
	agent := credential(t, d, "1001")
	do(t, ctx, "the agent takes a target", login(d, agent.User, agent.Password),
		chromedp.WaitVisible(chromedp.CSS("#ag-preview")),
		chromedp.Click(chromedp.CSS("#ag-login")),
		until(`document.querySelector("#ag-state").dataset.state === "ready"`),
		chromedp.Click(chromedp.CSS("#ag-preview-next")),
		until(textOf("#ag-preview-data")+`.includes("Ann Lee")`))
	do(t, ctx, "dial; the agent's phone does not answer", chromedp.Click(chromedp.CSS("#ag-preview-dial")),
		until(textOf("#ag-preview-message")+`.includes("did not answer")`),
		until(textOf("#ag-preview-message")+`.includes("5558101 was not called")`),
		until(textOf("#ag-preview-state")+`.startsWith("Target held for you")`),
		until(`!document.querySelector("#ag-preview-dial").disabled`),
		until(textOf("#ag-state")+` === "Previewing"`))
	screenshot(t, ctx, "agent-preview-phone-not-answering")
	for _, r := range d.Sim.Requests() {
		if r.Query.Get("endpoint") == "PJSIP/5558101" {
			t.Fatalf("the customer was dialled: %s", r)
		}
	}
}
