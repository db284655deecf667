package api

import (
	"cmp"
	"context"
	"net/http"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/acd/endpoints"
	"github.com/ccdhq/ccd/config"
	"github.com/labstack/echo/v4"
)

// AgentDirectory is what the agent interfaces know of the configured
// agents: their passwords, names and addresses, and where they may log in.
// The live configuration (package liveconf) implements it, so that an agent
// the admin adds, changes or removes logs in, or no longer does, at once.
type AgentDirectory interface {
	// CheckPassword checks an agent's own password; known says the agent
	// exists and has one.
	CheckPassword(agent, password string) (known, ok bool)
	Profile(agent string) (name, email string)
	Endpoints() *endpoints.Policy
}

// AgentAuth holds the credentials of the agent interfaces. The integration
// token is the server's (Options.Token); the Optimus web-service credentials
// are that dialect's (integrations/optimus).
type AgentAuth struct {
	// Directory knows the agents; nil takes Passwords, Names, Emails and
	// Endpoints instead, as they are when mounted.
	Directory AgentDirectory
	// Passwords of agents who may log in themselves (agent id -> password).
	Passwords map[string]string
	// Names and Emails for the login answer (agent id -> display name, address).
	Names, Emails map[string]string
	TokenTTL      time.Duration
	// MaxSessions bounds the agent tokens held at once.
	MaxSessions int
	// Sessions keeps the agents' sessions; nil keeps them in memory, for
	// this server alone and until it stops.
	Sessions SessionStore
	// LoginMaxFailures failed password checks within LoginWindow, for one
	// user or from one address, throttle that user or address until the
	// window ends. Zero values take the configuration's defaults.
	LoginMaxFailures int
	LoginWindow      time.Duration
	// Endpoints says where agents may log in; nil allows agents their default
	// endpoint only.
	Endpoints *endpoints.Policy
	// SIP gives an agent's softphone credentials (user and password; ok
	// false when it has none); nil: no agent has any.
	SIP func(agent string) (user, password string, ok bool)
	// AutoAnswer tells whether an agent's phone answers ccd's calls by
	// itself (auto_answer), for the web softphone; nil: none does.
	AutoAnswer func(agent string) bool
}

// Agents is the agent service the dialects build on (ccd's JSON here, the
// OMniLeads and Optimus interfaces in integrations/): the ACD's AgentControl
// behind the endpoint policy, the sessions of agents who log in with a
// password, and the throttle of password checks.
type Agents struct {
	Ctl      ccd.AgentControl
	auth     AgentAuth
	now      func() time.Time
	sessions SessionStore
	throttle *throttle
}

// MountAgents adds ccd's own agent interface (/api/agents) and, when ctl
// also controls calls, /api/queues and /api/calls; the agent sessions it
// opens authenticate on every route of the server. The dialects mount on
// the Agents it returns.
func (s *Server) MountAgents(ctl ccd.AgentControl, auth AgentAuth) *Agents {
	d := config.Default().API
	auth.TokenTTL = cmp.Or(max(auth.TokenTTL, 0), d.TokenTTL)
	auth.MaxSessions = cmp.Or(auth.MaxSessions, d.MaxSessions)
	auth.LoginMaxFailures = cmp.Or(auth.LoginMaxFailures, d.LoginMaxFailures)
	auth.LoginWindow = cmp.Or(auth.LoginWindow, d.LoginWindow)
	if auth.Directory == nil {
		auth.Directory = staticDirectory{auth}
	}
	sessions := auth.Sessions
	if sessions == nil {
		sessions = newSessionTable(auth.TokenTTL, auth.MaxSessions)
	}
	a := &Agents{Ctl: ctl, auth: auth, now: s.opts.Now, sessions: sessions,
		throttle: newThrottle(auth.LoginMaxFailures, auth.LoginWindow)}
	s.creds.mu.Lock()
	s.creds.sessions = a.sessions
	s.creds.mu.Unlock()

	own := s.Echo.Group("/api/agents", s.Authenticate)
	own.GET("", a.list, Require(ccd.RoleSupervise))
	own.GET("/:id", a.get)
	own.POST("/:id/login", a.nativeLogin)
	own.POST("/:id/logout", a.nativeLogout)
	own.POST("/:id/ready", a.nativeReady)
	own.POST("/:id/not_ready", a.nativeNotReady)

	if calls, ok := ctl.(ccd.CallControl); ok {
		s.mountCalls(calls)
	}
	return a
}

// ActingAgent is the agent a request is about: for a principal that may act
// for any agent, the agent the request names; for an agent, itself (naming
// another is a 403).
func ActingAgent(c echo.Context, named string) (string, error) {
	p := PrincipalOf(c)
	switch {
	case p.Has(ccd.RoleAgentControl) || p.Has(ccd.RoleAgentLogin):
		if named == "" {
			return "", ccd.Invalid("agent", "is required with an integration token")
		}
		return named, nil
	case p.Has(ccd.RoleAgentSelf) && p.Agent != "":
		if named != "" && named != p.Agent {
			return "", &ccd.Error{Code: ccd.EFORBIDDEN, Message: "an agent may only change its own state"}
		}
		return p.Agent, nil
	}
	return "", &ccd.Error{Code: ccd.EFORBIDDEN, Message: "this needs an agent or an integration token"}
}

// Logout logs an agent out and ends every token it holds: a token left
// behind after the working day is one more to steal. A CRM logs in again.
func (a *Agents) Logout(ctx context.Context, agent string) error {
	if err := a.Ctl.Logout(ctx, agent); err != nil {
		return err
	}
	return a.sessions.RevokeAgentSessions(ctx, agent)
}

// OpenSession starts a session for agent and returns its bearer token and
// lifetime. The store keeps only the token's hash.
func (a *Agents) OpenSession(ctx context.Context, agent string) (token string, ttl time.Duration, err error) {
	token = newToken()
	now := a.now()
	err = a.sessions.OpenAgentSession(ctx, hashToken(token), agent, now, now.Add(a.auth.TokenTTL), maxSessionsPerAgent, a.auth.MaxSessions)
	if err != nil {
		return "", 0, err
	}
	return token, a.auth.TokenTTL, nil
}

// Profile is what the login answers about an agent: its display name and
// address.
func (a *Agents) Profile(agent string) (name, email string) {
	return a.auth.Directory.Profile(agent)
}

// SIPCredentials are the agent's softphone user and password, for the
// agent's own session only (its handler checks the principal).
func (a *Agents) SIPCredentials(agent string) (user, password string, ok bool) {
	if a.auth.SIP == nil {
		return "", "", false
	}
	return a.auth.SIP(agent)
}

// AutoAnswer tells whether the agent's phone answers ccd's calls by
// itself (the agent's auto_answer).
func (a *Agents) AutoAnswer(agent string) bool {
	return a.auth.AutoAnswer != nil && a.auth.AutoAnswer(agent)
}

// CheckPassword checks an agent's password, throttled per user and per
// client address; a throttled attempt is a 429 error, a wrong password
// false. A stored password is a bcrypt hash, slow to compare on purpose:
// the comparison runs only for an attempt the throttle lets through, and
// outside its lock, so that one login does not hold up the others.
func (a *Agents) CheckPassword(c echo.Context, user, password string) (bool, error) {
	keys := []string{addressKey(c.RealIP()), "agent:" + user}
	if wait := a.throttle.wait(a.now(), keys); wait > 0 {
		return false, throttled(wait)
	}
	known, ok := a.auth.Directory.CheckPassword(user, password)
	return a.CheckSecret(c, "agent:"+user, known, func() bool { return known && ok })
}

// staticDirectory is the directory of the maps of an AgentAuth.
type staticDirectory struct{ auth AgentAuth }

func (d staticDirectory) CheckPassword(agent, password string) (known, ok bool) {
	want, known := d.auth.Passwords[agent]
	return known, known && want != "" && SameSecret(want, password)
}

func (d staticDirectory) Profile(agent string) (name, email string) {
	return d.auth.Names[agent], d.auth.Emails[agent]
}

func (d staticDirectory) Endpoints() *endpoints.Policy { return d.auth.Endpoints }

// CheckSecret runs check, the comparison of a credential, under the login
// throttle: userKey names the credential's user, known says whether that
// user exists (unknown names would only fill the table).
func (a *Agents) CheckSecret(c echo.Context, userKey string, known bool, check func() bool) (bool, error) {
	keys := []string{addressKey(c.RealIP())}
	if known {
		keys = append(keys, userKey)
	}
	ok, wait := a.throttle.attempt(a.now(), keys, userKey, check)
	if wait > 0 {
		return false, throttled(wait)
	}
	return ok, nil
}

func (a *Agents) list(c echo.Context) error {
	all, err := a.Ctl.Agents(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, all)
}

func (a *Agents) get(c echo.Context) error {
	agent, err := ActingAgent(c, c.Param("id"))
	if err != nil {
		return err
	}
	st, err := a.Ctl.Agent(c.Request().Context(), agent)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, st)
}

func (a *Agents) native(c echo.Context, act func(ctx context.Context, agent string, body map[string]string) error) error {
	body, err := stringFields(c)
	if err != nil {
		return err
	}
	agent, err := ActingAgent(c, c.Param("id"))
	if err != nil {
		return err
	}
	if err := act(c.Request().Context(), agent, body); err != nil {
		return err
	}
	st, err := a.Ctl.Agent(c.Request().Context(), agent)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, st)
}

func (a *Agents) nativeLogin(c echo.Context) error {
	return a.native(c, func(ctx context.Context, agent string, b map[string]string) error {
		return a.LoginAt(ctx, PrincipalOf(c), agent, b["endpoint"], "endpoint")
	})
}

func (a *Agents) nativeLogout(c echo.Context) error {
	return a.native(c, func(ctx context.Context, agent string, _ map[string]string) error {
		if err := a.checkChange(ctx, agent, ccd.ChangeLogout, ""); err != nil {
			return err
		}
		return a.Logout(ctx, agent)
	})
}

func (a *Agents) nativeReady(c echo.Context) error {
	return a.native(c, func(ctx context.Context, agent string, _ map[string]string) error {
		if err := a.checkChange(ctx, agent, ccd.ChangeReady, ""); err != nil {
			return err
		}
		return a.Ctl.Ready(ctx, agent)
	})
}

func (a *Agents) nativeNotReady(c echo.Context) error {
	return a.native(c, func(ctx context.Context, agent string, b map[string]string) error {
		if b["activity"] == "" {
			return ccd.Invalid("activity", "is required")
		}
		if err := a.checkChange(ctx, agent, ccd.ChangeNotReady, b["activity"]); err != nil {
			return err
		}
		return a.Ctl.NotReady(ctx, agent, b["activity"])
	})
}

// checkChange refuses with 409 a change that makes no sense in the agent's
// present state (ccd.CheckAgentChange), instead of letting the ACD take it
// without changing anything.
func (a *Agents) checkChange(ctx context.Context, agent, change, activity string) error {
	st, err := a.Ctl.Agent(ctx, agent)
	if err != nil {
		return err
	}
	return ccd.CheckAgentChange(st, change, activity)
}
