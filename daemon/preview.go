package daemon

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/api"
	ddialer "github.com/ccdhq/ccd/dialplan/dialer"
	"github.com/ccdhq/ccd/integrations/preview"
)

// previewPart lets agents work preview campaigns: it rings the agent, then
// the target, through the click-to-call application, records the attempts
// like the dialer's, and releases the targets held too long. It runs with
// the dialer (dialer.dial_endpoint, the acd role) once this ccd leads; its
// routes answer 503 until then.
type previewPart struct {
	w     *wiring
	svc   atomic.Pointer[ddialer.Preview]
	tasks tasks
}

// previewExpiry is how often held targets are checked for their time.
const previewExpiry = time.Second

func newPreview(w *wiring) component {
	w.preview = &previewPart{w: w}
	return w.preview
}

func (p *previewPart) Name() string { return "preview" }

func (p *previewPart) Start(ctx context.Context) error {
	w, cfg := p.w, p.w.cfg.Dialer
	if w.acd == nil || cfg.DialEndpoint == "" || w.clickToCall == nil || w.clickToCall.app == nil {
		return nil
	}
	l := w.acd.link
	p.tasks.goRun(ctx, func(ctx context.Context) {
		db, ok := waitToLead(ctx, w)
		if !ok {
			return
		}
		// The dialer's metrics count the preview attempts too.
		count := func(r ddialer.Result) {
			if w.dialer != nil && w.dialer.attempts != nil {
				w.dialer.count(db, r)
			}
		}
		recorder := ddialer.NewRunner(ddialer.RunnerConfig{Store: db, Emit: w.events.writer.Add, Node: w.cfg.NodeName(), Log: w.log,
			Results: count})
		svc := ddialer.NewPreview(ddialer.PreviewConfig{Store: db, Agents: l.queue, Calls: w.clickToCall.app, Recorder: recorder,
			Serves:   func(agent, queue string) bool { return w.live.mgr.Current().Spec().Serves(agent, queue) },
			Endpoint: cfg.DialEndpoint, Hold: !cfg.InboundFirst, Emit: w.events.writer.Add, Node: w.cfg.NodeName(), Log: w.log})
		p.svc.Store(svc)
		svc.Run(ctx, previewExpiry)
	})
	return nil
}

// mount adds the routes (with the acd role).
func (p *previewPart) mount(srv *api.Server) {
	if p == nil || p.w.acd == nil {
		return
	}
	preview.Mount(srv, p.w.acd.queue(), func() (preview.Service, error) {
		if svc := p.svc.Load(); svc != nil {
			return svc, nil
		}
		if p.w.cfg.Dialer.DialEndpoint == "" {
			return nil, &ccd.Error{Code: ccd.EUNAVAILABLE, Message: "preview campaigns need the dialer: set dialer.dial_endpoint"}
		}
		return nil, &ccd.Error{Code: ccd.EUNAVAILABLE, Message: "the dialer is starting (database, ACD lock); retry"}
	})
}

func (p *previewPart) Close(context.Context) error {
	p.tasks.stop()
	return nil
}
