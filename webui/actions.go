package webui

import (
	"context"
	"net/http"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/api"
	"github.com/ccdhq/ccd/eventlog"
	"github.com/labstack/echo/v4"
)

// agentAction changes an agent's state: an agent its own (the agent
// console), a supervisor or administrator anyone's (the supervisor console:
// force ready, not ready, logout; each audited). Only agents log themselves
// in, at an endpoint they may use.
func (u *UI) agentAction(action string) echo.HandlerFunc {
	return func(c echo.Context) error {
		p := api.PrincipalOf(c)
		agent := c.Param("id")
		activity := c.FormValue("activity")
		if action == "not_ready" && activity == "" {
			return ccd.Invalid("activity", "is required")
		}
		ctx := c.Request().Context()
		var err error
		switch {
		case p.Has(ccd.RoleAgentSelf) && p.Agent != "":
			if agent != p.Agent {
				return &ccd.Error{Code: ccd.EFORBIDDEN, Field: "id", Message: "an agent may only change its own state"}
			}
			err = u.act(ctx, p, action, agent, activity, c.FormValue("endpoint"))
		case p.Has(ccd.RoleAgentForce) && action != "login":
			err = u.act(ctx, p, action, agent, activity, "")
			u.audit(p, action, agent, activity, err)
		default:
			return &ccd.Error{Code: ccd.EFORBIDDEN, Message: "this needs an agent's or a supervisor's session"}
		}
		if err != nil {
			return err
		}
		st, err := u.o.Agents.Ctl.Agent(ctx, agent)
		if err != nil {
			return err
		}
		// The change reaches every open view at once, not at the next tick.
		u.live.poke()
		return c.JSON(http.StatusOK, st)
	}
}

// act makes the change, after checking that it makes sense in the agent's
// present state (ccd.CheckAgentChange: the buttons the page enables).
func (u *UI) act(ctx context.Context, p ccd.Principal, action, agent, activity, endpoint string) error {
	ag := u.o.Agents
	if action != "login" {
		st, err := ag.Ctl.Agent(ctx, agent)
		if err != nil {
			return err
		}
		if err := ccd.CheckAgentChange(st, action, activity); err != nil {
			return err
		}
	}
	switch action {
	case "login":
		return ag.LoginAt(ctx, p, agent, endpoint, "endpoint")
	case "ready":
		return ag.Ctl.Ready(ctx, agent)
	case "not_ready":
		return ag.Ctl.NotReady(ctx, agent, activity)
	default:
		return ag.Logout(ctx, agent)
	}
}

// audit records a supervisor's action, done or refused, in the event log.
func (u *UI) audit(p ccd.Principal, action, agent, activity string, err error) {
	if u.o.Emit == nil {
		return
	}
	f := ccd.AgentForced{Action: action, Activity: activity, By: string(p.Kind) + ":" + p.Name}
	if err != nil {
		f.Error = err.Error()
	}
	ev := eventlog.Event{At: u.o.Now(), Kind: ccd.EventAgentForced, Source: eventlog.SourceAPI, Key: eventlog.NewKey(),
		Agent: agent, Payload: eventlog.Payload(f)}
	if err := u.o.Emit(ev); err != nil {
		u.o.Log.Error("event log refused the audit of a supervisor action", "agent", agent, "action", action, "err", err)
	}
}
