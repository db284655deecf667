package hostile_test

import (
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/ccdhq/ccd/api"
	"github.com/ccdhq/ccd/internal/textcheck"
)

// value is one hostile input. text is what a query, form, path or header
// carries; rawJSON, when set, is what a JSON body carries instead (a value of
// the wrong JSON type), and otherwise text goes as a JSON string.
type value struct {
	class, name string
	text        string
	rawJSON     string
}

// corpus is what an attacker or a careless integration sends: every class of
// value that has broken, or could break, an edge of ccd. Each class has at least
// one value; when the whole product of routes, parameters, callers and values
// is too large, callers other than a route's main one get one value per class.
var corpus = []value{
	{class: "sql", name: "or-true", text: `' OR '1'='1`},
	{class: "sql", name: "drop", text: `1; DROP TABLE call_event; --`},
	{class: "shell", name: "substitution", text: `$(reboot)`},
	{class: "shell", name: "pipe", text: "`id` | cat /etc/passwd; rm -rf / &"},
	{class: "placeholder", name: "clid", text: `$CLID`},
	{class: "placeholder", name: "ani", text: `%ANI%`},
	{class: "placeholder", name: "username", text: `{Username}`},
	{class: "placeholder", name: "exten", text: `${EXTEN}`},
	{class: "control", name: "nul", text: "x\x00y"},
	{class: "control", name: "escape", text: "\x01\x1b[2J\x7f"},
	{class: "control", name: "crlf", text: "a\r\nX-Injected: 1"},
	{class: "utf8", name: "ff-fe", text: "\xff\xfe"},
	{class: "utf8", name: "truncated", text: "\xc3\x28"},
	{class: "size", name: "100KB", text: strings.Repeat("A", 100<<10)},
	{class: "path", name: "traversal", text: "../../etc/passwd"},
	{class: "path", name: "encoded-traversal", text: "..%2f..%2fetc%2fpasswd"},
	{class: "path", name: "dial-string", text: "Local/0090055512345@outbound-trunk"},
	{class: "number", name: "negative", text: "-1"},
	{class: "number", name: "zero", text: "0"},
	{class: "number", name: "huge", text: "99999999999999999999999999"},
	{class: "number", name: "overflow-float", text: "1e309"},
	{class: "number", name: "nan", text: "NaN"},
	{class: "markup", name: "formula", text: `=HYPERLINK("http://x","y")`},
	{class: "markup", name: "xml-entity", text: `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>`},
	{class: "empty", name: "empty", text: ""},
	{class: "json-type", name: "object", text: `{"$ne":null}`, rawJSON: `{"$ne":null}`},
	{class: "json-type", name: "number", text: "1e999", rawJSON: `1e999`},
}

// classes lists each class of the corpus once, in corpus order.
func classes() []string {
	var out []string
	seen := map[string]bool{}
	for _, v := range corpus {
		if !seen[v.class] {
			seen[v.class] = true
			out = append(out, v.class)
		}
	}
	return out
}

// onePerClass picks one value of each class; seed rotates the pick so that,
// across routes and parameters, every value of a class is sent somewhere, and
// the same seed always picks the same values.
func onePerClass(seed uint32) []value {
	var out []value
	for _, class := range classes() {
		var members []value
		for _, v := range corpus {
			if v.class == class {
				members = append(members, v)
			}
		}
		out = append(out, members[int(seed%uint32(len(members)))])
	}
	return out
}

// fnv32 is FNV-1a, the deterministic seed of onePerClass.
func fnv32(s string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= 16777619
	}
	return h
}

// The predicates below say whether a 2xx is a correct answer to a hostile
// value sent in a parameter. sent is what reached the server.
type sent struct {
	caller caller
	in     where
	v      value
}

// isText is true when the server sees a string (not a JSON number or object).
func (s sent) isText() bool { return s.in != inJSON || s.v.rawJSON == "" }

// cleanText accepts any one-line text PostgreSQL can store: free text such as
// an activity code or a DNIS filter may be anything else.
func cleanText(s sent) bool { return s.isText() && textcheck.Problem(s.v.text) == "" }

// never: no value of the corpus is a valid value of the parameter (an unknown
// agent, call, table or credential), so a 2xx is always wrong.
func never(sent) bool { return false }

// anything: the parameter does not reach ccd (an unknown parameter of a route
// that ignores unknown parameters).
func anything(sent) bool { return true }

// selfWhenEmpty is an agent named by a request: an agent naming nobody acts
// for itself; no value of the corpus names an agent.
func selfWhenEmpty(s sent) bool { return s.caller == agent && s.isText() && s.v.text == "" }

// positiveInt is a row limit.
func positiveInt(s sent) bool {
	n, err := strconv.Atoi(s.v.text)
	return s.isText() && err == nil && n > 0
}

var (
	// endpointSyntax is a technology and a resource (PJSIP/1001,
	// Local/1001@agents) or an extension number.
	endpointSyntax = regexp.MustCompile(`^([A-Za-z][A-Za-z0-9]*/[A-Za-z0-9_.@+-]+|[0-9]{1,20})$`)
	// dialable is a number a call may be transferred to.
	dialable = regexp.MustCompile(`^[0-9*#+]{1,32}$`)
)

// endpoint is where an agent logs in. An agent (or the Optimus interface
// acting for one) may only use an endpoint the configuration allows it, and
// no value of the corpus is one; the integration token may name any endpoint
// of a valid syntax.
func endpoint(s sent) bool {
	return s.caller == integration && cleanText(s) && endpointSyntax.MatchString(s.v.text) &&
		!strings.Contains(s.v.text, "..")
}

// number is a transfer destination: something Asterisk can dial.
func number(s sent) bool { return cleanText(s) && dialable.MatchString(s.v.text) }

var (
	// itemIDSyntax is the id of a new item of the live configuration.
	itemIDSyntax = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.@+-]{0,63}$`)
	// configEndpoint is an agent's configured endpoint: technology and
	// resource.
	configEndpoint = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]*/[A-Za-z0-9_.@+-]+$`)
)

// itemID names an item of the live configuration: a PUT creates one with
// a well formed id, a GET or DELETE may find it.
func itemID(s sent) bool { return cleanText(s) && itemIDSyntax.MatchString(s.v.text) }

// dnis is a route's number: any one-line text that is not a pattern.
func dnis(s sent) bool { return cleanText(s) && s.v.text != "" && !strings.HasPrefix(s.v.text, "^") }

// duration is a non-negative duration, as in the configuration file.
func duration(s sent) bool {
	d, err := time.ParseDuration(s.v.text)
	return s.isText() && err == nil && d >= 0
}

// adminEndpoint is an endpoint the admin configures for an agent.
func adminEndpoint(s sent) bool {
	return cleanText(s) && configEndpoint.MatchString(s.v.text) && !strings.Contains(s.v.text, "..")
}

// amdParams are AMD()'s arguments: whole numbers, comma separated.
func amdParams(s sent) bool { return s.isText() && api.AMDParams.MatchString(s.v.text) }

// mediaRef is an ARI media reference a campaign plays (sound:name): one
// word with a colon, or nothing.
func mediaRef(s sent) bool {
	t := s.v.text
	return cleanText(s) && (t == "" || len(t) <= 200 && strings.Contains(t, ":") && !strings.ContainsAny(t, " \t\r\n"))
}
