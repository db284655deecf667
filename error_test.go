package ccd_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/ccdhq/ccd"
)

func TestErrorCodeAndMessage(t *testing.T) {
	wrapped := fmt.Errorf("context: %w", ccd.Errorf(ccd.ECONFLICT, "agent %s is on a call", "1001"))
	cases := []struct {
		err           error
		code, message string
	}{
		{nil, "", ""},
		{ccd.Invalid("endpoint", "is empty"), ccd.EINVALID, "is empty"},
		{wrapped, ccd.ECONFLICT, "agent 1001 is on a call"},
		// Detail of an unexpected error is for the log, not for the client.
		{errors.New("dial tcp 10.0.0.5:5432: refused"), ccd.EINTERNAL, "internal error"},
	}
	for _, c := range cases {
		if got := ccd.ErrorCode(c.err); got != c.code {
			t.Errorf("ErrorCode(%v) = %q, want %q", c.err, got, c.code)
		}
		if got := ccd.ErrorMessage(c.err); got != c.message {
			t.Errorf("ErrorMessage(%v) = %q, want %q", c.err, got, c.message)
		}
	}
}
