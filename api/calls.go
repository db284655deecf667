package api

import (
	"net/http"

	"github.com/ccdhq/ccd"
	"github.com/labstack/echo/v4"
)

// mountCalls adds /api/queues and /api/calls behind the authentication: a
// principal that controls agents sees and acts on every call, an agent on
// its own only.
func (s *Server) mountCalls(ctl ccd.CallControl) {
	g := s.Echo.Group("/api", s.Authenticate, Require(ccd.RoleAgentSelf, ccd.RoleSupervise, ccd.RoleAgentControl))
	g.GET("/queues", func(c echo.Context) error {
		qs, err := ctl.Queues(c.Request().Context())
		if err != nil {
			return err
		}
		out := make([]QueueStatusView, len(qs))
		for i, q := range qs {
			out[i] = queueStatus(q)
		}
		return c.JSON(http.StatusOK, out)
	})
	g.GET("/calls", func(c echo.Context) error {
		calls, err := ctl.Calls(c.Request().Context())
		if err != nil {
			return err
		}
		if p := PrincipalOf(c); !p.Has(ccd.RoleAgentControl) && !p.Has(ccd.RoleSupervise) {
			own := calls[:0]
			for _, call := range calls {
				if call.Agent == p.Agent {
					own = append(own, call)
				}
			}
			calls = own
		}
		out := make([]callView, len(calls))
		for i, call := range calls {
			out[i] = callView{Call: call, HoldSeconds: seconds(call.HoldMS)}
		}
		return c.JSON(http.StatusOK, out)
	})
	g.POST("/calls/:id/transfer", func(c echo.Context) error {
		var body struct {
			Queue  string `json:"queue"`
			Number string `json:"number"`
		}
		if err := BindBody(c, &body, "want JSON {\"queue\": ...} or {\"number\": ...}"); err != nil {
			return err
		}
		if (body.Queue == "") == (body.Number == "") {
			return ccd.Invalid("queue", "give exactly one of queue, number")
		}
		if body.Number != "" && !dialNumber.MatchString(body.Number) {
			return ccd.Invalid("number", "want digits, * and # (an optional leading +), at most 32")
		}
		if err := ownCall(c, ctl); err != nil {
			return err
		}
		if err := ctl.Transfer(c.Request().Context(), c.Param("id"), body.Queue, body.Number); err != nil {
			return err
		}
		return c.JSON(http.StatusOK, map[string]string{"status": "OK"})
	})
	for path, on := range map[string]bool{"/calls/:id/hold": true, "/calls/:id/unhold": false} {
		g.POST(path, func(c echo.Context) error {
			if err := ownCall(c, ctl); err != nil {
				return err
			}
			if err := ctl.Hold(c.Request().Context(), c.Param("id"), on); err != nil {
				return err
			}
			return c.JSON(http.StatusOK, map[string]string{"status": "OK"})
		})
	}
}

// Every duration ccd answers in JSON is in seconds (a _seconds name, a
// fraction where milliseconds matter); the ACD counts milliseconds.
func seconds(ms int64) float64 { return float64(ms) / 1000 }

// QueueStatusView is a queue's present as /api/queues and the real-time view
// give it.
type QueueStatusView struct {
	Code                string         `json:"code"`
	Name                string         `json:"name"`
	Waiting             int            `json:"waiting"`
	LongestWaitSeconds  float64        `json:"longest_wait_seconds"`
	ExpectedWaitSeconds float64        `json:"expected_wait_seconds"`
	LoggedIn            int            `json:"logged_in"`
	Agents              map[string]int `json:"agents"`
}

func queueStatus(q ccd.QueueStatus) QueueStatusView {
	agents := q.AgentsByState
	if agents == nil {
		agents = map[string]int{}
	}
	return QueueStatusView{Code: q.Code, Name: q.Name, Waiting: q.Waiting, LoggedIn: q.LoggedIn, Agents: agents,
		LongestWaitSeconds: seconds(q.LongestWaitMS), ExpectedWaitSeconds: seconds(q.ExpectedWaitMS)}
}

// callView is a call as /api/calls gives it: the ACD's record (also the
// event log's, which keeps its hold_ms) with the hold time in seconds. The
// nil HideHoldMS hides the record's hold_ms: encoding/json takes the
// shallower of two fields of one name, and omits it when nil.
type callView struct {
	ccd.Call
	HideHoldMS  *struct{} `json:"hold_ms,omitempty"`
	HoldSeconds float64   `json:"hold_seconds,omitempty"`
}

// ownCall refuses an agent acting on a call that is not connected to it.
func ownCall(c echo.Context, ctl ccd.CallControl) error {
	p := PrincipalOf(c)
	if p.Has(ccd.RoleAgentControl) {
		return nil
	}
	calls, err := ctl.Calls(c.Request().Context())
	if err != nil {
		return err
	}
	for _, call := range calls {
		if call.ID == c.Param("id") {
			if call.Agent != p.Agent {
				return &ccd.Error{Code: ccd.EFORBIDDEN, Message: "an agent may only act on its own call"}
			}
			return nil
		}
	}
	return &ccd.Error{Code: ccd.ENOTFOUND, Message: "no call " + c.Param("id")}
}
