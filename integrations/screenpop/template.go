// Package screenpop builds the screen pop URLs of a call (Optimus API guide
// §4): up to three URL templates per queue, the system defaults for a queue
// that has none, with the call's parameters put in URL-encoded. The agent
// toolbar push hands the URLs to the agent's desktop when a call is offered;
// Fetcher GETs them server-side for CRMs that take the pop as a request.
//
// A template names a parameter in braces, in the seed's spelling:
//
//	https://crm.example/pop?phone={CLID}&dnis={DNIS}&waited={WAITING TIME}&id={CALLID}
//
// {CLID}, {DNIS}, {ATTACHDATA}, {QUEUE}, {WAITING TIME}, {GREETING},
// {EXTENSION}, {CALLID} and {QUEUECODE}, plus {AGENT} and {PRIORITY}, and
// {ATTACHDATA:name} for one field of attach data written as name=value pairs
// (separated by ; or &), and {PROFILE:name} for any field of the call's
// profile (what its call flow stored). Names are case-insensitive; an unknown one is refused
// when the template is configured, so a typo never pops a URL with a hole.
// This package imports nothing of ccd: the configuration checks templates
// with it.
package screenpop

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// MaxTemplates is how many URLs one queue pops at once (the seed's three).
const MaxTemplates = 3

// Params are what a screen pop URL can carry about an offered call.
type Params struct {
	CLID, DNIS, AttachData string
	Queue                  string // the name of the queue the call came in from
	QueueCode              string // the code of the queue that offers it to the agent
	WaitingSeconds         int64  // how long the caller has waited so far
	Greeting               string // the greeting of the call's DNIS
	Extension              string // where the agent is: the extension of its endpoint
	CallID                 string
	Agent                  string
	Priority               int
	// Profile is the call profile's fields by lower-cased name.
	Profile map[string]string
}

// names maps a parameter's upper-cased name to its value in Params.
var names = map[string]func(p Params) string{
	"CLID":         func(p Params) string { return p.CLID },
	"DNIS":         func(p Params) string { return p.DNIS },
	"ATTACHDATA":   func(p Params) string { return p.AttachData },
	"QUEUE":        func(p Params) string { return p.Queue },
	"WAITING TIME": func(p Params) string { return strconv.FormatInt(p.WaitingSeconds, 10) },
	"GREETING":     func(p Params) string { return p.Greeting },
	"EXTENSION":    func(p Params) string { return p.Extension },
	"CALLID":       func(p Params) string { return p.CallID },
	"QUEUECODE":    func(p Params) string { return p.QueueCode },
	"AGENT":        func(p Params) string { return p.Agent },
	"PRIORITY":     func(p Params) string { return strconv.Itoa(p.Priority) },
}

const (
	attachField  = "ATTACHDATA:"
	profileField = "PROFILE:"
)

// named tells whether name (upper-cased) is a parameter.
func named(name string) bool {
	if _, ok := names[name]; ok {
		return true
	}
	for _, prefix := range []string{attachField, profileField} {
		if strings.HasPrefix(name, prefix) && len(name) > len(prefix) {
			return true
		}
	}
	return false
}

// Check tells what is wrong with a template: not an absolute http(s) URL, an
// unclosed brace, or an unknown parameter.
func Check(tmpl string) error {
	if _, err := parse(tmpl); err != nil {
		return err
	}
	u, err := url.Parse(Expand(tmpl, Params{}))
	if err != nil {
		return fmt.Errorf("not a URL: %v", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errors.New("want an absolute http:// or https:// URL")
	}
	return nil
}

// part is a piece of a template: literal text, or a parameter.
type part struct {
	text  string
	param string // upper-cased name; "" for text
	query bool   // after the '?': encoded as a query value
}

func parse(tmpl string) ([]part, error) {
	var out []part
	query := false
	for rest := tmpl; rest != ""; {
		open := strings.IndexByte(rest, '{')
		if open < 0 {
			out = append(out, part{text: rest})
			break
		}
		if open > 0 {
			out = append(out, part{text: rest[:open]})
		}
		query = query || strings.ContainsAny(rest[:open], "?")
		closing := strings.IndexByte(rest[open:], '}')
		if closing < 0 {
			return nil, fmt.Errorf("unclosed { at %q", rest[open:])
		}
		name := strings.ToUpper(strings.TrimSpace(rest[open+1 : open+closing]))
		if !named(name) {
			return nil, fmt.Errorf("unknown parameter {%s}: want one of CLID, DNIS, ATTACHDATA, ATTACHDATA:name, PROFILE:name, QUEUE, "+
				"WAITING TIME, GREETING, EXTENSION, CALLID, QUEUECODE, AGENT, PRIORITY", rest[open+1:open+closing])
		}
		out = append(out, part{param: name, query: query})
		rest = rest[open+closing+1:]
	}
	return out, nil
}

// Expand puts p into tmpl, each value URL-encoded for where it stands (a
// path segment or a query value), so a caller ID or attach data can never
// add a parameter or change the host. A template that does not Check gives
// "".
func Expand(tmpl string, p Params) string {
	parts, err := parse(tmpl)
	if err != nil {
		return ""
	}
	var b strings.Builder
	for _, pt := range parts {
		if pt.param == "" {
			b.WriteString(pt.text)
			continue
		}
		v := value(pt.param, p)
		if pt.query {
			b.WriteString(url.QueryEscape(v))
		} else {
			b.WriteString(url.PathEscape(v))
		}
	}
	return b.String()
}

func value(name string, p Params) string {
	if f, ok := names[name]; ok {
		return f(p)
	}
	if field, ok := strings.CutPrefix(name, profileField); ok {
		return p.Profile[strings.ToLower(field)]
	}
	return AttachField(p.AttachData, strings.TrimPrefix(name, attachField))
}

// AttachField is one field of attach data written as name=value pairs
// separated by ; or & ("cust=4711;vip=1"); names compare case-insensitively.
// "" when there is no such field.
func AttachField(attach, name string) string {
	for _, pair := range strings.FieldsFunc(attach, func(r rune) bool { return r == ';' || r == '&' }) {
		k, v, ok := strings.Cut(pair, "=")
		if ok && strings.EqualFold(strings.TrimSpace(k), name) {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// URLs expands the templates of a queue, or the defaults when the queue has
// none.
func URLs(queueTemplates, defaults []string, p Params) []string {
	tmpls := queueTemplates
	if len(tmpls) == 0 {
		tmpls = defaults
	}
	out := make([]string, 0, len(tmpls))
	for _, t := range tmpls {
		if u := Expand(t, p); u != "" {
			out = append(out, u)
		}
	}
	return out
}
