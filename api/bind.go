package api

import (
	"encoding/json"
	"errors"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/ccdhq/ccd"
	"github.com/labstack/echo/v4"
)

// BindBody decodes the request body (JSON or form) into v. A value of the
// wrong type (an object or a number where a text belongs) is refused naming
// its field, as every other bad value is; a body that does not decode at all
// names "body", with want saying what was expected.
func BindBody(c echo.Context, v any, want string) error {
	err := c.Bind(v)
	if err == nil {
		return nil
	}
	if e := typeError(err); e != nil {
		return e
	}
	return ccd.Invalid("body", want)
}

// typeError names the field of a value of the wrong JSON type (an object
// or a number where a text belongs); nil when err is not that.
func typeError(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		return ccd.Invalid(te.Field, "want "+jsonKind(te.Type.Kind().String())+", got "+te.Value)
	}
	return nil
}

// stringFields decodes a body that is an object of texts (the ccd agent
// requests), naming the first field that holds anything else. An empty body is
// an empty object.
func stringFields(c echo.Context) (map[string]string, error) {
	out := map[string]string{}
	if c.Request().ContentLength == 0 {
		return out, nil
	}
	const want = "want a JSON object of strings"
	var raw map[string]any
	if strings.HasPrefix(c.Request().Header.Get(echo.HeaderContentType), echo.MIMEApplicationJSON) {
		// Numbers stay texts (json.Number) so that one too large for a
		// float64 is still named by its field, like any other non-string.
		dec := json.NewDecoder(c.Request().Body)
		dec.UseNumber()
		if err := dec.Decode(&raw); err != nil {
			return nil, ccd.Invalid("body", want)
		}
	} else if err := BindBody(c, &raw, want); err != nil {
		return nil, err
	}
	for _, k := range slices.Sorted(maps.Keys(raw)) { // the same field named every time
		v := raw[k]
		s, ok := v.(string)
		if !ok {
			return nil, ccd.Invalid(k, "want a string")
		}
		out[k] = s
	}
	return out, nil
}

// jsonKind names a Go kind the way a JSON client knows it.
func jsonKind(kind string) string {
	switch kind {
	case "string":
		return "a string"
	case "map", "struct":
		return "an object"
	case "slice", "array":
		return "an array"
	case "bool":
		return "true or false"
	default:
		return "a number"
	}
}

// dialNumber is what a transfer may dial: digits, * and #, with an optional
// leading +. Anything else (letters, dial-string separators, dialplan
// variables) could reach another context's extensions or Dial() options.
var dialNumber = regexp.MustCompile(`^\+?[0-9*#]{1,32}$`)
