package flow

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ccdhq/ccd/ari"
	"github.com/ccdhq/ccd/ari/aritest"
	"github.com/ccdhq/ccd/dialplan/stasis"
	"github.com/ccdhq/ccd/flow"
)

// stamps records when the ARI client sends requests and gets their answers.
type stamps struct {
	mu   sync.Mutex
	next http.RoundTripper
	log  []stamp
}

type stamp struct {
	method, path string
	sent, answer time.Time
}

func (s *stamps) RoundTrip(r *http.Request) (*http.Response, error) {
	sent := time.Now()
	resp, err := s.next.RoundTrip(r)
	s.mu.Lock()
	s.log = append(s.log, stamp{r.Method, r.URL.Path + "?" + r.URL.RawQuery, sent, time.Now()})
	s.mu.Unlock()
	return resp, err
}

func (s *stamps) find(method, part string) (stamp, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := len(s.log) - 1; i >= 0; i-- {
		if s.log[i].method == method && strings.Contains(s.log[i].path, part) {
			return s.log[i], true
		}
	}
	return stamp{}, false
}

// BenchmarkDTMFToNextPrompt measures ccd's share of the time from a key
// the caller presses to the next menu's prompt starting: from the
// dispatcher's receiving ChannelDtmfReceived to the ARI request that stops
// the prompt, plus from Asterisk's answer to it to the request that plays
// the next one (Asterisk's own time between is left out). A ring of menus
// on the ARI simulation; one iteration is one key.
func BenchmarkDTMFToNextPrompt(b *testing.B) {
	sim := aritest.NewSim()
	defer sim.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st := &stamps{next: http.DefaultTransport.(*http.Transport).Clone()}
	cfg := sim.Config("ccd")
	cfg.HTTPClient = &http.Client{Transport: st}
	client, err := ari.Connect(ctx, cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = client.Close() }()
	if err := sim.WaitConnected(ctx, "ccd"); err != nil {
		b.Fatal(err)
	}
	ring := flow.Flow{Name: "ring", Start: "m0"}
	for i := range 10 {
		ring.Nodes = append(ring.Nodes, flow.Node{ID: fmt.Sprintf("m%d", i), Menu: &flow.Menu{Prompt: []string{"sound:p"},
			TimeoutDest: "hangup", InvalidDest: "hangup", Timeout: time.Hour, Keys: map[string]string{"1": fmt.Sprintf("m%d", (i+1)%10)}}})
	}
	compiled, p := flow.Compile(ring, 1, flow.Refs{})
	if p != nil {
		b.Fatal(p)
	}
	d := stasis.New(stasis.Config{Default: "flow"})
	app := New(Config{ARI: client, Owners: d, Flows: func(string) (*flow.Compiled, bool) { return compiled, true }})
	d.Register("flow", app)
	go app.Run(ctx)
	caller, err := sim.NewCaller(aritest.CallerOptions{Args: []string{"flow", "ring"}, Endpoint: "PJSIP/trunk", Number: "1"})
	if err != nil {
		b.Fatal(err)
	}
	snap, _ := caller.Snapshot()
	d.Dispatch(&ari.StasisStart{Args: []string{"flow", "ring"}, Channel: snap})
	waitPlay := func(n int) stamp {
		id := playbackID(caller.ID(), 0, n)
		for {
			if s, ok := st.find("POST", "playbackId="+id); ok {
				return s
			}
			time.Sleep(20 * time.Microsecond)
		}
	}
	waitPlay(1)
	var shares []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		d.Dispatch(&ari.ChannelDtmfReceived{Digit: "1", Channel: snap})
		play := waitPlay(i + 2)
		stop, ok := st.find("DELETE", "/playbacks/"+playbackID(caller.ID(), 0, i+1)+"?")
		if !ok {
			b.Fatal("the prompt was not stopped")
		}
		shares = append(shares, stop.sent.Sub(t0)+play.sent.Sub(stop.answer))
	}
	b.StopTimer()
	slices.Sort(shares)
	b.ReportMetric(float64(shares[len(shares)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(shares[len(shares)*99/100].Microseconds()), "p99-µs")
}
