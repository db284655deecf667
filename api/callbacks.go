package api

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/stats"
	"github.com/labstack/echo/v4"
)

// callbackStates are the states a list may ask for.
var callbackStates = []string{ccd.CallbackWaiting, ccd.CallbackCalling, ccd.CallbackDone, ccd.CallbackFailed,
	ccd.CallbackExpired, ccd.CallbackCancelled}

// MountCallbacks adds the callbacks interface (role callbacks: the
// integration token of a web form or CRM, supervisors, administrators):
//
//	POST   /api/callbacks              {"queue", "number", "priority", "not_before", "not_after", "attach_data"}: 201
//	GET    /api/callbacks?state=a,b    the callbacks, in the order they are due; an
//	                                   agent's session sees those of its queues
//	                                   (SetAgentQueues) only
//	GET    /api/callbacks/:id          one
//	DELETE /api/callbacks/:id          cancel a waiting one
//
// loc is the zone in which times without an offset are read.
func (s *Server) MountCallbacks(cb ccd.CallbackControl, loc *time.Location) {
	if loc == nil {
		loc = time.Local
	}
	g := s.Echo.Group("/api/callbacks", s.Authenticate, Require(ccd.RoleCallbacks, ccd.RoleAgentSelf))
	callbacksRole := Require(ccd.RoleCallbacks)
	g.POST("", func(c echo.Context) error {
		var body struct {
			Queue      string `json:"queue" form:"queue"`
			Number     string `json:"number" form:"number"`
			Priority   *int   `json:"priority" form:"priority"`
			NotBefore  string `json:"not_before" form:"not_before"`
			NotAfter   string `json:"not_after" form:"not_after"`
			AttachData string `json:"attach_data" form:"attach_data"`
		}
		if err := BindBody(c, &body, `want JSON {"queue", "number", "priority", "not_before", "not_after", "attach_data"}`); err != nil {
			return err
		}
		r := ccd.CallbackRequest{Queue: body.Queue, Number: body.Number, AttachData: body.AttachData}
		if body.Priority != nil {
			if *body.Priority < 1 || *body.Priority > 9 {
				return ccd.Invalid("priority", "want 1 (highest) .. 9")
			}
			r.Priority = *body.Priority
		}
		var err error
		if r.NotBefore, err = optionalTime("not_before", body.NotBefore, loc); err != nil {
			return err
		}
		if r.NotAfter, err = optionalTime("not_after", body.NotAfter, loc); err != nil {
			return err
		}
		out, err := cb.RequestCallback(c.Request().Context(), PrincipalOf(c), r)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusCreated, out)
	}, callbacksRole, QueryParams())
	g.GET("", func(c echo.Context) error {
		var states []string
		if v := c.QueryParam("state"); v != "" {
			states = strings.Split(v, ",")
			for _, st := range states {
				if !slices.Contains(callbackStates, st) {
					return ccd.Invalid("state", fmt.Sprintf("%q is not a callback state: want %s", st, strings.Join(callbackStates, ", ")))
				}
			}
		}
		out, err := cb.Callbacks(c.Request().Context(), states)
		if err != nil {
			return err
		}
		if p := PrincipalOf(c); !p.Has(ccd.RoleCallbacks) {
			out = s.ofAgentQueues(p.Agent, out)
		}
		if out == nil {
			out = []ccd.Callback{}
		}
		return c.JSON(http.StatusOK, out)
	}, QueryParams("state"))
	g.GET("/:id", func(c echo.Context) error {
		out, err := cb.Callback(c.Request().Context(), c.Param("id"))
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, out)
	}, callbacksRole, QueryParams())
	g.DELETE("/:id", func(c echo.Context) error {
		out, err := cb.CancelCallback(c.Request().Context(), PrincipalOf(c), c.Param("id"))
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, out)
	}, callbacksRole, QueryParams())
}

// SetAgentQueues says which queues an agent serves, so that an agent's
// session lists the callbacks of its queues; without it, none.
func (s *Server) SetAgentQueues(f func(agent string) []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.agentQueues = f
}

// ofAgentQueues keeps the callbacks of the queues agent serves.
func (s *Server) ofAgentQueues(agent string, all []ccd.Callback) []ccd.Callback {
	s.mu.Lock()
	f := s.agentQueues
	s.mu.Unlock()
	if f == nil || agent == "" {
		return nil
	}
	queues := f(agent)
	var out []ccd.Callback
	for _, cb := range all {
		if slices.Contains(queues, cb.Queue) {
			out = append(out, cb)
		}
	}
	return out
}

// optionalTime reads a time of a request body: RFC 3339 or a local date and
// time; "" is none.
func optionalTime(field, v string, loc *time.Location) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if t, ok := stats.ParseTime(v, loc); ok {
		return t, nil
	}
	return time.Time{}, ccd.Invalid(field, fmt.Sprintf("%q is not a time: want RFC 3339 (2026-03-10T08:00:00+01:00) "+
		"or a local date and time (2026-03-10T08:00)", v))
}
