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

// requestLog records the paths of the REST requests the application sends.
type requestLog struct {
	base  http.RoundTripper
	mu    sync.Mutex
	paths []string
}

func (l *requestLog) RoundTrip(r *http.Request) (*http.Response, error) {
	l.mu.Lock()
	l.paths = append(l.paths, r.Method+" "+r.URL.Path)
	l.mu.Unlock()
	return l.base.RoundTrip(r)
}

func (l *requestLog) count(request string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, p := range l.paths {
		if p == request {
			n++
		}
	}
	return n
}

// A caller the dialplan answered before Stasis() is not answered again (in a
// burst, one request less per caller for Asterisk while it creates the agents'
// channels); a caller still ringing is answered. Both hear the queue's music.
func TestAnsweredCallerIsNotAnsweredAgain(t *testing.T) {
	sim := aritest.NewSim()
	defer sim.Close()
	reqs := &requestLog{base: http.DefaultTransport.(*http.Transport).Clone()}
	ariCfg := sim.Config("ccd")
	ariCfg.HTTPClient = &http.Client{Transport: reqs}
	e := loadWith(t, sim, ariCfg, testACD(), nil, nil, nil)
	e.reconcile()
	up, err := sim.NewCaller(aritest.CallerOptions{Args: []string{"inbound", "100"}, Number: "5550up", ChannelID: "up",
		Endpoint: "PJSIP/trunk", Answered: true})
	if err != nil {
		t.Fatal(err)
	}
	ringing := e.caller("ringing", "100")
	until(t, "both callers hear the queue's music", func() bool {
		upMOH, _ := up.MOH()
		ringingMOH, _ := ringing.MOH()
		return upMOH && ringingMOH
	})
	if n := reqs.count("POST /ari/channels/up/answer"); n != 0 {
		t.Fatalf("the answered caller was answered %d times again", n)
	}
	if n := reqs.count("POST /ari/channels/ringing/answer"); n != 1 {
		t.Fatalf("the ringing caller was answered %d times", n)
	}
}
