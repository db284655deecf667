package flow

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/ari"
	"github.com/ccdhq/ccd/config"
	"github.com/ccdhq/ccd/flow"
)

// Sounds refuses a flow saved through the admin API that names a sound
// (sound:x, GET /sounds/x) or a recording (recording:x, GET
// /recordings/stored/x, which the sound uploads are) Asterisk does not
// have: Asterisk's 404 is the answer. When Asterisk is not connected, or
// does not answer, the flow is saved all the same (an outage must not
// block the administration) and checked again once Asterisk is back
// (Recheck), each missing sound a warning in the log.
type Sounds struct {
	ARI *ari.Client
	Log *slog.Logger

	mu        sync.Mutex
	unchecked map[string]bool // flows saved without their sounds checked
}

// soundTimeout bounds one question to Asterisk while a flow is saved.
const soundTimeout = 2 * time.Second

// Vet is a liveconf.Vetter: the saved flow's sounds must exist.
func (s *Sounds) Vet(ctx context.Context, next *config.ACD, kind ccd.ConfigKind, i int) error {
	if kind != ccd.ConfigFlow || i < 0 || i >= len(next.Flows) {
		return nil
	}
	f := &next.Flows[i]
	if !s.ARI.Status().Connected {
		s.log().Warn("a flow is saved without checking its sounds: Asterisk is not connected; they are checked when it is",
			"flow", f.Name)
		s.later(f.Name, true)
		return nil
	}
	problems, unknown := s.missing(ctx, f)
	s.later(f.Name, unknown)
	if unknown {
		s.log().Warn("a flow is saved without checking all its sounds: Asterisk did not answer; they are checked again",
			"flow", f.Name)
	}
	var errs []error
	for _, p := range problems {
		errs = append(errs, config.FlowError(i, f, p))
	}
	return errors.Join(errs...)
}

// Pending tells whether flows wait for their sounds to be checked.
func (s *Sounds) Pending() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.unchecked) > 0
}

// Recheck checks the sounds of the flows saved while Asterisk could not
// answer (flows are the running ones) and logs each that is missing; a
// flow whose sounds could all be asked about is done.
func (s *Sounds) Recheck(ctx context.Context, flows []flow.Flow) {
	if !s.ARI.Status().Connected || !s.Pending() {
		return
	}
	for i := range flows {
		f := &flows[i]
		s.mu.Lock()
		pending := s.unchecked[f.Name]
		s.mu.Unlock()
		if !pending {
			continue
		}
		problems, unknown := s.missing(ctx, f)
		for _, p := range problems {
			s.log().Warn("a flow names a sound Asterisk does not have: callers will not hear it",
				"flow", f.Name, "node", p.Node, "field", p.Field, "problem", p.Problem)
		}
		s.later(f.Name, unknown)
	}
	s.mu.Lock()
	for name := range s.unchecked {
		if !slices.ContainsFunc(flows, func(f flow.Flow) bool { return f.Name == name }) {
			delete(s.unchecked, name) // removed meanwhile
		}
	}
	s.mu.Unlock()
}

// missing are the problems of f's media that Asterisk does not have;
// unknown says some could not be asked about.
func (s *Sounds) missing(ctx context.Context, f *flow.Flow) (problems []*flow.Problem, unknown bool) {
	exists := func(uri string) bool {
		ok, err := s.exists(ctx, uri)
		if err != nil {
			unknown = true
			return true
		}
		return ok
	}
	// The other names (queues, switches...) were validated already, against
	// the configuration: what the sounds add is what this check finds.
	before := map[flow.Problem]bool{}
	for _, p := range flow.Validate(f, flow.Refs{}) {
		before[*p] = true
	}
	for _, p := range flow.Validate(f, flow.Refs{Sound: exists}) {
		if !before[*p] {
			problems = append(problems, p)
		}
	}
	return problems, unknown
}

func (s *Sounds) exists(ctx context.Context, uri string) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, soundTimeout)
	defer cancel()
	kind, name, _ := strings.Cut(uri, ":")
	var err error
	switch kind {
	case "sound":
		_, err = s.ARI.Sound(ctx, name)
	case "recording":
		_, err = s.ARI.StoredRecording(name).Get(ctx)
	default:
		return true, nil
	}
	switch {
	case err == nil:
		return true, nil
	case ari.IsNotFound(err):
		return false, nil
	}
	return false, err
}

func (s *Sounds) later(name string, pending bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.unchecked == nil {
		s.unchecked = map[string]bool{}
	}
	if pending {
		s.unchecked[name] = true
	} else {
		delete(s.unchecked, name)
	}
}

func (s *Sounds) log() *slog.Logger {
	if s.Log == nil {
		return slog.Default()
	}
	return s.Log
}
