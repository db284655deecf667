package webui_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"github.com/ccdhq/ccd/demo"
	"github.com/chromedp/chromedp"
)

// otherAdmin is a second administrator's session, outside the browser.
type otherAdmin struct {
	t    *testing.T
	base string
	c    *http.Client
	csrf string
}

func loginOther(t *testing.T, d *demo.Demo, user, password string) *otherAdmin {
	jar, _ := cookiejar.New(nil)
	o := &otherAdmin{t: t, base: d.URL, c: &http.Client{Jar: jar}}
	resp, err := o.c.PostForm(d.URL+"/ui/login", url.Values{"username": {user}, "password": {password}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var s struct{ CSRF string }
	if resp.StatusCode != 200 || json.NewDecoder(resp.Body).Decode(&s) != nil {
		t.Fatalf("second admin's login: %d", resp.StatusCode)
	}
	o.csrf = s.CSRF
	return o
}

// put changes an item as the second administrator: read, then write with
// the version read, as the page does.
func (o *otherAdmin) put(path, body string) {
	o.t.Helper()
	resp, err := o.c.Get(o.base + path)
	if err != nil {
		o.t.Fatal(err)
	}
	resp.Body.Close()
	req, _ := http.NewRequest("PUT", o.base+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-CSRF-Token", o.csrf)
	req.Header.Set("If-Match", resp.Header.Get("ETag"))
	resp, err = o.c.Do(req)
	if err != nil {
		o.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("ETag") == "" {
		o.t.Fatalf("second admin's change: %d", resp.StatusCode)
	}
}

// textOf is the text of sel, "" while there is no such element.
func textOf(sel string) string {
	return fmt.Sprintf(`((document.querySelector(%q)||{}).textContent||"")`, sel)
}

func value(sel, v string) chromedp.Action[chromedp.Void] {
	return chromedp.SetValue(chromedp.CSS(sel), v)
}

// An administrator adds a queue and an agent through the forms; the new
// agent logs in with the password set there; a bad value is shown at its
// field; an edit made from a version another administrator changed is
// refused as a conflict, and goes in once reloaded.
func TestBrowserAdmin(t *testing.T) {
	ctx := browser(t)
	d := startDemo(t)
	admin := credential(t, d, "admin")

	do(t, ctx, "admin opens the administration", login(d, admin.User, admin.Password),
		chromedp.WaitVisible(chromedp.CSS("#nav-admin")),
		chromedp.Click(chromedp.CSS("#nav-admin")),
		chromedp.WaitVisible(chromedp.CSS(`#adm-list tr[data-id="sales"]`)))
	screenshot(t, ctx, "admin-queues")

	do(t, ctx, "a queue with a bad ring timeout",
		chromedp.Click(chromedp.CSS("#adm-new")),
		chromedp.WaitVisible(chromedp.CSS("#adm-f-code")),
		value("#adm-f-code", "vip"), value("#adm-f-name", "VIP customers"),
		value("#adm-f-ring_timeout", "soon"),
		chromedp.Click(chromedp.CSS("#adm-save")),
		until(textOf("#adm-f-ring_timeout-error")+`.includes("duration")`),
		until(`document.querySelector("#adm-f-ring_timeout").getAttribute("aria-invalid") === "true"`),
		until(`document.activeElement.id === "adm-f-ring_timeout"`))
	screenshot(t, ctx, "admin-field-error")

	do(t, ctx, "the queue, corrected, with a required skill",
		value("#adm-f-ring_timeout", "12s"),
		chromedp.Click(chromedp.CSS(`[data-field="skills"] .add`)),
		value(`[data-field="skills"] .level-name`, "vip"), value(`[data-field="skills"] .level-value`, "2"),
		chromedp.Click(chromedp.CSS("#adm-save")),
		until(textOf("#adm-message")+` === "Created queue vip."`),
		chromedp.WaitVisible(chromedp.CSS(`#adm-list tr[data-id="vip"]`)),
		until(textOf(`#adm-list tr[data-id="vip"]`)+`.includes("VIP customers")`))

	const password = "password-of-agent-a77"
	do(t, ctx, "an agent with a password, skills and a softphone",
		chromedp.Click(chromedp.CSS("#adm-tab-agents")),
		chromedp.WaitVisible(chromedp.CSS(`#adm-list tr[data-id="1001"]`)),
		chromedp.Click(chromedp.CSS("#adm-new")),
		chromedp.WaitVisible(chromedp.CSS("#adm-f-id")),
		value("#adm-f-id", "a77"), value("#adm-f-name", "Seventy Seven"), value("#adm-f-endpoint", "PJSIP/1077"),
		value("#adm-f-password", password),
		chromedp.Click(chromedp.CSS(`[data-field="skills"] .add`)),
		value(`[data-field="skills"] .level-name`, "vip"), value(`[data-field="skills"] .level-value`, "3"),
		value("#adm-f-sip_user", "webrtc-a77"), value("#adm-f-sip_password", "sip-password-of-a77-0123"))
	screenshot(t, ctx, "admin-agent-form")
	do(t, ctx, "the agent is created",
		chromedp.Click(chromedp.CSS("#adm-save")),
		until(textOf("#adm-message")+` === "Created agent a77."`),
		chromedp.WaitVisible(chromedp.CSS(`#adm-list tr[data-id="a77"]`)),
		until(textOf(`#adm-list tr[data-id="a77"]`)+`.includes("vip 3")`))
	screenshot(t, ctx, "admin-agents")

	do(t, ctx, "admin opens the queue to edit it",
		chromedp.Click(chromedp.CSS("#adm-tab-queues")),
		chromedp.WaitVisible(chromedp.CSS(`#adm-list tr[data-id="vip"] [data-action="edit"]`)),
		chromedp.Click(chromedp.CSS(`#adm-list tr[data-id="vip"] [data-action="edit"]`)),
		until(`document.querySelector("#adm-f-name") && document.querySelector("#adm-f-name").value === "VIP customers"`))
	// Meanwhile another administrator changes it.
	other := loginOther(t, d, admin.User, admin.Password)
	other.put("/api/admin/queues/vip", `{"name":"VIP (changed by the other)","skills":{"vip":2},"ring_timeout":"12s"}`)
	do(t, ctx, "the first admin's save is a conflict",
		value("#adm-f-max_waiting", "5"),
		chromedp.Click(chromedp.CSS("#adm-save")),
		until(textOf("#adm-form-error")+`.includes("changed by someone else")`))
	screenshot(t, ctx, "admin-conflict")
	do(t, ctx, "reloaded, the change goes in over the other's",
		chromedp.Click(chromedp.CSS("#adm-reload")),
		until(`document.querySelector("#adm-f-name").value === "VIP (changed by the other)"`),
		value("#adm-f-max_waiting", "5"),
		chromedp.Click(chromedp.CSS("#adm-save")),
		until(textOf("#adm-message")+` === "Saved queue vip."`),
		until(textOf(`#adm-list tr[data-id="vip"]`)+`.includes("VIP (changed by the other)")`))

	do(t, ctx, "a campaign: a bad dial ratio at its field, then created",
		chromedp.Click(chromedp.CSS("#adm-tab-campaigns")),
		until(`document.querySelector("#adm-tab-campaigns").getAttribute("aria-selected") === "true"`),
		chromedp.Click(chromedp.CSS("#adm-new")),
		chromedp.WaitVisible(chromedp.CSS("#adm-f-name")),
		value("#adm-f-name", "Spring offer"), value("#adm-f-queueCode", "sales"), value("#adm-f-dialRatio", "40"),
		chromedp.Click(chromedp.CSS("#adm-save")),
		until(textOf("#adm-f-dialRatio-error")+`.includes("1 to 10")`),
		value("#adm-f-dialRatio", "1.5"),
		chromedp.Click(chromedp.CSS("#adm-save")),
		until(textOf("#adm-message")+`.startsWith("Created campaign ")`),
		until(textOf("#adm-list")+`.includes("Spring offer")`))
	for _, tab := range []string{"groups", "routes", "activities", "flows", "switches", "campaigns", "schedules", "webhooks"} {
		do(t, ctx, "tab "+tab, chromedp.Click(chromedp.CSS("#adm-tab-"+tab)),
			until(`document.querySelector("#adm-tab-`+tab+`").getAttribute("aria-selected") === "true"`),
			chromedp.Sleep(300e6))
		screenshot(t, ctx, "admin-"+tab)
	}
	do(t, ctx, "a new call flow's form", chromedp.Click(chromedp.CSS("#adm-tab-flows")),
		until(`document.querySelector("#adm-tab-flows").getAttribute("aria-selected") === "true"`),
		chromedp.Click(chromedp.CSS("#adm-new")), chromedp.WaitVisible(chromedp.CSS("#adm-f-nodes")),
		value("#adm-f-name", "main"), value("#adm-f-start", "menu"),
		value("#adm-f-nodes", `[{"id": "menu", "menu": {"prompt": ["sound:welcome"], "keys": {"1": "sales"}}}, {"id": "sales", "queue": {"code": "sales"}}]`),
		chromedp.Click(chromedp.CSS("#adm-save")),
		until(textOf("#adm-f-nodes-error")+`.startsWith("nodes[0].menu.timeout_dest")`))
	screenshot(t, ctx, "admin-flow-form")
	do(t, ctx, "the call flow, corrected",
		value("#adm-f-nodes", `[{"id": "menu", "menu": {"prompt": ["sound:welcome"], "keys": {"1": "sales"}, "timeout_dest": "sales", "invalid_dest": "sales"}}, {"id": "sales", "queue": {"code": "sales"}}]`),
		chromedp.Click(chromedp.CSS("#adm-save")),
		until(textOf("#adm-message")+` === "Created call flow main."`+` || `+textOf("#adm-f-nodes-error")+` !== ""`))
	if msg, _ := chromedp.Run(ctx, chromedp.Evaluate[string](textOf("#adm-message")+`+" "+`+textOf("#adm-f-nodes-error"))); !strings.HasPrefix(msg, "Created call flow main.") {
		t.Fatalf("the corrected flow: %s", msg)
	}
	do(t, ctx, "dark", colorScheme("dark"), chromedp.Click(chromedp.CSS("#adm-tab-queues")),
		chromedp.WaitVisible(chromedp.CSS(`#adm-list tr[data-id="vip"] [data-action="edit"]`)),
		chromedp.Click(chromedp.CSS(`#adm-list tr[data-id="vip"] [data-action="edit"]`)),
		until(`document.querySelector("#adm-f-name") && document.querySelector("#adm-f-name").value !== ""`))
	screenshot(t, ctx, "admin-queue-dark")
	do(t, ctx, "light", colorScheme("light"))
	// The session ends behind the open form (another tab logs out): saving
	// brings the login back instead of failing silently.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`fetch("/ui/session").then((r) => r.json()).then((s) =>
			fetch("/ui/logout", {method: "POST", headers: {"X-CSRF-Token": s.csrf}})).then(() => { window.loggedOutBehind = true; }), true`)); err != nil {
		t.Fatal(err)
	}
	do(t, ctx, "the session ends while the form is open",
		until(`window.loggedOutBehind === true`),
		chromedp.Click(chromedp.CSS("#adm-save")),
		chromedp.WaitVisible(chromedp.CSS("#login-form")))

	do(t, ctx, "the new agent logs in with its password", login(d, "a77", password),
		chromedp.WaitVisible(chromedp.CSS("#view-agent")),
		until(`document.querySelector("#ag-state").dataset.state === "logged_out"`))
}
