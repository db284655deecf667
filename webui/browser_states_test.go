package webui_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ccdhq/ccd/ari/aritest"
	"github.com/ccdhq/ccd/demo"
	"github.com/ccdhq/ccd/internal/daemontest"
	"github.com/ccdhq/ccd/internal/pgtest"
	"github.com/ccdhq/ccd/loadgen"
	"github.com/chromedp/chromedp"
)

// buttons reads which of the state buttons are enabled, as "ready
// not_ready logout" with a dash for a disabled one; sel finds each by its
// change's name.
func buttons(sel func(change string) string) string {
	var parts []string
	for _, change := range []string{"ready", "not_ready", "logout"} {
		parts = append(parts, fmt.Sprintf(`(document.querySelector(%q).disabled ? "-" : %q)`, sel(change), change))
	}
	return "[" + strings.Join(parts, ",") + `].join(" ")`
}

func svButtons(agent string) string {
	return buttons(func(change string) string {
		return fmt.Sprintf(`tr[data-agent="%s"] button[data-action="%s"]`, agent, change)
	})
}

var agButtons = buttons(func(change string) string {
	return map[string]string{"ready": "#ag-ready", "not_ready": "#ag-notready", "logout": "#ag-logout"}[change]
})

// agentChannel waits for the ACD to ring agent and returns the channel
// of its leg.
func agentChannel(t *testing.T, d *demo.Demo, agent string) string {
	t.Helper()
	var ch string
	waitFor(t, "agent "+agent+" rung", func() bool {
		calls, err := agentCalls(d)
		ch = calls[agent]
		return err == nil && ch != ""
	})
	return ch
}

// The state buttons follow the agent's state, live, in the supervisor
// console and in the agent console: ready offers not ready and log out;
// ringing and on a call, not ready and log out (after the call), never
// ready; the wrap-up all three; not ready, ready and log out (not ready
// again only with another activity); logged out, none. While the ACD
// offers a call, the softphone's ringing display names the caller and the
// queue, not only the phone's caller id.
func TestBrowserStateButtons(t *testing.T) {
	ctx := browser(t)
	reg := startRegistrar(t)
	d, err := demo.Start(context.Background(), demo.Options{Listen: daemontest.FreeAddr(t), DatabaseURL: pgtest.NewEmptyDB(t),
		Agents: 2, Quiet: true, UserCost: 4, SoftphoneURL: reg.URL})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Stop() })
	reg.mu.Lock()
	reg.passwords = d.SIPPasswords
	reg.mu.Unlock()
	// PJSIP/1001 rings until the test answers its leg.
	agents := loadgen.HTTPAgents{URL: d.URL, Token: d.Token}
	if err := agents.Login(context.Background(), "1001"); err != nil {
		t.Fatal(err)
	}
	sup, agent := credential(t, d, "supervisor"), credential(t, d, "1001")
	row := `tr[data-agent="1001"] `
	state := `document.querySelector('` + row + `[data-field="state"]').dataset.state`

	do(t, ctx, "ready: not ready and log out", login(d, sup.User, sup.Password),
		chromedp.WaitVisible(chromedp.CSS("#nav-supervisor")), chromedp.Click(chromedp.CSS("#nav-supervisor")),
		chromedp.WaitVisible(chromedp.CSS(row)),
		until(state+` === "ready"`), until(svButtons("1001")+` === "- not_ready logout"`),
		until(svButtons("1002")+` === "- - -"`))
	caller, err := d.Load.Call("5550100")
	if err != nil {
		t.Fatal(err)
	}
	do(t, ctx, "ringing: not ready and log out", until(state+` === "ringing"`),
		until(svButtons("1001")+` === "- not_ready logout"`))
	if err := d.Sim.Channel(agentChannel(t, d, "1001")).Answer(); err != nil {
		t.Fatal(err)
	}
	do(t, ctx, "on a call: not ready and log out, after the call", until(state+` === "on_call"`),
		until(svButtons("1001")+` === "- not_ready logout"`),
		until(`document.querySelector('`+row+`button[data-action="not_ready"]').title === "after the call"`))
	screenshot(t, ctx, "supervisor-on-call")
	if err := caller.Hangup(16); err != nil {
		t.Fatal(err)
	}
	do(t, ctx, "wrap-up: all three", until(state+` === "wrap_up"`), until(svButtons("1001")+` === "ready not_ready logout"`),
		chromedp.SetValue(chromedp.CSS("#sv-act-1001"), "break"),
		chromedp.Click(chromedp.CSS(row+`button[data-action="not_ready"]`)),
		until(state+` === "not_ready"`), until(svButtons("1001")+` === "ready - logout"`),
		chromedp.SetValue(chromedp.CSS("#sv-act-1001"), "lunch"),
		js(`document.querySelector("#sv-act-1001").dispatchEvent(new Event("change"))`),
		until(svButtons("1001")+` === "ready not_ready logout"`))
	do(t, ctx, "supervisor logs out", logout)

	do(t, ctx, "the agent, not ready: ready and log out", login(d, agent.User, agent.Password),
		chromedp.WaitVisible(chromedp.CSS("#view-agent")),
		until(`document.querySelector("#sp-state").dataset.state === "registered"`),
		until(`document.querySelector("#ag-state").dataset.state === "not_ready"`),
		until(agButtons+` === "ready - logout"`), until(`document.querySelector("#ag-login").disabled`),
		chromedp.Click(chromedp.CSS("#ag-ready")),
		until(`document.querySelector("#ag-state").dataset.state === "ready"`), until(agButtons+` === "- not_ready logout"`))
	second, err := d.Load.Call("5550100")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = second.Hangup(16) }()
	leg := agentChannel(t, d, "1001")
	clid := ""
	calls, err := apiCalls(d)
	for _, c := range calls {
		if c.Agent == "1001" {
			clid = c.CLID
		}
	}
	if err != nil || clid == "" {
		t.Fatalf("the offered call's caller id: %q %v", clid, err)
	}
	// The ACD rings the agent's phone: the softphone shows the offer.
	reg.invite(clid)
	do(t, ctx, "ringing: the softphone names the caller and the queue; no ready",
		until(`document.querySelector("#ag-state").dataset.state === "ringing"`),
		until(textOf("#sp-incoming")+` === "Incoming call from `+clid+` · queue Sales"`),
		until(agButtons+` === "- not_ready logout"`))
	screenshot(t, ctx, "agent-offer-ringing")
	if err := d.Sim.Channel(leg).Answer(); err != nil {
		t.Fatal(err)
	}
	do(t, ctx, "on a call: no ready", until(`document.querySelector("#ag-state").dataset.state === "on_call"`),
		until(agButtons+` === "- not_ready logout"`),
		until(`document.querySelector("#ag-notready").title === "after the call"`),
		chromedp.Click(chromedp.CSS("#sp-hangup")), until(textOf("#sp-incoming")+` === ""`))
}

// The agent console's figures of the day follow the calls from the event
// stream, not from the periodic refresh (set to an hour here, so that only
// the events and the statistics job push): "Calls answered" counts the
// call while it is talked, and after it ends the talk time is there while
// the agent is still in its wrap-up. Before, the figures waited for the
// next event after the statistics job had folded the call, up to the
// refresh period.
func TestBrowserAgentFiguresFollowTheCall(t *testing.T) {
	ctx := browser(t)
	d, err := demo.Start(context.Background(), demo.Options{Listen: daemontest.FreeAddr(t), DatabaseURL: pgtest.NewEmptyDB(t),
		Agents: 1, Quiet: true, UserCost: 4, UIRefresh: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Stop() })
	d.Sim.SetEndpoint("PJSIP/1001", aritest.Behavior{Action: aritest.EndpointAnswer, Delay: 50 * time.Millisecond})
	agent := credential(t, d, "1001")
	do(t, ctx, "the agent is ready, nothing answered yet", login(d, agent.User, agent.Password),
		chromedp.WaitVisible(chromedp.CSS("#view-agent")), chromedp.Click(chromedp.CSS("#ag-login")),
		until(`document.querySelector("#ag-state").dataset.state === "ready"`),
		until(textOf("#ag-today-answered")+` === "0"`), until(textOf("#ag-today-talk")+` === "0:00"`))
	caller, err := d.Load.Call("5550100")
	if err != nil {
		t.Fatal(err)
	}
	do(t, ctx, "answered while the call lasts", until(`document.querySelector("#ag-state").dataset.state === "on_call"`),
		until(textOf("#ag-today-answered")+` === "1" && document.querySelector("#ag-state").dataset.state === "on_call"`))
	time.Sleep(1500 * time.Millisecond) // talk for more than a second
	if err := caller.Hangup(16); err != nil {
		t.Fatal(err)
	}
	do(t, ctx, "after the call, its talk time within the wrap-up",
		until(`document.querySelector("#ag-state").dataset.state === "wrap_up"`),
		until(textOf("#ag-today-talk")+` !== "0:00" && document.querySelector("#ag-state").dataset.state === "wrap_up"`),
		until(textOf("#ag-today-answered")+` === "1"`))
	screenshot(t, ctx, "agent-figures")
}
