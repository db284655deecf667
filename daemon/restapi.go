package daemon

import (
	"context"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/api"
	"github.com/ccdhq/ccd/integrations/omnileads"
	"github.com/ccdhq/ccd/integrations/optimus"
)

// restAPI is the REST interfaces component: it mounts the routes on the
// HTTP server, which serves them once every component has started. The
// agent and call control interfaces (ccd JSON, OMniLeads, Optimus) and the
// real-time views need the queue application: without the acd role they
// are not mounted, and the real-time statistics answer 503.
type restAPI struct {
	w     *wiring
	tasks tasks
}

func newRESTAPI(w *wiring) component { return &restAPI{w: w} }

func (r *restAPI) Name() string { return "rest api" }

func (r *restAPI) Start(ctx context.Context) error {
	w, srv, cfg := r.w, r.w.srv, r.w.cfg
	live := w.live.mgr
	var realtime api.LiveSource
	var agents *api.Agents
	// The web interface's users read the real-time views and administer
	// through the REST API (campaigns included) with their sessions.
	srv.GrantKinds(ccd.Supervisor, ccd.Admin)
	if w.acd != nil {
		auth := agentAuth(cfg, live)
		auth.Directory = w.sqlHooks.directory(auth.Directory)
		auth.Sessions = dbSessions{db: w.db, log: w.log}
		agents = srv.MountAgents(w.acd.queue(), auth)
		omnileads.Mount(srv, agents)
		optimus.Mount(srv, agents, optimus.Credentials{User: cfg.API.OptimusUser, Password: cfg.API.OptimusPassword})
		mountDialer(srv, agents, w.db, cfg)
		mountFlowAPIs(srv, agents, live, cfg)
		w.clickToCall.mount(srv, agents, cfg)
		w.preview.mount(srv)
		realtime = w.acd.queue()
	}
	srv.MountAdmin(live)
	srv.SetAgentQueues(live.AgentQueues) // an agent lists the callbacks of its queues
	srv.MountOpenAPI()
	views := srv.MountStats(statsReader{w.db}, realtime, cfg.Location(), nil)
	if views != nil { // nil: no credential may read statistics, the views are off
		views.ServiceLevelsFrom(func() map[string]time.Duration { return serviceLevels(live.Current()) })
	}
	omnileads.MountSupervision(srv, views)
	if agents != nil {
		runUI := mountWebUI(srv, cfg, agents, views, w.events.hub, live, w.events.writer.Add, w.db, w.log, w.spyForUI(), w.statsFolded)
		r.tasks.goRun(ctx, runUI)
	}
	return nil
}

func (r *restAPI) Close(context.Context) error {
	r.tasks.stop()
	return nil
}
