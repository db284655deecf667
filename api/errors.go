package api

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/labstack/echo/v4"
)

// statusOf maps the domain's error codes (ccd.E*) to HTTP status: the one
// place where they are.
var statusOf = map[string]int{
	ccd.EINVALID:     http.StatusBadRequest,
	ccd.EUNAUTH:      http.StatusUnauthorized,
	ccd.EFORBIDDEN:   http.StatusForbidden,
	ccd.ETOOMANY:     http.StatusTooManyRequests,
	ccd.ETOOLARGE:    http.StatusRequestEntityTooLarge,
	ccd.ETIMEOUT:     http.StatusRequestTimeout,
	ccd.ENOTFOUND:    http.StatusNotFound,
	ccd.EMETHOD:      http.StatusMethodNotAllowed,
	ccd.ECONFLICT:    http.StatusConflict,
	ccd.EINTERNAL:    http.StatusInternalServerError,
	ccd.EUNAVAILABLE: http.StatusServiceUnavailable,
}

// ErrorWriter answers an error in a dialect's own shape (the Optimus
// AgentServices answer in an ASMX string); status is the HTTP status of the
// error's code.
type ErrorWriter func(c echo.Context, status int, e *ccd.Error) error

// SetErrorWriter makes w answer the errors of the route path (as registered,
// with its :params).
func (s *Server) SetErrorWriter(path string, w ErrorWriter) { s.errorWriters[path] = w }

// errorHandler writes every error in one shape: JSON {"error": {...}}, or on
// a route with an ErrorWriter the shape of that dialect. Internal errors are
// logged with detail and answered without it.
func (s *Server) errorHandler(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	ae, status := toError(err)
	if ae.Code == ccd.EINTERNAL && status == http.StatusInternalServerError {
		s.log.Error("request failed", "method", c.Request().Method, "path", c.Path(), "err", err)
	}
	if ae.RetryAfter > 0 {
		secs := int64((ae.RetryAfter + time.Second - 1) / time.Second)
		c.Response().Header().Set("Retry-After", strconv.FormatInt(secs, 10))
	}
	if w := s.errorWriters[c.Path()]; w != nil {
		_ = w(c, status, ae)
		return
	}
	_ = c.JSON(status, map[string]*ccd.Error{"error": ae})
}

// toError turns any error into an *ccd.Error and its HTTP status: an echo error
// (unknown route, wrong method, unreadable body) gets the code of its status.
func toError(err error) (*ccd.Error, int) {
	var ae *ccd.Error
	var he *echo.HTTPError
	switch {
	case errors.As(err, &ae):
		if status, ok := statusOf[ae.Code]; ok {
			return ae, status
		}
		return ae, http.StatusInternalServerError
	case errors.As(err, &he):
		ae = &ccd.Error{Code: codeOf(he.Code), Message: http.StatusText(he.Code)}
		if m, ok := he.Message.(string); ok {
			ae.Message = m
		}
		return ae, he.Code
	default:
		return &ccd.Error{Code: ccd.EINTERNAL, Message: "internal error"}, http.StatusInternalServerError
	}
}

// codeOf is the code of an HTTP status: one of ours, or the status text in
// the same snake case ("unsupported_media_type").
func codeOf(status int) string {
	for code, s := range statusOf {
		if s == status {
			return code
		}
	}
	return strings.ToLower(strings.ReplaceAll(http.StatusText(status), " ", "_"))
}
