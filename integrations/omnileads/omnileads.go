// Package omnileads speaks OMniLeads to CRMs and agent toolbars (003 §18):
// the session API (an agent's password for a bearer token, then
// asterisk_login, asterisk_logout, asterisk_pause and asterisk_unpause) and
// the supervision views, in OMniLeads' field names. It mounts on the HTTP
// server's authentication and codes against the agent service (api.Agents)
// and the real-time views (api.Realtime).
package omnileads

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/api"
	"github.com/labstack/echo/v4"
)

// loginFailed is the OMniLeads answer to wrong credentials (003 §18.1.1),
// the same for an unknown user and a wrong password.
var loginFailed = map[string]string{"detail": "Invalid Credentials or activate account"}

type sessionAPI struct{ agents *api.Agents }

// Mount adds the session API to the server.
func Mount(s *api.Server, agents *api.Agents) {
	a := &sessionAPI{agents: agents}
	e := s.Echo
	e.POST("/api/v1/login", a.login)
	v1 := e.Group("/api/v1", s.Authenticate)
	v1.POST("/asterisk_login/", a.asteriskLogin)
	v1.POST("/asterisk_logout/", a.asteriskLogout)
	v1.POST("/asterisk_pause/", a.asteriskPause)
	v1.POST("/asterisk_unpause/", a.asteriskUnpause)
	// OMniLeads clients are not consistent about the trailing slash.
	v1.POST("/asterisk_login", a.asteriskLogin)
	v1.POST("/asterisk_logout", a.asteriskLogout)
	v1.POST("/asterisk_pause", a.asteriskPause)
	v1.POST("/asterisk_unpause", a.asteriskUnpause)
	v1.GET("/sip/credentials/agent/", a.sipCredentials, api.QueryParams())
	v1.GET("/sip/credentials/agent", a.sipCredentials, api.QueryParams())
}

// sipCredentials hands a logged-in agent its own softphone's credentials
// (003 §18.1.11) and whether it answers by itself: the agent's session (a bearer token, or the web
// interface's cookie) and nobody else's, not even an administrator's, so
// that the password goes only to the phone that uses it.
func (a *sessionAPI) sipCredentials(c echo.Context) error {
	p := api.PrincipalOf(c)
	if !p.Has(ccd.RoleAgentSelf) || p.Agent == "" {
		return &ccd.Error{Code: ccd.EFORBIDDEN, Message: "an agent's own session reads its SIP credentials"}
	}
	user, password, ok := a.agents.SIPCredentials(p.Agent)
	if !ok {
		return &ccd.Error{Code: ccd.ENOTFOUND, Message: "agent " + p.Agent + " has no softphone: set its sip_user and sip_password"}
	}
	// auto_answer is ccd's: the web softphone answers at once a call
	// whose INVITE asks it to, only for an agent who has it.
	return c.JSON(http.StatusOK, map[string]any{"status": "OK", "sip_user": user, "sip_password": password,
		"auto_answer": a.agents.AutoAnswer(p.Agent)})
}

// login is the OMniLeads login: an agent's credentials for a bearer token,
// answered as OMniLeads does (a failure is 404 with "detail"). Failures are
// throttled per user and per client address.
func (a *sessionAPI) login(c echo.Context) error {
	var req struct {
		Username string `json:"username" form:"username"`
		Password string `json:"password" form:"password"`
	}
	if err := api.BindBody(c, &req, "want JSON {\"username\": ..., \"password\": ...}"); err != nil {
		return err
	}
	if req.Username == "" {
		return ccd.Invalid("username", "is required")
	}
	if req.Password == "" {
		return ccd.Invalid("password", "is required")
	}
	ok, err := a.agents.CheckPassword(c, req.Username, req.Password)
	if err != nil {
		return err
	}
	if !ok {
		return c.JSON(http.StatusNotFound, loginFailed)
	}
	token, ttl, err := a.agents.OpenSession(c.Request().Context(), req.Username)
	if err != nil {
		return err
	}
	name, email := a.agents.Profile(req.Username)
	first, last, _ := strings.Cut(name, " ")
	// expires_in is a string of seconds, as OMniLeads sends it.
	return c.JSON(http.StatusOK, map[string]any{
		"token":      token,
		"expires_in": strconv.FormatFloat(ttl.Seconds(), 'f', -1, 64),
		"user":       map[string]string{"first_name": first, "last_name": last, "email": email},
	})
}

type request struct {
	Agent    string `json:"agent" form:"agent"`
	Endpoint string `json:"endpoint" form:"endpoint"`
	PauseID  string `json:"pause_id" form:"pause_id"`
}

// do reads an asterisk_* request, finds the agent it acts for and answers
// {"status": "OK"} when act succeeds.
func (a *sessionAPI) do(c echo.Context, act func(ctx context.Context, agent string, req request) error) error {
	var req request
	if c.Request().ContentLength != 0 {
		if err := api.BindBody(c, &req, "want JSON or form fields agent, endpoint, pause_id"); err != nil {
			return err
		}
	}
	agent, err := api.ActingAgent(c, req.Agent)
	if err != nil {
		return err
	}
	if err := act(c.Request().Context(), agent, req); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "OK"})
}

func (a *sessionAPI) asteriskLogin(c echo.Context) error {
	return a.do(c, func(ctx context.Context, agent string, r request) error {
		return a.agents.LoginAt(ctx, api.PrincipalOf(c), agent, r.Endpoint, "endpoint")
	})
}

func (a *sessionAPI) asteriskLogout(c echo.Context) error {
	return a.do(c, func(ctx context.Context, agent string, _ request) error { return a.agents.Logout(ctx, agent) })
}

func (a *sessionAPI) asteriskPause(c echo.Context) error {
	return a.do(c, func(ctx context.Context, agent string, r request) error {
		if r.PauseID == "" {
			return ccd.Invalid("pause_id", "is required")
		}
		return a.agents.Ctl.NotReady(ctx, agent, r.PauseID)
	})
}

func (a *sessionAPI) asteriskUnpause(c echo.Context) error {
	return a.do(c, func(ctx context.Context, agent string, _ request) error { return a.agents.Ctl.Ready(ctx, agent) })
}
