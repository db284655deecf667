package hostile_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
)

// The server registers no route the table does not describe, and the table
// describes no route the server lacks: a new route cannot escape the suite.
func TestEveryRouteIsInTheTable(t *testing.T) {
	h := newHarness(t)
	if h.srv == nil {
		t.Fatal("daemon.ServerHook was not called")
	}
	registered := map[string]bool{}
	for _, r := range h.srv.Echo.Routes() {
		registered[r.Method+" "+r.Path] = true
	}
	described := map[string]bool{}
	for _, v := range table() {
		described[v.route] = true
	}
	for route := range registered {
		if !described[route] {
			t.Errorf("route %s is not in the hostile suite's table (internal/hostile/routes_test.go): add its parameters", route)
		}
	}
	for route := range described {
		if !registered[route] {
			t.Errorf("the table describes %s, which the server does not register", route)
		}
	}
}

// Every parameter of every route, sent every class of hostile value by every
// kind of caller: no answer is a 5xx or a dropped connection, every 2xx is a
// correct one, every 4xx has the error shape and a 400 names the parameter;
// and afterwards the event log still writes.
func TestHostileValues(t *testing.T) {
	h := newHarness(t)
	h.connectCall()
	h.seedDialer()
	for _, id := range []string{agentPause, agentLogout, agentLogin} {
		h.must(http.MethodPost, "/api/agents/"+id+"/login", integrationToken, map[string]string{})
	}
	// Session tokens before any wrong password is sent.
	for _, id := range []string{agentPause, agentOnCall, agentLogout, agentLogin} {
		if _, err := h.token(id, ""); err != nil {
			t.Fatal(err)
		}
	}

	started := time.Now()
	var failures []failure
	total := 0
	for i, phase := range plan(table()) {
		n := workers
		if i == phaseLateAccepted {
			n = 1 // the first transfer that succeeds moves the call away: the valid one goes first
		}
		failures = append(failures, h.run(phase, n)...)
		total += len(phase)
	}
	t.Logf("%d requests in %s", total, time.Since(started).Round(time.Millisecond))
	report(t, failures)

	h.checkAlive()
	h.checkEventLogWrites(agentFinal)
	if err := h.stop(); err != nil {
		t.Errorf("the daemon stopped with %v", err)
	}
}

// The original attack: an agent pauses with a NUL in the activity (and the same
// through the native and the Optimus interfaces). Each is a 400 naming the
// field, and the event log goes on writing.
func TestNULActivityIsRefusedAndTheEventLogWrites(t *testing.T) {
	h := newHarness(t)
	tok, err := h.token(agentPause, "")
	if err != nil {
		t.Fatal(err)
	}
	h.must(http.MethodPost, "/api/v1/asterisk_login/", tok, map[string]string{})

	attacks := []request{
		{v: variant{route: "POST /api/v1/asterisk_pause/", body: inJSON, callers: []caller{agent}, agent: agentPause, errors: jsonError},
			caller: agent, p: field("pause_id", "", cleanText)},
		{v: variant{route: "POST /api/agents/:id/not_ready", body: inJSON, callers: []caller{agent}, agent: agentPause, errors: jsonError,
			params: []param{pathParam("id", agentPause, never)}},
			caller: agent, p: field("activity", "", cleanText)},
		{v: variant{route: "GET /AgentServices.asmx/:op", callers: []caller{optimus}, agent: agentPause, errors: optimusError,
			params: []param{pathParam("op", "NOTREADY", never), query("Username", agentPause, never),
				{name: "webServiceUserName", in: inQuery, valid: optimusUser, optimusCred: true},
				{name: "password", in: inQuery, valid: optimusPassword, optimusCred: true}}},
			caller: optimus, p: query("activityCode", "", cleanText)},
	}
	nul := value{class: "control", name: "nul", text: "x\x00y"}
	for _, r := range attacks {
		r.val = nul
		a := h.send(r)
		field, _ := r.v.errors(a.body)
		if a.status != http.StatusBadRequest || !names(r, field) {
			t.Errorf("%s: HTTP %d %.300s; want 400 naming %s", r, a.status, a.body, r.p.name)
		}
	}

	since := time.Now().Add(-time.Second)
	h.must(http.MethodPost, "/api/v1/asterisk_pause/", tok, map[string]string{"pause_id": "lunch"})
	h.checkAlive()
	if h.waitFor("the pause after the attack in call_event", func() bool { return h.count("agent.not_ready", agentPause, since) > 0 }) {
		h.checkEventLogWrites(agentFinal)
	}
}

// Phases of the suite, in order.
const (
	phaseMain = iota
	// phaseLateRefused: transfers of the test call that must be refused, sent
	// while the call is still connected.
	phaseLateRefused
	// phaseLateAccepted: transfers that may succeed and move the call away.
	phaseLateAccepted
	// phaseSecrets: requests without valid credentials (wrong passwords,
	// hostile tokens, callers a route refuses), which may be throttled and
	// lock out the users and the address they come from.
	phaseSecrets
	phases
)

// plan lists the requests of the suite by phase: for each variant, a request
// without any hostile value (which proves the table's valid values are), and
// one for each parameter and hostile value.
func plan(vs []variant) [phases][]request {
	var out [phases][]request
	for _, v := range vs {
		baselinePhase := phaseMain
		if v.late {
			baselinePhase = phaseLateAccepted
		}
		for _, c := range v.callers {
			// The valid requests go first: they prove the table's values are.
			out[baselinePhase] = slices.Insert(out[baselinePhase], 0, request{v: v, caller: c})
		}
		params := append(slices.Clone(v.params), param{name: "zz_unknown", in: inQuery, accepts: unknownAccepts(v)})
		if v.body != 0 {
			params = append(params, param{name: "zz_unknown_field", in: v.body, accepts: anything})
		}
		if !v.public() && !v.reaches(optimus) {
			params = append(params, param{name: "Authorization", in: inHeader, accepts: never})
		}
		for i, c := range append(slices.Clone(v.callers), v.refused...) {
			for _, p := range params {
				if p.in == inHeader && i > 0 {
					continue // the hostile header replaces the caller's credentials
				}
				values := corpus
				if i > 0 || v.sampled {
					values = onePerClass(fnv32(v.route + "|" + v.sendMethod() + "|" + c.String() + "|" + p.name))
				}
				for _, val := range values {
					if p.in == inHeader && !headerValue(val.text) {
						continue // no client can send it: net/http refuses it before any handler
					}
					r := request{v: v, caller: c, p: p, val: val}
					r.stranger = !v.reaches(c) || p.secret || p.in == inHeader
					phase := phaseMain
					switch {
					case r.stranger:
						phase = phaseSecrets
					case v.late && v.reaches(c) && acceptable(r):
						phase = phaseLateAccepted
					case v.late:
						phase = phaseLateRefused
					}
					out[phase] = append(out[phase], r)
				}
			}
		}
	}
	return out
}

func unknownAccepts(v variant) func(sent) bool {
	if v.strict {
		return never
	}
	return anything
}

// headerValue is what net/http's client lets through as a header value.
func headerValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 0x20 && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}

// workers bounds the requests in flight: enough to find races between them,
// few enough for a CI machine with two cores.
const workers = 8

type failure struct {
	r       request
	problem string
	a       answer
}

// run sends the requests of one phase, n at a time, and returns what went
// wrong.
func (h *harness) run(requests []request, n int) []failure {
	jobs := make(chan request)
	var mu sync.Mutex
	var out []failure
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range jobs {
				a := h.send(r)
				if problem := judge(r, a); problem != "" {
					mu.Lock()
					out = append(out, failure{r: r, problem: problem, a: a})
					mu.Unlock()
				}
			}
		}()
	}
	for _, r := range requests {
		jobs <- r
	}
	close(jobs)
	wg.Wait()
	return out
}

// fieldOptional are the statuses whose cause is not a parameter's value: who
// asks, what exists, the method, the state, the body's size, the rate.
var fieldOptional = map[int]bool{
	http.StatusUnauthorized: true, http.StatusForbidden: true, http.StatusNotFound: true,
	http.StatusMethodNotAllowed: true, http.StatusConflict: true, http.StatusRequestEntityTooLarge: true,
	http.StatusUnsupportedMediaType: true, http.StatusTooManyRequests: true,
}

// judge says what is wrong with the answer a to r, or "".
func judge(r request, a answer) string {
	if r.p.name == "" {
		return judgeBaseline(r, a)
	}
	if !r.stranger && a.status == http.StatusTooManyRequests {
		// The suite's own client sends valid credentials only: throttling it
		// would lock out a user for what others sent, and hide the answers.
		return "valid credentials throttled (HTTP 429)"
	}
	switch {
	case a.err != nil:
		return "no answer (a panic closes the connection): " + a.err.Error()
	case a.status >= 200 && a.status < 300:
		if !r.v.reaches(r.caller) || r.p.in == inHeader {
			return "2xx without valid credentials"
		}
		if !acceptable(r) {
			return "2xx for a value that must be refused"
		}
		return ""
	case a.status == http.StatusRequestURITooLong || a.status == http.StatusRequestHeaderFieldsTooLarge:
		return "" // net/http refuses these before any handler, in its own format
	case a.status >= 400 && a.status < 500:
		if r.v.sendMethod() == http.MethodHead {
			return "" // no body to read
		}
		if r.v.stateRefusal != nil && r.v.stateRefusal(a.body) {
			return ""
		}
		f, ok := r.v.errors(a.body)
		if !ok {
			return fmt.Sprintf("HTTP %d without the error shape", a.status)
		}
		// An empty path segment addresses another route, whose refusal may
		// name its own parameter.
		emptySegment := r.p.in == inPath && r.val.text == ""
		if fieldOptional[a.status] || names(r, f) || emptySegment {
			return ""
		}
		return fmt.Sprintf("HTTP %d names field %q", a.status, f)
	default:
		return fmt.Sprintf("HTTP %d", a.status)
	}
}

// judgeBaseline checks a request without hostile values: it is valid, and
// only the state of the agent or call may refuse it. A catch-all route finds
// nothing.
func judgeBaseline(r request, a answer) string {
	m, _, _ := strings.Cut(r.v.route, " ")
	switch {
	case a.err != nil:
		return "no answer: " + a.err.Error()
	case m == echo.RouteNotFound && (a.status == http.StatusNotFound || a.status == http.StatusMethodNotAllowed):
		return ""
	case m != echo.RouteNotFound && (a.status/100 == 2 || a.status == http.StatusConflict):
		return ""
	case r.v.otherMethod && a.status == http.StatusMethodNotAllowed:
		return ""
	case r.v.stateRefusal != nil && a.status/100 == 4 && r.v.stateRefusal(a.body):
		return ""
	}
	return fmt.Sprintf("the valid request (no hostile value) answered HTTP %d", a.status)
}

// acceptable says whether a 2xx is correct for r's value. An empty value of an
// optional parameter is the same as none.
func acceptable(r request) bool {
	s := sent{caller: r.caller, in: r.p.in, v: r.val}
	if s.isText() && r.val.text == "" && (r.p.valid == "" || r.p.optional) {
		return true
	}
	return r.p.accepts(s)
}

// names says whether an error's field names r's parameter. An XML error of the
// AgentServices is a text: it names the parameter when it mentions it.
func names(r request, f string) bool {
	if f == r.p.name || slices.Contains(r.p.aliases, f) {
		return true
	}
	return strings.ContainsAny(f, " <") && strings.Contains(f, r.p.name)
}

// report fails the test once per kind of failure: route, method, caller,
// parameter and problem, with the values that caused it and one answer.
func report(t *testing.T, failures []failure) {
	t.Helper()
	type group struct {
		first  failure
		values []string
	}
	groups := map[string]*group{}
	for _, f := range failures {
		what := "parameter " + f.r.p.name
		if f.r.p.name == "" {
			what = "no hostile value"
		}
		key := fmt.Sprintf("%s (sent as %s) as %s, %s: %s", f.r.v.route, f.r.v.sendMethod(), f.r.caller, what, f.problem)
		g := groups[key]
		if g == nil {
			g = &group{first: f}
			groups[key] = g
		}
		if !slices.Contains(g.values, f.r.val.name) {
			g.values = append(g.values, f.r.val.name)
		}
	}
	keys := make([]string, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		g := groups[k]
		t.Errorf("%s\n\tvalues: %s\n\te.g. %s: HTTP %d %.200q", k, strings.Join(g.values, ", "), g.first.r.val.name, g.first.a.status, g.first.a.body)
	}
	if len(failures) > 0 {
		t.Logf("%d failing requests in %d kinds", len(failures), len(groups))
	}
}
