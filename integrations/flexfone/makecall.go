package flexfone

import (
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"strings"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/api"
	"github.com/ccdhq/ccd/integrations/clicktocall"
	"github.com/labstack/echo/v4"
)

// MakeCallRoute starts a call (004 "Initier opkald", myfone's
// /api/MakeCall): the employee's phone first, then Callee.
const MakeCallRoute = "/api/flexfone/MakeCall"

// Call is the MakeCall request, in JSON or XML (<Call xmlns=...>).
// Username and Password are the agent's id and password; Device is the
// local number of the phone to call from, "" for the agent's phones.
type Call struct {
	XMLName  xml.Name `json:"-" xml:"Call"`
	Callee   string   `json:"Callee" xml:"Callee"`
	Device   *string  `json:"Device" xml:"Device"`
	Username string   `json:"Username" xml:"Username"`
	Password string   `json:"Password" xml:"Password"`
}

// CallResult is the answer: Status OK with the call's id, or ERROR with
// the field at fault.
type CallResult struct {
	XMLName xml.Name `json:"-" xml:"CallResult"`
	Status  string   `json:"Status" xml:"Status"`
	CallID  string   `json:"CallId,omitempty" xml:"CallId,omitempty"`
	Field   string   `json:"Field,omitempty" xml:"Field,omitempty"`
	Message string   `json:"Message,omitempty" xml:"Message,omitempty"`
}

var makeCallFields = clicktocall.Fields{Agent: "Username", Phone: "Device", Number: "Callee", Queue: "Callee",
	ToQueue: "Callee", Order: "Username"}

// MountMakeCall adds MakeCall; agents authenticates the employee.
func MountMakeCall(s *api.Server, agents *api.Agents, svc *clicktocall.Service, maxBody int64) {
	s.Echo.POST(MakeCallRoute, func(c echo.Context) error {
		var req Call
		if err := readCall(c, &req, maxBody); err != nil {
			return err
		}
		req.Callee, req.Username = strings.TrimSpace(req.Callee), strings.TrimSpace(req.Username)
		switch {
		case req.Username == "":
			return ccd.Invalid("Username", "is required")
		case req.Password == "":
			return ccd.Invalid("Password", "is required")
		case req.Device == nil:
			return ccd.Invalid("Device", `is required: send "" for the employee's phones`)
		}
		ok, err := agents.CheckPassword(c, req.Username, req.Password)
		if err != nil {
			return err
		}
		if !ok {
			return &ccd.Error{Code: ccd.EUNAUTH, Field: "Username", Message: "wrong Username or Password"}
		}
		call, err := svc.Call(c.Request().Context(), ccd.AgentPrincipal(req.Username), clicktocall.Request{
			Agent: req.Username, Phone: strings.TrimSpace(*req.Device), Number: req.Callee, Via: "flexfone"}, makeCallFields)
		if err != nil {
			return err
		}
		return answerCall(c, http.StatusOK, CallResult{Status: "OK", CallID: call.ID})
	})
	s.SetErrorWriter(MakeCallRoute, func(c echo.Context, status int, e *ccd.Error) error {
		return answerCall(c, status, CallResult{Status: "ERROR", Field: e.Field, Message: e.Message})
	})
}

// readCall reads the request as XML when its Content-Type says so, else
// as JSON.
func readCall(c echo.Context, req *Call, maxBody int64) error {
	body, err := io.ReadAll(io.LimitReader(c.Request().Body, maxBody))
	if err != nil {
		return ccd.Invalid("body", "unreadable: "+err.Error())
	}
	if strings.Contains(strings.ToLower(c.Request().Header.Get("Content-Type")), "xml") {
		if err := xml.Unmarshal(body, req); err != nil {
			return ccd.Invalid("body", "want XML <Call> with Callee, Device, Username, Password")
		}
		return nil
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil {
		return ccd.Invalid("body", `want JSON {"Callee", "Device", "Username", "Password"} or XML <Call>`)
	}
	for name, dst := range map[string]*string{"Callee": &req.Callee, "Username": &req.Username, "Password": &req.Password} {
		if raw, ok := fields[name]; ok {
			if err := json.Unmarshal(raw, dst); err != nil {
				return ccd.Invalid(name, "want a string")
			}
		}
	}
	if raw, ok := fields["Device"]; ok && string(raw) != "null" {
		req.Device = new(string)
		if err := json.Unmarshal(raw, req.Device); err != nil {
			return ccd.Invalid("Device", "want a string, \"\" for the employee's phones")
		}
	}
	return nil
}

// answerCall answers JSON, or XML when the request's Accept asks for it.
func answerCall(c echo.Context, status int, r CallResult) error {
	if strings.Contains(strings.ToLower(c.Request().Header.Get("Accept")), "xml") {
		return c.XML(status, r)
	}
	return c.JSON(status, r)
}
