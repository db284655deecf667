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
	caller := endpointCaller(p)
	var skills map[string]int
	if prof, ok := a.auth.Directory.(SessionProfiles); ok {
		if ext, sk, found := prof.SessionProfile(agent); found {
			if requested == "" && ext != "" {
				// The CRM's PhoneExtension: the admin configured the CRM, so
				// its extension is taken as an integration's would be
				// (checked and made an endpoint by acd.extension_endpoint).
				requested, caller = ext, endpoints.Integration
			}
			skills = sk
		}
	}
	ep, err := a.auth.Directory.Endpoints().Resolve(caller, agent, requested)
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
	if sc, ok := a.Ctl.(SessionSkillsControl); ok && skills != nil {
		err = sc.LoginWithSkills(ctx, agent, ep, skills)
	} else {
		err = a.Ctl.Login(ctx, agent, ep)
	}
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

// SessionProfiles is a directory that gives an agent, when its password is
// checked, an extension and skills for the session it opens (the CRM's
// Agent Login hook: PhoneExtension, AgentSkills).
type SessionProfiles interface {
	// SessionProfile is the agent's extension ("" none) and skills (nil:
	// its configured ones); found is false when the directory has none.
	SessionProfile(agent string) (extension string, skills map[string]int, found bool)
}

// SessionSkillsControl is an AgentControl that logs an agent in with
// skills for that session only (queue.App).
type SessionSkillsControl interface {
	LoginWithSkills(ctx context.Context, id, endpoint string, skills map[string]int) error
}
