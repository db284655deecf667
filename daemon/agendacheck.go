package daemon

import "context"

// agendaCheck makes the database refuse a PERSONAL callback (an Agenda
// disposition, through any interface) whose agent does not serve the
// campaign's queue in the live configuration: that agent alone is offered
// the call, and could never take it.
type agendaCheck struct {
	w     *wiring
	tasks tasks
}

func newAgendaCheck(w *wiring) component { return &agendaCheck{w: w} }

func (a *agendaCheck) Name() string { return "personal callback check" }

func (a *agendaCheck) Start(ctx context.Context) error {
	a.tasks.goRun(ctx, func(ctx context.Context) {
		if db, ok := a.w.db.wait(ctx); ok {
			db.SetAgentServes(a.w.serves)
		}
	})
	return nil
}

func (a *agendaCheck) Close(context.Context) error {
	a.tasks.stop()
	return nil
}

// serves says whether agent serves queue by the live configuration.
func (w *wiring) serves(agent, queue string) bool {
	return w.live.mgr.Current().Spec().Serves(agent, queue)
}
