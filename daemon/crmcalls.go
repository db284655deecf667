package daemon

import (
	"context"
)

// crmCallsPart makes the queue act on what a CRM answers for a call (the
// Call Start SQL hook's call.crm_data, the SIP headers a call came in
// with): required skills, recording, the default transfer number. It
// follows this process's event fan-out, so it hears the SQL hooks run by
// the same ccd (the usual case: one ccd holds both locks).
type crmCallsPart struct {
	w     *wiring
	tasks tasks
}

func newCRMCalls(w *wiring) component { return &crmCallsPart{w: w} }

func (c *crmCallsPart) Name() string { return "crm call data" }

func (c *crmCallsPart) Start(ctx context.Context) error {
	app, hub := c.w.acd.queue(), c.w.events.hub
	c.tasks.goRun(ctx, func(ctx context.Context) { app.FollowCRMData(ctx, hub) })
	return nil
}

func (c *crmCallsPart) Close(context.Context) error {
	c.tasks.stop()
	return nil
}
