package omnileads

import (
	"net/http"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/api"
	"github.com/ccdhq/ccd/integrations/clicktocall"
	"github.com/labstack/echo/v4"
)

// makeCallFields are the field names of 003 §18.1.4: idCampaign is a
// queue (its caller ID), idAgent the agent whose phone rings first, phone
// the contact's number.
var makeCallFields = clicktocall.Fields{Agent: "idAgent", Phone: "idAgent", Number: "phone", Queue: "idCampaign",
	ToQueue: "idCampaign", Order: "idAgent"}

// MountMakeCall adds POST /api/v1/makeCall (003 §18.1.4): click-to-call
// from a CRM with an agent's credentials, answered {"status": "OK"} or
// {"status": "ERROR", "errors": {field: [messages]}}.
func MountMakeCall(s *api.Server, svc *clicktocall.Service) {
	h := func(c echo.Context) error {
		var req struct {
			IDExternalSystem string `json:"idExternalSystem" form:"idExternalSystem"`
			IDAgent          string `json:"idAgent" form:"idAgent"`
			IDContact        string `json:"idContact" form:"idContact"`
			IDCampaign       string `json:"idCampaign" form:"idCampaign"`
			Phone            string `json:"phone" form:"phone"`
		}
		if err := api.BindBody(c, &req, "want JSON {\"idAgent\", \"idCampaign\", \"phone\"}"); err != nil {
			return err
		}
		for _, f := range []struct{ name, v string }{{"idAgent", req.IDAgent}, {"idCampaign", req.IDCampaign}, {"phone", req.Phone}} {
			if f.v == "" {
				return ccd.Invalid(f.name, "This field is required.")
			}
		}
		if req.IDExternalSystem != "" {
			return ccd.Invalid("idExternalSystem", "ccd links no external systems: send ccd's own agent and campaign ids")
		}
		call, err := svc.Call(c.Request().Context(), api.PrincipalOf(c), clicktocall.Request{Agent: req.IDAgent,
			Number: req.Phone, Queue: req.IDCampaign, Via: "omnileads"}, makeCallFields)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, map[string]string{"status": "OK", "callid": call.ID})
	}
	for _, path := range []string{"/api/v1/makeCall", "/api/v1/makeCall/"} {
		s.Echo.POST(path, h, s.Authenticate)
		s.SetErrorWriter(path, makeCallError)
	}
}

// makeCallError answers as OMniLeads does, the field at fault in errors
// (a fault of the whole request under non_field_errors), with the HTTP
// status of ccd's error code.
func makeCallError(c echo.Context, status int, e *ccd.Error) error {
	field := e.Field
	if field == "" {
		field = "non_field_errors"
	}
	return c.JSON(status, map[string]any{"status": "ERROR", "errors": map[string][]string{field: {e.Message}}})
}
