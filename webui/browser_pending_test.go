package webui_test

import (
	"testing"

	"github.com/ccdhq/ccd/demo"
	"github.com/chromedp/chromedp"
)

// callControls reads whether the agent console's hold and transfer
// controls are enabled, as "hold queue number" with a dash for a disabled
// one.
const callControls = `[["#ag-hold","hold"],["#ag-transfer-to-queue","queue"],["#ag-transfer-to-number","number"]]` +
	`.map(([s, n]) => document.querySelector(s).disabled ? "-" : n).join(" ")`

// A not ready asked for on a call waits for the call's end, and the
// consoles say so: the agent's state card and the supervisor's agents grid
// show "On call · not ready (Lunch) after this call", so that nobody clicks
// again, and the same not ready is not offered again; after the call and its wrap-up the agent is not ready with that
// activity and the pending text is gone. Hold and transfer are offered only
// once the agent is on the call, not while its phone rings.
func TestBrowserPendingChange(t *testing.T) {
	ctx := browser(t)
	d := quietDemo(t, demo.Options{Agents: 1}, nil) // PJSIP/1001 rings until the test answers
	agent, sup := credential(t, d, "1001"), credential(t, d, "supervisor")
	card := textOf("#ag-state")
	do(t, ctx, "the agent logs in", login(d, agent.User, agent.Password),
		chromedp.WaitVisible(chromedp.CSS("#view-agent")), chromedp.Click(chromedp.CSS("#ag-login")),
		until(`document.querySelector("#ag-state").dataset.state === "ready"`))
	caller, err := d.Load.Call("5550100")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = caller.Hangup(16) }()
	leg := agentChannel(t, d, "1001")
	do(t, ctx, "ringing: the profile shows, no hold or transfer yet",
		until(`document.querySelector("#ag-state").dataset.state === "ringing"`),
		until(`!document.querySelector("#ag-profile").hidden`),
		until(callControls+` === "- - -" && document.querySelector("#ag-state").dataset.state === "ringing"`))
	if err := d.Sim.Channel(leg).Answer(); err != nil {
		t.Fatal(err)
	}
	do(t, ctx, "on the call: hold and transfer",
		until(`document.querySelector("#ag-state").dataset.state === "on_call"`),
		until(callControls+` === "hold queue number"`),
		until(card+` === "On call"`))
	do(t, ctx, "not ready on the call: shown pending",
		chromedp.SetValue(chromedp.CSS("#ag-activity"), "lunch"),
		chromedp.Click(chromedp.CSS("#ag-notready")),
		until(card+` === "On call · not ready (Lunch) after this call"`),
		// Asked already: not offered again with the same activity.
		until(agButtons+` === "- - logout"`))
	screenshot(t, ctx, "agent-pending-not-ready")
	do(t, ctx, "agent signs out of the page", logout)

	row := `tr[data-agent="1001"] [data-field="state"]`
	do(t, ctx, "the supervisor's grid shows it pending", login(d, sup.User, sup.Password),
		chromedp.WaitVisible(chromedp.CSS("#nav-supervisor")), chromedp.Click(chromedp.CSS("#nav-supervisor")),
		until(textOf(row)+` === "On call · not ready (Lunch) after this call"`))
	screenshot(t, ctx, "supervisor-pending-not-ready")
	if err := caller.Hangup(16); err != nil {
		t.Fatal(err)
	}
	do(t, ctx, "after the call, pending through the wrap-up",
		until(textOf(row)+` === "Wrap-up · not ready (Lunch) after the wrap-up"`))
	do(t, ctx, "after the wrap-up: not ready with the activity, nothing pending",
		until(textOf(row)+` === "Not ready – lunch"`), logout)

	do(t, ctx, "the agent's card: not ready, nothing pending", login(d, agent.User, agent.Password),
		chromedp.WaitVisible(chromedp.CSS("#view-agent")),
		until(`document.querySelector("#ag-state").dataset.state === "not_ready"`),
		until(card+` === "Not ready – lunch"`))
}
