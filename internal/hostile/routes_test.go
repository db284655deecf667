package hostile_test

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
)

// caller is who sends a request.
type caller int

const (
	integration caller = iota // Authorization: Bearer <api.token>
	agent                     // Authorization: Bearer <the agent's session token>
	anonymous                 // no credentials
	optimus                   // the Optimus webServiceUserName and password parameters
	admin                     // Authorization: Bearer <api.admin_token>
)

func (c caller) String() string {
	return [...]string{"integration", "agent", "anonymous", "optimus", "admin"}[c]
}

// where is where a parameter travels.
type where int

const (
	inPath where = iota + 1
	inQuery
	inJSON // a field of a JSON object body
	inForm // a field of an application/x-www-form-urlencoded body
	inHeader
)

// param is one parameter a route reads.
type param struct {
	name string
	in   where
	// valid is sent while another parameter carries the hostile value; ""
	// leaves the parameter out (it is optional, or excludes another one).
	valid string
	// validJSON, when set, is what a JSON body carries as the valid value
	// instead of valid as a string (a number, an object).
	validJSON string
	// accepts says whether a 2xx is a correct answer to a hostile value.
	accepts func(sent) bool
	// aliases are other names a 400 may give when this parameter is at
	// fault (a path parameter may be named after what it identifies).
	aliases []string
	// optimusCred: valid only goes with the optimus caller.
	optimusCred bool
	// secret: a credential; its hostile values are sent last and from another
	// client address, because wrong credentials are throttled per user and
	// per address.
	secret bool
	// optional: an empty value is the same as none, and then the request is
	// valid (a default applies).
	optional bool
	// oneOf names a set of parameters of which a request gives exactly one:
	// while this one is hostile, the others of the set are left out.
	oneOf string
}

// variant is one way of calling a registered route: its parameters with the
// values that make the request valid, and who may call it.
type variant struct {
	route   string // as registered: "METHOD /path"
	method  string // sent; "" is the route's method
	params  []param
	body    where    // inJSON or inForm when the route reads a body
	callers []caller // who may use it, the main one first
	refused []caller // who must not get a 2xx
	agent   string   // the agent an agent caller is logged in as
	// strict: an unknown query parameter is refused with a 400 naming it (the
	// statistics endpoints). Elsewhere it may also be ignored.
	strict bool
	// sampled: another encoding or method of a route covered in full; every
	// parameter gets one value per class.
	sampled bool
	// late: sent after everything else (a transfer moves the test call away).
	late bool
	// otherMethod: a method Echo's Any registers beside the ones the route
	// is for; the route may refuse it with 405.
	otherMethod bool
	// errors reads a 4xx body: the field it names, and whether it has the
	// route's error shape.
	errors func(body []byte) (field string, ok bool)
}

func (v variant) sendMethod() string {
	if v.method != "" {
		return v.method
	}
	m, _, _ := strings.Cut(v.route, " ")
	return m
}

func (v variant) path() string {
	_, p, _ := strings.Cut(v.route, " ")
	return p
}

func (v variant) public() bool { return v.callers[0] == anonymous }

func pathParam(name, valid string, accepts func(sent) bool, aliases ...string) param {
	return param{name: name, in: inPath, valid: valid, accepts: accepts, aliases: aliases}
}

func query(name, valid string, accepts func(sent) bool) param {
	return param{name: name, in: inQuery, valid: valid, accepts: accepts}
}

func field(name, valid string, accepts func(sent) bool, aliases ...string) param {
	return param{name: name, in: inJSON, valid: valid, accepts: accepts, aliases: aliases}
}

// The agents of the test configuration and what the table uses each for, so
// that one route's requests do not undo what another's need: a1 is logged in
// and changes between ready and not ready, a2 is on the test call, a3 proves
// at the end that the event log still writes, a4 is logged out, a5 logged in,
// h1 is the target of wrong passwords (and ends up throttled).
const (
	agentPause  = "a1"
	agentOnCall = "a2"
	agentFinal  = "a3"
	agentLogout = "a4"
	agentLogin  = "a5"
	agentLocked = "h1"
)

// agentEndpoint is the configured endpoint of each test agent, and
// agentExtension the number that reaches it through acd.extension_endpoint.
func agentEndpoint(id string) string { return "PJSIP/" + agentExtension(id) }
func agentExtension(id string) string {
	return map[string]string{"a1": "1001", "a2": "1002", "a3": "1003", "a4": "1004", "a5": "1005", "a6": "1006", "gone": "1007", "h1": "1009"}[id]
}

// callIDPlaceholder stands for the id of the test call, known once it is
// connected.
const callIDPlaceholder = "{call}"

// omniLeads are the OMniLeads agent operations, with and without the trailing
// slash, as JSON and as form bodies.
func omniLeads() []variant {
	ops := []struct {
		name  string
		agent string
		extra []param
	}{
		{"asterisk_login", agentLogin, []param{optional(field("endpoint", agentEndpoint(agentLogin), endpoint))}},
		{"asterisk_logout", agentLogout, nil},
		{"asterisk_pause", agentPause, []param{field("pause_id", "lunch", cleanText)}},
		{"asterisk_unpause", agentPause, nil},
	}
	var out []variant
	for _, op := range ops {
		params := append([]param{field("agent", op.agent, selfWhenEmpty)}, op.extra...)
		for _, slash := range []string{"/", ""} {
			route := "POST /api/v1/" + op.name + slash
			v := variant{route: route, params: params, body: inJSON, callers: []caller{integration, agent},
				refused: []caller{anonymous}, agent: op.agent, errors: jsonError}
			out = append(out, v)
			form := v
			form.params = asForm(params)
			form.body, form.sampled = inForm, true
			out = append(out, form)
		}
	}
	return out
}

func optional(p param) param {
	p.optional = true
	return p
}

func asForm(params []param) []param {
	out := make([]param, len(params))
	for i, p := range params {
		p.in = inForm
		out[i] = p
	}
	return out
}

// omniLeadsLogin is the password login, as JSON and as a form.
func omniLeadsLogin() []variant {
	params := []param{
		{name: "username", in: inJSON, valid: agentLocked, accepts: never, secret: true},
		{name: "password", in: inJSON, valid: agentPassword(agentLocked), accepts: never, secret: true},
	}
	v := variant{route: "POST /api/v1/login", params: params, body: inJSON, callers: []caller{anonymous}, errors: loginError}
	form := v
	form.params, form.body, form.sampled = asForm(params), inForm, true
	return []variant{v, form}
}

// native is ccd's own agent JSON interface.
func native() []variant {
	id := func(agentID string) param { return pathParam("id", agentID, selfWhenEmpty, "agent") }
	own := func(route, agentID string, extra ...param) variant {
		return variant{route: route, params: append([]param{id(agentID)}, extra...), body: inJSON,
			callers: []caller{integration, agent}, refused: []caller{anonymous}, agent: agentID, errors: jsonError}
	}
	return []variant{
		{route: "GET /api/agents", callers: []caller{integration}, refused: []caller{agent, anonymous}, agent: agentPause, errors: jsonError},
		own("GET /api/agents/:id", agentPause),
		own("POST /api/agents/:id/login", agentLogin, optional(field("endpoint", agentEndpoint(agentLogin), endpoint))),
		own("POST /api/agents/:id/logout", agentLogout),
		own("POST /api/agents/:id/ready", agentPause),
		own("POST /api/agents/:id/not_ready", agentPause, field("activity", "lunch", cleanText)),
		toolbar(own("GET /api/agents/:id/toolbar", agentOnCall, optional(query("view", "agent", toolbarView)))),
	}
}

// toolbar is the agent toolbar push asked without a WebSocket: it reads no
// body, and refuses query parameters it does not know.
func toolbar(v variant) variant {
	v.body, v.strict = 0, true
	return v
}

func toolbarView(s sent) bool {
	return s.isText() && (s.v.text == "queues" || s.v.text == "agent")
}

// calls are the queue and call views and the actions on a connected call.
func calls() []variant {
	view := func(route string) variant {
		return variant{route: route, callers: []caller{integration, agent}, refused: []caller{anonymous},
			agent: agentOnCall, errors: jsonError}
	}
	id := pathParam("id", callIDPlaceholder, never, "call", "call_id")
	action := func(route string, extra ...param) variant {
		v := view(route)
		v.params = append([]param{id}, extra...)
		v.body = inJSON
		return v
	}
	queue, number := field("queue", "support", never, "number"), field("number", "", number, "queue")
	queue.oneOf, number.oneOf = "destination", "destination"
	transfer := action("POST /api/calls/:id/transfer", queue, number)
	transfer.late = true
	return []variant{
		view("GET /api/queues"),
		view("GET /api/calls"),
		action("POST /api/calls/:id/hold"),
		action("POST /api/calls/:id/unhold"),
		transfer,
	}
}

// optimusOps are the Optimus AgentServices operations. Echo's Any registers
// the route for every method: GET (query) is covered in full, POST (form) and
// the other methods by sample.
func optimusOps() []variant {
	ops := []struct {
		op    string
		user  string
		extra []param
	}{
		{"LOGIN", agentLogin, []param{query("ExtensionNumber", agentExtension(agentLogin), endpoint)}},
		{"LOGOUT", agentLogout, nil},
		{"NOTREADY", agentPause, []param{query("activityCode", "lunch", cleanText)}},
		{"READY", agentPause, nil},
		{"CheckExtensionState", agentPause, nil},
	}
	var out []variant
	for _, op := range ops {
		params := append([]param{
			pathParam("op", op.op, never),
			{name: "webServiceUserName", in: inQuery, valid: optimusUser, accepts: never, optimusCred: true, secret: true},
			{name: "password", in: inQuery, valid: optimusPassword, accepts: never, optimusCred: true, secret: true},
			query("Username", op.user, never),
		}, op.extra...)
		v := variant{route: "GET /AgentServices.asmx/:op", params: params, callers: []caller{optimus},
			refused: []caller{anonymous, integration}, agent: op.user, errors: optimusError}
		out = append(out, v)
		post := v
		post.route, post.params, post.body, post.sampled = "POST /AgentServices.asmx/:op", asFormQuery(params), inForm, true
		out = append(out, post)
	}
	check := out[len(out)-2] // CheckExtensionState by GET
	for _, m := range []string{http.MethodConnect, http.MethodDelete, http.MethodHead, http.MethodOptions, http.MethodPatch,
		echo.PROPFIND, http.MethodPut, http.MethodTrace, echo.REPORT} {
		v := check
		v.route, v.sampled, v.otherMethod = m+" /AgentServices.asmx/:op", true, true
		out = append(out, v)
	}
	return out
}

// asFormQuery moves query parameters to the form body (path ones stay).
func asFormQuery(params []param) []param {
	out := make([]param, len(params))
	for i, p := range params {
		if p.in == inQuery {
			p.in = inForm
		}
		out[i] = p
	}
	return out
}

// statistics are the statistics tables, BI functions and real-time views.
func statistics() []variant {
	only := func(route string, params ...param) variant {
		return variant{route: route, params: params, callers: []caller{integration}, refused: []caller{agent, anonymous},
			agent: agentPause, strict: true, errors: jsonError}
	}
	format := query("format", "", never)
	table := only("GET /api/stats/:table",
		pathParam("table", "callsstat", never),
		query("from", "2026-03-10", never), optional(query("to", "2026-03-11", never)),
		// An unknown queue or agent filter is refused; a DNIS is free text.
		query("queue", "", never), query("agent", "", never), query("dnis", "", cleanText),
		format, query("limit", "", positiveInt))
	ranged := only("GET /api/stats/bi/:function",
		pathParam("function", "agentdata", never), query("from", "2026-03-10", never),
		optional(query("till", "2026-03-11", never)), format)
	// A function without a range refuses from and till.
	unranged := only("GET /api/stats/bi/:function",
		pathParam("function", "getallqueues", never), query("from", "", never), query("till", "", never), format)
	unranged.sampled = true
	// The OMniLeads supervision views keep their dialect's tolerance of
	// parameters they do not know.
	supervision := func(route string) variant {
		v := only(route)
		v.strict = false
		return v
	}
	return []variant{table, ranged, unranged,
		only("GET /api/stats/realtime/queues"), only("GET /api/stats/realtime/agents"),
		supervision("GET /api/v1/supervision/agents"), supervision("GET /api/v1/supervision/inbound"),
	}
}

// public are the routes without credentials.
func public() []variant {
	open := func(route string) variant {
		return variant{route: route, callers: []caller{anonymous, integration}, errors: jsonError}
	}
	return []variant{open("GET /healthz"), open("GET /readyz"), open("GET /metrics"), open("GET /api/openapi.json")}
}

// notFound are the catch-all routes Echo registers for a group with
// middleware: whatever they are sent, they answer 401, 404 or 405. A method
// no route of the prefix has reaches the prefix's own; the value of a
// wildcard goes two segments deep, below every real route of the group.
func notFound() []variant {
	var out []variant
	for _, prefix := range []string{"/api", "/api/v1", "/api/agents", "/api/admin"} {
		for _, p := range []string{prefix, prefix + "/*"} {
			v := variant{route: echo.RouteNotFound + " " + p, method: http.MethodPut,
				callers: []caller{integration, agent}, refused: []caller{anonymous}, agent: agentPause, errors: jsonError}
			if strings.HasSuffix(p, "*") {
				v.method = http.MethodGet
				v.params = []param{pathParam("*", "route", never)}
			}
			if prefix == "/api/admin" { // the group checks the role before finding nothing
				v.callers, v.refused = []caller{admin}, []caller{integration, agent, anonymous}
			}
			out = append(out, v)
		}
	}
	return out
}

// The items of the live configuration the admin routes act on, beside the
// test's queues and agents: each PUT creates or changes its own item, each
// DELETE removes one made for it, so that no route undoes what another
// needs.
const (
	adminQueue    = "hostile-q"  // created and changed by PUT
	adminGone     = "gone"       // a queue, agent, group and activity of that id, removed by DELETE
	adminRouteNew = "5550777"    // a route created by PUT
	adminRouteOld = "5550999"    // a route removed by DELETE
	agentAdmin    = "a6"         // an agent whose skills change
	adminAgentNew = "a8"         // an agent created by PUT
	adminActivity = "lunch"      // an activity of the configuration
	adminGroup    = "team-admin" // a group of the configuration
)

func withAliases(p param, aliases ...string) param {
	p.aliases = append(p.aliases, aliases...)
	return p
}

// admins are the admin API's routes.
func admins() []variant {
	only := func(route string, params ...param) variant {
		v := variant{route: route, params: params, callers: []caller{admin}, refused: []caller{integration, agent, anonymous},
			agent: agentPause, errors: jsonError}
		if strings.HasPrefix(route, "PUT") {
			v.body = inJSON
		}
		return v
	}
	// A hostile id in a PUT's path creates an item when it is a well formed
	// id (0, NaN): a GET or DELETE of it may then find it.
	id := func(name, valid string) param { return pathParam(name, valid, itemID) }
	cleanField := func(name string) param { return optional(field(name, "x", cleanText)) }
	number := func(name, validJSON string) param {
		p := field(name, "", never)
		p.validJSON = validJSON
		return p
	}
	var out []variant
	for _, k := range []struct {
		collection, key string
		get, put, del   string
		fields          []param
	}{
		{"queues", "code", "sales", adminQueue, adminGone, []param{cleanField("name"), cleanField("moh_class"),
			optional(field("ring_timeout", "10s", duration)), optional(number("max_waiting", "5"))}},
		{"agents", "id", agentPause, adminAgentNew, adminGone, []param{cleanField("name"),
			optional(field("endpoint", "PJSIP/1008", adminEndpoint)), optional(withAliases(number("skills", `{"sales": 2}`), "skills.$ne"))}},
		{"groups", "name", adminGroup, adminQueue, adminGone, []param{optional(number("agents", `["a6"]`))}},
		{"routes", "dnis", "5550100", adminRouteNew, adminRouteOld, []param{field("queue", "support", never), cleanField("greeting")}},
		{"activities", "code", adminActivity, adminQueue, adminGone, []param{cleanField("name")}},
	} {
		one := "/api/admin/" + k.collection + "/:" + k.key
		idOf := func(valid string) param { return id(k.key, valid) }
		if k.collection == "routes" {
			idOf = func(valid string) param { return pathParam(k.key, valid, dnis) }
		}
		out = append(out,
			only("GET /api/admin/"+k.collection),
			only("GET "+one, idOf(k.get)),
			only("PUT "+one, append([]param{idOf(k.put)}, k.fields...)...),
			only("DELETE "+one, idOf(k.del)),
		)
	}
	out = append(out,
		only("PUT /api/admin/agents/:id/skills/:skill", id("id", agentAdmin), pathParam("skill", "sales", cleanText), number("level", "3")),
		only("DELETE /api/admin/agents/:id/skills/:skill", id("id", agentAdmin), pathParam("skill", "support", cleanText)),
	)
	return out
}

// table is every way the suite calls the server.
func table() []variant {
	var out []variant
	for _, part := range [][]variant{public(), omniLeadsLogin(), omniLeads(), native(), calls(), optimusOps(), statistics(), admins(), notFound()} {
		out = append(out, part...)
	}
	return out
}
