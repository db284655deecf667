package aritest

import (
	"time"

	"github.com/ccdhq/ccd/ari"
)

// DialplanStep is what a simulated dialplan context does with a channel
// that continues into it from Stasis (POST /channels/{id}/continue): after
// Delay it sets Vars, in order, as applications such as AMD() do (a
// ChannelVarset for each, to the applications still subscribed to the
// channel), then runs Stasis(App, Args...). With no App the dialplan ends:
// the channel hangs up (cause 16), as after Hangup().
type DialplanStep struct {
	Delay time.Duration
	Vars  [][2]string // name, value
	App   string
	Args  []string
}

// AddContext simulates a dialplan context: channels continued into it run
// the step step returns for them (it gets the channel as it left Stasis,
// with the variables set on it, e.g. at the originate).
func (s *Sim) AddContext(context string, step func(ch ari.Channel, vars map[string]string) DialplanStep) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.contexts == nil {
		s.contexts = map[string]func(ari.Channel, map[string]string) DialplanStep{}
	}
	s.contexts[context] = step
}

// runContext starts the simulated dialplan of a channel that left Stasis
// for its context; called with the lock held.
func (s *Sim) runContext(c *simChan) {
	f := s.contexts[c.snap.Dialplan.Context]
	if f == nil {
		return
	}
	vars := make(map[string]string, len(c.vars))
	for k, v := range c.vars {
		vars[k] = v
	}
	step := f(c.snapshot(), vars)
	id := c.snap.ID
	s.after(step.Delay, func() {
		if x := s.channels[id]; x != c || c.gone || c.stasisApp != "" {
			return // hung up meanwhile, or taken by someone else
		}
		for _, kv := range step.Vars {
			c.vars[kv[0]] = kv[1]
			s.emit(&ari.ChannelVarset{Timestamp: now(), Variable: kv[0], Value: kv[1], Channel: ptr(c.snapshot())})
		}
		if step.App == "" || !s.enterStasis(c, step.App, step.Args) {
			s.hangup(c, 16, 16, false)
		}
	})
}
