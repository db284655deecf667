package api

import (
	"net/url"
	"strings"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/internal/textcheck"
	"github.com/labstack/echo/v4"
)

// decodePathParams percent-decodes the path parameters of every route and
// holds them to the text rule of every other value from outside. Echo routes
// on the raw path whenever it holds an escape that the decoded path would not
// give back (c1%3B2, a%2Fb), and then leaves the parameters as they were
// sent: /api/calls/c1%3B2/hold would act on a call "c1%3B2". Otherwise it
// routes on the decoded path, where %00 is already a NUL byte.
func decodePathParams(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		raw := c.Request().URL.RawPath != ""
		values := c.ParamValues() // echo's own slice: decoded in place
		for i, name := range c.ParamNames() {
			if raw && strings.Contains(values[i], "%") {
				v, err := url.PathUnescape(values[i])
				if err != nil {
					return ccd.Invalid(name, "is not a valid percent-encoded path segment")
				}
				values[i] = v
			}
			if p := textcheck.Problem(values[i]); p != "" {
				return ccd.Invalid(name, p)
			}
		}
		return next(c)
	}
}
