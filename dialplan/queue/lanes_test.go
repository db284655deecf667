package queue

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/ccdhq/ccd/ari/aritest"
)

// stalledAnswers holds every answer of a caller until released, as an Asterisk
// busy answering a burst of callers would; the other requests pass.
type stalledAnswers struct {
	base    http.RoundTripper
	release chan struct{}
	mu      sync.Mutex
	rang    []string // app args of the originates seen
}

func (s *stalledAnswers) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/answer") {
		<-s.release
	}
	if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/channels") {
		s.mu.Lock()
		s.rang = append(s.rang, r.URL.Query().Get("appArgs"))
		s.mu.Unlock()
	}
	return s.base.RoundTrip(r)
}

func (s *stalledAnswers) originates() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.rang...)
}

// Ringing an agent does not wait for the callers' media: with every worker
// stuck answering callers, the agent is still rung for the first of them.
func TestOfferDoesNotWaitForCallersAnswers(t *testing.T) {
	sim := aritest.NewSim()
	defer sim.Close()
	stall := &stalledAnswers{base: http.DefaultTransport.(*http.Transport).Clone(), release: make(chan struct{})}
	released := sync.OnceFunc(func() { close(stall.release) })
	defer released()
	ariCfg := sim.Config("ccd")
	ariCfg.HTTPClient = &http.Client{Transport: stall}
	e := loadWith(t, sim, ariCfg, testACD(), nil, nil, nil)
	e.reconcile()
	t.Cleanup(released) // before the application stops: its workers wait for the answers
	e.login("a1")
	// More callers than workers, all answered at once.
	for i := 0; i < 12; i++ {
		e.caller(fmt.Sprint("c", i), "100")
	}
	until(t, "a1 is rung for the first caller while the answers are stuck", func() bool {
		o := stall.originates()
		return len(o) == 1 && o[0] == "agent,c0"
	})
}
