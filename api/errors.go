package api

import (
	"errors"
	"log/slog"
	"net/http"

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
	ENOTFOUND = "not_found"
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
	ENOTFOUND:    http.StatusNotFound,
	ECONFLICT:    http.StatusConflict,
	EINTERNAL:    http.StatusInternalServerError,
	EUNAVAILABLE: http.StatusServiceUnavailable,
}

// errorHandler writes every error as JSON {"error": {...}}. Internal errors are
// logged with detail and answered without it.
func errorHandler(log *slog.Logger) echo.HTTPErrorHandler {
	return func(err error, c echo.Context) {
		if c.Response().Committed {
			return
		}
		var ae *Error
		var he *echo.HTTPError
		switch {
		case errors.As(err, &ae):
		case errors.As(err, &he):
			ae = &Error{Code: codeOf(he.Code), Message: http.StatusText(he.Code)}
			if m, ok := he.Message.(string); ok {
				ae.Message = m
			}
		default:
			log.Error("request failed", "method", c.Request().Method, "path", c.Path(), "err", err)
			ae = &Error{Code: EINTERNAL, Message: "internal error"}
		}
		status, ok := statusOf[ae.Code]
		if !ok {
			status = http.StatusInternalServerError
			if he != nil {
				status = he.Code
			}
		}
		_ = c.JSON(status, map[string]*Error{"error": ae})
	}
}

func codeOf(status int) string {
	for code, s := range statusOf {
		if s == status {
			return code
		}
	}
	return http.StatusText(status)
}
