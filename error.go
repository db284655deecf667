package ccd

import (
	"errors"
	"fmt"
	"time"
)

// Error codes. The HTTP layer maps each to a status in one place
// (api/errors.go); every other layer speaks in codes.
const (
	EINVALID = "invalid"      // bad input, Field names it
	EUNAUTH  = "unauthorized" // no or bad credentials
	// EFORBIDDEN: the caller is known but may not do this (an agent acting
	// for another agent, an endpoint the agent is not allowed to use, a
	// principal without the role).
	EFORBIDDEN = "forbidden"
	// ETOOMANY: too many attempts (login throttling); retry later.
	ETOOMANY = "too_many_requests"
	// ETOOLARGE: the request body is over the configured limit.
	ETOOLARGE = "too_large"
	// ETIMEOUT: the request did not arrive within api.read_timeout.
	ETIMEOUT  = "timeout"
	ENOTFOUND = "not_found"
	// EMETHOD: the path exists but not with this method.
	EMETHOD   = "method_not_allowed"
	ECONFLICT = "conflict"
	EINTERNAL = "internal"
	// EUNAVAILABLE: the service is starting or stopping; retry.
	EUNAVAILABLE = "unavailable"
)

// Error is an application error with a code and, for bad input, the field at
// fault. Its JSON form is what the interfaces answer inside {"error": ...}.
type Error struct {
	Code    string `json:"code"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
	// RetryAfter, when set, tells the client when to try again (the HTTP
	// layer sends it as Retry-After, in whole seconds).
	RetryAfter time.Duration `json:"-"`
}

func (e *Error) Error() string { return e.Message }

// Errorf is an error of code with a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid is an EINVALID error naming the field at fault.
func Invalid(field, msg string) *Error { return &Error{Code: EINVALID, Field: field, Message: msg} }

// ErrorCode is the code of err: "" for nil, EINTERNAL for an error that is
// not an *Error.
func ErrorCode(err error) string {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage is the message of err fit for a client: "" for nil, a generic
// text for an error that is not an *Error (its detail is for the log only).
func ErrorMessage(err error) string {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Message
	}
	return "internal error"
}
