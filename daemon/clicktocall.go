package daemon

import (
	"context"
	"time"

	"github.com/ccdhq/ccd/api"
	"github.com/ccdhq/ccd/config"
	dc2c "github.com/ccdhq/ccd/dialplan/clicktocall"
	"github.com/ccdhq/ccd/integrations/clicktocall"
	"github.com/ccdhq/ccd/integrations/flexfone"
	"github.com/ccdhq/ccd/integrations/omnileads"
)

// clickToCall is the click-to-call part: the "clicktocall" Stasis
// application on the ACD's dispatcher, and the interfaces that start its
// calls (ccd's, OMniLeads makeCall, Flexfone MakeCall) with Flexfone's
// employee directory beside them, mounted by the REST component.
type clickToCall struct {
	w   *wiring
	app *dc2c.App
	svc *clicktocall.Service
}

func newClickToCall(w *wiring) component {
	w.clickToCall = &clickToCall{w: w}
	return w.clickToCall
}

func (c *clickToCall) Name() string { return "click-to-call" }

func (c *clickToCall) Start(ctx context.Context) error {
	w, l := c.w, c.w.acd.link
	cfg := w.cfg
	c.app = dc2c.New(dc2c.Config{ARI: l.client, App: cfg.ARI.Application, Owners: l.stasis, Queue: l.queue,
		Emit: w.events.writer.Add, Node: cfg.NodeName(), RingTimeout: cfg.ClickToCall.RingTimeout,
		AutoAnswer: w.live.mgr.AutoAnswer, Log: w.log.With("part", "clicktocall")})
	l.stasis.Register(dc2c.Entry, c.app)
	// ARI may have connected before the entry was registered: the legs
	// Asterisk kept in the application across a restart come back to it.
	if l.client.Status().Connected {
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		if chans, err := l.client.ListChannels(ctx); err == nil {
			l.stasis.Adopt(chans)
		}
	}
	c.svc = clicktocall.NewService(c.app, w.live.mgr.Current, l.queue, cfg.ClickToCall, cfg.PBX.InternalNumbers)
	return nil
}

// mount adds the routes; agents authenticates the Flexfone employee.
func (c *clickToCall) mount(srv *api.Server, agents *api.Agents, cfg config.Config) {
	if c == nil || c.svc == nil {
		return
	}
	clicktocall.Mount(srv, c.svc)
	omnileads.MountMakeCall(srv, c.svc)
	flexfone.MountMakeCall(srv, agents, c.svc, cfg.API.MaxBodyBytes)
	flexfone.MountDirectory(srv, agents, c.w.live.mgr.Current,
		flexfone.Credentials{Account: cfg.API.FlexfoneAccount, Hash: cfg.API.FlexfoneHash})
}

func (c *clickToCall) Close(context.Context) error { return nil }
