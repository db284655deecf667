package queue

import (
	"context"

	"github.com/ccdhq/ccd/config"
)

// Apply makes cfg's queues, agents, groups and activities the running ones, on
// the loop, so that the next decision uses them. No caller is dropped:
// acd.Engine.Apply says how a removed queue drains and a removed agent
// finishes its call. Routes belong to the inbound router (inbound.SetRoutes);
// the keys of the file that are not lists (recording_name, transfer_context,
// ...) are not live: they come from the file at start.
func (a *App) Apply(ctx context.Context, cfg config.ACD) error {
	spec := cfg.Spec()
	queues := make(map[string]config.Queue, len(cfg.Queues))
	for _, q := range cfg.Queues {
		queues[q.Code] = q
	}
	autoAnswer := autoAnswerSet(cfg.Agents)
	return a.do(ctx, func() error {
		if err := a.engine.Apply(a.now(), spec); err != nil {
			return err
		}
		a.queues, a.autoAnswer = queues, autoAnswer
		a.cfg.ACD.Queues, a.cfg.ACD.Agents, a.cfg.ACD.Groups = cfg.Queues, cfg.Agents, cfg.Groups
		a.cfg.ACD.Routes, a.cfg.ACD.Activities = cfg.Routes, cfg.Activities
		return nil
	})
}

// autoAnswerSet is the agents whose phones are asked to answer by
// themselves (auto_answer): a set, since an offer must not scan every agent.
func autoAnswerSet(agents []config.Agent) map[string]bool {
	set := map[string]bool{}
	for _, ag := range agents {
		if ag.AutoAnswer {
			set[ag.ID] = true
		}
	}
	return set
}
