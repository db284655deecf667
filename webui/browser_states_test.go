package webui_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ccdhq/ccd/ari/aritest"
	"github.com/ccdhq/ccd/demo"
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
	d := quietDemo(t, demo.Options{Agents: 2}, reg)
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
		until(`document.querySelector('`+row+`button[data-action="not_ready"]').title === "after the call"`),
		// The queue by its name, as the wallboard and the queue grid say it.
		until(text(row+`[data-field="queue"]`)+` === "Sales"`))
	screenshot(t, ctx, "supervisor-on-call")
	for _, scheme := range []string{"light", "dark"} {
		do(t, ctx, scheme, colorScheme(scheme))
		bad, err := chromedp.Run(ctx, chromedp.Evaluate[string](lowContrast))
		if err != nil || bad != "" {
			t.Errorf("supervisor console, %s: controls below 4.5:1 contrast: %s %v", scheme, bad, err)
		}
	}
	do(t, ctx, "light", colorScheme("light"))
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
		until(`document.querySelector("#ag-state").dataset.state === "ready"`), until(agButtons+` === "- not_ready logout"`),
		// No call: the card says so rather than showing empty fields.
		until(`!document.querySelector("#ag-call-none").hidden && document.querySelector("#ag-call").hidden`))
	for _, scheme := range []string{"light", "dark"} {
		do(t, ctx, scheme, colorScheme(scheme))
		bad, err := chromedp.Run(ctx, chromedp.Evaluate[string](lowContrast))
		if err != nil || bad != "" {
			t.Errorf("agent console, %s: controls below 4.5:1 contrast: %s %v", scheme, bad, err)
		}
	}
	do(t, ctx, "light", colorScheme("light"))
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
		until(agButtons+` === "- not_ready logout"`),
		until(`document.querySelector("#ag-call-none").hidden && `+textOf("#ag-call-queue")+` === "Sales"`))
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
	d := quietDemo(t, demo.Options{Agents: 1, UIRefresh: time.Hour}, nil)
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

// attachValue is one key's value of the dialer's attach data
// (campaign=1;target=3;fName=…).
func attachValue(data, key string) string {
	for _, kv := range strings.Split(data, ";") {
		if k, v, ok := strings.Cut(kv, "="); ok && k == key {
			return v
		}
	}
	return ""
}

// A dialer call offered to the agent rings the softphone with the
// campaign target's name, its number and the campaign's queue.
func TestBrowserDialerOfferNamesTheTarget(t *testing.T) {
	ctx := browser(t)
	reg := startRegistrar(t)
	d := quietDemo(t, demo.Options{Agents: 1}, reg)
	agent := credential(t, d, "1001")
	do(t, ctx, "the agent logs in and is ready", login(d, agent.User, agent.Password),
		chromedp.WaitVisible(chromedp.CSS("#view-agent")),
		until(`document.querySelector("#sp-state").dataset.state === "registered"`),
		chromedp.Click(chromedp.CSS("#ag-login")), until(`document.querySelector("#ag-state").dataset.state === "ready"`))
	setCampaignActive(t, d, true)
	// Progressive: the campaign calls its numbers one at a time until a
	// person answers; PJSIP/1001 then rings until the test answers it.
	var offered ccdCall
	for deadline := time.Now().Add(90 * time.Second); offered.Channel == "" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		calls, err := apiCalls(d)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range calls {
			if c.Agent == "1001" && c.AttachData != "" {
				offered = ccdCall{Channel: c.Channel, CLID: c.CLID, Attach: c.AttachData}
			}
		}
	}
	if offered.Channel == "" {
		t.Fatal("no campaign call reached the agent within 90 s")
	}
	setCampaignActive(t, d, false)
	name := strings.TrimSpace(attachValue(offered.Attach, "fName") + " " + attachValue(offered.Attach, "lName"))
	if name == "" {
		t.Fatalf("the campaign call has no target name: %q", offered.Attach)
	}
	reg.invite(offered.CLID)
	// The person waits at most 2 s for an agent: the page has that long.
	do(t, ctx, "the softphone names the target",
		untilWithin(textOf("#sp-incoming")+` === "Incoming call from `+name+` (`+offered.CLID+`) · queue Support"`, 1500*time.Millisecond))
	screenshot(t, ctx, "agent-dialer-ringing")
	_ = d.Sim.Channel(offered.Channel).Answer()
	do(t, ctx, "the agent declines the softphone's call", chromedp.Click(chromedp.CSS("#sp-hangup")), until(textOf("#sp-incoming")+` === ""`))
}

type ccdCall struct{ Channel, CLID, Attach string }

// lowContrast lists the visible buttons and selects of the page whose
// text has less than 4.5:1 contrast with what is behind it (WCAG AA),
// disabled ones included: a button a supervisor cannot read is no
// explanation of why it is off. Opacity is blended in.
const lowContrast = `(() => {
  const rgb = (s) => { const m = s.match(/[\d.]+/g) || [0, 0, 0, 0]; return { r: +m[0], g: +m[1], b: +m[2], a: m.length > 3 ? +m[3] : 1 }; };
  const over = (top, under) => ({ r: top.r * top.a + under.r * (1 - top.a), g: top.g * top.a + under.g * (1 - top.a), b: top.b * top.a + under.b * (1 - top.a), a: 1 });
  const behind = (el) => {
    const chain = [];
    for (let e = el.parentElement; e; e = e.parentElement) chain.push(rgb(getComputedStyle(e).backgroundColor));
    return chain.reverse().reduce((acc, c) => over(c, acc), { r: 255, g: 255, b: 255, a: 1 });
  };
  const lum = (c) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; }; return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b); };
  const bad = [];
  for (const el of document.querySelectorAll("button, select")) {
    if (!el.offsetParent) continue;
    const st = getComputedStyle(el), op = +st.opacity, under = behind(el);
    const bg = over({ ...rgb(st.backgroundColor), a: rgb(st.backgroundColor).a * op }, under);
    const fg = over({ ...rgb(st.color), a: op }, bg);
    const [l1, l2] = [lum(fg), lum(bg)].sort((a, b) => b - a);
    const ratio = (l1 + 0.05) / (l2 + 0.05);
    if (ratio < 4.5) bad.push((el.id || el.dataset.action || el.textContent.trim()) + (el.disabled ? " (disabled)" : "") + " " + ratio.toFixed(2));
  }
  return bad.join(", ");
})()`
