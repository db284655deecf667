package queue

import (
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ccdhq/ccd/acd"
	"github.com/ccdhq/ccd/ari/aritest"
	"github.com/ccdhq/ccd/config"
)

// originateClock stamps when Asterisk has created each agent channel: the
// answer to the originate request that rings the agent for a call.
type originateClock struct {
	base http.RoundTripper
	mu   sync.Mutex
	at   map[string]time.Time // call id -> agent channel created
}

func (o *originateClock) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := o.base.RoundTrip(r)
	if err == nil && r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/channels") {
		if call, ok := strings.CutPrefix(r.URL.Query().Get("appArgs"), "agent,"); ok {
			now := time.Now()
			o.mu.Lock()
			if _, seen := o.at[call]; !seen {
				o.at[call] = now
			}
			o.mu.Unlock()
		}
	}
	return resp, err
}

func (o *originateClock) reset() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.at = map[string]time.Time{}
}

func (o *originateClock) get(call string) (time.Time, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	t, ok := o.at[call]
	return t, ok
}

// burstACD is one queue and five agents whose phones ring until the caller
// gives up.
func burstACD() config.ACD {
	cfg := config.ACD{DefaultExtension: "0",
		Routes: []config.Route{{DNIS: "100", Queue: "q"}},
		Queues: []config.Queue{{Code: "q", RingTimeout: time.Minute, MOHClass: "default", Greeting: "sound:hello"}}}
	for i := 1; i <= 5; i++ {
		cfg.Agents = append(cfg.Agents, config.Agent{ID: fmt.Sprint("b", i), Endpoint: fmt.Sprint("PJSIP/90", i)})
	}
	return cfg
}

// BenchmarkBurstOffer measures a burst of 60 callers entering a queue with 5
// free agents, from each caller's entry into the Stasis application to the
// creation of the agent channel that rings for it (the 5 first offers of each
// burst), on the ARI simulation. One iteration is one burst:
//
//	go test -run '^$' -bench BurstOffer -benchtime 60x ./dialplan/queue/
func BenchmarkBurstOffer(b *testing.B) {
	sim := aritest.NewSim()
	defer sim.Close()
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 32 // as the ari client keeps by default
	clock := &originateClock{base: tr, at: map[string]time.Time{}}
	ariCfg := sim.Config("ccd")
	ariCfg.HTTPClient = &http.Client{Transport: clock}
	e := loadWith(b, sim, ariCfg, burstACD(), nil, nil, nil)
	e.reconcile()
	for i := 1; i <= 5; i++ {
		e.login(fmt.Sprint("b", i))
	}
	const callers = 60
	var samples []time.Duration
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		clock.reset()
		entered := make(map[string]time.Time, callers)
		var chans []*aritest.SimChannel
		for i := 0; i < callers; i++ {
			id := fmt.Sprintf("burst%d-%d", n, i)
			entered[id] = time.Now()
			c, err := sim.NewCaller(aritest.CallerOptions{Args: []string{"inbound", "100"}, Number: "555" + fmt.Sprint(i), ChannelID: id,
				Endpoint: "PJSIP/trunk"})
			if err != nil {
				b.Fatal(err)
			}
			chans = append(chans, c)
		}
		var offered []string
		until(b, "five agents ring", func() bool {
			offered = offered[:0]
			for id := range entered {
				if _, ok := clock.get(id); ok {
					offered = append(offered, id)
				}
			}
			return len(offered) == 5
		})
		for _, id := range offered {
			at, _ := clock.get(id)
			samples = append(samples, at.Sub(entered[id]))
		}
		b.StopTimer()
		for _, c := range chans {
			_ = c.Hangup(16)
		}
		until(b, "the burst is over and the agents are ready", func() bool {
			calls, _ := e.app.Calls(e.ctx)
			agents, _ := e.app.Agents(e.ctx)
			for _, a := range agents {
				if a.State != acd.Ready {
					return false
				}
			}
			return len(calls) == 0 && e.app.workers.idle()
		})
		time.Sleep(100 * time.Millisecond) // the last events of the hang-ups, on the simulation's side too
		b.StartTimer()
	}
	b.StopTimer()
	slices.Sort(samples)
	p := func(q float64) float64 {
		return float64(samples[min(int(q*float64(len(samples))), len(samples)-1)]) / float64(time.Millisecond)
	}
	b.ReportMetric(p(0.5), "p50-ms")
	b.ReportMetric(p(0.99), "p99-ms")
	b.ReportMetric(float64(samples[len(samples)-1])/float64(time.Millisecond), "max-ms")
	if os.Getenv("CCD_BURST_SAMPLES") != "" {
		fmt.Fprintln(os.Stderr, "burst samples (ms):", samples)
	}
}
