package api

import (
	"context"
	"errors"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/acd/endpoints"
)

// LoginAt logs agent in at the endpoint the request asked for, once the
// endpoint policy (acd/endpoints, AgentAuth.Endpoints) allows it for the
// principal: one that may act for any agent sets any well-formed endpoint,
// everyone else (an agent, the Optimus web service) only those the agent
// itself may use. field is the request's name for the endpoint in the
// dialect at hand, so that a refusal names what the client sent.
func (a *Agents) LoginAt(ctx context.Context, p ccd.Principal, agent, requested, field string) error {
	ep, err := a.auth.Directory.Endpoints().Resolve(endpointCaller(p), agent, requested)
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
	err = a.Ctl.Login(ctx, agent, ep)
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

// endpointCaller is who a principal is for the endpoint policy.
func endpointCaller(p ccd.Principal) endpoints.Caller {
	if p.Has(ccd.RoleAgentControl) {
		return endpoints.Integration
	}
	return endpoints.Agent
}

// ExtensionEndpoint resolves the phone of a person who is not an agent
// (a supervisor listening to calls), as typed: like an agent with no
// endpoint of its own, only a free extension of acd.extensions, never a
// trunk or an agent's phone. field names the input in errors.
func (a *Agents) ExtensionEndpoint(requested, field string) (string, error) {
	if requested == "" {
		return "", ccd.Invalid(field, "is required")
	}
	ep, err := a.auth.Directory.Endpoints().Resolve(endpoints.Agent, "", requested)
	var pe *endpoints.Error
	if errors.As(err, &pe) {
		code := ccd.EINVALID
		if pe.Forbidden {
			code = ccd.EFORBIDDEN
		}
		return "", &ccd.Error{Code: code, Field: field, Message: pe.Msg}
	}
	return ep, err
}
