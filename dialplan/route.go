package dialplan

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/ccdhq/ccd/config"
)

// Router maps a dialled number (DNIS) to a route. Exact numbers win over
// patterns; patterns are tried in configuration order.
type Router struct {
	exact    map[string]Match
	patterns []routePattern
}

// Match is a route found for a number, with its index in the configuration
// (what per-route resources, such as its database lookup, are keyed by).
type Match struct {
	config.Route
	Index int
}

type routePattern struct {
	re    *regexp.Regexp
	match Match
}

// NewRouter compiles the configured routes (already validated by config).
func NewRouter(routes []config.Route) (*Router, error) {
	r := &Router{exact: map[string]Match{}}
	for i, rt := range routes {
		if rt.Priority == 0 {
			rt.Priority = 5
		}
		if strings.HasPrefix(rt.DNIS, "^") {
			re, err := regexp.Compile(rt.DNIS)
			if err != nil {
				return nil, fmt.Errorf("acd.routes[%d].dnis: %w", i, err)
			}
			r.patterns = append(r.patterns, routePattern{re, Match{rt, i}})
			continue
		}
		if _, dup := r.exact[rt.DNIS]; !dup {
			r.exact[rt.DNIS] = Match{rt, i}
		}
	}
	return r, nil
}

// Route returns the route for dnis, or false when none matches (the call then
// goes to the default extension).
func (r *Router) Route(dnis string) (Match, bool) {
	if m, ok := r.exact[dnis]; ok {
		return m, true
	}
	for _, p := range r.patterns {
		if p.re.MatchString(dnis) {
			return p.match, true
		}
	}
	return Match{Index: -1}, false
}

// RecordingName expands a file name pattern ({date}, {time}, {queue}, {callid},
// {agent}, {clid}, {dnis}) into a name safe for Asterisk's recording directory:
// anything but letters, digits, '-', '_' and '.' becomes '_', so a caller ID cannot
// reach outside it.
func RecordingName(pattern string, at time.Time, fields map[string]string) string {
	repl := []string{"{date}", at.Format("20060102"), "{time}", at.Format("150405")}
	for _, k := range []string{"queue", "callid", "agent", "clid", "dnis"} {
		repl = append(repl, "{"+k+"}", fields[k])
	}
	name := strings.NewReplacer(repl...).Replace(pattern)
	b := []byte(name)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			b[i] = '_'
		}
	}
	name = strings.Trim(string(b), ".")
	if name == "" {
		name = "recording-" + at.Format("20060102-150405")
	}
	return name
}
