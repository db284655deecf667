// Package preview serves ccd's routes for agents working preview campaigns
// (the service is dialplan/dialer's Preview): the target an agent holds,
// the next one, skip, dial.
package preview

import (
	"context"
	"net/http"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/api"
	ddialer "github.com/ccdhq/ccd/dialplan/dialer"
	"github.com/labstack/echo/v4"
)

// Service is what the routes drive (*ddialer.Preview).
type Service interface {
	Current(ctx context.Context, agent string) (ddialer.PreviewState, error)
	Next(ctx context.Context, agent string, campaign int) (ddialer.PreviewState, error)
	Skip(ctx context.Context, agent string) (ddialer.PreviewState, error)
	Dial(ctx context.Context, agent string, phone int) (ddialer.PreviewState, error)
}

// Agents tells whether an agent exists (the queue application).
type Agents interface {
	Agent(ctx context.Context, id string) (ccd.AgentStatus, error)
}

// Mount adds the routes. get returns the service, or an EUNAVAILABLE error
// while it is not running (the dialer is off or not leading yet).
func Mount(s *api.Server, agents Agents, get func() (Service, error)) {
	h := handlers{agents: agents, get: get}
	const base = "/api/agents/:id/preview"
	s.Echo.GET(base, h.current, s.Authenticate)
	s.Echo.POST(base+"/next", h.next, s.Authenticate)
	s.Echo.POST(base+"/skip", h.skip, s.Authenticate)
	s.Echo.POST(base+"/dial", h.dial, s.Authenticate)
}

type handlers struct {
	agents Agents
	get    func() (Service, error)
}

// acting is the agent a request is about: an agent only for itself; an
// integration, a supervisor or an admin for any agent.
func acting(c echo.Context) (string, error) {
	p, id := api.PrincipalOf(c), c.Param("id")
	switch {
	case p.Has(ccd.RoleAgentControl) || p.Has(ccd.RoleAgentForce):
		return id, nil
	case p.Has(ccd.RoleAgentSelf) && p.Agent != "":
		if id != p.Agent {
			return "", &ccd.Error{Code: ccd.EFORBIDDEN, Field: "id", Message: "an agent works its own preview targets only"}
		}
		return id, nil
	}
	return "", &ccd.Error{Code: ccd.EFORBIDDEN, Message: "this needs an agent, a supervisor or an integration token"}
}

// serve checks the caller and the agent, then runs act.
func (h handlers) serve(c echo.Context, act func(ctx context.Context, svc Service, agent string) (ddialer.PreviewState, error)) error {
	agent, err := acting(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if _, err := h.agents.Agent(ctx, agent); err != nil {
		return err
	}
	svc, err := h.get()
	if err != nil {
		return err
	}
	st, err := act(ctx, svc, agent)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, st)
}

func (h handlers) current(c echo.Context) error {
	return h.serve(c, func(ctx context.Context, svc Service, agent string) (ddialer.PreviewState, error) {
		return svc.Current(ctx, agent)
	})
}

func (h handlers) next(c echo.Context) error {
	var body struct {
		CampaignID int `json:"campaignId"`
	}
	if err := bind(c, &body, `want JSON {"campaignId"} (optional: the campaign to take a target of)`); err != nil {
		return err
	}
	if body.CampaignID < 0 {
		return ccd.Invalid("campaignId", "must be a campaign id, or 0 for any preview campaign of the agent")
	}
	return h.serve(c, func(ctx context.Context, svc Service, agent string) (ddialer.PreviewState, error) {
		return svc.Next(ctx, agent, body.CampaignID)
	})
}

func (h handlers) skip(c echo.Context) error {
	return h.serve(c, func(ctx context.Context, svc Service, agent string) (ddialer.PreviewState, error) {
		return svc.Skip(ctx, agent)
	})
}

func (h handlers) dial(c echo.Context) error {
	var body struct {
		Phone int `json:"phone"`
	}
	if err := bind(c, &body, `want JSON {"phone"} (optional: 1, 2 or 3 for phone I, II or III)`); err != nil {
		return err
	}
	if body.Phone < 0 || body.Phone > 3 {
		return ccd.Invalid("phone", "must be 1, 2 or 3 (phone I, II or III), or 0 for the one shown")
	}
	return h.serve(c, func(ctx context.Context, svc Service, agent string) (ddialer.PreviewState, error) {
		return svc.Dial(ctx, agent, body.Phone)
	})
}

// bind reads an optional JSON body.
func bind(c echo.Context, v any, want string) error {
	if c.Request().ContentLength == 0 {
		return nil
	}
	return api.BindBody(c, v, want)
}
