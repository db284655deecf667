package api

import (
	"context"
	"net/http"

	"github.com/ccdhq/ccd/acd"
	"github.com/labstack/echo/v4"
)

// CallControl reads the ACD's queues and calls and acts on connected calls; the
// queue application implements it beside AgentControl.
type CallControl interface {
	Queues(ctx context.Context) ([]acd.QueueStatus, error)
	Calls(ctx context.Context) ([]acd.Call, error)
	Transfer(ctx context.Context, callID, toQueue, toNumber string) error
	Hold(ctx context.Context, callID string, on bool) error
}

// mountCalls adds /api/queues and /api/calls behind the agent interfaces'
// authentication: the integration token sees everything, an agent acts on its
// own call only.
func (a *agentAPI) mountCalls(e *echo.Echo, ctl CallControl) {
	g := e.Group("/api", a.authenticate)
	g.GET("/queues", func(c echo.Context) error {
		qs, err := ctl.Queues(c.Request().Context())
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, qs)
	})
	g.GET("/calls", func(c echo.Context) error {
		calls, err := ctl.Calls(c.Request().Context())
		if err != nil {
			return err
		}
		if p, _ := c.Get("principal").(principal); !p.integration {
			own := calls[:0]
			for _, call := range calls {
				if call.Agent == p.agent {
					own = append(own, call)
				}
			}
			calls = own
		}
		return c.JSON(http.StatusOK, calls)
	})
	g.POST("/calls/:id/transfer", func(c echo.Context) error {
		var body struct {
			Queue  string `json:"queue"`
			Number string `json:"number"`
		}
		if err := c.Bind(&body); err != nil {
			return Invalid("body", "want JSON {\"queue\": ...} or {\"number\": ...}")
		}
		if (body.Queue == "") == (body.Number == "") {
			return Invalid("queue", "give exactly one of queue, number")
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

// ownCall refuses an agent acting on a call that is not connected to it.
func ownCall(c echo.Context, ctl CallControl) error {
	p, _ := c.Get("principal").(principal)
	if p.integration {
		return nil
	}
	calls, err := ctl.Calls(c.Request().Context())
	if err != nil {
		return err
	}
	for _, call := range calls {
		if call.ID == c.Param("id") {
			if call.Agent != p.agent {
				return &Error{Code: EFORBIDDEN, Message: "an agent may only act on its own call"}
			}
			return nil
		}
	}
	return &Error{Code: ENOTFOUND, Message: "no call " + c.Param("id")}
}
