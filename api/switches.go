package api

import (
	"context"
	"net/http"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/flow"
	"github.com/labstack/echo/v4"
)

// SwitchSetter turns day/night switches on and off (liveconf.Manager).
type SwitchSetter interface {
	SetSwitch(ctx context.Context, who ccd.Principal, localnumber string, active bool) (flow.Switch, error)
}

// MountSwitches adds POST /api/admin/switches/<localnumber>/state
// {"active": true|false} (role switches): the toggle a night-service button
// or a supervisor uses without rewriting the switch; it is audited like
// every change of the configuration.
func (s *Server) MountSwitches(sw SwitchSetter) {
	// A route of its own, not a group: a group would add catch-all routes
	// below /api/admin/switches.
	s.Echo.POST("/api/admin/switches/:localnumber/state", func(c echo.Context) error {
		var body struct {
			Active *bool `json:"active"`
		}
		if err := BindBody(c, &body, `want JSON {"active": true|false}`); err != nil {
			return err
		}
		if body.Active == nil {
			return ccd.Invalid("active", "is required: true or false")
		}
		out, err := sw.SetSwitch(c.Request().Context(), PrincipalOf(c), c.Param("localnumber"), *body.Active)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, map[string]any{"localnumber": out.Localnumber, "name": out.Name, "active": out.Active,
			"active_goto": out.ActiveGoto, "inactive_goto": out.InactiveGoto})
	}, s.Authenticate, Require(ccd.RoleSwitches))
}
