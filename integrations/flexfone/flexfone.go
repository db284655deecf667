// Package flexfone speaks the variable call flow part of Flexfone's API
// (004, "API snitflade"): the list of day/night switches with Localnumber,
// Name, IsActive, ActiveGoto and InactiveGoto, and setting one active or
// inactive with state=true|false. Requests carry the account and hash as
// query parameters, as Flexfone's API takes them
// (.../variablecallflow/<localnumber>?account=...&hash=...); answers are
// JSON, or XML when the request's Content-Type or Accept asks for XML.
package flexfone

import (
	"context"
	"encoding/xml"
	"net/http"
	"strconv"
	"strings"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/api"
	"github.com/ccdhq/ccd/flow"
	"github.com/labstack/echo/v4"
)

// Route is the collection of variable call flows; /<localnumber> is one.
const Route = "/api/flexfone/variablecallflow"

// Credentials are the account and hash from the configuration
// (api.flexfone_account, api.flexfone_hash).
type Credentials struct {
	Account, Hash string
}

// Switches reads and toggles the switches (liveconf.Manager).
type Switches interface {
	Switches() []flow.Switch
	SetSwitch(ctx context.Context, who ccd.Principal, localnumber string, active bool) (flow.Switch, error)
}

// Mount adds the interface when credentials are configured.
func Mount(s *api.Server, agents *api.Agents, sw Switches, creds Credentials) {
	if creds.Account == "" {
		return
	}
	h := &handler{agents: agents, sw: sw, creds: creds}
	for _, path := range []string{Route, Route + "/:localnumber"} {
		s.Echo.GET(path, h.list)
		s.Echo.POST(path, h.set)
	}
}

type handler struct {
	agents *api.Agents
	sw     Switches
	creds  Credentials
}

// CallFlow is one variable call flow as Flexfone lists it. Local numbers
// are numbers in Flexfone; a goto that is not one (ccd's "queue:sales")
// is given as text.
type CallFlow struct {
	XMLName      xml.Name `json:"-" xml:"VariableCallFlow"`
	Localnumber  any      `json:"Localnumber" xml:"Localnumber"`
	Name         string   `json:"Name" xml:"Name"`
	IsActive     bool     `json:"IsActive" xml:"IsActive"`
	ActiveGoto   any      `json:"ActiveGoto" xml:"ActiveGoto"`
	InactiveGoto any      `json:"InactiveGoto" xml:"InactiveGoto"`
}

type callFlows struct {
	XMLName xml.Name   `xml:"ArrayOfVariableCallFlow"`
	Items   []CallFlow `xml:"VariableCallFlow"`
}

func number(s string) any {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && s != "" && (s == "0" || s[0] != '0') {
		return n
	}
	return s
}

func view(s flow.Switch) CallFlow {
	return CallFlow{Localnumber: number(s.Localnumber), Name: s.Name, IsActive: s.Active,
		ActiveGoto: number(s.ActiveGoto), InactiveGoto: number(s.InactiveGoto)}
}

func (h *handler) list(c echo.Context) error {
	if err := h.authenticate(c); err != nil {
		return err
	}
	all := h.sw.Switches()
	if ln := c.Param("localnumber"); ln != "" {
		for _, s := range all {
			if s.Localnumber == ln {
				return answer(c, http.StatusOK, view(s))
			}
		}
		return &ccd.Error{Code: ccd.ENOTFOUND, Message: "no variable call flow " + strconv.Quote(ln)}
	}
	out := callFlows{Items: make([]CallFlow, 0, len(all))}
	for _, s := range all {
		out.Items = append(out.Items, view(s))
	}
	return answerList(c, out, out.Items)
}

// set takes state=true|false and the local number (in the path, or as the
// localnumber parameter), from the query or a form body.
func (h *handler) set(c echo.Context) error {
	if err := h.authenticate(c); err != nil {
		return err
	}
	if !api.PrincipalOf(c).Has(ccd.RoleSwitches) {
		return &ccd.Error{Code: ccd.EFORBIDDEN, Message: "needs the switches role"}
	}
	ln := c.Param("localnumber")
	if ln == "" {
		ln = c.FormValue("localnumber")
	}
	if ln == "" {
		return ccd.Invalid("localnumber", "is required")
	}
	var active bool
	switch strings.ToLower(c.FormValue("state")) {
	case "true":
		active = true
	case "false":
	default:
		return ccd.Invalid("state", `want "true" or "false"`)
	}
	s, err := h.sw.SetSwitch(c.Request().Context(), api.PrincipalOf(c), ln, active)
	if err != nil {
		return err
	}
	return answer(c, http.StatusOK, view(s))
}

// authenticate checks account and hash, throttled like every password
// check.
func (h *handler) authenticate(c echo.Context) error {
	known := api.SameSecret(h.creds.Account, c.QueryParam("account"))
	hash := c.QueryParam("hash")
	ok, err := h.agents.CheckSecret(c, "flexfone", known, func() bool { return known && api.SameSecret(h.creds.Hash, hash) })
	switch {
	case err != nil:
		return err
	case !ok:
		return &ccd.Error{Code: ccd.EUNAUTH, Message: "invalid account or hash"}
	}
	api.SetPrincipal(c, ccd.Principal{Kind: ccd.Integration, Name: "flexfone", Roles: []ccd.Role{ccd.RoleSwitches}})
	return nil
}

func wantsXML(c echo.Context) bool {
	for _, h := range []string{"Content-Type", "Accept"} {
		if strings.Contains(strings.ToLower(c.Request().Header.Get(h)), "xml") {
			return true
		}
	}
	return false
}

// answer answers v in XML or JSON, as the request asks (wantsXML).
func answer(c echo.Context, status int, v any) error {
	if wantsXML(c) {
		return c.XML(status, v)
	}
	return c.JSON(status, v)
}

// answerList answers a list: in XML its wrapping element, in JSON the bare
// array of its items.
func answerList(c echo.Context, wrapped, items any) error {
	if wantsXML(c) {
		return c.XML(http.StatusOK, wrapped)
	}
	return c.JSON(http.StatusOK, items)
}
