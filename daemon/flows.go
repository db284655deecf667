package daemon

import (
	"context"
	"log/slog"
	"regexp"
	"strings"
	"sync/atomic"

	"github.com/ccdhq/ccd/api"
	"github.com/ccdhq/ccd/ari"
	"github.com/ccdhq/ccd/config"
	dflow "github.com/ccdhq/ccd/dialplan/flow"
	"github.com/ccdhq/ccd/dialplan/inbound"
	"github.com/ccdhq/ccd/dialplan/queue"
	"github.com/ccdhq/ccd/dialplan/stasis"
	"github.com/ccdhq/ccd/eventlog"
	"github.com/ccdhq/ccd/flow"
	"github.com/ccdhq/ccd/integrations/crmdb"
	"github.com/ccdhq/ccd/integrations/flexfone"
	"github.com/ccdhq/ccd/liveconf"
	"github.com/ccdhq/ccd/metrics"
)

// flowLink runs the call flows: the "flow" Stasis application, and the
// flows and switches it reads, swapped whole on every change of the live
// configuration (a call keeps the compiled flow it started with).
type flowLink struct {
	app     *dflow.App
	dbs     *crmdb.FlowDatabases // the database steps' CRM databases (acd.databases, from the file)
	version atomic.Int64
	set     atomic.Pointer[flowSet]
}

type flowSet struct {
	flows    map[string]*flow.Compiled
	switches map[string]flow.Switch
	agents   map[string]string // agent -> number it is dialled at directly
}

// newFlowLink builds the flow application, registers it on the dispatcher
// and makes it the inbound router's target for routes that name a flow.
func newFlowLink(cfg config.Config, client *ari.Client, d *stasis.Dispatcher, q *queue.App, router *inbound.Router,
	emit func(eventlog.Event) error, log *slog.Logger) (*flowLink, error) {
	dbs, err := crmdb.OpenFlowDatabases(cfg.ACD.Databases, nil)
	if err != nil {
		return nil, err
	}
	l := &flowLink{dbs: dbs}
	if err := l.apply(cfg.ACD); err != nil {
		dbs.Close()
		return nil, err
	}
	l.app = dflow.New(dflow.Config{ARI: client, Owners: d, Queue: q, Flows: l.flow, Switches: l.switchState,
		AgentNumber: l.agentNumber, Location: cfg.Location(), TransferContext: cfg.ACD.TransferContext, Databases: dbs,
		Emit: emit, Node: cfg.NodeName(), Log: log})
	d.Register("flow", l.app)
	router.SetFlows(l.app)
	return l, nil
}

// apply makes the configuration's flows and switches the running ones.
func (l *flowLink) apply(acd config.ACD) error {
	flows, err := acd.CompileFlowsChecked(l.version.Add(1), l.dbs.Check)
	if err != nil {
		return err
	}
	set := &flowSet{flows: flows, switches: map[string]flow.Switch{}, agents: map[string]string{}}
	for _, s := range acd.Switches {
		set.switches[s.Localnumber] = s
	}
	for _, ag := range acd.Agents {
		set.agents[ag.ID] = extensionOf(ag.DefaultEndpoint())
	}
	l.set.Store(set)
	return nil
}

func (l *flowLink) flow(name string) (*flow.Compiled, bool) {
	f, ok := l.set.Load().flows[name]
	return f, ok
}

func (l *flowLink) switchState(n string) (flow.Switch, bool) {
	s, ok := l.set.Load().switches[n]
	return s, ok
}

func (l *flowLink) agentNumber(agent string) string { return l.set.Load().agents[agent] }

var digitsOnly = regexp.MustCompile(`^[0-9]{1,16}$`)

// extensionOf is the number of an endpoint such as PJSIP/1001 ("" when its
// resource is not a number): what the transfer context dials.
func extensionOf(endpoint string) string {
	_, res, ok := strings.Cut(endpoint, "/")
	if !ok || !digitsOnly.MatchString(res) {
		return ""
	}
	return res
}

// mountFlowAPIs adds the switch toggle (ccd's) and Flexfone's variable
// call flow interface.
func mountFlowAPIs(srv *api.Server, agents *api.Agents, live *liveconf.Manager, cfg config.Config) {
	srv.MountSwitches(live)
	flexfone.Mount(srv, agents, live, flexfone.Credentials{Account: cfg.API.FlexfoneAccount, Hash: cfg.API.FlexfoneHash})
}

func registerFlowMetrics(m *metrics.Metrics, app *dflow.App) {
	st := &app.Stats
	for _, c := range []struct {
		name, help string
		v          *atomic.Int64
	}{
		{"ccd_flow_calls_total", "Calls that entered a call flow.", &st.Calls},
		{"ccd_flow_transitions_total", "Nodes entered by calls in flows.", &st.Transitions},
		{"ccd_flow_step_failures_total", "Flow steps that failed and took their fallback (HTTP modules, identification, bad answers).", &st.Failures},
		{"ccd_flow_http_requests_total", "Requests of HTTP modules and identification.", &st.HTTPRequests},
		{"ccd_flow_database_steps_total", "Database steps run against CRM databases.", &st.Queries},
		{"ccd_flow_action_errors_total", "Flow actions Asterisk refused.", &st.ActionErrors},
	} {
		v := c.v
		m.Counter(c.name, c.help, nil, func() float64 { return float64(v.Load()) })
	}
}

// resume starts again the callers that were in a flow when ccd stopped:
// after the queue application has claimed its calls, a caller in the
// Stasis application nobody holds would wait in silence; it enters its
// Stasis entry again (a route is routed again, "flow" starts its flow from
// the start).
func (l *flowLink) resume(ctx context.Context, inApp []ari.Channel, d *stasis.Dispatcher, router *inbound.Router, log *slog.Logger) {
	orphans, err := l.app.Orphans(ctx, inApp, d.Owner)
	if err != nil {
		log.Warn("flow application: looking for callers left in a flow", "err", err)
		return
	}
	for _, ch := range orphans {
		args := dflow.StasisArgs(ch)
		e := &ari.StasisStart{Args: args, Channel: ch}
		log.Info("a caller was in a flow when ccd stopped: starting it again", "call", ch.ID, "args", args)
		if len(args) > 0 && args[0] == "flow" {
			d.Handoff(ch.ID, l.app)
			l.app.Start(e, args[1:])
			continue
		}
		router.Start(e, args)
	}
}
