// Package endpoints decides where an agent may log in: which Asterisk endpoints
// ccd will originate queue calls to on an agent's behalf. An endpoint is dialled
// for every call offered to the agent, so a free choice would let anyone with an
// agent password make ccd ring any number through any trunk (toll fraud) or a
// colleague's phone. The rule lives here, in one place, for every API dialect
// and for the configuration check at start.
package endpoints

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// MaxLen bounds an endpoint: Asterisk's channel names are 80 bytes; dial strings
// with options may be a little longer, never kilobytes.
const MaxLen = 128

// DefaultTemplate is acd.extension_endpoint when the configuration sets none.
const DefaultTemplate = "PJSIP/{extension}"

// Placeholder is replaced by the extension number in acd.extension_endpoint.
const Placeholder = "{extension}"

// syntax is TECHNOLOGY/resource[/part[/part]]: a technology name (PJSIP, SIP,
// IAX2, DAHDI, Local, ...) and a resource of letters, digits and the few
// characters Asterisk dial strings use (Local/1001@agents/n, PJSIP/alice/sip:...,
// DAHDI/g1/5551234). Everything with a meaning to Dial() or Originate beyond one
// target is refused: "&" (several targets), "," (options), "$" and braces
// (variables), spaces, quotes and control characters.
var syntax = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]{0,15}/[A-Za-z0-9_.+@:*#-]+(/[A-Za-z0-9_.+@:*#-]+){0,2}$`)

// extension is an extension number as agents type it at a phone or toolbar.
var extension = regexp.MustCompile(`^[0-9]{1,20}$`)

// Check reports whether s is an endpoint ccd may originate.
func Check(s string) error {
	switch {
	case s == "":
		return &Error{Msg: "is empty"}
	case len(s) > MaxLen:
		return &Error{Msg: fmt.Sprintf("is longer than %d bytes", MaxLen)}
	case !syntax.MatchString(s) || strings.Contains(s, ".."):
		return &Error{Msg: fmt.Sprintf("want TECHNOLOGY/resource such as PJSIP/1001 or Local/1001@agents "+
			"(letters, digits and _.+@:*#- only; no \"..\", \",\", \"&\" or spaces), got %q", clip(s))}
	}
	return nil
}

// clip keeps error messages short when the input is not.
func clip(s string) string {
	if len(s) > MaxLen {
		return s[:MaxLen] + "..."
	}
	return s
}

// CheckTemplate checks acd.extension_endpoint: one {extension} placeholder, and
// an endpoint that passes Check once it is filled in.
func CheckTemplate(t string) error {
	if strings.Count(t, Placeholder) != 1 {
		return &Error{Msg: fmt.Sprintf("want one %s placeholder, e.g. %s, got %q", Placeholder, DefaultTemplate, t)}
	}
	return Check(strings.Replace(t, Placeholder, "1000", 1))
}

// Error is a refused endpoint: bad syntax, or (Forbidden) one this caller may
// not use.
type Error struct {
	Forbidden bool
	Msg       string
}

func (e *Error) Error() string { return e.Msg }

// span is one item of an extension allow-list: lo..hi, both with the same
// number of digits, so that string order is numeric order and "01500" never
// passes for "1500" (they are different extensions to Asterisk).
type span struct{ lo, hi string }

// Extensions is the parsed acd.extensions allow-list.
type Extensions []span

// ParseExtensions parses an allow-list such as "1000-1999,2100,3000-3099".
// Empty allows no extension.
func ParseExtensions(s string) (Extensions, error) {
	var out Extensions
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	for item := range strings.SplitSeq(s, ",") {
		item = strings.TrimSpace(item)
		lo, hi, isRange := strings.Cut(item, "-")
		lo, hi = strings.TrimSpace(lo), strings.TrimSpace(hi)
		if !isRange {
			hi = lo
		}
		switch {
		case !extension.MatchString(lo) || !extension.MatchString(hi):
			return nil, fmt.Errorf("want extension numbers or ranges like 1000-1999,2100, got %q", clip(item))
		case len(lo) != len(hi):
			return nil, fmt.Errorf("the bounds of %q have different numbers of digits; split it (e.g. 100-999,1000-1999)", item)
		case lo > hi:
			return nil, fmt.Errorf("range %q runs backwards", item)
		}
		out = append(out, span{lo, hi})
	}
	return out, nil
}

// Allow reports whether ext is on the list.
func (x Extensions) Allow(ext string) bool {
	return slices.ContainsFunc(x, func(s span) bool {
		return len(ext) == len(s.lo) && s.lo <= ext && ext <= s.hi
	})
}

// Caller is who asks for a login.
type Caller int

const (
	// Agent is an agent acting for itself, or a client that names only an
	// extension (Optimus LOGIN): its configured endpoints and the allowed
	// extensions.
	Agent Caller = iota
	// Integration is the integration token, trusted with any endpoint that is
	// well formed.
	Integration
)

// Policy says where an agent may log in. The zero value (and nil) allows agents
// their configured default endpoint only and the integration token any well
// formed endpoint.
type Policy struct {
	prefix, suffix string // acd.extension_endpoint around {extension}
	extensions     Extensions
	allowed        map[string][]string        // agent id -> configured endpoints
	owners         map[string]map[string]bool // endpoint -> agents configured with it
}

// New builds the policy from acd.extension_endpoint ("" for the default),
// acd.extensions and each agent's configured endpoints.
func New(template, extensions string, agents map[string][]string) (*Policy, error) {
	if template == "" {
		template = DefaultTemplate
	}
	if err := CheckTemplate(template); err != nil {
		return nil, fmt.Errorf("acd.extension_endpoint: %w", err)
	}
	x, err := ParseExtensions(extensions)
	if err != nil {
		return nil, fmt.Errorf("acd.extensions: %w", err)
	}
	p := &Policy{extensions: x, allowed: map[string][]string{}, owners: map[string]map[string]bool{}}
	p.prefix, p.suffix, _ = strings.Cut(template, Placeholder)
	for id, eps := range agents {
		for _, ep := range eps {
			if ep == "" {
				continue
			}
			p.allowed[id] = append(p.allowed[id], ep)
			if p.owners[ep] == nil {
				p.owners[ep] = map[string]bool{}
			}
			p.owners[ep][id] = true
		}
	}
	return p, nil
}

// Resolve turns what a caller asked for into the endpoint to log agent in at,
// or refuses it. "" stays "": the agent's current or configured endpoint, which
// the ACD keeps. A bare extension number becomes an endpoint through
// acd.extension_endpoint.
func (p *Policy) Resolve(c Caller, agent, requested string) (string, error) {
	if requested == "" {
		return "", nil
	}
	ep, ext, err := p.parse(requested)
	if err != nil || c == Integration {
		return ep, err
	}
	if p != nil && slices.Contains(p.allowed[agent], ep) {
		return ep, nil
	}
	if ext != "" && p != nil && p.extensions.Allow(ext) && !p.someoneElses(agent, ep) {
		return ep, nil
	}
	return "", &Error{Forbidden: true, Msg: fmt.Sprintf("agent %s may log in only at its configured endpoints "+
		"or at a free extension listed in acd.extensions; %s is neither", agent, ep)}
}

// parse checks the syntax of a requested endpoint and finds its extension
// number, if it is one written through acd.extension_endpoint.
func (p *Policy) parse(requested string) (ep, ext string, err error) {
	prefix, suffix := p.template()
	if !strings.Contains(requested, "/") {
		if !extension.MatchString(requested) {
			return "", "", &Error{Msg: fmt.Sprintf("want an extension number (digits) or TECHNOLOGY/resource such as PJSIP/1001, got %q", clip(requested))}
		}
		ep = prefix + requested + suffix
		return ep, requested, Check(ep)
	}
	if err := Check(requested); err != nil {
		return "", "", err
	}
	if len(requested) > len(prefix)+len(suffix) && strings.HasPrefix(requested, prefix) && strings.HasSuffix(requested, suffix) {
		if n := requested[len(prefix) : len(requested)-len(suffix)]; extension.MatchString(n) {
			ext = n
		}
	}
	return requested, ext, nil
}

func (p *Policy) template() (prefix, suffix string) {
	if p == nil || p.prefix == "" {
		prefix, suffix, _ = strings.Cut(DefaultTemplate, Placeholder)
		return prefix, suffix
	}
	return p.prefix, p.suffix
}

// someoneElses reports whether ep is configured for another agent and not for
// this one: a colleague's phone is not a free extension even when its number
// is in the allowed range.
func (p *Policy) someoneElses(agent, ep string) bool {
	owners := p.owners[ep]
	return len(owners) > 0 && !owners[agent]
}
