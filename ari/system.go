package ari

import (
	"context"
	"net/http"
)

// ---- applications ----

// ListApplications lists the Stasis applications registered in Asterisk.
func (c *Client) ListApplications(ctx context.Context) ([]Application, error) {
	return list[Application](ctx, c, request{method: http.MethodGet, path: "/applications"})
}

// ApplicationHandle is a reference to a Stasis application by name.
type ApplicationHandle struct {
	c    *Client
	name string
}

// App returns a handle for the Stasis application with the given name
// (use c.Application() for this client's own).
func (c *Client) App(name string) *ApplicationHandle { return &ApplicationHandle{c: c, name: name} }

// Name returns the application name.
func (h *ApplicationHandle) Name() string { return h.name }

func (h *ApplicationHandle) path(sub string) string { return "/applications/" + pathSeg(h.name) + sub }

// Get returns the application's details, including the resources it is
// subscribed to.
func (h *ApplicationHandle) Get(ctx context.Context) (*Application, error) {
	return get[Application](ctx, h.c, request{method: http.MethodGet, path: h.path("")})
}

// SubscribeSources subscribes the application to the events of event
// sources, given as URIs: "channel:<id>", "bridge:<id>",
// "endpoint:<tech>[/<resource>]", "deviceState:<name>".
func (h *ApplicationHandle) SubscribeSources(ctx context.Context, eventSources ...string) (*Application, error) {
	return get[Application](ctx, h.c, request{method: http.MethodPost, path: h.path("/subscription"),
		query: params{}.list("eventSource", eventSources).values()})
}

// UnsubscribeSources undoes SubscribeSources.
func (h *ApplicationHandle) UnsubscribeSources(ctx context.Context, eventSources ...string) (*Application, error) {
	return get[Application](ctx, h.c, request{method: http.MethodDelete, path: h.path("/subscription"),
		query: params{}.list("eventSource", eventSources).values()})
}

// EventFilter selects the event types an application receives. Each list
// holds event type names; an empty Allowed list allows everything not
// disallowed.
type EventFilter struct {
	Allowed    []string
	Disallowed []string
}

// SetEventFilter replaces the application's event filter (PUT
// /applications/{name}/eventFilter).
func (h *ApplicationHandle) SetEventFilter(ctx context.Context, f EventFilter) (*Application, error) {
	type typ struct {
		Type string `json:"type"`
	}
	conv := func(l []string) []typ {
		out := make([]typ, 0, len(l))
		for _, t := range l {
			out = append(out, typ{t})
		}
		return out
	}
	body := map[string][]typ{"allowed": conv(f.Allowed), "disallowed": conv(f.Disallowed)}
	return get[Application](ctx, h.c, request{method: http.MethodPut, path: h.path("/eventFilter"), body: body})
}

// ---- asterisk ----

// AsteriskHandle groups the /asterisk operations (system information,
// global variables, modules, logging, dynamic configuration).
type AsteriskHandle struct{ c *Client }

// Asterisk returns the handle for the /asterisk operations.
func (c *Client) Asterisk() *AsteriskHandle { return &AsteriskHandle{c: c} }

// Info returns system information. only limits it to some sections:
// "build", "system", "config", "status".
func (h *AsteriskHandle) Info(ctx context.Context, only ...string) (*AsteriskInfo, error) {
	return get[AsteriskInfo](ctx, h.c, request{method: http.MethodGet, path: "/asterisk/info",
		query: params{}.list("only", only).values()})
}

// Ping checks that Asterisk answers and returns its entity id.
func (h *AsteriskHandle) Ping(ctx context.Context) (*AsteriskPing, error) {
	return get[AsteriskPing](ctx, h.c, request{method: http.MethodGet, path: "/asterisk/ping"})
}

// GlobalVariable returns the value of a global variable or function.
func (h *AsteriskHandle) GlobalVariable(ctx context.Context, name string) (string, error) {
	v, err := get[Variable](ctx, h.c, request{method: http.MethodGet, path: "/asterisk/variable",
		query: params{}.str("variable", name).values()})
	if err != nil {
		return "", err
	}
	return v.Value, nil
}

// SetGlobalVariable sets a global variable.
func (h *AsteriskHandle) SetGlobalVariable(ctx context.Context, name, value string) error {
	return h.c.call(ctx, request{method: http.MethodPost, path: "/asterisk/variable",
		query: params{}.str("variable", name).str("value", value).values()}, nil)
}

// Modules lists the loaded modules.
func (h *AsteriskHandle) Modules(ctx context.Context) ([]Module, error) {
	return list[Module](ctx, h.c, request{method: http.MethodGet, path: "/asterisk/modules"})
}

// Module returns details of one module, e.g. "res_ari.so".
func (h *AsteriskHandle) Module(ctx context.Context, name string) (*Module, error) {
	return get[Module](ctx, h.c, request{method: http.MethodGet, path: "/asterisk/modules/" + pathSeg(name)})
}

// LoadModule loads a module.
func (h *AsteriskHandle) LoadModule(ctx context.Context, name string) error {
	return h.c.call(ctx, request{method: http.MethodPost, path: "/asterisk/modules/" + pathSeg(name)}, nil)
}

// UnloadModule unloads a module.
func (h *AsteriskHandle) UnloadModule(ctx context.Context, name string) error {
	return h.c.call(ctx, request{method: http.MethodDelete, path: "/asterisk/modules/" + pathSeg(name)}, nil)
}

// ReloadModule reloads a module.
func (h *AsteriskHandle) ReloadModule(ctx context.Context, name string) error {
	return h.c.call(ctx, request{method: http.MethodPut, path: "/asterisk/modules/" + pathSeg(name)}, nil)
}

// LogChannels lists Asterisk's log channels.
func (h *AsteriskHandle) LogChannels(ctx context.Context) ([]LogChannel, error) {
	return list[LogChannel](ctx, h.c, request{method: http.MethodGet, path: "/asterisk/logging"})
}

// AddLogChannel adds a log channel with the given levels
// ("notice,warning,error").
func (h *AsteriskHandle) AddLogChannel(ctx context.Context, name, configuration string) error {
	return h.c.call(ctx, request{method: http.MethodPost, path: "/asterisk/logging/" + pathSeg(name),
		query: params{}.str("configuration", configuration).values()}, nil)
}

// DeleteLogChannel removes a log channel.
func (h *AsteriskHandle) DeleteLogChannel(ctx context.Context, name string) error {
	return h.c.call(ctx, request{method: http.MethodDelete, path: "/asterisk/logging/" + pathSeg(name)}, nil)
}

// RotateLogChannel rotates a log channel.
func (h *AsteriskHandle) RotateLogChannel(ctx context.Context, name string) error {
	return h.c.call(ctx, request{method: http.MethodPut, path: "/asterisk/logging/" + pathSeg(name) + "/rotate"}, nil)
}

func configPath(class, objectType, id string) string {
	return "/asterisk/config/dynamic/" + pathSeg(class) + "/" + pathSeg(objectType) + "/" + pathSeg(id)
}

// ConfigObject returns a dynamic (sorcery) configuration object, e.g.
// ("res_pjsip", "endpoint", "1001").
func (h *AsteriskHandle) ConfigObject(ctx context.Context, class, objectType, id string) ([]ConfigTuple, error) {
	return list[ConfigTuple](ctx, h.c, request{method: http.MethodGet, path: configPath(class, objectType, id)})
}

// UpdateConfigObject creates or updates a dynamic configuration object.
func (h *AsteriskHandle) UpdateConfigObject(ctx context.Context, class, objectType, id string, fields []ConfigTuple) ([]ConfigTuple, error) {
	if fields == nil {
		fields = []ConfigTuple{}
	}
	return list[ConfigTuple](ctx, h.c, request{method: http.MethodPut, path: configPath(class, objectType, id),
		body: map[string][]ConfigTuple{"fields": fields}})
}

// DeleteConfigObject deletes a dynamic configuration object.
func (h *AsteriskHandle) DeleteConfigObject(ctx context.Context, class, objectType, id string) error {
	return h.c.call(ctx, request{method: http.MethodDelete, path: configPath(class, objectType, id)}, nil)
}

// ---- endpoints ----

// ListEndpoints lists all endpoints.
func (c *Client) ListEndpoints(ctx context.Context) ([]Endpoint, error) {
	return list[Endpoint](ctx, c, request{method: http.MethodGet, path: "/endpoints"})
}

// ListEndpointsByTech lists the endpoints of one technology, e.g. "PJSIP".
func (c *Client) ListEndpointsByTech(ctx context.Context, tech string) ([]Endpoint, error) {
	return list[Endpoint](ctx, c, request{method: http.MethodGet, path: "/endpoints/" + pathSeg(tech)})
}

// SendMessageParams are the parameters of Client.SendMessage.
type SendMessageParams struct {
	To        string // required, e.g. "pjsip:1001"
	From      string // required
	Body      string
	Variables map[string]string
}

// SendMessage sends an out-of-call text message (PUT /endpoints/sendMessage).
func (c *Client) SendMessage(ctx context.Context, p SendMessageParams) error {
	q := params{}.str("to", p.To).str("from", p.From).str("body", p.Body)
	return c.call(ctx, request{method: http.MethodPut, path: "/endpoints/sendMessage",
		query: q.values(), body: variablesBody(p.Variables)}, nil)
}

// ReferParams are the parameters of Client.Refer.
type ReferParams struct {
	To        string // required: the endpoint to refer, e.g. "pjsip:1001"
	From      string // required
	ReferTo   string // required: where to refer it to
	ToSelf    bool   // the Refer-To URI points back at Asterisk
	Variables map[string]string
}

// Refer sends a SIP REFER to an endpoint outside of a call (POST
// /endpoints/refer).
func (c *Client) Refer(ctx context.Context, p ReferParams) error {
	q := params{}.str("to", p.To).str("from", p.From).str("refer_to", p.ReferTo).bool("to_self", p.ToSelf)
	return c.call(ctx, request{method: http.MethodPost, path: "/endpoints/refer",
		query: q.values(), body: variablesBody(p.Variables)}, nil)
}

// EndpointHandle is a reference to an endpoint by technology and resource.
type EndpointHandle struct {
	c              *Client
	tech, resource string
}

// Endpoint returns a handle for an endpoint, e.g. ("PJSIP", "1001").
func (c *Client) Endpoint(tech, resource string) *EndpointHandle {
	return &EndpointHandle{c: c, tech: tech, resource: resource}
}

// Key returns the endpoint's resource key ("tech/resource").
func (h *EndpointHandle) Key() Key { return Key{KindEndpoint, h.tech + "/" + h.resource} }

// Subscribe returns a subscription to the events that reference this
// endpoint (EndpointStateChange, PeerStatusChange, ContactStatusChange...).
func (h *EndpointHandle) Subscribe(types ...string) *Subscription {
	return h.c.bus.subscribe(h.Key(), types)
}

func (h *EndpointHandle) path(sub string) string {
	return "/endpoints/" + pathSeg(h.tech) + "/" + pathSeg(h.resource) + sub
}

// Get returns the endpoint's state and channels.
func (h *EndpointHandle) Get(ctx context.Context) (*Endpoint, error) {
	return get[Endpoint](ctx, h.c, request{method: http.MethodGet, path: h.path("")})
}

// SendMessage sends an out-of-call text message to the endpoint.
func (h *EndpointHandle) SendMessage(ctx context.Context, from, body string, variables map[string]string) error {
	q := params{}.str("from", from).str("body", body)
	return h.c.call(ctx, request{method: http.MethodPut, path: h.path("/sendMessage"),
		query: q.values(), body: variablesBody(variables)}, nil)
}

// Refer sends a SIP REFER to this endpoint outside of a call.
func (h *EndpointHandle) Refer(ctx context.Context, from, referTo string, toSelf bool, variables map[string]string) error {
	q := params{}.str("from", from).str("refer_to", referTo).bool("to_self", toSelf)
	return h.c.call(ctx, request{method: http.MethodPost, path: h.path("/refer"),
		query: q.values(), body: variablesBody(variables)}, nil)
}

// ---- device states ----

// ListDeviceStates lists the device states controlled by ARI.
func (c *Client) ListDeviceStates(ctx context.Context) ([]DeviceState, error) {
	return list[DeviceState](ctx, c, request{method: http.MethodGet, path: "/deviceStates"})
}

// DeviceStateHandle is a reference to an ARI-controlled device state
// ("Stasis:<name>").
type DeviceStateHandle struct {
	c    *Client
	name string
}

// DeviceState returns a handle for the device state with the given name,
// e.g. "Stasis:agent-1001".
func (c *Client) DeviceState(name string) *DeviceStateHandle {
	return &DeviceStateHandle{c: c, name: name}
}

// Key returns the device state's resource key.
func (h *DeviceStateHandle) Key() Key { return Key{KindDeviceState, h.name} }

// Subscribe returns a subscription to DeviceStateChanged events of this
// device.
func (h *DeviceStateHandle) Subscribe(types ...string) *Subscription {
	return h.c.bus.subscribe(h.Key(), types)
}

func (h *DeviceStateHandle) path() string { return "/deviceStates/" + pathSeg(h.name) }

// Get returns the current state.
func (h *DeviceStateHandle) Get(ctx context.Context) (*DeviceState, error) {
	return get[DeviceState](ctx, h.c, request{method: http.MethodGet, path: h.path()})
}

// Update sets the state, one of the DeviceState* constants (e.g.
// DeviceStateInuse).
func (h *DeviceStateHandle) Update(ctx context.Context, state string) error {
	return h.c.call(ctx, request{method: http.MethodPut, path: h.path(),
		query: params{}.str("deviceState", state).values()}, nil)
}

// Delete destroys the device state.
func (h *DeviceStateHandle) Delete(ctx context.Context) error {
	return h.c.call(ctx, request{method: http.MethodDelete, path: h.path()}, nil)
}

// ---- sounds ----

// ListSounds lists the installed sounds, optionally filtered by language
// and format ("" for any).
func (c *Client) ListSounds(ctx context.Context, lang, format string) ([]Sound, error) {
	return list[Sound](ctx, c, request{method: http.MethodGet, path: "/sounds",
		query: params{}.str("lang", lang).str("format", format).values()})
}

// Sound returns one sound's details, e.g. "hello-world".
func (c *Client) Sound(ctx context.Context, id string) (*Sound, error) {
	return get[Sound](ctx, c, request{method: http.MethodGet, path: "/sounds/" + pathSeg(id)})
}

// ---- mailboxes ----

// ListMailboxes lists the mailboxes controlled by ARI.
func (c *Client) ListMailboxes(ctx context.Context) ([]Mailbox, error) {
	return list[Mailbox](ctx, c, request{method: http.MethodGet, path: "/mailboxes"})
}

// Mailbox returns one mailbox's message counts.
func (c *Client) Mailbox(ctx context.Context, name string) (*Mailbox, error) {
	return get[Mailbox](ctx, c, request{method: http.MethodGet, path: "/mailboxes/" + pathSeg(name)})
}

// UpdateMailbox sets a mailbox's message counts.
func (c *Client) UpdateMailbox(ctx context.Context, name string, oldMessages, newMessages int) error {
	q := params{"oldMessages": {itoa(oldMessages)}, "newMessages": {itoa(newMessages)}}
	return c.call(ctx, request{method: http.MethodPut, path: "/mailboxes/" + pathSeg(name), query: q.values()}, nil)
}

// DeleteMailbox destroys a mailbox.
func (c *Client) DeleteMailbox(ctx context.Context, name string) error {
	return c.call(ctx, request{method: http.MethodDelete, path: "/mailboxes/" + pathSeg(name)}, nil)
}

// ---- user events ----

// UserEventParams are the parameters of Client.UserEvent.
type UserEventParams struct {
	Name        string // required: the event name (ChannelUserevent.EventName)
	Application string // required: the application to send it to
	// Sources are event source URIs ("channel:<id>", "bridge:<id>",
	// "endpoint:<tech>/<resource>", "deviceState:<name>") attached to the
	// event.
	Sources   []string
	Variables map[string]string
}

// UserEvent generates a ChannelUserevent for an application.
func (c *Client) UserEvent(ctx context.Context, p UserEventParams) error {
	q := params{}.str("application", p.Application).list("source", p.Sources)
	return c.call(ctx, request{method: http.MethodPost, path: "/events/user/" + pathSeg(p.Name),
		query: q.values(), body: variablesBody(p.Variables)}, nil)
}
