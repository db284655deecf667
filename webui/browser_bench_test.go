package webui_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/ccdhq/ccd/ari/aritest"
	"github.com/ccdhq/ccd/demo"
	"github.com/chromedp/chromedp"
)

// pageEntries are the page and the files it loads by itself (not its API
// requests nor the event stream), as the browser's performance timeline
// has them.
const pageEntries = `performance.getEntriesByType("navigation").concat(
  performance.getEntriesByType("resource").filter((e) => e.initiatorType === "script" || e.initiatorType === "link"))`

// BenchmarkWallboardUpdate measures, in Chromium against ccd in demo mode,
// the time from a change in the ACD (a caller arriving on the ARI
// simulation, then hanging up) to the wallboard's waiting tile showing it,
// as p50 and p99 in milliseconds; and the first page load: bytes
// transferred and time to the load event.
//
//	go run ./internal/tools/withpg -- go test -run '^$' -bench WallboardUpdate -benchtime 100x ./webui/
func BenchmarkWallboardUpdate(b *testing.B) {
	ctx := browser(b)
	d := startDemo(b)
	sup := credential(b, d, "supervisor")
	do(b, ctx, "supervisor on the wallboard", login(d, sup.User, sup.Password),
		chromedp.WaitVisible(chromedp.CSS("#wb-total-waiting .value")), until(text("#wb-total-waiting .value")+` === "0"`))
	bytes, err := chromedp.Run(ctx, chromedp.Evaluate[float64](pageEntries+`.reduce((n, e) => n + e.transferSize, 0)`))
	if err != nil {
		b.Fatal(err)
	}
	loadMS, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`performance.getEntriesByType("navigation")[0].loadEventEnd`))
	if err != nil {
		b.Fatal(err)
	}
	// Every change of the tile's text, with the browser's clock (the same
	// machine's as the test's).
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => {
  window.benchSeen = []; let last = null;
  new MutationObserver(() => {
    const t = document.querySelector("#wb-total-waiting .value");
    if (t && t.textContent !== last) { last = t.textContent; window.benchSeen.push([last, Date.now()]); }
  }).observe(document.getElementById("wb-total"), {childList: true, subtree: true, characterData: true});
  return true;
})()`)); err != nil {
		b.Fatal(err)
	}
	seen := func(value string, since time.Time) time.Duration {
		b.Helper()
		t0 := since.UnixMilli()
		at, err := chromedp.Run(ctx, chromedp.Poll[float64](fmt.Sprintf(
			`(() => { const e = window.benchSeen.find(([v, t]) => v === %q && t >= %d); return e ? e[1] : false; })()`, value, t0),
			chromedp.WithPollingTimeout(10*time.Second)))
		if err != nil {
			b.Fatalf("waiting tile never showed %s: %v", value, err)
		}
		return time.Duration(at-float64(t0)) * time.Millisecond
	}
	var lat []time.Duration
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		caller, err := d.Load.Call("5550100")
		if err != nil {
			b.Fatal(err)
		}
		lat = append(lat, seen("1", start))
		start = time.Now()
		if err := caller.Hangup(16); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, seen("0", start))
	}
	b.StopTimer()
	slices.Sort(lat)
	pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))]) / float64(time.Millisecond) }
	b.ReportMetric(pct(0.5), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(float64(lat[len(lat)-1])/float64(time.Millisecond), "max-ms")
	b.ReportMetric(bytes, "page-bytes")
	b.ReportMetric(loadMS, "page-load-ms")
}

// BenchmarkAgentAnsweredFigure measures, in Chromium against ccd in demo
// mode, the time from the agent console showing a call answered (the state
// "On call") to its "Calls answered" figure of the day counting it: the
// statistics job's fold, announced to the live views. p50 and p99 in
// milliseconds; the refresh is an hour, so only the events and the
// statistics job push.
//
//	go run ./internal/tools/withpg -- go test -run '^$' -bench AgentAnsweredFigure -benchtime 30x ./webui/
func BenchmarkAgentAnsweredFigure(b *testing.B) {
	ctx := browser(b)
	d := quietDemo(b, demo.Options{Agents: 1, UIRefresh: time.Hour}, nil)
	d.Sim.SetEndpoint("PJSIP/1001", aritest.Behavior{Action: aritest.EndpointAnswer, Delay: 20 * time.Millisecond})
	agent := credential(b, d, "1001")
	do(b, ctx, "the agent is ready", login(d, agent.User, agent.Password),
		chromedp.WaitVisible(chromedp.CSS("#view-agent")), chromedp.Click(chromedp.CSS("#ag-login")),
		until(`document.querySelector("#ag-state").dataset.state === "ready"`))
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => {
  window.benchSeen = []; let state = null, answered = null;
  new MutationObserver(() => {
    const s = document.querySelector("#ag-state").dataset.state, a = document.querySelector("#ag-today-answered").textContent;
    if (s !== state) { state = s; window.benchSeen.push(["state:" + s, Date.now()]); }
    if (a !== answered) { answered = a; window.benchSeen.push(["answered:" + a, Date.now()]); }
  }).observe(document.getElementById("view-agent"), {childList: true, subtree: true, characterData: true, attributes: true});
  return true;
})()`)); err != nil {
		b.Fatal(err)
	}
	at := func(what string, since int64) int64 {
		b.Helper()
		t, err := chromedp.Run(ctx, chromedp.Poll[float64](fmt.Sprintf(
			`(() => { const e = window.benchSeen.find(([v, t]) => v === %q && t >= %d); return e ? e[1] : false; })()`, what, since),
			chromedp.WithPollingTimeout(10*time.Second)))
		if err != nil {
			b.Fatalf("never %s: %v", what, err)
		}
		return int64(t)
	}
	var lat []time.Duration
	b.ResetTimer()
	for i := range b.N {
		start := time.Now().UnixMilli()
		caller, err := d.Load.Call("5550100")
		if err != nil {
			b.Fatal(err)
		}
		onCall := at("state:on_call", start)
		lat = append(lat, time.Duration(at(fmt.Sprintf("answered:%d", i+1), start)-onCall)*time.Millisecond)
		if err := caller.Hangup(16); err != nil {
			b.Fatal(err)
		}
		do(b, ctx, "ready again", until(`document.querySelector("#ag-state").dataset.state === "wrap_up"`),
			chromedp.Click(chromedp.CSS("#ag-ready")), until(`document.querySelector("#ag-state").dataset.state === "ready"`))
	}
	b.StopTimer()
	slices.Sort(lat)
	pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))]) / float64(time.Millisecond) }
	b.ReportMetric(pct(0.5), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(float64(lat[len(lat)-1])/float64(time.Millisecond), "max-ms")
}
