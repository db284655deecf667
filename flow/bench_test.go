package flow

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"
)

// BenchmarkMenuTransitions keeps 1,000 calls in a ring of menus and moves
// them one key at a time: every key is a node transition (leave, enter,
// prompt). Reported as transitions/s on one goroutine.
func BenchmarkMenuTransitions(b *testing.B) {
	fl := Flow{Name: "ring", Start: "m0"}
	const menus = 10
	for i := range menus {
		fl.Nodes = append(fl.Nodes, Node{ID: fmt.Sprintf("m%d", i), Menu: &Menu{Prompt: []string{"sound:p"},
			TimeoutDest: "hangup", InvalidDest: "hangup",
			Keys: map[string]string{"1": fmt.Sprintf("m%d", (i+1)%menus), "2": "queue:q"}}})
	}
	f, p := Compile(fl, 1, Refs{})
	if p != nil {
		b.Fatal(p)
	}
	calls := make([]*Call, 1000)
	env := Env{Now: time.Unix(0, 0)}
	for i := range calls {
		calls[i] = NewCall(f, NewProfile(map[string]string{FieldCallID: fmt.Sprint(i)}))
		calls[i].Step(env, Input{Kind: InStart})
	}
	digit := Input{Kind: InDigit, Digit: "1"}
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		calls[i%len(calls)].Step(env, digit)
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "transitions/s")
}

// BenchmarkHTTPModuleOverhead measures what a module adds to the remote
// service's own time: the service answers at once, and each module run is
// paired with a bare GET of the same answer on the same client (the
// remote's time as a client sees it). Reported: the module's share (template,
// steps, address check, reading and checking the answer, the action) as
// p50/p99 of module minus bare, and the engine's steps alone.
func BenchmarkHTTPModuleOverhead(b *testing.B) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("callerName=x&gotolocalnumber=2000&session=" + r.URL.Query().Get("i")))
	}))
	defer ts.Close()
	fl := Flow{Name: "h", Start: "h", Nodes: []Node{
		{ID: "h", HTTP: &HTTP{URL: ts.URL + "/x?i=[callerid]&s=[session]", Action: "dynamic", Goto: "hangup"}},
		{ID: "2000", Queue: &QueueDest{Code: "q"}}}}
	f, p := Compile(fl, 1, Refs{})
	if p != nil {
		b.Fatal(p)
	}
	fetch := NewFetcher()
	bare := func() {
		resp, err := fetch.Client.Get(ts.URL + "/x?i=86515151&s=")
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	env := Env{}
	var share, steps []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		bare()
		remote := time.Since(t0)
		t1 := time.Now()
		c := NewCall(f, NewProfile(map[string]string{FieldANI: "86515151"}))
		out := c.Step(env, Input{Kind: InStart})
		stepTime := time.Since(t1)
		req := out[len(out)-1]
		r := fetch.Do(context.Background(), fl.Nodes[0].HTTP.URL, req.Request)
		t2 := time.Now()
		c.Step(env, Input{Kind: InHTTP, ID: req.ID, HTTP: r})
		stepTime += time.Since(t2)
		if !c.Done() {
			b.Fatal("not done")
		}
		share = append(share, max(time.Since(t1)-remote, 0))
		steps = append(steps, stepTime)
	}
	b.StopTimer()
	slices.Sort(share)
	slices.Sort(steps)
	b.ReportMetric(float64(share[len(share)/2].Microseconds()), "share-p50-µs")
	b.ReportMetric(float64(share[len(share)*99/100].Microseconds()), "share-p99-µs")
	b.ReportMetric(float64(steps[len(steps)/2].Microseconds()), "steps-p50-µs")
	b.ReportMetric(float64(steps[len(steps)*99/100].Microseconds()), "steps-p99-µs")
}
