package webui_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/ari/aritest"
	"github.com/ccdhq/ccd/config"
	"github.com/ccdhq/ccd/demo"
	"github.com/ccdhq/ccd/internal/daemontest"
	"github.com/ccdhq/ccd/internal/pgtest"
	"github.com/ccdhq/ccd/loadgen"
	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// screenshots is where the browser tests leave a picture of every view
// (git-ignored; CI keeps it as an artifact).
const screenshots = "screenshots"

// chromium finds the browser: $CCD_CHROMIUM, else Debian's chromium or
// another Chrome on PATH.
func chromium() string {
	if p := os.Getenv("CCD_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// browser starts a headless Chromium, or skips the test when there is none.
func browser(tb testing.TB) context.Context {
	tb.Helper()
	path := chromium()
	if path == "" {
		tb.Skip("no Chromium found (install Debian's chromium package, or set CCD_CHROMIUM): the browser tests are skipped; .ci/run installs it")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.WindowSize(1920, 1080),
		chromedp.DisableGPU, chromedp.UserDataDir(tb.TempDir()),
		// The softphone's microphone: a fake device, allowed without asking.
		chromedp.Flag("use-fake-device-for-media-stream", true), chromedp.Flag("use-fake-ui-for-media-stream", true))
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox) // Chromium refuses to run as root with its sandbox
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	tb.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1920, 1080)); err != nil {
		tb.Fatalf("starting %s: %v", path, err)
	}
	return ctx
}

// startDemo runs ccd demo mode, quiet: the test places the calls.
func startDemo(tb testing.TB) *demo.Demo {
	return quietDemo(tb, demo.Options{Agents: 4, Wallboard: wallboard}, nil)
}

// quietDemo runs ccd demo mode with o, quiet (the test places the calls),
// on a free address and, unless o names one, a database of its own. With
// reg, every agent has a softphone registering there.
func quietDemo(tb testing.TB, o demo.Options, reg *registrar) *demo.Demo {
	tb.Helper()
	o.Listen, o.Quiet, o.UserCost = daemontest.FreeAddr(tb), true, 4
	if o.DatabaseURL == "" {
		o.DatabaseURL = pgtest.NewEmptyDB(tb)
	}
	if reg != nil {
		o.SoftphoneURL = reg.URL
	}
	d, err := demo.Start(context.Background(), o)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = d.Stop() })
	if reg != nil {
		reg.mu.Lock()
		reg.passwords = d.SIPPasswords
		reg.mu.Unlock()
	}
	return d
}

// wallboard are the thresholds of the demo's ccd.yaml: one pending
// callback is amber.
var wallboard = func() config.Wallboard {
	w := config.DefaultWallboard()
	w.CallbacksAmber, w.CallbacksRed = 1, 3
	return w
}()

// requestCallback asks for a callback over the REST API, for a day far
// ahead: it stays waiting.
func requestCallback(tb testing.TB, d *demo.Demo, queue, number string) {
	tb.Helper()
	req, _ := http.NewRequest("POST", d.URL+"/api/callbacks",
		strings.NewReader(`{"queue":"`+queue+`","number":"`+number+`","not_before":"2099-01-01T09:00:00Z"}`))
	req.Header.Set("Authorization", "Bearer "+d.Token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		tb.Fatalf("a callback for %s: HTTP %d", queue, resp.StatusCode)
	}
}

func credential(tb testing.TB, d *demo.Demo, user string) demo.Credential {
	i := slices.IndexFunc(d.Users, func(c demo.Credential) bool { return c.User == user })
	if i < 0 {
		tb.Fatalf("no demo user %s", user)
	}
	return d.Users[i]
}

func login(d *demo.Demo, user, password string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.Navigate(d.URL+"/ui/"),
		chromedp.WaitVisible(chromedp.CSS("#login-form")),
		chromedp.SendKeys(chromedp.CSS("#username"), user),
		chromedp.SendKeys(chromedp.CSS("#password"), password),
		chromedp.Click(chromedp.CSS("#login-submit")),
	)
}

var logout = chromedp.Steps(chromedp.Click(chromedp.CSS("#logout")), chromedp.WaitVisible(chromedp.CSS("#login-form")))

// until waits for a JavaScript condition to hold in the page.
func until(expr string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(10*time.Second))(ctx, t)
		if err != nil {
			return fmt.Errorf("waiting for %s: %w", expr, err)
		}
		return nil
	})
}

func text(sel string) string {
	return fmt.Sprintf(`(document.querySelector(%q)||{}).textContent`, sel)
}

// screenshot saves the page as screenshots/<name>.png.
func screenshot(tb testing.TB, ctx context.Context, name string) {
	tb.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		tb.Fatal(err)
	}
	if err := os.MkdirAll(screenshots, 0o755); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(screenshots, name+".png"), png, 0o644); err != nil {
		tb.Fatal(err)
	}
}

func colorScheme(scheme string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}})
		return err
	})
}

func do(tb testing.TB, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	tb.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		tb.Fatalf("%s: %v", what, err)
	}
}

// The web interface in a real browser against ccd in demo mode: each role
// logs in and out; an agent logs itself in from its console; a supervisor
// forces it not ready and sees the state change; a caller arrives and the
// wallboard's waiting tile changes. Screenshots of every view, light and
// dark, go to screenshots/.
func TestBrowser(t *testing.T) {
	ctx := browser(t)
	d := startDemo(t)
	agent, sup, admin := credential(t, d, "1001"), credential(t, d, "supervisor"), credential(t, d, "admin")

	do(t, ctx, "wrong password", login(d, "supervisor", "not-the-password-0123"),
		until(text("#login-error")+`.includes("Wrong user name or password")`))
	do(t, ctx, "the integration token is no login", login(d, "integration", d.Token),
		until(text("#login-error")+`.includes("Wrong user name or password")`))
	screenshot(t, ctx, "login")

	do(t, ctx, "agent logs in", login(d, agent.User, agent.Password),
		chromedp.WaitVisible(chromedp.CSS("#view-agent")),
		until(`document.querySelector("#ag-state").dataset.state === "logged_out"`),
		until(`document.querySelector("#ag-activity").value === "break"`),
		chromedp.Click(chromedp.CSS("#ag-login")),
		until(`document.querySelector("#ag-state").dataset.state === "ready"`),
		until(text("#ag-state")+` === "Ready"`))
	screenshot(t, ctx, "agent")
	do(t, ctx, "agent logs out", logout)

	row := `tr[data-agent="1001"] `
	do(t, ctx, "supervisor forces the agent not ready", login(d, sup.User, sup.Password),
		chromedp.WaitVisible(chromedp.CSS("#view-wallboard")),
		chromedp.Click(chromedp.CSS("#nav-supervisor")),
		chromedp.WaitVisible(chromedp.CSS(row+`[data-field="state"]`)),
		until(`document.querySelector('`+row+`[data-field="state"]').dataset.state === "ready"`),
		chromedp.SetValue(chromedp.CSS("#sv-act-1001"), "lunch"),
		chromedp.Click(chromedp.CSS(row+`button[data-action="not_ready"]`)),
		until(`document.querySelector('`+row+`[data-field="state"]').dataset.state === "not_ready"`),
		until(text(row+`[data-field="state"]`)+` === "Not ready – lunch"`))
	screenshot(t, ctx, "supervisor")

	waiting := "#wb-q-sales-waiting .value"
	do(t, ctx, "wallboard before the call", chromedp.Click(chromedp.CSS("#nav-wallboard")),
		chromedp.WaitVisible(chromedp.CSS(waiting)),
		until(text(waiting)+` === "0"`), until(text("#wb-total-waiting .value")+` === "0"`))
	caller, err := d.Load.Call("5550100")
	if err != nil {
		t.Fatal(err)
	}
	do(t, ctx, "the waiting tile changes when a call arrives",
		until(text(waiting)+` === "1"`), until(text("#wb-total-waiting .value")+` === "1"`))
	// A callback requested over REST shows as pending, live, in its queue
	// and overall, amber by ccd.yaml's ui.wallboard.callbacks_amber.
	callbacks := "#wb-q-sales-callbacks"
	do(t, ctx, "no callback pending", until(text(callbacks+" .value")+` === "0"`),
		until(`document.querySelector("`+callbacks+`").dataset.level === undefined`))
	requestCallback(t, d, "sales", "0611223344")
	do(t, ctx, "the callbacks tile changes when a callback is requested",
		until(text(callbacks+" .value")+` === "1"`), until(text("#wb-total-callbacks .value")+` === "1"`),
		until(text("#wb-q-support-callbacks .value")+` === "0"`),
		until(`document.querySelector("`+callbacks+`").dataset.level === "amber"`))
	screenshot(t, ctx, "wallboard")
	// Figures as wide as they get stay inside their tiles on a 1080p screen
	// (set and measured in one turn, before the next render).
	fits, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => {
	  for (const v of document.querySelectorAll(".tile .value")) v.textContent = "100%";
	  for (const v of document.querySelectorAll("[id$=-longest] .value")) v.textContent = "12:59";
	  return [...document.querySelectorAll(".tile .value")].every((v) => v.scrollWidth <= v.clientWidth);
	})()`))
	if err != nil || !fits {
		t.Fatalf("a wallboard figure overflows its tile (%v)", err)
	}
	// The address overrides ccd.yaml's thresholds: one waiting caller is
	// red here, one pending callback nothing.
	do(t, ctx, "thresholds", chromedp.Navigate(d.URL+"/ui/#wallboard?waiting_amber=1&waiting_red=1&callbacks_amber=2"),
		until(`document.querySelector("#wb-q-sales-waiting").dataset.level === "red"`),
		until(`document.querySelector("`+callbacks+`").dataset.level === undefined`))
	do(t, ctx, "dark", colorScheme("dark"), chromedp.Sleep(200*time.Millisecond))
	screenshot(t, ctx, "wallboard-dark")
	do(t, ctx, "dark supervisor", chromedp.Click(chromedp.CSS("#nav-supervisor")), chromedp.WaitVisible(chromedp.CSS(row)))
	screenshot(t, ctx, "supervisor-dark")
	do(t, ctx, "light", colorScheme("light"))
	if err := caller.Hangup(16); err != nil {
		t.Fatal(err)
	}
	do(t, ctx, "supervisor logs out", logout)

	do(t, ctx, "admin logs in", login(d, admin.User, admin.Password),
		chromedp.WaitVisible(chromedp.CSS("#view-wallboard")),
		chromedp.WaitVisible(chromedp.CSS("#nav-supervisor")),
		until(text("#who")+` === "admin (admin)"`))
	screenshot(t, ctx, "admin-wallboard")
	do(t, ctx, "admin logs out", logout)
	// After logout the session is gone: a reload shows the login.
	do(t, ctx, "reload after logout", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("#login-form")))
}

// snoopOn finds the snoop channel on channel in the simulated Asterisk:
// its id and whisper direction.
func snoopOn(d *demo.Demo, channel string) (id, whisper string, ok bool) {
	for _, c := range d.Sim.Channels() {
		if target, _, w, isSnoop := d.Sim.Channel(c.ID).Snooping(); isSnoop && target == channel {
			return c.ID, w, true
		}
	}
	return "", "", false
}

// downloads makes the browser save downloads in dir.
func downloads(dir string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
			Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllow, DownloadPath: dir})
		return err
	})
}

// The supervisor console on the simulated Asterisk: a supervisor barges
// into an agent's call and the snoop channel (whisper both ways) exists in
// the simulation, bridged with the supervisor's phone; listens (whisper
// none); sends a waiting call to another queue and changes its priority;
// opens the reports (four charts, a table) and downloads the CSV; searches
// the calls. Screenshots of the new views go to screenshots/.
func TestBrowserSupervisorCalls(t *testing.T) {
	ctx := browser(t)
	d := startDemo(t)
	sup := credential(t, d, "supervisor")
	agents := loadgen.HTTPAgents{URL: d.URL, Token: d.Token}
	d.Sim.SetEndpoint("PJSIP/1001", aritest.Behavior{Action: aritest.EndpointAnswer, Delay: 50 * time.Millisecond})
	bg := context.Background()
	if err := agents.Login(bg, "1001"); err != nil {
		t.Fatal(err)
	}
	if err := agents.Ready(bg, "1001"); err != nil {
		t.Fatal(err)
	}
	first, err := d.Load.Call("5550100")
	if err != nil {
		t.Fatal(err)
	}
	row := `tr[data-agent="1001"] `
	do(t, ctx, "supervisor sees the agent on the call", login(d, sup.User, sup.Password),
		chromedp.WaitVisible(chromedp.CSS("#nav-supervisor")),
		chromedp.Click(chromedp.CSS("#nav-supervisor")),
		chromedp.WaitVisible(chromedp.CSS(row+`[data-field="state"]`)),
		until(`document.querySelector('`+row+`[data-field="state"]').dataset.state === "on_call"`),
		until(`!document.querySelector('`+row+`button[data-action="barge"]').disabled`),
		chromedp.Click(chromedp.CSS(row+`button[data-action="barge"]`)),
		until(text("#sv-message")+`.includes("Barge: agent 1001, your phone PJSIP/2000 rings")`))
	calls, err := agentCalls(d)
	if err != nil {
		t.Fatal(err)
	}
	agentChannel := calls["1001"]
	snoop, whisper, ok := snoopOn(d, agentChannel)
	if !ok || whisper != "both" {
		t.Fatalf("no barge snoop channel on the agent's channel %q (found %q, whisper %q)", agentChannel, snoop, whisper)
	}
	waitFor(t, "the snoop channel bridged with the supervisor's phone", func() bool {
		b := d.Sim.Channel(snoop).BridgeID()
		for _, c := range d.Sim.Channels() {
			if c.ID != snoop && b != "" && d.Sim.Channel(c.ID).BridgeID() == b && strings.HasSuffix(c.ID, "-supervisor") {
				return true
			}
		}
		return false
	})
	screenshot(t, ctx, "supervisor-barge")

	// A dialer campaign with two targets appears in the campaign grid.
	var camp struct {
		ID int `json:"campaignId"`
	}
	apiJSON(t, d, "POST", "/api/dialer/campaigns", `{"name":"Spring offer","queueCode":"sales"}`, &camp)
	for _, phone := range []string{"5551001", "5551002"} {
		apiJSON(t, d, "POST", fmt.Sprintf("/api/dialer/campaigns/%d/targets", camp.ID), `{"phoneI":"`+phone+`"}`, nil)
	}
	campRow := fmt.Sprintf(`#sv-campaigns tr[data-campaign="%d"]`, camp.ID)
	do(t, ctx, "the campaign grid", chromedp.WaitVisible(chromedp.CSS(campRow)),
		until(text(campRow+` th`)+` === "Spring offer"`), until(text(campRow+` td:nth-of-type(4)`)+` === "2 / 2"`))

	// A second caller waits (the only agent talks): the supervisor sends it
	// to support, then raises its priority.
	second, err := d.Load.Call("5550100")
	if err != nil {
		t.Fatal(err)
	}
	callRow := `#sv-calls tr[data-call="` + second.ID() + `"] `
	do(t, ctx, "the waiting call is listed", chromedp.WaitVisible(chromedp.CSS(callRow+`[data-field="queue"]`)),
		until(text(callRow+`[data-field="queue"]`)+` === "Sales"`))
	screenshot(t, ctx, "supervisor-calls")
	do(t, ctx, "transfer to support", chromedp.SetValue(chromedp.CSS(callRow+`select[data-field="target"]`), "queue:support"),
		chromedp.Click(chromedp.CSS(callRow+`button[data-action="transfer"]`)),
		until(text(callRow+`[data-field="queue"]`)+` === "Support"`))
	// Focused first, as a user's choice is: the live grid leaves a focused
	// select alone, but puts an unfocused one back to the call's priority
	// when a snapshot comes in between.
	do(t, ctx, "priority 1", chromedp.Focus(chromedp.CSS(callRow+`select[data-field="priority"]`)),
		chromedp.SetValue(chromedp.CSS(callRow+`select[data-field="priority"]`), "1"),
		js(`document.querySelector('`+callRow+`select[data-field="priority"]').dispatchEvent(new Event("change"))`),
		until(text("#sv-message")+` === "Call `+second.ID()+`: priority 1."`))
	waitFor(t, "priority 1 in the ACD", func() bool { return callPriority(t, d, second.ID()) == 1 })
	do(t, ctx, "listen", chromedp.Click(chromedp.CSS(row+`button[data-action="listen"]`)),
		until(text("#sv-message")+`.includes("Listen: agent 1001")`))
	waitFor(t, "a listening snoop (whisper none)", func() bool {
		for _, c := range d.Sim.Channels() {
			if target, spy, w, ok := d.Sim.Channel(c.ID).Snooping(); ok && target == agentChannel && spy == "both" && w == "none" {
				return true
			}
		}
		return false
	})
	_ = second.Hangup(16)
	if err := first.Hangup(16); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the snoop channels end with the call", func() bool { _, _, ok := snoopOn(d, agentChannel); return !ok })

	dir := t.TempDir()
	do(t, ctx, "reports", chromedp.Click(chromedp.CSS("#nav-reports")),
		chromedp.WaitVisible(chromedp.CSS("#rp-form")),
		until(`document.querySelectorAll("#rp-charts figure").length === 4`),
		until(`document.querySelectorAll("#rp-result tbody tr").length > 0`),
		until(`document.querySelectorAll('#rp-chart-offered rect[data-series="answered"]').length > 0`))
	// The table shown (DeviceStat) and the charts drawn from it are one
	// reading: one request.
	if n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`performance.getEntriesByType("resource").filter((e) => e.name.includes("/ui/stats/devicestat?")).length`)); err != nil || n != 1 {
		t.Errorf("%d requests for DeviceStat (%v), want 1: the table and the charts may disagree", n, err)
	}
	screenshot(t, ctx, "reports")
	do(t, ctx, "download the CSV", downloads(dir), chromedp.Click(chromedp.CSS("#rp-csv")))
	var csv []byte
	waitFor(t, "the CSV in the download folder", func() bool {
		files, _ := filepath.Glob(filepath.Join(dir, "devicestat-*.csv"))
		if len(files) == 1 {
			csv, _ = os.ReadFile(files[0])
		}
		return len(csv) > 0
	})
	if !strings.HasPrefix(string(csv), "calcts,") || !strings.Contains(string(csv), "sales") {
		t.Fatalf("CSV %.300q", csv)
	}
	// The calls reach CallsStat when the statistics job has folded their
	// ends: search again until both are there.
	waitFor(t, "both calls found", func() bool {
		do(t, ctx, "calls search", chromedp.Click(chromedp.CSS("#cs-search")),
			until(`!document.querySelector("#cs-message").textContent.startsWith("Searching")`))
		n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#cs-results tr").length`))
		if err == nil && n < 2 {
			time.Sleep(500 * time.Millisecond)
		}
		return err == nil && n >= 2
	})
	screenshot(t, ctx, "reports-calls")
	do(t, ctx, "dark reports", colorScheme("dark"), chromedp.Sleep(200*time.Millisecond))
	screenshot(t, ctx, "reports-dark")
	do(t, ctx, "light", colorScheme("light"))
	// Printed, the report is its title, charts and table: no navigation,
	// no form, no calls search.
	do(t, ctx, "print", printMedia(true), chromedp.Sleep(200*time.Millisecond),
		until(`getComputedStyle(document.querySelector("#rp-form")).display === "none"`),
		until(`getComputedStyle(document.querySelector("#top")).display === "none"`),
		until(`getComputedStyle(document.querySelector("#rp-title")).display === "block"`),
		until(`getComputedStyle(document.querySelector("#cs-form")).display === "none"`))
	screenshot(t, ctx, "reports-print")
	do(t, ctx, "screen", printMedia(false))
}

// printMedia makes the page lay out for print (or back for the screen).
func printMedia(on bool) chromedp.Action[chromedp.Void] {
	media := ""
	if on {
		media = "print"
	}
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: media})
		return err
	})
}

// js runs a script in the page.
func js(expr string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Evaluate[bool](expr)(ctx, t)
		return err
	})
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("never: %s", what)
}

// apiCalls reads GET /api/calls with the integration token.
func apiCalls(d *demo.Demo) ([]ccd.Call, error) {
	req, _ := http.NewRequest(http.MethodGet, d.URL+"/api/calls", nil)
	req.Header.Set("Authorization", "Bearer "+d.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var out []ccd.Call
	return out, json.NewDecoder(resp.Body).Decode(&out)
}

// apiJSON sends body to the REST API with the integration token and reads
// the answer into out (when not nil).
func apiJSON(t *testing.T, d *demo.Demo, method, path, body string, out any) {
	t.Helper()
	req, _ := http.NewRequest(method, d.URL+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+d.Token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, b)
	}
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatal(err)
		}
	}
}

// agentCalls maps each agent on a call to its channel.
func agentCalls(d *demo.Demo) (map[string]string, error) {
	calls, err := apiCalls(d)
	out := map[string]string{}
	for _, c := range calls {
		if c.Agent != "" {
			out[c.Agent] = c.Channel
		}
	}
	return out, err
}

func callPriority(t *testing.T, d *demo.Demo, id string) int {
	t.Helper()
	calls, err := apiCalls(d)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range calls {
		if c.ID == id {
			return c.Priority
		}
	}
	t.Fatalf("call %s not in /api/calls", id)
	return 0
}
