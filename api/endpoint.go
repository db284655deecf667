package api

import (
	"context"
	"errors"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/acd/endpoints"
	"github.com/labstack/echo/v4"
)

// loginAt logs agent in at the endpoint the request asked for, once the
// endpoint policy (acd/endpoints, AgentAuth.Endpoints) allows it for this
// caller. field is the request's name for the endpoint in the dialect at hand,
// so that a refusal names what the client sent.
func (a *agentAPI) loginAt(ctx context.Context, caller endpoints.Caller, agent, requested, field string) error {
	ep, err := a.auth.Endpoints.Resolve(caller, agent, requested)
	var pe *endpoints.Error
	if errors.As(err, &pe) {
		code := ccd.EINVALID
		if pe.Forbidden {
			code = ccd.EFORBIDDEN
		}
		return &ccd.Error{Code: code, Field: field, Message: pe.Msg}
	}
	if err != nil {
		return err
	}
	err = a.ctl.Login(ctx, agent, ep)
	// The ACD names its own input "endpoint" (in use by another agent, none
	// configured); the client knows it by the dialect's name.
	var ae *ccd.Error
	if errors.As(err, &ae) && ae.Field == "endpoint" && field != "endpoint" {
		renamed := *ae
		renamed.Field = field
		return &renamed
	}
	return err
}

// callerOf is who a token-authenticated request is for the endpoint policy.
func callerOf(c echo.Context) endpoints.Caller {
	if p, _ := c.Get("principal").(principal); p.integration {
		return endpoints.Integration
	}
	return endpoints.Agent
}
