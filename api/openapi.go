package api

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/labstack/echo/v4"
)

// OpenAPIPath serves the OpenAPI 3 description of the whole REST API. It
// needs no credentials: it says what the routes are, not what they hold,
// like the README does.
const OpenAPIPath = "/api/openapi.json"

// operation is one documented route. The document is built from this table
// and a test compares it with the routes the daemon registers: a route
// added without its description, or described and gone, fails the build.
type operation struct {
	method, path string // as registered; :param becomes {param}
	tag, summary string
	auth         string   // "bearer" (an Authorization token), "optimus" (its own parameters) or "" (none)
	query        []string // query parameters
	body         []string // JSON (or form) body fields; "*" for an item of the admin API
	ok           int      // the success status; 0 is 200
}

// optimusMethods are the methods AgentServices answers (echo's Any):
// the ones OpenAPI can describe.
var optimusMethods = []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch,
	http.MethodHead, http.MethodOptions, http.MethodTrace}

func operations() []operation {
	ops := []operation{
		{method: "GET", path: "/healthz", tag: "health", summary: "liveness: 200 while the process serves"},
		{method: "GET", path: "/readyz", tag: "health", summary: "readiness of each link; the reasons only with a token holding the readiness role"},
		{method: "GET", path: "/metrics", tag: "health", summary: "Prometheus metrics"},
		{method: "GET", path: OpenAPIPath, tag: "health", summary: "this document"},

		{method: "POST", path: "/api/v1/login", tag: "omnileads", summary: "an agent's password for a bearer token (OMniLeads)", body: []string{"username", "password"}},
		{method: "GET", path: "/api/v1/supervision/agents", tag: "omnileads", summary: "agents as OMniLeads supervision shows them", auth: "bearer"},
		{method: "GET", path: "/api/v1/supervision/inbound", tag: "omnileads", summary: "inbound queues as OMniLeads supervision shows them", auth: "bearer"},

		{method: "GET", path: "/api/agents", tag: "agents", summary: "every agent's state", auth: "bearer"},
		{method: "GET", path: "/api/agents/:id", tag: "agents", summary: "one agent's state", auth: "bearer"},
		{method: "POST", path: "/api/agents/:id/login", tag: "agents", summary: "log an agent in", auth: "bearer", body: []string{"endpoint"}},
		{method: "POST", path: "/api/agents/:id/logout", tag: "agents", summary: "log an agent out (ends its tokens)", auth: "bearer"},
		{method: "POST", path: "/api/agents/:id/ready", tag: "agents", summary: "make an agent ready", auth: "bearer"},
		{method: "POST", path: "/api/agents/:id/not_ready", tag: "agents", summary: "make an agent not ready with an activity code", auth: "bearer", body: []string{"activity"}},
		{method: "GET", path: "/api/agents/:id/toolbar", tag: "agents",
			summary: "the agent toolbar push (WebSocket: OnScreenPopUpData, OnQueuesInfoData, OnCall); without Upgrade, the messages a connection starts with",
			auth:    "bearer", query: []string{"view"}},
		{method: "GET", path: "/api/queues", tag: "calls", summary: "queues as they are now", auth: "bearer"},
		{method: "GET", path: "/api/calls", tag: "calls", summary: "calls in the ACD now", auth: "bearer"},
		{method: "POST", path: "/api/calls/:id/transfer", tag: "calls", summary: "blind transfer to a queue or a number", auth: "bearer", body: []string{"queue", "number"}},
		{method: "POST", path: "/api/calls/:id/hold", tag: "calls", summary: "put a connected call on hold", auth: "bearer"},
		{method: "POST", path: "/api/calls/:id/unhold", tag: "calls", summary: "take a call off hold", auth: "bearer"},

		{method: "GET", path: "/api/stats/:table", tag: "statistics", summary: "an Optimus statistics table (JSON or CSV)", auth: "bearer",
			query: []string{"from", "to", "queue", "agent", "dnis", "format", "limit"}},
		{method: "GET", path: "/api/stats/bi/:function", tag: "statistics", summary: "a BI function", auth: "bearer", query: []string{"from", "till", "format"}},
		{method: "GET", path: "/api/stats/realtime/queues", tag: "statistics", summary: "queues today, live", auth: "bearer"},
		{method: "GET", path: "/api/stats/realtime/agents", tag: "statistics", summary: "agents today, live", auth: "bearer"},

		{method: "PUT", path: "/api/admin/agents/:id/skills/:skill", tag: "admin", summary: "set one skill level of an agent", auth: "bearer", body: []string{"level"}},
		{method: "DELETE", path: "/api/admin/agents/:id/skills/:skill", tag: "admin", summary: "remove one skill of an agent", auth: "bearer", ok: http.StatusNoContent},
	}
	for _, op := range []string{"asterisk_login", "asterisk_logout", "asterisk_pause", "asterisk_unpause"} {
		body := map[string][]string{"asterisk_login": {"agent", "endpoint"}, "asterisk_pause": {"agent", "pause_id"}}[op]
		if body == nil {
			body = []string{"agent"}
		}
		for _, slash := range []string{"/", ""} {
			ops = append(ops, operation{method: "POST", path: "/api/v1/" + op + slash, tag: "omnileads", auth: "bearer", body: body,
				summary: strings.ReplaceAll(op, "_", " ") + " (OMniLeads)"})
		}
	}
	for _, m := range optimusMethods {
		ops = append(ops, operation{method: m, path: "/AgentServices.asmx/:op", tag: "optimus", auth: "optimus",
			summary: "Optimus AgentServices: LOGIN, LOGOUT, NOT READY, READY, CheckExtensionState (GET query or POST form)",
			query:   []string{"webServiceUserName", "password", "Username", "ExtensionNumber", "activityCode"}})
	}
	for _, p := range adminPaths {
		one := "/api/admin/" + p.collection + "/:" + p.id
		ops = append(ops,
			operation{method: "GET", path: "/api/admin/" + p.collection, tag: "admin", summary: "list the " + p.collection, auth: "bearer"},
			operation{method: "GET", path: one, tag: "admin", summary: "one " + p.kind, auth: "bearer"},
			operation{method: "PUT", path: one, tag: "admin", summary: "create (201) or replace (200) a " + p.kind + "; applies at once", auth: "bearer", body: []string{"*"}},
			operation{method: "DELETE", path: one, tag: "admin", summary: "remove a " + p.kind + "; applies at once", auth: "bearer", ok: http.StatusNoContent},
		)
	}
	return ops
}

var pathParam = regexp.MustCompile(`:([A-Za-z_]+)`)

// OpenAPIPathOf is a registered path written as OpenAPI writes it.
func OpenAPIPathOf(path string) string { return pathParam.ReplaceAllString(path, "{$1}") }

// OpenAPI is the description of the REST API, an OpenAPI 3.0 document.
func OpenAPI() map[string]any {
	paths := map[string]any{}
	for _, op := range operations() {
		p := OpenAPIPathOf(op.path)
		item, _ := paths[p].(map[string]any)
		if item == nil {
			item = map[string]any{}
			paths[p] = item
		}
		item[strings.ToLower(op.method)] = op.describe()
	}
	return map[string]any{
		"openapi": "3.0.3",
		"info": map[string]any{"title": "ccd", "version": "1",
			"description": "ccd's REST API: agents and calls (ccd JSON, OMniLeads, Optimus AgentServices), statistics, " +
				"and the admin API that changes the live configuration. Errors are {\"error\": {\"code\", \"field\", \"message\"}}, " +
				"except in the OMniLeads login and AgentServices, which answer in their dialect."},
		"paths": paths,
		"components": map[string]any{
			"securitySchemes": map[string]any{"bearer": map[string]any{"type": "http", "scheme": "bearer",
				"description": "api.token (integration), api.admin_token (admin) or an agent's token from POST /api/v1/login"}},
			"schemas": map[string]any{
				"Error": map[string]any{"type": "object", "properties": map[string]any{"error": map[string]any{"type": "object",
					"properties": map[string]any{"code": str, "field": str, "message": str}}}},
				"ConfigItem": map[string]any{"type": "object", "additionalProperties": true,
					"description": "an item with the keys of its entry in ccd.yaml (acd.queues[], acd.agents[], acd.groups[], acd.routes[], " +
						"acd.activities[]); durations are texts (\"15s\"); an agent's password is write-only (shown as \"(set)\")"},
			},
		},
	}
}

var str = map[string]any{"type": "string"}

func (op operation) describe() map[string]any {
	var params []any
	for _, m := range pathParam.FindAllStringSubmatch(op.path, -1) {
		params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": str})
	}
	for _, q := range op.query {
		params = append(params, map[string]any{"name": q, "in": "query", "schema": str})
	}
	ok := op.ok
	if ok == 0 {
		ok = http.StatusOK
	}
	responses := map[string]any{strconv.Itoa(ok): map[string]any{"description": http.StatusText(ok)}}
	responses["default"] = map[string]any{"description": "an error",
		"content": map[string]any{"application/json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Error"}}}}
	out := map[string]any{"tags": []string{op.tag}, "summary": op.summary, "responses": responses,
		"operationId": strings.ToLower(op.method) + strings.NewReplacer("/", "_", ":", "", ".", "_").Replace(op.path)}
	if len(params) > 0 {
		out["parameters"] = params
	}
	switch op.auth {
	case "bearer":
		out["security"] = []any{map[string]any{"bearer": []string{}}}
	default:
		out["security"] = []any{}
	}
	if len(op.body) > 0 {
		var schema map[string]any
		if op.body[0] == "*" {
			schema = map[string]any{"$ref": "#/components/schemas/ConfigItem"}
		} else {
			props := map[string]any{}
			for _, f := range op.body {
				props[f] = str
				if f == "level" {
					props[f] = map[string]any{"type": "integer", "minimum": 1, "maximum": 10}
				}
			}
			schema = map[string]any{"type": "object", "properties": props}
		}
		out["requestBody"] = map[string]any{"content": map[string]any{"application/json": map[string]any{"schema": schema}}}
	}
	return out
}

// MountOpenAPI serves the OpenAPI document (built once).
func (s *Server) MountOpenAPI() {
	var once sync.Once
	var doc map[string]any
	s.Echo.GET(OpenAPIPath, func(c echo.Context) error {
		once.Do(func() { doc = OpenAPI() })
		return c.JSON(http.StatusOK, doc)
	})
}
