package ccd

import "slices"

// PrincipalKind is who is behind a request.
type PrincipalKind string

// The principals of the interfaces. Integrations (CRMs, toolbars acting for
// any agent, the Optimus web service) hold a shared credential; agents log in
// with their own; supervisors, administrators and BI tools are the
// principals of the user interfaces and reports to come.
const (
	Integration PrincipalKind = "integration"
	AgentUser   PrincipalKind = "agent"
	Supervisor  PrincipalKind = "supervisor"
	Admin       PrincipalKind = "admin"
	BI          PrincipalKind = "bi"
)

// Role is something a principal may do. Handlers check roles, never the
// kind of credential a request came with.
type Role string

const (
	// RoleAgentSelf: change one's own agent state and act on one's own calls.
	RoleAgentSelf Role = "agent_self"
	// RoleAgentLogin: log any agent in and out and change its state by its
	// id, at the endpoints the agent itself may use (the Optimus web
	// service, whose credential every toolbar shares).
	RoleAgentLogin Role = "agent_login"
	// RoleAgentControl: act for any agent, at any well-formed endpoint, and
	// on any call.
	RoleAgentControl Role = "agent_control"
	// RoleSupervise: list agents, calls and queues as they are now (the
	// real-time and supervision views).
	RoleSupervise Role = "supervise"
	// RoleStats: read the statistics tables and the BI functions.
	RoleStats Role = "stats"
	// RoleReadiness: read why ccd is not ready (the reasons name internal
	// addresses).
	RoleReadiness Role = "readiness"
	// RoleRecordings: find and hear any call's recording (an agent hears
	// those of its own calls through RoleAgentSelf).
	RoleRecordings Role = "recordings"
	// RoleCallbacks: request callbacks for customers (a web form, a CRM),
	// list them and cancel them.
	RoleCallbacks Role = "callbacks"
	// RoleAgentForce: make any agent ready, not ready or logged out, as a
	// supervisor does from the supervisor console (each is audited); unlike
	// RoleAgentControl it neither logs agents in nor acts on calls.
	RoleAgentForce Role = "agent_force"
	// RoleAdmin: change the configuration.
	RoleAdmin Role = "admin"
	// RoleCampaigns: manage outbound campaigns, their schedules, targets and
	// do-not-call lists.
	RoleCampaigns Role = "campaigns"
	// RoleSwitches: turn the call flows' day/night switches on and off
	// (the Flexfone variable call flow interface has this role only).
	RoleSwitches Role = "switches"
)

// roles are what each kind of principal may do.
var roles = map[PrincipalKind][]Role{
	Integration: {RoleAgentLogin, RoleAgentControl, RoleSupervise, RoleStats, RoleReadiness, RoleCallbacks, RoleCampaigns},
	AgentUser:   {RoleAgentSelf},
	Supervisor:  {RoleSupervise, RoleStats, RoleRecordings, RoleCallbacks, RoleAgentForce},
	Admin:       {RoleAdmin, RoleAgentLogin, RoleAgentControl, RoleAgentForce, RoleSupervise, RoleStats, RoleReadiness, RoleRecordings, RoleCallbacks, RoleCampaigns, RoleSwitches},
	BI:          {RoleStats},
}

// Principal is who a request acts as, and what it may do.
type Principal struct {
	Kind PrincipalKind
	// Name says which credential it is ("optimus" for the Optimus web
	// service), for logs and audit.
	Name string
	// Agent is the agent of an agent principal.
	Agent string
	Roles []Role
}

// NewPrincipal is a principal of kind with the roles of that kind.
func NewPrincipal(kind PrincipalKind, name string) Principal {
	return Principal{Kind: kind, Name: name, Roles: slices.Clone(roles[kind])}
}

// AgentPrincipal is an agent acting for itself.
func AgentPrincipal(agent string) Principal {
	p := NewPrincipal(AgentUser, agent)
	p.Agent = agent
	return p
}

// Has tells whether p may do r.
func (p Principal) Has(r Role) bool { return slices.Contains(p.Roles, r) }
