package hostile_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ccdhq/ccd/config"
	"github.com/ccdhq/ccd/integrations/webhook"
	"github.com/labstack/echo/v4"
)

// caller is who sends a request.
type caller int

const (
	integration  caller = iota // Authorization: Bearer <api.token>
	agent                      // Authorization: Bearer <the agent's session token>
	anonymous                  // no credentials
	optimus                    // the Optimus webServiceUserName and password parameters
	admin                      // Authorization: Bearer <api.admin_token>
	uiSupervisor               // the web interface's cookie and CSRF token of a supervisor (variant.uiUser)
	uiAgent                    // the web interface's cookie and CSRF token of the variant's agent
)

func (c caller) String() string {
	return [...]string{"integration", "agent", "anonymous", "optimus", "admin", "ui-supervisor", "ui-agent"}[c]
}

func (c caller) ui() bool { return c == uiSupervisor || c == uiAgent }

// where is where a parameter travels.
type where int

const (
	inPath where = iota + 1
	inQuery
	inJSON // a field of a JSON object body
	inForm // a field of an application/x-www-form-urlencoded body
	inHeader
	inCSV  // a column of a one-row CSV body (header row, then the values)
	inSOAP // a parameter of a SOAP 1.1 request (variant.soapAction names the operation)
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
	// uiUser is the supervisor a uiSupervisor caller logs in as; "" is
	// uiSue.
	uiUser string
	// stream: a 200 is an endless stream (server-sent events); its
	// headers are the answer.
	stream bool
	// soapAction is the operation of a SOAP variant (body inSOAP).
	soapAction string
	// stateRefusal says whether a 4xx answer refuses what the state left by
	// other requests forbids (a second disposition of a contact), not the
	// request's values: like a 409, it is a correct answer to any value.
	stateRefusal func(body []byte) bool
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
	for _, slash := range []string{"/", ""} {
		// An agent's own softphone credentials: its session only.
		out = append(out, variant{route: "GET /api/v1/sip/credentials/agent" + slash, callers: []caller{agent, uiAgent},
			refused: []caller{anonymous, integration, admin}, agent: agentPause, errors: jsonError, strict: true})
	}
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
	for _, prefix := range []string{"/api", "/api/v1", "/api/agents", "/api/admin", "/api/callbacks", "/api/dialer", "/ui"} {
		for _, p := range []string{prefix, prefix + "/*"} {
			v := variant{route: echo.RouteNotFound + " " + p, method: http.MethodPut,
				callers: []caller{integration, agent}, refused: []caller{anonymous}, agent: agentPause, errors: jsonError}
			if strings.HasSuffix(p, "*") {
				v.method = http.MethodGet
				v.params = []param{pathParam("*", "route", never)}
			}
			switch prefix { // the group checks the role before finding nothing
			case "/api/admin":
				v.callers, v.refused = []caller{admin}, []caller{integration, agent, anonymous}
			case "/api/callbacks":
				v.callers, v.refused = []caller{integration, admin}, []caller{agent, anonymous}
				if len(v.params) > 0 {
					// An escaped "/" keeps the value one segment deep, where
					// GET /api/callbacks/:id takes it and names its id.
					v.params[0].aliases = []string{"id"}
				}
			}
			if prefix == "/api/dialer" {
				v.callers, v.refused = []caller{integration}, []caller{agent, anonymous}
			}
			if prefix == "/ui" { // the group checks the session cookie first
				v.callers, v.refused = []caller{uiSupervisor}, []caller{integration, anonymous}
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
	adminQueue     = "hostile-q"  // created and changed by PUT
	adminGone      = "gone"       // a queue, agent, group and activity of that id, removed by DELETE
	adminRouteNew  = "5550777"    // a route created by PUT
	adminRouteOld  = "5550999"    // a route removed by DELETE
	agentAdmin     = "a6"         // an agent whose skills change
	adminAgentNew  = "a8"         // an agent created by PUT
	adminActivity  = "lunch"      // an activity of the configuration
	adminGroup     = "team-admin" // a group of the configuration
	adminFlow      = "main"       // a flow of the configuration
	adminSwitch    = "100"        // a switch of the configuration, toggled
	adminSwitchNew = "108"        // a switch created by PUT
	adminSwitchOld = "109"        // a switch removed by DELETE
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
		{"flows", "name", adminFlow, adminQueue, adminGone, []param{cleanField("description"),
			field("start", "h", never), number("nodes", `[{"id": "h", "hangup": true}]`)}},
		{"switches", "localnumber", adminSwitch, adminSwitchNew, adminSwitchOld, []param{cleanField("name"),
			optional(number("active", "true"))}},
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
	emptyList := func(s sent) bool { return s.in == inJSON && (s.v.rawJSON == "null" || s.v.rawJSON == "[]") }
	sites := func(name, validJSON string) param {
		p := field(name, "", emptyList)
		p.validJSON = validJSON
		return p
	}
	out = append(out, only("GET /api/admin/external_sites"),
		only("PUT /api/admin/external_sites", sites("sites", `[{"name": "s", "url": "https://crm.example/c", "trigger": "agent", "method": "GET"}]`),
			sites("queues", `[{"queue": "sales", "site": "s", "parameters": [{"type": "call", "value": "call_id", "name": "id"}]}]`)))
	state := only("POST /api/admin/switches/:localnumber/state", pathParam("localnumber", adminSwitch, never), number("active", "false"))
	state.body = inJSON
	return append(out, state)
}

// flexfone is Flexfone's variable call flow interface: account and hash as
// query parameters (the optimus caller's way of sending credentials).
func flexfone() []variant {
	creds := []param{
		{name: "account", in: inQuery, valid: flexfoneAccount, accepts: never, optimusCred: true, secret: true},
		{name: "hash", in: inQuery, valid: flexfoneHash, accepts: never, optimusCred: true, secret: true},
	}
	v := func(route string, params ...param) variant {
		return variant{route: route, params: append(append([]param{}, creds...), params...), callers: []caller{optimus},
			refused: []caller{anonymous, integration, admin}, agent: agentPause, errors: jsonError}
	}
	return []variant{
		v("GET /api/flexfone/variablecallflow"),
		v("GET /api/flexfone/variablecallflow/:localnumber", pathParam("localnumber", adminSwitch, never)),
		v("POST /api/flexfone/variablecallflow", query("state", "true", never), query("localnumber", adminSwitch, never)),
		v("POST /api/flexfone/variablecallflow/:localnumber", pathParam("localnumber", adminSwitch, never), query("state", "false", never)),
	}
}

// The webhook subscriptions of the test configuration: webhookKept is read
// and replayed, webhookGone removed by DELETE; webhookNew is created by PUT.
const (
	webhookKept = "crm"
	webhookGone = "crm-gone"
	webhookNew  = "crm-new"
)

// webhookIDSyntax is a subscription's id.
var webhookIDSyntax = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

// webhookID names a subscription: a PUT creates one with a well formed id,
// a GET or DELETE may then find it.
func webhookID(s sent) bool { return cleanText(s) && webhookIDSyntax.MatchString(s.v.text) }

// webhookURL is a receiver's address: http(s), a host that is not internal.
func webhookURL(s sent) bool {
	sub := config.WebhookSubscription{ID: "x", URL: s.v.text, Format: "json"}
	if _, problem := sub.Check(); problem != "" || !cleanText(s) {
		return false
	}
	return webhook.Policy{}.CheckURL(s.v.text) == nil
}

// webhookSecret is a Standard Webhooks secret, or none (ccd makes one).
func webhookSecret(s sent) bool {
	sub := config.WebhookSubscription{ID: "x", URL: "https://crm.example.com/", Format: "json", Secret: s.v.text}
	_, problem := sub.Check()
	return problem == "" && cleanText(s)
}

// webhookFormat is get, form or json ("" is json).
func webhookFormat(s sent) bool {
	return s.isText() && slices.Contains([]string{"", "get", "form", "json"}, s.v.text)
}

// nonNegativeInt is a position in a list.
func nonNegativeInt(s sent) bool {
	n, err := strconv.ParseInt(s.v.text, 10, 64)
	return s.isText() && err == nil && n >= 0 && n <= 1<<62
}

// deadLetterLimit is a page size of the dead letters.
func deadLetterLimit(s sent) bool {
	n, err := strconv.Atoi(s.v.text)
	return s.isText() && err == nil && n >= 1 && n <= 1000
}

// webhooks are the admin routes of the employee webhooks.
func webhooks() []variant {
	only := func(route string, body where, params ...param) variant {
		return variant{route: route, params: params, body: body, callers: []caller{admin}, refused: []caller{integration, agent, anonymous},
			agent: agentPause, strict: true, errors: jsonError}
	}
	id := func(valid string) param { return pathParam("id", valid, webhookID) }
	jsonValue := func(name, validJSON string) param {
		p := field(name, "", never)
		p.validJSON = validJSON
		return optional(p)
	}
	return []variant{
		only("GET /api/admin/webhooks", 0),
		only("GET /api/admin/webhooks/:id", 0, id(webhookKept)),
		only("PUT /api/admin/webhooks/:id", inJSON, id(webhookNew), field("url", "https://crm.example.com/hook", webhookURL),
			optional(field("format", "form", webhookFormat)), optional(field("secret", "", webhookSecret)),
			jsonValue("events", `["ringing"]`), jsonValue("enabled", "true")),
		only("DELETE /api/admin/webhooks/:id", 0, id(webhookGone)),
		only("GET /api/admin/webhooks/:id/dead_letters", 0, id(webhookKept),
			optional(query("after", "0", nonNegativeInt)), optional(query("limit", "10", deadLetterLimit))),
		only("POST /api/admin/webhooks/:id/dead_letters/replay", inJSON, id(webhookKept), jsonValue("msg_ids", `["msg_1_ringing"]`)),
	}
}

// table is every way the suite calls the server.
// The recording the harness puts in the statistics and the recording
// directory (seedRecording): a call nobody of the suite answered.
const (
	recordedCall = "900000001"
	recordedCLID = "0611223344"
	recordingDay = "2026-03-10"
)

// recordingRoutes are the look-up and download of recordings and the
// retention's dry run. An agent finds only the calls it answered, and the
// seeded call is none of them.
func recordingRoutes() []variant {
	v := func(route string, callers, refused []caller, params ...param) variant {
		return variant{route: route, params: params, callers: callers, refused: refused, agent: agentPause,
			strict: true, errors: jsonError}
	}
	byCall := v("GET /api/recordings", []caller{admin, agent}, []caller{integration, anonymous},
		query("callid", recordedCall, positiveInt))
	byCLID := v("GET /api/recordings", []caller{admin, agent}, []caller{integration, anonymous},
		query("clid", recordedCLID, cleanText), query("from", recordingDay, never), query("till", "2026-03-11", never))
	byCLID.sampled = true
	return []variant{byCall, byCLID,
		v("GET /api/recordings/:callid/file", []caller{admin}, []caller{integration, agent, anonymous},
			pathParam("callid", recordedCall, never, "call")),
		v("GET /api/admin/recordings/retention", []caller{admin}, []caller{integration, agent, anonymous}),
		soundUpload(),
	}
}

// soundUpload is the upload of a prompt: its body is a WAV file, which the
// suite does not build; the name is what it probes, and a request without
// audio is refused naming Content-Type.
func soundUpload() variant {
	return variant{route: "PUT /api/admin/sounds/:name", params: []param{pathParam("name", "welcome", never)},
		callers: []caller{admin}, refused: []caller{integration, agent, anonymous}, agent: agentPause, strict: true, errors: jsonError,
		stateRefusal: func(body []byte) bool { f, _ := jsonError(body); return f == "Content-Type" }}
}

// The callback the harness stores (seedRecording), due in years: never
// placed in its queue, which no agent serves anyway.
const (
	seededCallback = "cb-hostile"
	callbackQueue  = "cbq"
)

// callbackNumber is a number callbacks.numbers allows.
func callbackNumber(s sent) bool {
	return s.isText() && regexp.MustCompile(`^\+?[0-9]{3,20}$`).MatchString(s.v.text)
}

// callbackRoutes request, list, read and cancel callbacks.
func callbackRoutes() []variant {
	v := func(route string, params ...param) variant {
		return variant{route: route, params: params, callers: []caller{integration, admin}, refused: []caller{agent, anonymous},
			agent: agentPause, errors: jsonError}
	}
	request := v("POST /api/callbacks", field("queue", callbackQueue, never), field("number", "0611223344", callbackNumber),
		optional(field("not_after", "", never)), optional(field("attach_data", "", cleanText)))
	request.body = inJSON
	list := v("GET /api/callbacks", optional(query("state", "", never)))
	list.strict = true
	// An agent lists the callbacks of its own queues.
	list.callers, list.refused = []caller{integration, admin, agent, uiAgent}, []caller{anonymous}
	id := pathParam("id", seededCallback, never)
	return []variant{request, list, v("GET /api/callbacks/:id", id), v("DELETE /api/callbacks/:id", id)}
}

// table is every way the suite calls the server.
func table() []variant {
	var out []variant
	for _, part := range [][]variant{public(), omniLeadsLogin(), omniLeads(), native(), calls(), optimusOps(), statistics(), admins(), webhooks(), recordingRoutes(), callbackRoutes(), notFound(),
		dialerRoutes(), optimusDialer(), dialerInterfaces(), webUI(), flexfone(), clickToCall(), previewRoutes()} {
		out = append(out, part...)
	}
	return out
}

// The dialer's items the table acts on, made by seedDialer before the suite:
// campaign 1 (changed, given targets), campaign 2 (deleted), schedule 1, a
// target whose status is asked and one that is removed.
const (
	dialerCampaign      = "1"
	dialerCampaignGone  = "2"
	dialerSchedule      = "1"
	dialerStatusPhone   = "5550199"
	dialerStatusData    = "status-probe"
	dialerRemovedPhone  = "5550177"
	dialerImportedPhone = "5550101"
)

// seedDialer makes the dialer's items of the table.
func (h *harness) seedDialer() {
	h.t.Helper()
	for i, name := range []string{"hostile-1", "hostile-2"} {
		b := h.must(http.MethodPost, "/api/dialer/campaigns", integrationToken, map[string]any{"name": name, "queueCode": "sales"})
		if want := fmt.Sprintf(`"campaignId":%d`, i+1); !strings.Contains(string(b), want) {
			h.t.Fatalf("campaign %s: %s, want %s", name, b, want)
		}
	}
	h.must(http.MethodPost, "/api/dialer/schedules", integrationToken, map[string]any{"scheduleName": "s",
		"fromDateTime": "2026-01-01T09:00:00", "toDateTime": "2026-12-31T17:00:00", "isMonday": true})
	for _, t := range []map[string]any{{"phoneI": dialerStatusPhone, "dataI": dialerStatusData}, {"phoneI": dialerRemovedPhone}} {
		h.must(http.MethodPost, "/api/dialer/campaigns/"+dialerCampaign+"/targets", integrationToken, t)
	}
	h.seedDialerInterfaces()
}

func csvField(name, valid string, accepts func(sent) bool, aliases ...string) param {
	return param{name: name, in: inCSV, valid: valid, accepts: accepts, aliases: aliases}
}

var (
	phoneSyntax = regexp.MustCompile(`^\+?[0-9]{1,20}$`)
	clockSyntax = regexp.MustCompile(`^[0-9]{2}:[0-9]{2}(:[0-9]{2})?$`)
)

// phone is a number the dialer may call.
func phone(s sent) bool { return s.isText() && phoneSyntax.MatchString(s.v.text) }

// priority13 is a target's priority.
func priority13(s sent) bool {
	return s.isText() && (s.v.text == "1" || s.v.text == "2" || s.v.text == "3")
}

// campaignMode is a pacing mode.
func campaignMode(s sent) bool {
	return s.isText() && slices.Contains([]string{"preview", "progressive", "power", "predictive"}, s.v.text)
}

// timeOfDay is a calling window's bound.
func timeOfDay(s sent) bool { return s.isText() && clockSyntax.MatchString(s.v.text) }

// zoneName is an IANA time zone.
func zoneName(s sent) bool {
	_, err := time.LoadLocation(s.v.text)
	return cleanText(s) && s.v.text != "" && s.v.text != "Local" && err == nil
}

// dateTime is a schedule's bound (its order against the other is named by
// the other's alias).
func dateTime(s sent) bool {
	for _, l := range []string{"2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02 15:04", time.RFC3339} {
		if _, err := time.Parse(l, s.v.text); err == nil && s.isText() {
			return true
		}
	}
	return false
}

// dialerRoutes are ccd's dialer API.
func dialerRoutes() []variant {
	only := func(route string, body where, params ...param) variant {
		return variant{route: route, params: params, body: body, callers: []caller{integration},
			refused: []caller{agent, anonymous}, agent: agentPause, strict: true, errors: jsonError}
	}
	number := func(name, validJSON string) param {
		p := field(name, "", never)
		p.validJSON = validJSON
		return p
	}
	id := func(valid string) param { return pathParam("id", valid, never, "campaignId", "scheduleId") }
	campaign := []param{field("name", "hostile-campaign", cleanText), field("queueCode", "sales", cleanText),
		optional(field("mode", "predictive", campaignMode)), optional(field("timeZone", "Europe/Paris", zoneName)),
		optional(field("windowStart", "09:00", timeOfDay, "windowEnd")), optional(field("windowEnd", "20:00", timeOfDay, "windowStart")),
		optional(field("callerId", "5550000", cleanText)),
		optional(number("retryNumber", "3")), optional(number("callPriority", "5")), optional(number("maxAbandonRate", "0.02")),
		optional(number("isActive", "false")), optional(number("chase", "true")), optional(number("agendaFallbackMinutes", "30")),
		optional(number("previewTimeout", "120"))}
	schedule := []param{field("scheduleName", "nightly", cleanText),
		field("fromDateTime", "2026-01-01T09:00:00", dateTime, "toDateTime"), field("toDateTime", "2026-12-31T17:00:00", dateTime, "fromDateTime"),
		optional(number("isMonday", "true")), optional(number("isSpecialDays", "false"))}
	return []variant{
		only("GET /api/dialer/campaigns", 0),
		only("POST /api/dialer/campaigns", inJSON, campaign...),
		only("GET /api/dialer/campaigns/:id", 0, id(dialerCampaign)),
		only("PUT /api/dialer/campaigns/:id", inJSON, append([]param{id(dialerCampaign)}, campaign...)...),
		only("DELETE /api/dialer/campaigns/:id", 0, id(dialerCampaignGone)),
		only("POST /api/dialer/schedules", inJSON, schedule...),
		only("PUT /api/dialer/schedules/:id", inJSON, append([]param{id(dialerSchedule)}, schedule...)...),
		only("POST /api/dialer/campaigns/:id/targets", inJSON, id(dialerCampaign), field("phoneI", "5550100", phone),
			optional(field("phoneII", "5550102", phone)), optional(field("fName", "Tami", cleanText)),
			optional(field("dataI", "crm-1", cleanText)), optional(number("priority", "2"))),
		only("POST /api/dialer/campaigns/:id/targets.csv", inCSV, id(dialerCampaign), csvField("phoneI", dialerImportedPhone, phone),
			optional(csvField("fName", "Ann", cleanText)), optional(csvField("dataI", "crm-2", cleanText)),
			optional(csvField("priority", "3", priority13))),
		only("POST /api/dialer/dnc", inJSON, field("phone", "5550666", phone), optional(number("campaignId", dialerCampaign)),
			optional(field("reason", "asked", cleanText))),
		only("GET /api/dialer/campaigns/:id/abandon", 0, id(dialerCampaign)),
		only("GET /api/dialer/campaigns/:id/amd", 0, id(dialerCampaign)),
		only("PUT /api/dialer/campaigns/:id/amd", inJSON, id(dialerCampaign), optional(number("enabled", "true")),
			optional(field("params", "2500,1500,,5000", amdParams)), optional(field("machineMessage", "sound:acme-offer", mediaRef)),
			optional(field("abandonMessage", "sound:acme-sorry", mediaRef))),
	}
}

// optimusDialer are the Optimus dialer's REST GET methods.
func optimusDialer() []variant {
	creds := []param{
		{name: "username", in: inQuery, valid: optimusUser, accepts: never, optimusCred: true, secret: true},
		{name: "password", in: inQuery, valid: optimusPassword, accepts: never, optimusCred: true, secret: true},
		query("campaignId", dialerCampaign, never),
	}
	method := func(name string, params ...param) variant {
		return variant{route: "GET /OptimusIntegration/Rest/DialerWebMethods.aspx/" + name, params: append(slices.Clone(creds), params...),
			callers: []caller{optimus}, refused: []caller{anonymous, integration}, agent: agentPause, strict: true, errors: optimusTextError}
	}
	add := []param{query("phoneI", "5550103", phone), optional(query("phoneII", "5550104", phone)),
		optional(query("fName", "Tami", cleanText)), optional(query("lName", "Levi", cleanText)),
		optional(query("dataI", "Tami", cleanText)), optional(query("priority", "1", priority13))}
	return []variant{
		method("AddTargetToCampaign", add...),
		method("AddTargetToCampaignWithTargetID", add...),
		method("GetTargetStatus", optional(query("phoneI", dialerStatusPhone, never)), optional(query("dataI", dialerStatusData, never))),
		method("RemoveTargetFromCampaign", withAliases(query("phoneI", dialerRemovedPhone, phone), "phone")),
	}
}

// The items of the dialer's CRM interfaces, made by seedDialerInterfaces:
// campaign 3 (deleted over SOAP), schedule 2 (deleted over SOAP), option 1
// of campaign 1, the external system's name of campaign 1, and disposition
// 1 of the first target, made by agentPause.
const (
	soapCampaignGone   = "3"
	soapScheduleGone   = "2"
	dispositionOption1 = "1"
	externalSystem     = "3"
	externalCampaign   = "hostile-crm"
	disposition1       = "1"
	statusTarget       = "1" // the target of dialerStatusPhone
	removedTarget      = "2" // the target of dialerRemovedPhone
)

func (h *harness) seedDialerInterfaces() {
	h.t.Helper()
	b := h.must(http.MethodPost, "/api/dialer/campaigns", integrationToken, map[string]any{"name": "hostile-3", "queueCode": "sales"})
	if !strings.Contains(string(b), `"campaignId":`+soapCampaignGone) {
		h.t.Fatalf("campaign 3: %s", b)
	}
	h.must(http.MethodPost, "/api/dialer/schedules", integrationToken, map[string]any{"scheduleName": "s2",
		"fromDateTime": "2026-01-01T09:00:00", "toDateTime": "2026-12-31T17:00:00", "isMonday": true})
	h.must(http.MethodPost, "/api/dialer/campaigns/"+dialerCampaign+"/dispositionOptions", integrationToken, map[string]any{"name": "Done"})
	h.must(http.MethodPut, "/api/dialer/external/"+externalSystem+"/"+externalCampaign, integrationToken, map[string]any{"campaignId": 1})
	b = h.must(http.MethodPost, "/api/v1/disposition/", integrationToken, map[string]any{"idContact": statusTarget,
		"idDispositionOption": 1, "idAgent": agentPause})
	if !strings.Contains(string(b), `"id":`+disposition1) {
		h.t.Fatalf("disposition 1: %s", b)
	}
}

var (
	intSyntax  = regexp.MustCompile(`^-?[0-9]+$`)
	uintSyntax = regexp.MustCompile(`^[0-9]{1,18}$`)
)

// boolText is an xs:boolean.
func boolText(s sent) bool {
	return s.isText() && slices.Contains([]string{"true", "false", "1", "0"}, strings.ToLower(s.v.text))
}

// intText is a whole number (the server refuses those out of its range).
func intText(s sent) bool { return s.isText() && intSyntax.MatchString(s.v.text) }

// priority03 is a target's priority by SOAP, where 0 is "not given".
func priority03(s sent) bool { return priority13(s) || (s.isText() && s.v.text == "0") }

// integrationText: only an integration names the agent a disposition is for.
func integrationText(s sent) bool { return s.caller == integration && cleanText(s) }

// duplicateDisposition is the refusal of a second disposition of a contact.
func duplicateDisposition(body []byte) bool {
	return strings.Contains(string(body), "There is another disposition for this contact on this campaign")
}

// dialerInterfaces are the dialer's other CRM interfaces: ccd's disposition
// options and external ids, the OMniLeads campaign and disposition API, and
// the Optimus Dialer.asmx web service.
func dialerInterfaces() []variant {
	only := func(route string, body where, params ...param) variant {
		return variant{route: route, params: params, body: body, callers: []caller{integration},
			refused: []caller{agent, anonymous}, agent: agentPause, strict: true, errors: jsonError}
	}
	number := func(name, validJSON string, accepts func(sent) bool, aliases ...string) param {
		p := field(name, "", accepts, aliases...)
		p.validJSON = validJSON
		return p
	}
	out := []variant{
		only("GET /api/dialer/campaigns/:id/dispositionOptions", 0, pathParam("id", dialerCampaign, never, "campaignId")),
		only("POST /api/dialer/campaigns/:id/dispositionOptions", inJSON, pathParam("id", dialerCampaign, never, "campaignId"),
			field("name", "Sale", cleanText), optional(field("kind", "engaged", func(s sent) bool {
				return s.isText() && slices.Contains([]string{"normal", "engaged", "agenda"}, s.v.text)
			})), optional(number("hidden", "false", never))),
		only("PUT /api/dialer/external/:system/:externalId", inJSON, pathParam("system", "5", func(s sent) bool {
			return s.isText() && uintSyntax.MatchString(s.v.text) && len(s.v.text) < 10
		}), pathParam("externalId", "hostile-put", cleanText), number("campaignId", "1", never)),
	}
	omni := func(route string, body where, params ...param) variant {
		return variant{route: route, params: params, body: body, callers: []caller{agent, integration},
			refused: []caller{anonymous}, agent: agentPause, strict: true, errors: omniLeadsDialerError}
	}
	disposition := func(contact string) []param {
		return []param{
			withAliases(field("idContact", contact, never), "contact"),
			optional(field("idExternalSystem", "", never, "contact")),
			withAliases(number("idDispositionOption", dispositionOption1, never), "idDispositionOption"),
			optional(field("callid", "96855041", cleanText)), optional(field("comments", "Create peace.", cleanText)),
			optional(field("idAgent", "", integrationText)), optional(field("agenda", "", never)),
		}
	}
	post := omni("POST /api/v1/disposition/", inJSON, disposition(removedTarget)...)
	post.stateRefusal = duplicateDisposition
	put := omni("PUT /api/v1/disposition/:id", inJSON, append([]param{pathParam("id", disposition1, never)}, disposition(statusTarget)...)...)
	put.callers = []caller{agent, integration}
	contactParams := []param{field("phone", "5550300", phone), optional(field("idExternalContact", "", func(s sent) bool {
		return s.isText() && uintSyntax.MatchString(s.v.text)
	})), number("idDispositionOption", dispositionOption1, never), optional(field("comments", "ok", cleanText)),
		optional(field("callid", "93178525", cleanText)), optional(field("fName", "Ana", cleanText)),
		optional(field("idAgent", "", integrationText)), optional(field("agenda", "", never))}
	out = append(out,
		omni("POST /api/v1/campaign/database_metadata/", inJSON, field("idCampaign", dialerCampaign, never),
			optional(field("idExternalSystem", "", never, "idCampaign"))),
		omni("POST /api/v1/new_contact/", inJSON, field("idCampaign", dialerCampaign, never),
			optional(field("idExternalSystem", "", never, "idCampaign")), field("phoneI", "5550200", phone),
			optional(field("fName", "Juan", cleanText)), optional(field("dataI", "crm-3", cleanText)),
			optional(field("externalTargetId", "", func(s sent) bool { return s.isText() && uintSyntax.MatchString(s.v.text) }))),
		omni("GET /api/v1/campaign/:idc/dispositionOptions/", 0, pathParam("idc", dialerCampaign, never)),
		omni("GET /api/v1/campaign/:idc/dispositionOptions/:ids/", 0, pathParam("idc", externalCampaign, never),
			pathParam("ids", externalSystem, never)),
		omni("GET /api/v1/disposition/", 0),
		post, put,
		omni("POST /api/v1/new_contact/disposition/", inJSON, contactParams...),
	)
	return append(out, optimusDialerService()...)
}

// optimusDialerService is the Optimus Dialer.asmx web service: its WSDL,
// every operation by SOAP, and the HTTP GET and POST bindings.
func optimusDialerService() []variant {
	const route = "/OptimusIntegration/WebServices/Dialer.asmx"
	soapParam := func(name, valid string, accepts func(sent) bool, aliases ...string) param {
		return param{name: name, in: inSOAP, valid: valid, accepts: accepts, aliases: aliases}
	}
	creds := []param{
		{name: "userName", in: inSOAP, valid: optimusUser, accepts: never, optimusCred: true, secret: true},
		{name: "password", in: inSOAP, valid: optimusPassword, accepts: never, optimusCred: true, secret: true},
	}
	campaign := []param{optional(soapParam("campaignPriority", "1", intText)), optional(soapParam("retryNumber", "3", intText)),
		optional(soapParam("noAnswerDuration", "30", intText)), optional(soapParam("chase", "true", boolText)),
		soapParam("queueCode", "sales", cleanText), optional(soapParam("callPriority", "5", intText)),
		optional(soapParam("isActive", "false", boolText))}
	schedule := []param{soapParam("fromDateTime", "2026-01-01T09:00:00", dateTime, "toDateTime"),
		soapParam("toDateTime", "2026-12-31T17:00:00", dateTime, "fromDateTime"),
		optional(soapParam("isMonday", "true", boolText)), optional(soapParam("isSpecialDays", "false", boolText))}
	ops := []struct {
		name   string
		params []param
	}{
		{"AddTargetToCampaign", []param{soapParam("campaignId", dialerCampaign, never), soapParam("phoneI", "5550310", phone),
			optional(soapParam("phoneII", "5550311", phone)), optional(soapParam("fName", "Tami", cleanText)),
			optional(soapParam("dataI", "soap-1", cleanText)), optional(soapParam("priority", "1", priority03))}},
		{"RemoveTargetFromCampaign", []param{soapParam("campaignId", dialerCampaign, never), soapParam("phone", dialerRemovedPhone, phone)}},
		{"GetTargetStatus", []param{soapParam("campaignId", dialerCampaign, never), optional(soapParam("phoneI", dialerStatusPhone, never)),
			optional(soapParam("dataI", dialerStatusData, never))}},
		{"SetCampaignData", []param{soapParam("campaignId", dialerCampaign, never), soapParam("isActive", "false", boolText)}},
		{"AddNewCampaign", append([]param{soapParam("campaignName", "soap-campaign", cleanText)}, campaign...)},
		{"UpdateCampaign", append([]param{soapParam("campaignId", dialerCampaign, never)}, campaign...)},
		{"DeleteCampaign", []param{soapParam("campaignId", soapCampaignGone, never)}},
		{"AddNewSchedule", append([]param{soapParam("scheduleName", "soap-schedule", cleanText)}, schedule...)},
		{"UpdateSchedule", append([]param{soapParam("scheduleId", dialerSchedule, never)}, schedule...)},
		{"DeleteSchedule", []param{soapParam("scheduleId", soapScheduleGone, never)}},
	}
	var out []variant
	for _, op := range ops {
		out = append(out, variant{route: "POST " + route, soapAction: op.name, params: append(slices.Clone(creds), op.params...),
			body: inSOAP, callers: []caller{optimus}, refused: []caller{anonymous, integration}, agent: agentPause, errors: soapFault})
	}
	add := out[0]
	get := variant{route: "GET " + route + "/:op", params: append([]param{pathParam("op", "AddTargetToCampaign", never)}, asQuery(add.params)...),
		callers: []caller{optimus}, refused: []caller{anonymous, integration}, agent: agentPause, errors: optimusTextError}
	postForm := get
	postForm.route, postForm.params, postForm.body, postForm.sampled = "POST "+route+"/:op", asFormQuery(get.params), inForm, true
	wsdl := variant{route: "GET " + route, params: []param{query("WSDL", "1", anything)}, callers: []caller{anonymous}, strict: true, errors: soapFault}
	return append(out, get, postForm, wsdl)
}

// asQuery moves parameters to the query.
func asQuery(params []param) []param {
	out := make([]param, len(params))
	for i, p := range params {
		p.in = inQuery
		out[i] = p
	}
	return out
}

// optimusTextError reads the dialer REST methods' plain-text error, "ERROR:
// <parameter>: <problem>", or ccd's JSON shape (answers before the route's
// own writer, such as an unknown route's).
func optimusTextError(body []byte) (string, bool) {
	if f, ok := jsonError(body); ok {
		return f, true
	}
	text, ok := strings.CutPrefix(string(body), "ERROR: ")
	return text, ok
}

// The supervisors of the web interface: uiSue acts, uiLeaver is the one the
// logout route logs out (a logout ends the session other requests use).
const (
	uiSue    = "sue"
	uiLeaver = "leaver"
)

func uiPassword(user string) string { return "ui-password-of-" + user + "-0123456789" }

func formField(name, valid string, accepts func(sent) bool, aliases ...string) param {
	return param{name: name, in: inForm, valid: valid, accepts: accepts, aliases: aliases}
}

// webUI is the web interface: its page and assets, the login form, and
// what a session (cookie and CSRF token) may do: read itself, follow the
// live views, change agents' states, log out.
func webUI() []variant {
	page := func(route string, strict bool, params ...param) variant {
		return variant{route: route, params: params, callers: []caller{anonymous}, strict: strict, errors: jsonError}
	}
	login := []param{
		{name: "username", in: inForm, valid: agentLocked, accepts: never, secret: true},
		{name: "password", in: inForm, valid: agentPassword(agentLocked), accepts: never, secret: true},
	}
	session := func(route string, callers ...caller) variant {
		return variant{route: route, callers: callers, refused: []caller{anonymous, integration}, agent: agentPause, errors: jsonError, strict: true}
	}
	act := func(action, agentID string, callers []caller, refused []caller, extra ...param) variant {
		v := session("POST /ui/agents/:id/"+action, callers...)
		v.params = append([]param{pathParam("id", agentID, never, "agent")}, extra...)
		v.body, v.agent = inForm, agentID
		v.refused = append(v.refused, refused...)
		return v
	}
	events := session("GET /ui/events", uiSupervisor, uiAgent)
	events.stream = true
	logout := session("POST /ui/logout", uiSupervisor)
	logout.uiUser, logout.body = uiLeaver, inForm
	both := []caller{uiSupervisor, uiAgent}
	return append([]variant{
		page("GET /", false), page("GET /ui", false), page("GET /ui/", true),
		page("GET /ui/assets/:file", true, pathParam("file", "app.js", never)),
		page("GET /ui/assets/vendor/:file", true, pathParam("file", "jssip.min.js", never)),
		{route: "POST /ui/login", params: login, body: inForm, callers: []caller{anonymous}, strict: true, errors: jsonError},
		session("GET /ui/session", uiSupervisor, uiAgent),
		events,
		logout,
		act("login", agentLogin, []caller{uiAgent}, []caller{uiSupervisor}, optional(formField("endpoint", agentEndpoint(agentLogin), never))),
		act("ready", agentPause, both, nil),
		act("not_ready", agentPause, both, nil, formField("activity", "lunch", cleanText)),
		act("logout", agentLogout, both, nil),
	}, supervision()...)
}

// supervision is the supervisor console's actions on calls and the
// reports' reads: a supervisor listens to an agent who is not on a call
// (409), acts on the test call, which is connected, not waiting (409),
// reads a statistics table and the recordings through the session.
func supervision() []variant {
	session := func(route string, callers []caller, refused []caller, params ...param) variant {
		v := variant{route: route, params: params, callers: callers, refused: append([]caller{anonymous, integration}, refused...),
			agent: agentPause, errors: jsonError, strict: true}
		if strings.HasPrefix(route, "POST") {
			v.body = inForm
		}
		return v
	}
	sup, agentOnly := []caller{uiSupervisor}, []caller{uiAgent}
	wrapUp := func(route string, params ...param) variant {
		v := session(route, []caller{uiAgent}, sup, append([]param{pathParam("id", callIDPlaceholder, never, "call")}, params...)...)
		v.agent = agentOnCall
		return v
	}
	return []variant{
		session("POST /ui/agents/:id/spy", sup, agentOnly, pathParam("id", agentPause, never, "agent"),
			formField("mode", "listen", never), optional(formField("endpoint", "", never))),
		session("POST /ui/calls/:id/transfer", sup, agentOnly, pathParam("id", callIDPlaceholder, never, "call"),
			formField("queue", "support", never)),
		session("POST /ui/calls/:id/priority", sup, agentOnly, pathParam("id", callIDPlaceholder, never, "call"),
			formField("priority", "3", never)),
		// The test call is an inbound one (409); only its agent may ask.
		wrapUp("GET /ui/calls/:id/disposition"),
		wrapUp("POST /ui/calls/:id/disposition", formField("optionId", "1", positiveInt), optional(formField("comments", "", cleanText)),
			optional(formField("agendaAt", "", never)), optional(formField("agendaKind", "", never))),
		session("GET /ui/campaigns", sup, agentOnly),
		session("GET /ui/stats/:table", sup, agentOnly, pathParam("table", "callsstat", never),
			// A queue or agent the admin routes created earlier in the run
			// (an item id) has a code and reads its (empty) history.
			query("from", "2026-03-10", never), optional(query("to", "2026-03-11", never)),
			query("queue", "", itemID), query("agent", "", itemID), query("dnis", "", cleanText),
			query("format", "", never), query("limit", "", positiveInt)),
		session("GET /ui/recordings", sup, nil, query("callid", recordedCall, positiveInt)),
		session("GET /ui/recordings/:callid/file", sup, agentOnly, pathParam("callid", recordedCall, never, "call")),
	}
}

// clickToCall are the routes that start calls: ccd's, OMniLeads makeCall
// (an agent's token or the integration token) and Flexfone MakeCall (the
// employee's password in the body), and Flexfone's employee directory.
// The agent is the logged-out a4 (the ACD takes no notice of its phone
// ringing), and h1 for MakeCall, whose password the login table locks
// after the valid requests.
func clickToCall() []variant {
	order := optional(field("order", "agent_first", never))
	native := variant{route: "POST /api/clicktocall", body: inJSON, callers: []caller{integration, agent},
		refused: []caller{anonymous}, agent: agentLogout, errors: jsonError, params: []param{
			field("agent", agentLogout, selfWhenEmpty), field("number", "0611223344", clickToCallNumber),
			optional(field("queue", "sales", never)), optional(field("phone", "", endpoint)), order}}
	out := []variant{native}
	for _, slash := range []string{"", "/"} {
		out = append(out, variant{route: "POST /api/v1/makeCall" + slash, body: inJSON, callers: []caller{integration, agent},
			refused: []caller{anonymous}, agent: agentLogout, errors: makeCallError, sampled: slash == "/", params: []param{
				field("idAgent", agentLogout, never), field("idCampaign", "sales", never), field("phone", "0611223344", clickToCallNumber),
				optional(field("idContact", "7", cleanText)), optional(field("idExternalSystem", "", never))}})
	}
	out = append(out, variant{route: "POST /api/flexfone/MakeCall", body: inJSON, callers: []caller{anonymous}, errors: flexfoneCallError,
		params: []param{
			{name: "Username", in: inJSON, valid: agentLocked, accepts: never, secret: true},
			{name: "Password", in: inJSON, valid: agentPassword(agentLocked), accepts: never, secret: true},
			field("Callee", "0611223344", trimmed(clickToCallNumber)),
			field("Device", agentExtension(agentLocked), trimmed(func(s sent) bool { return s.v.text == "" })),
		}})
	creds := []param{
		{name: "account", in: inQuery, valid: flexfoneAccount, accepts: never, optimusCred: true, secret: true},
		{name: "hash", in: inQuery, valid: flexfoneHash, accepts: never, optimusCred: true, secret: true},
	}
	dir := func(route string, params ...param) variant {
		return variant{route: route, params: append(append([]param{}, creds...), params...), callers: []caller{optimus},
			refused: []caller{anonymous, integration, admin}, agent: agentPause, errors: jsonError}
	}
	out = append(out, variant{route: "GET /api/agents/:id/external_sites", callers: []caller{integration, agent}, refused: []caller{anonymous},
		agent: agentOnCall, errors: jsonError, params: []param{pathParam("id", agentOnCall, selfWhenEmpty, "agent"),
			query("call", callIDPlaceholder, never)}})
	out = append(out, variant{route: "GET /api/agents/:id/agenda", callers: []caller{integration, agent}, refused: []caller{anonymous},
		agent: agentPause, errors: jsonError, params: []param{pathParam("id", agentPause, selfWhenEmpty, "agent")}})
	return append(out, dir("GET /api/flexfone/employee"),
		dir("GET /api/flexfone/employee/:localnumber", pathParam("localnumber", agentExtension(agentPause), employeeNumber)))
}

var (
	clickToCallNumbers = regexp.MustCompile(config.DefaultClickToCall().Numbers)
	clickToCallDenied  = regexp.MustCompile(config.DefaultClickToCall().Denied)
)

// clickToCallNumber is a number click-to-call may dial.
func clickToCallNumber(s sent) bool {
	return cleanText(s) && clickToCallNumbers.MatchString(s.v.text) && !clickToCallDenied.MatchString(s.v.text)
}

// trimmed: Flexfone's fields are taken without surrounding spaces.
func trimmed(accepts func(sent) bool) func(sent) bool {
	return func(s sent) bool {
		t := s
		t.v.text = strings.TrimSpace(s.v.text)
		return cleanText(s) && accepts(t)
	}
}

// employeeNumber is a test agent's local number (its extension).
func employeeNumber(s sent) bool {
	for _, id := range agentIDs {
		if s.isText() && s.v.text == agentExtension(id) {
			return true
		}
	}
	return false
}

// makeCallError reads OMniLeads' {"status": "ERROR", "errors": {field: [...]}}.
func makeCallError(body []byte) (string, bool) {
	var e struct {
		Status string              `json:"status"`
		Errors map[string][]string `json:"errors"`
	}
	if json.Unmarshal(body, &e) != nil || e.Status != "ERROR" || len(e.Errors) != 1 {
		return "", false
	}
	for f := range e.Errors {
		if f == "non_field_errors" {
			return "", true
		}
		return f, true
	}
	return "", false
}

// flexfoneCallError reads MakeCall's {"Status": "ERROR", "Field": ...}.
func flexfoneCallError(body []byte) (string, bool) {
	var e struct{ Status, Field string }
	if json.Unmarshal(body, &e) != nil || e.Status != "ERROR" {
		return "", false
	}
	return e.Field, true
}

// previewRoutes are an agent's preview campaign routes: the paused agent
// holds no target (next, skip and dial are refused by its state), and an
// agent may only act for itself.
func previewRoutes() []variant {
	id := pathParam("id", agentPause, selfWhenEmpty, "agent")
	number := func(name, validJSON string) param {
		p := optional(field(name, "", never))
		p.validJSON = validJSON
		return p
	}
	v := func(route string, params ...param) variant {
		return variant{route: route, params: append([]param{id}, params...), body: inJSON, callers: []caller{integration, agent},
			refused: []caller{anonymous}, agent: agentPause, errors: jsonError}
	}
	get := v("GET /api/agents/:id/preview")
	get.body = 0
	return []variant{get, v("POST /api/agents/:id/preview/next", number("campaignId", "1")),
		v("POST /api/agents/:id/preview/skip"), v("POST /api/agents/:id/preview/dial", number("phone", "1"))}
}
