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
	auth         string   // "bearer" (an Authorization token), "optimus" (its own parameters), "cookie" (the web interface's session) or "" (none)
	query        []string // query parameters
	body         []string // JSON (or form) body fields; "*" for an item of the admin API
	form         bool     // the body is a form (application/x-www-form-urlencoded)
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
		{method: "GET", path: "/api/agents/:id/preview", tag: "dialer",
			summary: "the preview target the agent holds (state idle, reserved or dialing; the target's data and attach data)", auth: "bearer"},
		{method: "POST", path: "/api/agents/:id/preview/next", tag: "dialer",
			summary: "hold the next due target of a preview campaign the agent serves (the agent is ready; the one held if any)",
			auth:    "bearer", body: []string{"campaignId"}},
		{method: "POST", path: "/api/agents/:id/preview/skip", tag: "dialer",
			summary: "give the held target back without a call (no attempt counted)", auth: "bearer"},
		{method: "POST", path: "/api/agents/:id/preview/dial", tag: "dialer",
			summary: "ring the agent's phone, then the target's phone I, II or III (0: the one shown), as a campaign attempt",
			auth:    "bearer", body: []string{"phone"}},
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

		{method: "GET", path: "/api/recordings", tag: "recordings", auth: "bearer", query: []string{"callid", "clid", "from", "till"},
			summary: "the recording of a call (callid), or a caller's recordings offered in [from, till) (clid); an agent's token finds its own calls only"},
		{method: "GET", path: "/api/recordings/:callid/file", tag: "recordings", auth: "bearer",
			summary: "a recording's audio (audio/wav), with Range requests; every download is audited (recording.downloaded)"},
		{method: "POST", path: "/api/callbacks", tag: "callbacks", auth: "bearer", ok: http.StatusCreated,
			body:    []string{"queue", "number", "priority", "not_before", "not_after", "attach_data"},
			summary: "request a callback (web callback): the customer is called back from the queue when an agent is free"},
		{method: "GET", path: "/api/callbacks", tag: "callbacks", auth: "bearer", query: []string{"state"},
			summary: "callbacks in the order they are due, optionally in some states (comma separated); an agent sees those of its queues"},
		{method: "GET", path: "/api/callbacks/:id", tag: "callbacks", auth: "bearer", summary: "one callback"},
		{method: "DELETE", path: "/api/callbacks/:id", tag: "callbacks", auth: "bearer", summary: "cancel a waiting callback"},
		{method: "GET", path: "/api/admin/recordings/retention", tag: "admin", auth: "bearer",
			summary: "dry run of the recording retention rules: what they would delete now, per queue"},
		{method: "PUT", path: "/api/admin/sounds/:name", tag: "admin", auth: "bearer", body: []string{"audio/wav"}, ok: http.StatusCreated,
			summary: "upload a prompt (WAV: PCM, mono, 16 bits, 8000 Hz) into recordings.dir as prompt-<name>.wav; flows name it recording:prompt-<name>; 200 when it replaced one"},

		{method: "PUT", path: "/api/admin/agents/:id/skills/:skill", tag: "admin", summary: "set one skill level of an agent", auth: "bearer", body: []string{"level"}},
		{method: "DELETE", path: "/api/admin/agents/:id/skills/:skill", tag: "admin", summary: "remove one skill of an agent", auth: "bearer", ok: http.StatusNoContent},

		{method: "GET", path: "/api/admin/webhooks", tag: "webhooks", summary: "the employee webhook subscriptions", auth: "bearer"},
		{method: "GET", path: "/api/admin/webhooks/:id", tag: "webhooks", summary: "one webhook subscription, with its signing secret", auth: "bearer"},
		{method: "PUT", path: "/api/admin/webhooks/:id", tag: "webhooks", summary: "create (201) or replace (200) a webhook subscription; enabled true takes a disabled one back",
			auth: "bearer", body: []string{"url", "format", "secret", "events", "enabled"}},
		{method: "DELETE", path: "/api/admin/webhooks/:id", tag: "webhooks", summary: "remove a webhook subscription and its outbox", auth: "bearer", ok: http.StatusNoContent},
		{method: "GET", path: "/api/admin/webhooks/:id/dead_letters", tag: "webhooks", summary: "a subscription's dead letters, oldest first",
			auth: "bearer", query: []string{"after", "limit"}},
		{method: "POST", path: "/api/admin/webhooks/:id/dead_letters/replay", tag: "webhooks", summary: "send dead letters again (msg_ids; none: all)",
			auth: "bearer", body: []string{"msg_ids"}},
		{method: "GET", path: "/", tag: "web", summary: "redirects to the web interface (/ui/)", ok: http.StatusFound},
		{method: "GET", path: "/ui", tag: "web", summary: "redirects to /ui/", ok: http.StatusFound},
		{method: "GET", path: "/ui/", tag: "web", summary: "the web interface's page (login, wallboard, supervisor and agent consoles)"},
		{method: "GET", path: "/ui/assets/:file", tag: "web", summary: "a script or style sheet of the page"},
		{method: "POST", path: "/ui/login", tag: "web", summary: "log in to the web interface (agent, supervisor, admin); sets the session cookie, answers the CSRF token",
			body: []string{"username", "password"}, form: true},
		{method: "GET", path: "/ui/session", tag: "web", summary: "who the session is, its views and CSRF token", auth: "cookie"},
		{method: "GET", path: "/ui/events", tag: "web", summary: "the live views as server-sent events (snapshot of queues and agents at every change)", auth: "cookie"},
		{method: "POST", path: "/ui/logout", tag: "web", summary: "end the session (X-CSRF-Token)", auth: "cookie", ok: http.StatusNoContent},
		{method: "POST", path: "/ui/agents/:id/login", tag: "web", summary: "an agent logs itself in (X-CSRF-Token)", auth: "cookie", body: []string{"endpoint"}, form: true},
		{method: "POST", path: "/ui/agents/:id/ready", tag: "web", summary: "an agent makes itself ready, a supervisor forces it (audited; X-CSRF-Token)", auth: "cookie"},
		{method: "POST", path: "/ui/agents/:id/not_ready", tag: "web", summary: "not ready with an activity, by the agent or forced by a supervisor (audited; X-CSRF-Token)", auth: "cookie",
			body: []string{"activity"}, form: true},
		{method: "POST", path: "/ui/agents/:id/logout", tag: "web", summary: "log an agent out of the queues, itself or forced by a supervisor (audited; X-CSRF-Token)", auth: "cookie"},
		{method: "POST", path: "/ui/agents/:id/spy", tag: "web", summary: "a supervisor listens to, whispers to or barges into the agent's call: a snoop channel bridged to the supervisor's phone (audited; X-CSRF-Token)",
			auth: "cookie", body: []string{"mode", "endpoint"}, form: true},
		{method: "POST", path: "/ui/calls/:id/transfer", tag: "web", summary: "a supervisor sends a waiting call to another queue or rings one agent for it (audited; X-CSRF-Token)",
			auth: "cookie", body: []string{"queue", "agent"}, form: true},
		{method: "POST", path: "/ui/calls/:id/priority", tag: "web", summary: "a supervisor changes the priority of a call not answered yet (audited; X-CSRF-Token)",
			auth: "cookie", body: []string{"priority"}, form: true},
		{method: "GET", path: "/ui/calls/:id/disposition", tag: "web", auth: "cookie",
			summary: "the agent's present campaign call: its campaign, the disposition options (hidden ones left out) and the disposition set for the call (403 not the agent's call, 409 not a campaign call)"},
		{method: "POST", path: "/ui/calls/:id/disposition", tag: "web", auth: "cookie", body: []string{"optionId", "comments", "agendaAt", "agendaKind"}, form: true, ok: http.StatusCreated,
			summary: "the agent sets (201) or corrects (200) its campaign call's disposition, as the OMniLeads disposition API; an agenda option takes agendaAt (RFC 3339) and agendaKind personal or global (X-CSRF-Token)"},
		{method: "GET", path: "/ui/campaigns", tag: "web", summary: "the dialer's campaigns with their targets' counts (open, dialling now, dialled today, finished), for the campaign grid", auth: "cookie"},
		{method: "GET", path: "/ui/stats/:table", tag: "web", summary: "a statistics table for the reports view, as GET /api/stats/:table", auth: "cookie",
			query: []string{"from", "to", "queue", "agent", "dnis", "format", "limit"}},
		{method: "GET", path: "/ui/recordings", tag: "web", summary: "recordings for the reports' player, as GET /api/recordings", auth: "cookie",
			query: []string{"callid", "clid", "from", "till"}},
		{method: "GET", path: "/ui/recordings/:callid/file", tag: "web", summary: "a recording's file, as GET /api/recordings/:callid/file (audited)", auth: "cookie"},
		{method: "POST", path: "/api/admin/switches/:localnumber/state", tag: "admin", summary: "turn a day/night switch on or off (audited)", auth: "bearer", body: []string{"active"}},
	}
	for _, path := range []string{"/api/flexfone/variablecallflow", "/api/flexfone/variablecallflow/:localnumber"} {
		ops = append(ops,
			operation{method: "GET", path: path, tag: "flexfone", auth: "flexfone", query: []string{"account", "hash"},
				summary: "Flexfone variable call flows: Localnumber, Name, IsActive, ActiveGoto, InactiveGoto (JSON, or XML by Content-Type/Accept)"},
			operation{method: "POST", path: path, tag: "flexfone", auth: "flexfone", query: []string{"account", "hash", "state", "localnumber"},
				summary: "Flexfone: set a variable call flow active (state=true) or inactive (state=false)"})
	}
	for _, slash := range []string{"/", ""} {
		ops = append(ops, operation{method: "GET", path: "/api/v1/sip/credentials/agent" + slash, tag: "omnileads", auth: "bearer",
			summary: "the logged-in agent's own softphone credentials: status, sip_user, sip_password (OMniLeads; an agent's token or web session), auto_answer"})
	}
	ops = append(ops, operation{method: "GET", path: "/ui/assets/vendor/:file", tag: "web", summary: "a built browser library of the page (the softphone's JsSIP) or its licence"})
	ops = append(ops, clickToCallOperations()...)
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
	ops = append(ops, dialerOperations()...)
	ops = append(ops, dialerInterfaceOperations()...)
	for _, p := range adminPaths {
		one := "/api/admin/" + p.collection + "/:" + p.id
		ops = append(ops,
			operation{method: "GET", path: "/api/admin/" + p.collection, tag: "admin", summary: "list the " + p.collection, auth: "bearer"},
			operation{method: "GET", path: one, tag: "admin", summary: "one " + p.kind + ", its version in ETag", auth: "bearer"},
			operation{method: "PUT", path: one, tag: "admin", summary: "create (201) or replace (200) a " + p.kind + "; applies at once; with If-Match, 409 when it changed since", auth: "bearer", body: []string{"*"}},
			operation{method: "DELETE", path: one, tag: "admin", summary: "remove a " + p.kind + "; applies at once; with If-Match, 409 when it changed since", auth: "bearer", ok: http.StatusNoContent},
		)
	}
	return ops
}

// dialerOperations are the dialer's routes: ccd's API (api/dialer.go) and the
// Optimus REST methods (integrations/optimus/dialer.go).
func dialerOperations() []operation {
	campaign := []string{"name", "campaignPriority", "campaignType", "retryNumber", "noAnswerDuration", "chase", "queueCode",
		"callPriority", "isActive", "mode", "dialRatio", "maxDialRatio", "maxAbandonRate", "callerId", "windowStart",
		"windowEnd", "timeZone", "noRedialHours", "agendaFallbackMinutes", "previewTimeout", "retryRules", "scheduleIds"}
	schedule := []string{"scheduleName", "fromDateTime", "toDateTime", "isSpecialDays", "isSunday", "isMonday", "isTuesday",
		"isWednesday", "isThursday", "isFriday", "isSaturday"}
	target := []string{"fName", "lName", "phoneI", "phoneII", "phoneIII", "dataI", "dataII", "dataIII", "priority",
		"fileNumber", "externalTargetId", "timeZone"}
	ops := []operation{
		{method: "GET", path: "/api/dialer/campaigns", tag: "dialer", summary: "the outbound campaigns", auth: "bearer"},
		{method: "POST", path: "/api/dialer/campaigns", tag: "dialer", summary: "create a campaign", auth: "bearer", body: campaign, ok: http.StatusCreated},
		{method: "GET", path: "/api/dialer/campaigns/:id", tag: "dialer", summary: "one campaign", auth: "bearer"},
		{method: "PUT", path: "/api/dialer/campaigns/:id", tag: "dialer", summary: "replace a campaign; calls in progress finish", auth: "bearer", body: campaign},
		{method: "DELETE", path: "/api/dialer/campaigns/:id", tag: "dialer", summary: "delete a campaign (hidden and stopped, its rows kept)", auth: "bearer", ok: http.StatusNoContent},
		{method: "POST", path: "/api/dialer/schedules", tag: "dialer", summary: "create a schedule (Optimus AddNewSchedule)", auth: "bearer", body: schedule, ok: http.StatusCreated},
		{method: "PUT", path: "/api/dialer/schedules/:id", tag: "dialer", summary: "replace a schedule", auth: "bearer", body: schedule},
		{method: "POST", path: "/api/dialer/campaigns/:id/targets", tag: "dialer", summary: "add a target to a campaign", auth: "bearer", body: target, ok: http.StatusCreated},
		{method: "POST", path: "/api/dialer/campaigns/:id/targets.csv", tag: "dialer", auth: "bearer", body: []string{"text/csv"},
			summary: "import targets from a CSV file (header row with the target fields); all rows or none, refused rows listed"},
		{method: "POST", path: "/api/dialer/dnc", tag: "dialer", summary: "put a number on the global or a campaign's do-not-call list", auth: "bearer",
			body: []string{"phone", "campaignId", "reason"}, ok: http.StatusCreated},
		{method: "GET", path: "/api/dialer/campaigns/:id/abandon", tag: "dialer", auth: "bearer",
			summary: "the campaign's abandon rate (answered by a person, no agent within 2 s) over the last hour, 24 hours and 30 days, with its limit"},
		{method: "GET", path: "/api/dialer/campaigns/:id/amd", tag: "dialer", summary: "the campaign's answering-machine detection settings", auth: "bearer"},
		{method: "PUT", path: "/api/dialer/campaigns/:id/amd", tag: "dialer", auth: "bearer",
			summary: "set the campaign's answering-machine detection: AMD() arguments, the machine's message, the abandon message",
			body:    []string{"enabled", "params", "machineMessage", "abandonMessage"}},
	}
	for _, m := range []string{"AddTargetToCampaign", "AddTargetToCampaignWithTargetID", "GetTargetStatus", "RemoveTargetFromCampaign"} {
		ops = append(ops, operation{method: "GET", path: "/OptimusIntegration/Rest/DialerWebMethods.aspx/" + m, tag: "optimus", auth: "optimus",
			summary: "Optimus dialer REST " + m + " (plain-text answer)",
			query: []string{"username", "password", "campaignId", "fName", "lName", "phoneI", "phoneII", "phoneIII",
				"dataI", "dataII", "dataIII", "priority", "phone"}})
	}
	return ops
}

// dialerInterfaceOperations are the dialer's other CRM interfaces: the
// disposition options and external campaign ids (api/dispositions.go), the
// OMniLeads campaign and disposition API (integrations/omnileads/dialer.go)
// and the Optimus Dialer.asmx web service (integrations/optimus/dialersoap.go).
func dialerInterfaceOperations() []operation {
	disposition := []string{"idExternalSystem", "idContact", "idDispositionOption", "callid", "comments", "idAgent", "agenda"}
	contact := []string{"fName", "lName", "phoneI", "phoneII", "phoneIII", "dataI", "dataII", "dataIII", "externalTargetId"}
	ops := []operation{
		{method: "GET", path: "/api/dialer/campaigns/:id/dispositionOptions", tag: "dialer", auth: "bearer",
			summary: "a campaign's disposition options"},
		{method: "POST", path: "/api/dialer/campaigns/:id/dispositionOptions", tag: "dialer", auth: "bearer", ok: http.StatusCreated,
			body: []string{"name", "kind", "hidden"}, summary: "add a disposition option: kind normal, engaged or agenda (schedules a callback)"},
		{method: "PUT", path: "/api/dialer/external/:system/:externalId", tag: "dialer", auth: "bearer", body: []string{"campaignId"},
			summary: "the campaign an external CRM system calls externalId (OMniLeads idExternalSystem)"},
		{method: "GET", path: "/api/agents/:id/agenda", tag: "agents", auth: "bearer",
			summary: "an agent's personal callbacks (Agenda) still to be made: {agent, callbacks: [{dispositionId, campaignId, targetId, callbackAt, comments, fName, lName, phone, dataI, dialling}]}; an agent reads its own"},

		{method: "POST", path: "/api/v1/campaign/database_metadata/", tag: "omnileads", auth: "bearer", body: []string{"idCampaign", "idExternalSystem"},
			summary: "the fields of a campaign's contacts (OMniLeads)"},
		{method: "POST", path: "/api/v1/new_contact/", tag: "omnileads", auth: "bearer",
			body: append([]string{"idCampaign", "idExternalSystem"}, contact...), summary: "add a contact (a target) to a campaign (OMniLeads)"},
		{method: "GET", path: "/api/v1/campaign/:idc/dispositionOptions/", tag: "omnileads", auth: "bearer",
			summary: "a campaign's disposition options (OMniLeads)"},
		{method: "GET", path: "/api/v1/campaign/:idc/dispositionOptions/:ids/", tag: "omnileads", auth: "bearer",
			summary: "the disposition options of the campaign external system ids calls idc (OMniLeads)"},
		{method: "GET", path: "/api/v1/disposition/", tag: "omnileads", auth: "bearer",
			summary: "the dispositions the agent made (an integration: all) (OMniLeads)"},
		{method: "POST", path: "/api/v1/disposition/", tag: "omnileads", auth: "bearer", body: disposition, ok: http.StatusCreated,
			summary: "dispose a contact; an Agenda option takes agenda {date, time, type PERSONAL or GLOBAL, comments} (OMniLeads)"},
		{method: "PUT", path: "/api/v1/disposition/:id", tag: "omnileads", auth: "bearer", body: disposition,
			summary: "change a disposition (OMniLeads)"},
		{method: "POST", path: "/api/v1/new_contact/disposition/", tag: "omnileads", auth: "bearer", ok: http.StatusCreated,
			body:    append([]string{"phone", "idExternalContact", "idDispositionOption", "comments", "callid", "idAgent", "agenda"}, contact[:2]...),
			summary: "add a contact and dispose it at once (OMniLeads)"},

		{method: "GET", path: "/OptimusIntegration/WebServices/Dialer.asmx", tag: "optimus", query: []string{"WSDL"},
			summary: "the Optimus dialer web service's WSDL (?WSDL)"},
		{method: "POST", path: "/OptimusIntegration/WebServices/Dialer.asmx", tag: "optimus", auth: "optimus", body: []string{"text/xml"},
			summary: "Optimus dialer web service, SOAP 1.1 (SOAPAction) or 1.2: AddTargetToCampaign, RemoveTargetFromCampaign, GetTargetStatus, " +
				"SetCampaignData, AddNewCampaign, UpdateCampaign, DeleteCampaign, AddNewSchedule, UpdateSchedule, DeleteSchedule"},
	}
	params := []string{"userName", "password", "campaignId", "fName", "lName", "phoneI", "phoneII", "phoneIII", "dataI", "dataII",
		"dataIII", "priority", "phone", "isActive", "campaignName", "campaignPriority", "campaignType", "retryNumber",
		"noAnswerDuration", "chase", "queueCode", "callPriority", "scheduleId", "scheduleName", "fromDateTime", "toDateTime",
		"isSpecialDays", "isSunday", "isMonday", "isTuesday", "isWednesday", "isThursday", "isFriday", "isSaturday"}
	for _, m := range []string{"GET", "POST"} {
		op := operation{method: m, path: "/OptimusIntegration/WebServices/Dialer.asmx/:op", tag: "optimus", auth: "optimus",
			summary: "Optimus dialer web service, ASMX HTTP " + m + " binding: the operation's parameters by name, the bare result element"}
		if m == "GET" {
			op.query = params
		} else {
			op.body, op.form = params, true
		}
		ops = append(ops, op)
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
				"description": "api.token (integration), api.admin_token (admin) or an agent's token from POST /api/v1/login"},
				"session": map[string]any{"type": "apiKey", "in": "cookie", "name": "ccd_ui",
					"description": "the web interface's session from POST /ui/login; requests that change something also send its CSRF token in X-CSRF-Token"}},
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
	case "cookie":
		out["security"] = []any{map[string]any{"session": []string{}}}
	default:
		out["security"] = []any{}
	}
	if len(op.body) == 1 && op.body[0] == "audio/wav" {
		out["requestBody"] = map[string]any{"content": map[string]any{op.body[0]: map[string]any{"schema": map[string]any{"type": "string", "format": "binary"}}}}
		return out
	}
	if len(op.body) == 1 && (op.body[0] == "text/csv" || op.body[0] == "text/xml") {
		out["requestBody"] = map[string]any{"content": map[string]any{op.body[0]: map[string]any{"schema": str}}}
		return out
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
		ctype := "application/json"
		if op.form {
			ctype = "application/x-www-form-urlencoded"
		}
		out["requestBody"] = map[string]any{"content": map[string]any{ctype: map[string]any{"schema": schema}}}
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

// clickToCallOperations are the routes that start calls, and Flexfone's
// employee directory beside them.
func clickToCallOperations() []operation {
	ops := []operation{
		{method: "POST", path: "/api/clicktocall", tag: "calls", auth: "bearer", ok: http.StatusCreated,
			body:    []string{"order", "agent", "phone", "number", "queue", "to_queue"},
			summary: "click-to-call: agent_first (the agent's phone, then number) or customer_first (number, then phone or to_queue); an agent calls only as itself"},
		{method: "POST", path: "/api/flexfone/MakeCall", tag: "flexfone", body: []string{"Callee", "Device", "Username", "Password"},
			summary: "Flexfone MakeCall: the employee's phone (Device, \"\" for all of them), then Callee; JSON or XML, answered in XML by Accept"},
	}
	ops = append(ops, operation{method: "GET", path: "/api/admin/external_sites", tag: "admin", auth: "bearer",
		summary: "the CRM external sites and the queues' parameters"},
		operation{method: "PUT", path: "/api/admin/external_sites", tag: "admin", auth: "bearer", body: []string{"sites", "queues"},
			summary: "replace the CRM external sites and the queues' parameters (checked, audited, live)"})
	ops = append(ops, operation{method: "GET", path: "/api/agents/:id/external_sites", tag: "agents", auth: "bearer", query: []string{"call"},
		summary: "the CRM external sites (agent-clicked and automatic) of a call the agent answered, rendered: site, trigger, method, url, form or json"})
	for _, slash := range []string{"", "/"} {
		ops = append(ops, operation{method: "POST", path: "/api/v1/makeCall" + slash, tag: "omnileads", auth: "bearer",
			body:    []string{"idExternalSystem", "idAgent", "idContact", "idCampaign", "phone"},
			summary: "OMniLeads click-to-call: the agent's phone, then phone, with the campaign's (queue's) caller ID; {status, errors}"})
	}
	for _, path := range []string{"/api/flexfone/employee", "/api/flexfone/employee/:localnumber"} {
		ops = append(ops, operation{method: "GET", path: path, tag: "flexfone", auth: "flexfone", query: []string{"account", "hash"},
			summary: "Flexfone employees (ccd's agents): Localnumber, Name, Description, Email, Phonenumbers, Phones, Info, Department (JSON, or XML by Content-Type/Accept)"})
	}
	return ops
}
