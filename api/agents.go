package api

import (
	"cmp"
	"context"
	"crypto/subtle"
	"encoding/xml"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/acd/endpoints"
	"github.com/ccdhq/ccd/config"
	"github.com/labstack/echo/v4"
)

// AgentAuth holds the credentials of the agent interfaces.
type AgentAuth struct {
	// Token lets an integration act for any agent. Empty: no integration access.
	Token string
	// Passwords of agents who may log in themselves (agent id -> password).
	Passwords map[string]string
	// Names and Emails for the login answer (agent id -> display name, address).
	Names, Emails map[string]string
	TokenTTL      time.Duration
	// MaxSessions bounds the agent tokens held at once.
	MaxSessions int
	// LoginMaxFailures failed password checks within LoginWindow, for one
	// user or from one address, throttle that user or address until the
	// window ends. Zero values take the configuration's defaults.
	LoginMaxFailures int
	LoginWindow      time.Duration
	// Optimus AgentServices credentials; empty switches that interface off.
	OptimusUser, OptimusPassword string
	// Endpoints says where agents may log in; nil allows agents their default
	// endpoint only.
	Endpoints *endpoints.Policy
}

// agentAPI serves the agent interfaces in the dialects CRMs and toolbars speak: the
// OMniLeads session API, the Optimus AgentServices operations and ccd's own JSON.
type agentAPI struct {
	ctl      ccd.AgentControl
	auth     AgentAuth
	now      func() time.Time
	sessions *sessionTable
	throttle *throttle
}

// principal is who a request acts as: an agent ("" for an integration token).
type principal struct {
	agent       string
	integration bool
}

// agentsNow is the agent interfaces' clock (token expiry, login throttling);
// tests set it.
var agentsNow = time.Now

// MountAgents adds the agent interfaces to the server.
func (s *Server) MountAgents(ctl ccd.AgentControl, auth AgentAuth) {
	d := config.Default().API
	auth.TokenTTL = cmp.Or(max(auth.TokenTTL, 0), d.TokenTTL)
	auth.MaxSessions = cmp.Or(auth.MaxSessions, d.MaxSessions)
	auth.LoginMaxFailures = cmp.Or(auth.LoginMaxFailures, d.LoginMaxFailures)
	auth.LoginWindow = cmp.Or(auth.LoginWindow, d.LoginWindow)
	a := &agentAPI{ctl: ctl, auth: auth, now: func() time.Time { return agentsNow() }, sessions: newSessionTable(auth.TokenTTL, auth.MaxSessions),
		throttle: newThrottle(auth.LoginMaxFailures, auth.LoginWindow)}
	e := s.Echo
	e.POST("/api/v1/login", a.login)
	v1 := e.Group("/api/v1", a.authenticate)
	v1.POST("/asterisk_login/", a.omlLogin)
	v1.POST("/asterisk_logout/", a.omlLogout)
	v1.POST("/asterisk_pause/", a.omlPause)
	v1.POST("/asterisk_unpause/", a.omlUnpause)
	// OMniLeads clients are not consistent about the trailing slash.
	v1.POST("/asterisk_login", a.omlLogin)
	v1.POST("/asterisk_logout", a.omlLogout)
	v1.POST("/asterisk_pause", a.omlPause)
	v1.POST("/asterisk_unpause", a.omlUnpause)

	own := e.Group("/api/agents", a.authenticate)
	own.GET("", a.list)
	own.GET("/:id", a.get)
	own.POST("/:id/login", a.nativeLogin)
	own.POST("/:id/logout", a.nativeLogout)
	own.POST("/:id/ready", a.nativeReady)
	own.POST("/:id/not_ready", a.nativeNotReady)

	if auth.OptimusUser != "" {
		e.Any(optimusRoute, a.optimus)
	}
	if calls, ok := ctl.(ccd.CallControl); ok {
		a.mountCalls(e, calls)
	}
}

func equal(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// omlLoginFailed is the OMniLeads answer to wrong credentials (003 §18.1.1),
// the same for an unknown user and a wrong password.
var omlLoginFailed = map[string]string{"detail": "Invalid Credentials or activate account"}

// login is the OMniLeads login: an agent's credentials for a bearer token,
// answered as OMniLeads does (a failure is 404 with "detail"). Failures are
// throttled per user and per client address.
func (a *agentAPI) login(c echo.Context) error {
	var req struct {
		Username string `json:"username" form:"username"`
		Password string `json:"password" form:"password"`
	}
	if err := bindBody(c, &req, "want JSON {\"username\": ..., \"password\": ...}"); err != nil {
		return err
	}
	if req.Username == "" {
		return ccd.Invalid("username", "is required")
	}
	if req.Password == "" {
		return ccd.Invalid("password", "is required")
	}
	want, known := a.auth.Passwords[req.Username]
	now := a.now()
	userKey := "agent:" + req.Username
	ok, wait := a.throttle.attempt(now, a.throttleKeys(c, userKey, known), userKey, func() bool {
		return known && want != "" && equal(want, req.Password)
	})
	if wait > 0 {
		return throttled(wait)
	}
	if !ok {
		return c.JSON(http.StatusNotFound, omlLoginFailed)
	}
	token := a.sessions.open(now, req.Username)
	first, last, _ := strings.Cut(a.auth.Names[req.Username], " ")
	// expires_in is a string of seconds, as OMniLeads sends it.
	return c.JSON(http.StatusOK, map[string]any{
		"token":      token,
		"expires_in": strconv.FormatFloat(a.auth.TokenTTL.Seconds(), 'f', -1, 64),
		"user":       map[string]string{"first_name": first, "last_name": last, "email": a.auth.Emails[req.Username]},
	})
}

// throttleKeys are the keys a password attempt counts against: the client
// address, and the user when it exists (unknown names would only fill the
// table).
func (a *agentAPI) throttleKeys(c echo.Context, userKey string, known bool) []string {
	keys := []string{addressKey(c.RealIP())}
	if known {
		keys = append(keys, userKey)
	}
	return keys
}

// authenticate accepts "Authorization: Bearer <token>": the integration token or
// an agent's session token.
func (a *agentAPI) authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		token, ok := bearerToken(c.Request())
		if !ok {
			c.Response().Header().Set("WWW-Authenticate", "Bearer")
			return &ccd.Error{Code: ccd.EUNAUTH, Message: "missing Authorization: Bearer <token>"}
		}
		if a.auth.Token != "" && equal(a.auth.Token, token) {
			c.Set("principal", principal{integration: true})
			return next(c)
		}
		agent, ok := a.sessions.agent(a.now(), token)
		if !ok {
			c.Response().Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
			return &ccd.Error{Code: ccd.EUNAUTH, Message: "invalid or expired token: log in again"}
		}
		c.Set("principal", principal{agent: agent})
		return next(c)
	}
}

// actingAgent is the agent a request is about: the session's agent, or for an
// integration token the agent named by the request.
func actingAgent(c echo.Context, named string) (string, error) {
	p, _ := c.Get("principal").(principal)
	switch {
	case !p.integration:
		if named != "" && named != p.agent {
			return "", &ccd.Error{Code: ccd.EFORBIDDEN, Message: "an agent may only change its own state"}
		}
		return p.agent, nil
	case named == "":
		return "", ccd.Invalid("agent", "is required with an integration token")
	default:
		return named, nil
	}
}

type omlRequest struct {
	Agent    string `json:"agent" form:"agent"`
	Endpoint string `json:"endpoint" form:"endpoint"`
	PauseID  string `json:"pause_id" form:"pause_id"`
}

func (a *agentAPI) oml(c echo.Context, act func(ctx context.Context, agent string, req omlRequest) error) error {
	var req omlRequest
	if c.Request().ContentLength != 0 {
		if err := bindBody(c, &req, "want JSON or form fields agent, endpoint, pause_id"); err != nil {
			return err
		}
	}
	agent, err := actingAgent(c, req.Agent)
	if err != nil {
		return err
	}
	if err := act(c.Request().Context(), agent, req); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "OK"})
}

func (a *agentAPI) omlLogin(c echo.Context) error {
	return a.oml(c, func(ctx context.Context, agent string, r omlRequest) error {
		return a.loginAt(ctx, callerOf(c), agent, r.Endpoint, "endpoint")
	})
}

// logout logs an agent out and ends every token it holds: a token left
// behind after the working day is one more to steal. A CRM logs in again.
func (a *agentAPI) logout(ctx context.Context, agent string) error {
	if err := a.ctl.Logout(ctx, agent); err != nil {
		return err
	}
	a.sessions.revoke(agent)
	return nil
}

func (a *agentAPI) omlLogout(c echo.Context) error {
	return a.oml(c, func(ctx context.Context, agent string, _ omlRequest) error { return a.logout(ctx, agent) })
}

func (a *agentAPI) omlPause(c echo.Context) error {
	return a.oml(c, func(ctx context.Context, agent string, r omlRequest) error {
		if r.PauseID == "" {
			return ccd.Invalid("pause_id", "is required")
		}
		return a.ctl.NotReady(ctx, agent, r.PauseID)
	})
}

func (a *agentAPI) omlUnpause(c echo.Context) error {
	return a.oml(c, func(ctx context.Context, agent string, _ omlRequest) error { return a.ctl.Ready(ctx, agent) })
}

func (a *agentAPI) list(c echo.Context) error {
	if p, _ := c.Get("principal").(principal); !p.integration {
		return &ccd.Error{Code: ccd.EFORBIDDEN, Message: "listing agents needs the integration token"}
	}
	all, err := a.ctl.Agents(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, all)
}

func (a *agentAPI) get(c echo.Context) error {
	agent, err := actingAgent(c, c.Param("id"))
	if err != nil {
		return err
	}
	st, err := a.ctl.Agent(c.Request().Context(), agent)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, st)
}

func (a *agentAPI) native(c echo.Context, act func(ctx context.Context, agent string, body map[string]string) error) error {
	body, err := stringFields(c)
	if err != nil {
		return err
	}
	agent, err := actingAgent(c, c.Param("id"))
	if err != nil {
		return err
	}
	if err := act(c.Request().Context(), agent, body); err != nil {
		return err
	}
	st, err := a.ctl.Agent(c.Request().Context(), agent)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, st)
}

func (a *agentAPI) nativeLogin(c echo.Context) error {
	return a.native(c, func(ctx context.Context, agent string, b map[string]string) error {
		return a.loginAt(ctx, callerOf(c), agent, b["endpoint"], "endpoint")
	})
}

func (a *agentAPI) nativeLogout(c echo.Context) error {
	return a.native(c, func(ctx context.Context, agent string, _ map[string]string) error { return a.logout(ctx, agent) })
}

func (a *agentAPI) nativeReady(c echo.Context) error {
	return a.native(c, func(ctx context.Context, agent string, _ map[string]string) error { return a.ctl.Ready(ctx, agent) })
}

func (a *agentAPI) nativeNotReady(c echo.Context) error {
	return a.native(c, func(ctx context.Context, agent string, b map[string]string) error {
		if b["activity"] == "" {
			return ccd.Invalid("activity", "is required")
		}
		return a.ctl.NotReady(ctx, agent, b["activity"])
	})
}

// optimusRoute is where the Optimus AgentServices operations are served; the
// error handler answers there in the ASMX format too.
const optimusRoute = "/AgentServices.asmx/:op"

// optimusResult is the ASMX answer: <string xmlns="http://tempuri.org/">...</string>.
type optimusResult struct {
	XMLName xml.Name `xml:"http://tempuri.org/ string"`
	Value   string   `xml:",chardata"`
}

// optimusErrorText is an error as AgentServices answers it, in the same
// <string> as a result: "ERROR: <parameter>: <problem>" or "ERROR: <problem>".
// The HTTP status says which kind of error it is.
func optimusErrorText(e *ccd.Error) string {
	if e.Field != "" {
		return "ERROR: " + e.Field + ": " + e.Message
	}
	return "ERROR: " + e.Message
}

// optimus serves the Optimus AgentServices operations (LOGIN, LOGOUT, NOT READY,
// CheckExtensionState) with their legacy parameter names, by GET query or POST form,
// authenticated by webServiceUserName/password as old clients send them.
func (a *agentAPI) optimus(c echo.Context) error {
	if err := a.optimusAuth(c); err != nil {
		return err
	}
	user := c.FormValue("Username")
	if user == "" {
		return ccd.Invalid("Username", "is required")
	}
	ctx := c.Request().Context()
	op := strings.ToUpper(strings.NewReplacer(" ", "", "_", "", "%20", "").Replace(c.Param("op")))
	var err error
	result := "OK"
	switch op {
	case "LOGIN":
		ext := c.FormValue("ExtensionNumber")
		if ext == "" {
			return ccd.Invalid("ExtensionNumber", "is required")
		}
		// The web-service credential is shared by every toolbar, so the
		// extension is held to what the agent itself may use.
		err = a.loginAt(ctx, endpoints.Agent, user, ext, "ExtensionNumber")
	case "LOGOUT":
		err = a.logout(ctx, user)
	case "NOTREADY":
		code := c.FormValue("activityCode")
		if code == "" {
			return ccd.Invalid("activityCode", "is required")
		}
		err = a.ctl.NotReady(ctx, user, code)
	case "READY":
		err = a.ctl.Ready(ctx, user)
	case "CHECKEXTENSIONSTATE":
		var st ccd.AgentStatus
		st, err = a.ctl.Agent(ctx, user)
		result = st.State
	default:
		return &ccd.Error{Code: ccd.ENOTFOUND, Message: "unknown AgentServices operation " + c.Param("op")}
	}
	if err != nil {
		return err
	}
	return c.XML(http.StatusOK, optimusResult{Value: result})
}

// optimusAuth checks webServiceUserName/password, throttled like the OMniLeads
// login: per web service user and per client address.
func (a *agentAPI) optimusAuth(c echo.Context) error {
	known := equal(a.auth.OptimusUser, c.FormValue("webServiceUserName"))
	password := c.FormValue("password") // parsed before the throttle's lock
	const userKey = "optimus"
	ok, wait := a.throttle.attempt(a.now(), a.throttleKeys(c, userKey, known), userKey, func() bool {
		return known && equal(a.auth.OptimusPassword, password)
	})
	switch {
	case wait > 0:
		return throttled(wait)
	case !ok:
		return &ccd.Error{Code: ccd.EUNAUTH, Message: "invalid webServiceUserName or password"}
	}
	return nil
}
