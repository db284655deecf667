package webui_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/ccdhq/ccd/demo"
	"github.com/ccdhq/ccd/internal/daemontest"
	"github.com/ccdhq/ccd/internal/pgtest"
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
	tb.Helper()
	d, err := demo.Start(context.Background(), demo.Options{Listen: daemontest.FreeAddr(tb), DatabaseURL: pgtest.NewEmptyDB(tb),
		Agents: 4, Quiet: true, UserCost: 4})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = d.Stop() })
	return d
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
	// Thresholds come from the address: one waiting caller is red here.
	do(t, ctx, "thresholds", chromedp.Navigate(d.URL+"/ui/#wallboard?waiting_amber=1&waiting_red=1"),
		until(`document.querySelector("#wb-q-sales-waiting").dataset.level === "red"`))
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
