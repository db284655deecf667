// Package optimus speaks the Optimus AgentServices interface to legacy
// toolbars: LOGIN, LOGOUT, NOT READY, READY and CheckExtensionState with
// their legacy parameter names, by GET query or POST form, answered in the
// ASMX <string> (errors too). Its web-service credentials
// (webServiceUserName/password, sent with every request) make a principal
// with the agent-login role; the operations run on the agent service
// (api.Agents).
package optimus

import (
	"encoding/xml"
	"net/http"
	"strings"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/api"
	"github.com/labstack/echo/v4"
)

// Route is where the AgentServices operations are served.
const Route = "/AgentServices.asmx/:op"

// Credentials are the web-service user and password legacy clients send.
type Credentials struct {
	User, Password string
}

// result is the ASMX answer: <string xmlns="http://tempuri.org/">...</string>.
type result struct {
	XMLName xml.Name `xml:"http://tempuri.org/ string"`
	Value   string   `xml:",chardata"`
}

type agentServices struct {
	agents *api.Agents
	creds  Credentials
}

// Mount adds AgentServices to the server; empty credentials leave it off.
func Mount(s *api.Server, agents *api.Agents, creds Credentials) {
	if creds.User == "" {
		return
	}
	a := &agentServices{agents: agents, creds: creds}
	s.Echo.Any(Route, a.serve)
	s.SetErrorWriter(Route, writeError)
}

// writeError answers an error as AgentServices does, in the same <string>
// as a result: "ERROR: <parameter>: <problem>" or "ERROR: <problem>". The
// HTTP status says which kind of error it is.
func writeError(c echo.Context, status int, e *ccd.Error) error {
	return c.XML(status, result{Value: errorText(e)})
}

func errorText(e *ccd.Error) string {
	if e.Field != "" {
		return "ERROR: " + e.Field + ": " + e.Message
	}
	return "ERROR: " + e.Message
}

// serve runs one operation for the agent named by Username.
func (a *agentServices) serve(c echo.Context) error {
	if err := a.authenticate(c); err != nil {
		return err
	}
	if !api.PrincipalOf(c).Has(ccd.RoleAgentLogin) {
		return &ccd.Error{Code: ccd.EFORBIDDEN, Message: "AgentServices needs the agent-login role"}
	}
	user := c.FormValue("Username")
	if user == "" {
		return ccd.Invalid("Username", "is required")
	}
	ctx := c.Request().Context()
	op := strings.ToUpper(strings.NewReplacer(" ", "", "_", "", "%20", "").Replace(c.Param("op")))
	var err error
	value := "OK"
	switch op {
	case "LOGIN":
		ext := c.FormValue("ExtensionNumber")
		if ext == "" {
			return ccd.Invalid("ExtensionNumber", "is required")
		}
		// The web-service credential is shared by every toolbar, so the
		// principal's role holds the extension to what the agent itself
		// may use.
		err = a.agents.LoginAt(ctx, api.PrincipalOf(c), user, ext, "ExtensionNumber")
	case "LOGOUT":
		err = a.agents.Logout(ctx, user)
	case "NOTREADY":
		code := c.FormValue("activityCode")
		if code == "" {
			return ccd.Invalid("activityCode", "is required")
		}
		err = a.agents.Ctl.NotReady(ctx, user, code)
	case "READY":
		err = a.agents.Ctl.Ready(ctx, user)
	case "CHECKEXTENSIONSTATE":
		var st ccd.AgentStatus
		st, err = a.agents.Ctl.Agent(ctx, user)
		value = st.State
	default:
		return &ccd.Error{Code: ccd.ENOTFOUND, Message: "unknown AgentServices operation " + c.Param("op")}
	}
	if err != nil {
		return err
	}
	return c.XML(http.StatusOK, result{Value: value})
}

// authenticate checks webServiceUserName/password, throttled like the
// OMniLeads login (per web service user and per client address), and makes
// the request act as the web service's principal.
func (a *agentServices) authenticate(c echo.Context) error {
	known := api.SameSecret(a.creds.User, c.FormValue("webServiceUserName"))
	password := c.FormValue("password") // parsed before the throttle's lock
	ok, err := a.agents.CheckSecret(c, "optimus", known, func() bool {
		return known && api.SameSecret(a.creds.Password, password)
	})
	switch {
	case err != nil:
		return err
	case !ok:
		return &ccd.Error{Code: ccd.EUNAUTH, Message: "invalid webServiceUserName or password"}
	}
	api.SetPrincipal(c, ccd.Principal{Kind: ccd.Integration, Name: "optimus", Roles: []ccd.Role{ccd.RoleAgentLogin}})
	return nil
}
