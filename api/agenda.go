package api

import (
	"errors"
	"net/http"

	"github.com/ccdhq/ccd"
	"github.com/labstack/echo/v4"
)

// AgendaPath lists an agent's personal callbacks ("Agenda"): the
// callbacks it scheduled with an agenda disposition that the dialer has
// still to make, for that agent alone.
const AgendaPath = "/api/agents/:id/agenda"

// MountAgenda adds GET /api/agents/:id/agenda: an agent reads its own, a
// supervisor (or administrator, or an integration) any agent's.
func (s *Server) MountAgenda(db DialerDB, agents *Agents) {
	s.Echo.GET(AgendaPath, func(c echo.Context) error {
		agent, p := c.Param("id"), PrincipalOf(c)
		if agent == "" {
			agent = p.Agent // an agent naming nobody reads its own
		}
		if err := checkAgentID(agent); err != nil {
			return err
		}
		if !p.Has(ccd.RoleSupervise) && p.Agent != agent {
			return &ccd.Error{Code: ccd.EFORBIDDEN, Message: "an agent may only read its own agenda"}
		}
		if _, err := agents.Ctl.Agent(c.Request().Context(), agent); err != nil {
			var ce *ccd.Error
			if errors.As(err, &ce) && ce.Code == ccd.ENOTFOUND {
				return &ccd.Error{Code: ccd.ENOTFOUND, Field: "id", Message: "no agent " + agent}
			}
			return err
		}
		d, err := db()
		if err != nil {
			return err
		}
		list, err := d.AgentAgenda(c.Request().Context(), agent)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, map[string]any{"agent": agent, "callbacks": list})
	}, s.Authenticate, Require(ccd.RoleAgentSelf, ccd.RoleSupervise))
}

// checkAgentID refuses what cannot be an agent id.
func checkAgentID(id string) error {
	if id == "" || len(id) > 64 {
		return ccd.Invalid("id", "want an agent id (1 to 64 characters)")
	}
	return nil
}
