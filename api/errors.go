package api

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
)

// Error codes, mapped to HTTP status in one place.
const (
	EINVALID = "invalid"      // 400: bad input, Field names it
	EUNAUTH  = "unauthorized" // 401: no or bad credentials
	// EFORBIDDEN: 403, the caller is known but may not do this (an agent acting
	// for another agent, an endpoint the agent is not allowed to use).
	EFORBIDDEN = "forbidden"
	// ETOOMANY: 429, too many attempts (login throttling); retry later.
	ETOOMANY = "too_many_requests"
	// ETOOLARGE: 413, the request body is over the configured limit.
	ETOOLARGE = "too_large"
	// ETIMEOUT: 408, the request did not arrive within api.read_timeout.
	ETIMEOUT  = "timeout"
	ENOTFOUND = "not_found"
	// EMETHOD: 405, the path exists but not with this method (Allow lists
	// those it has).
	EMETHOD   = "method_not_allowed"
	ECONFLICT = "conflict"
	EINTERNAL = "internal"
	// EUNAVAILABLE: 503, the service is starting or stopping; retry.
	EUNAVAILABLE = "unavailable"
)

// Error is an application error with a code and, for bad input, the field at fault.
type Error struct {
	Code    string `json:"code"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
	// RetryAfter, when set, is sent as the Retry-After header (whole seconds).
	RetryAfter time.Duration `json:"-"`
}

func (e *Error) Error() string { return e.Message }

// Invalid is a 400 naming the field.
func Invalid(field, msg string) *Error { return &Error{Code: EINVALID, Field: field, Message: msg} }

var statusOf = map[string]int{
	EINVALID:     http.StatusBadRequest,
	EUNAUTH:      http.StatusUnauthorized,
	EFORBIDDEN:   http.StatusForbidden,
	ETOOMANY:     http.StatusTooManyRequests,
	ETOOLARGE:    http.StatusRequestEntityTooLarge,
	ETIMEOUT:     http.StatusRequestTimeout,
	ENOTFOUND:    http.StatusNotFound,
	EMETHOD:      http.StatusMethodNotAllowed,
	ECONFLICT:    http.StatusConflict,
	EINTERNAL:    http.StatusInternalServerError,
	EUNAVAILABLE: http.StatusServiceUnavailable,
}

// errorHandler writes every error in one shape: JSON {"error": {...}}, or on
// the Optimus AgentServices the ASMX string that interface answers in.
// Internal errors are logged with detail and answered without it.
func errorHandler(log *slog.Logger) echo.HTTPErrorHandler {
	return func(err error, c echo.Context) {
		if c.Response().Committed {
			return
		}
		ae, status := toError(err)
		if ae.Code == EINTERNAL && status == http.StatusInternalServerError {
			log.Error("request failed", "method", c.Request().Method, "path", c.Path(), "err", err)
		}
		if ae.RetryAfter > 0 {
			secs := int64((ae.RetryAfter + time.Second - 1) / time.Second)
			c.Response().Header().Set("Retry-After", strconv.FormatInt(secs, 10))
		}
		if c.Path() == optimusRoute {
			_ = c.XML(status, optimusResult{Value: optimusErrorText(ae)})
			return
		}
		_ = c.JSON(status, map[string]*Error{"error": ae})
	}
}

// toError turns any error into an *Error and its HTTP status: an echo error
// (unknown route, wrong method, unreadable body) gets the code of its status.
func toError(err error) (*Error, int) {
	var ae *Error
	var he *echo.HTTPError
	switch {
	case errors.As(err, &ae):
		if status, ok := statusOf[ae.Code]; ok {
			return ae, status
		}
		return ae, http.StatusInternalServerError
	case errors.As(err, &he):
		ae = &Error{Code: codeOf(he.Code), Message: http.StatusText(he.Code)}
		if m, ok := he.Message.(string); ok {
			ae.Message = m
		}
		return ae, he.Code
	default:
		return &Error{Code: EINTERNAL, Message: "internal error"}, http.StatusInternalServerError
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
