package daemon

import (
	"context"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/dialplan/spy"
	"github.com/ccdhq/ccd/webui"
)

// supervision is the "spy" Stasis application beside the queue: the
// supervisor console's listen, whisper and barge (snoop channels on the
// agents' channels bridged to the supervisors' phones).
type supervision struct {
	w   *wiring
	app *spy.App
}

func newSupervision(w *wiring) component {
	w.spy = &supervision{w: w}
	return w.spy
}

func (s *supervision) Name() string { return "supervision" }

func (s *supervision) Start(context.Context) error {
	l := s.w.acd.link
	s.app = spy.New(spy.Config{ARI: l.client, App: s.w.cfg.ARI.Application, Owners: l.stasis, Log: s.w.log.With("part", "spy")})
	l.stasis.Register(spy.Entry, s.app)
	return nil
}

func (s *supervision) Close(context.Context) error { return nil }

// Spy implements webui.Spy.
func (s *supervision) Spy(ctx context.Context, agentChannel, mode, endpoint string) (string, error) {
	if s.app == nil {
		return "", &ccd.Error{Code: ccd.EUNAVAILABLE, Message: "the ACD is not running in this ccd"}
	}
	sess, err := s.app.Spy(ctx, agentChannel, mode, endpoint)
	return sess.Snoop, err
}

// spyForUI is the spy application for the web interface, nil without the
// acd role.
func (w *wiring) spyForUI() webui.Spy {
	if w.spy == nil {
		return nil
	}
	return w.spy
}
