package webui_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

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
