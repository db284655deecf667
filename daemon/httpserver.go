package daemon

import (
	"context"
	"fmt"
	"slices"

	"github.com/ccdhq/ccd/api"
)

// httpServer is the HTTP server component: /healthz, /readyz and /metrics,
// and the routes the components before it mounted. It comes last: it
// serves once every route and readiness check is in place, while the
// database and Asterisk may still be coming up.
type httpServer struct {
	w     *wiring
	tasks tasks
}

func newHTTPServer(w *wiring) component { return &httpServer{w: w} }

func (h *httpServer) Name() string { return "http server" }

func (h *httpServer) Start(ctx context.Context) error {
	w := h.w
	w.mu.Lock()
	checks := readinessOrder(w.checks) // complete: the components that add checks started before
	w.mu.Unlock()
	for _, c := range checks {
		w.srv.AddCheck(c)
	}
	if ServerHook != nil {
		ServerHook(w.srv)
	}
	h.tasks.goRun(ctx, func(ctx context.Context) {
		if err := w.srv.ServeListener(ctx, w.ln); err != nil {
			w.fail(fmt.Errorf("http server: %w", err))
		}
	})
	h.tasks.goRun(ctx, func(ctx context.Context) { announceReady(ctx, w.cfg, checks, w.log) })
	return nil
}

// Close stops serving: the server shuts down when its context ends.
func (h *httpServer) Close(context.Context) error {
	h.tasks.stop()
	return nil
}

// readinessOrder lists the checks as /readyz and the log show them: the
// Asterisk links and the ACD first (what an operator connects), then the
// storage; checks of other components follow in their start order.
func readinessOrder(checks []api.Check) []api.Check {
	first := []string{"ami", "ari", "acd", "database", "eventlog"}
	rank := func(c api.Check) int {
		if i := slices.Index(first, c.Name); i >= 0 {
			return i
		}
		return len(first)
	}
	out := slices.Clone(checks)
	slices.SortStableFunc(out, func(a, b api.Check) int { return rank(a) - rank(b) })
	return out
}
