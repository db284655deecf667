package flow

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/ccdhq/ccd/internal/textcheck"
)

// templateNames maps Flexfone's variables to the profile's fields; any
// other [name] is the profile field of that name (a stored variable).
var templateNames = map[string]string{
	"callerid":      FieldANI,
	"input":         FieldInput,
	"uniquecallid":  FieldCallID,
	"callername":    FieldCallerName,
	"callernametxt": FieldLineName,
}

// expand replaces the [variables] of a template; in a URL (escape) only
// the query is expanded and every value is URL-encoded, so the call's data
// never changes the address.
func (c *Call) expand(tmpl string, escape bool) string {
	value := func(name string) string {
		if f, ok := templateNames[strings.ToLower(name)]; ok {
			name = f
		}
		v := c.Profile.Get(name)
		if escape {
			return url.QueryEscape(v)
		}
		return v
	}
	prefix := ""
	if escape {
		base, query, ok := strings.Cut(tmpl, "?")
		if !ok {
			return tmpl
		}
		prefix, tmpl = base+"?", query
	}
	return prefix + templated.ReplaceAllStringFunc(tmpl, func(m string) string { return value(m[1 : len(m)-1]) })
}

// checkAnswer turns an HTTP answer into its text, or the reason it is no
// answer: a failure, a status that is not 2xx, invalid UTF-8 or control
// characters.
func checkAnswer(r HTTPResult) (string, error) {
	switch {
	case r.Err != nil:
		return "", r.Err
	case r.Status < 200 || r.Status > 299:
		return "", fmt.Errorf("the service answered HTTP %d", r.Status)
	case !utf8.Valid(r.Body):
		return "", errors.New("the service's answer is not valid UTF-8")
	}
	body := strings.TrimSpace(string(r.Body))
	if p := textcheck.Problem(body); p != "" {
		return "", fmt.Errorf("the service's answer %s", p)
	}
	return body, nil
}

// parsePairs reads "key=value&key=value" with URL-encoded values, keeping
// the keys' case and order.
func parsePairs(body string) ([][2]string, error) {
	var out [][2]string
	for _, part := range strings.Split(body, "&") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("the answer %q is not key=value pairs joined by &", clip(body))
		}
		key, err1 := url.QueryUnescape(k)
		val, err2 := url.QueryUnescape(v)
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("the answer %q is not URL-encoded", clip(body))
		}
		if !ValidFieldName(key) {
			return nil, fmt.Errorf("the answer's key %q is not a variable name", clip(key))
		}
		out = append(out, [2]string{key, val})
	}
	if len(out) == 0 {
		return nil, errors.New("the answer is empty")
	}
	return out, nil
}

// crmDestination reads OMniLeads' identification answer:
// {"status": "ok", "destination": "true" | "false" | "X,Y"}.
func crmDestination(body string) (string, error) {
	var a struct {
		Status      string `json:"status"`
		Destination any    `json:"destination"`
	}
	if err := json.Unmarshal([]byte(body), &a); err != nil {
		return "", fmt.Errorf("the CRM's answer is not JSON: %v", err)
	}
	if a.Status != "ok" {
		return "", fmt.Errorf("the CRM answered status %q", clip(a.Status))
	}
	switch d := a.Destination.(type) {
	case string:
		return strings.TrimSpace(d), nil
	case bool:
		return fmt.Sprint(d), nil
	case []any: // [X, Y]
		if len(d) == 2 {
			return fmt.Sprintf("%v,%v", d[0], d[1]), nil
		}
	}
	return "", errors.New("the CRM's answer has no destination")
}
