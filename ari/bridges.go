package ari

import (
	"context"
	"net/http"
)

// ListBridges returns every active bridge (GET /bridges).
func (c *Client) ListBridges(ctx context.Context) ([]Bridge, error) {
	return list[Bridge](ctx, c, request{method: http.MethodGet, path: "/bridges"})
}

// CreateBridgeParams are the parameters of bridge creation.
type CreateBridgeParams struct {
	// Type is a comma-separated list of bridge type attributes: "mixing"
	// (default), "holding", "dtmf_events", "proxy_media", "video_sfu",
	// "video_single", "sdp_label".
	Type string
	// BridgeID is the id to give the bridge; Asterisk generates a UUID
	// when empty. (Ignored by BridgeHandle.Create, which uses the handle's
	// id.)
	BridgeID string
	// Name is a free-form name, shown in BridgeCreated and "bridge show".
	Name string
}

// CreateBridge creates a bridge (POST /bridges). The creating application
// is subscribed to it; Asterisk sends no BridgeCreated event to it for a
// bridge it creates itself, but does send BridgeDestroyed.
func (c *Client) CreateBridge(ctx context.Context, p CreateBridgeParams) (*Bridge, error) {
	q := params{}.str("type", p.Type).str("bridgeId", p.BridgeID).str("name", p.Name)
	return get[Bridge](ctx, c, request{method: http.MethodPost, path: "/bridges", query: q.values()})
}

// BridgeHandle is a reference to a bridge by id.
type BridgeHandle struct {
	c  *Client
	id string
}

// Bridge returns a handle for the bridge with the given id.
func (c *Client) Bridge(id string) *BridgeHandle { return &BridgeHandle{c: c, id: id} }

// ID returns the bridge id.
func (h *BridgeHandle) ID() string { return h.id }

// Key returns the bridge's resource key.
func (h *BridgeHandle) Key() Key { return Key{KindBridge, h.id} }

func (h *BridgeHandle) path(sub string) string { return "/bridges/" + pathSeg(h.id) + sub }

func (h *BridgeHandle) do(ctx context.Context, method, sub string, q params) error {
	return h.c.call(ctx, request{method: method, path: h.path(sub), query: q.values()}, nil)
}

// Subscribe returns a subscription to the events that reference this
// bridge (ChannelEnteredBridge, ChannelLeftBridge, BridgeDestroyed,
// playbacks and recordings targeting it...), optionally limited to some
// types.
func (h *BridgeHandle) Subscribe(types ...string) *Subscription {
	return h.c.bus.subscribe(h.Key(), types)
}

// Create creates the bridge with this handle's id (POST /bridges/{id});
// p.BridgeID is ignored.
func (h *BridgeHandle) Create(ctx context.Context, p CreateBridgeParams) (*Bridge, error) {
	q := params{}.str("type", p.Type).str("name", p.Name)
	return get[Bridge](ctx, h.c, request{method: http.MethodPost, path: h.path(""), query: q.values()})
}

// Get returns the bridge's current snapshot.
func (h *BridgeHandle) Get(ctx context.Context) (*Bridge, error) {
	return get[Bridge](ctx, h.c, request{method: http.MethodGet, path: h.path("")})
}

// Destroy shuts the bridge down; channels still in it are removed (and
// stay in Stasis).
func (h *BridgeHandle) Destroy(ctx context.Context) error {
	return h.do(ctx, http.MethodDelete, "", nil)
}

// AddChannelParams are the parameters of BridgeHandle.AddChannel.
type AddChannelParams struct {
	// Channels to add (ids). Required.
	Channels []string
	// Role of the channels in the bridge (e.g. "announcer" or "partymember"
	// in holding bridges).
	Role string
	// AbsorbDTMF keeps DTMF from the channels from reaching the bridge.
	AbsorbDTMF bool
	// Mute mutes the channels' audio into the bridge.
	Mute bool
	// InhibitConnectedLineUpdates stops connected-line updates for them.
	InhibitConnectedLineUpdates bool
}

// AddChannel adds channels to the bridge; each then raises
// ChannelEnteredBridge. The channels must be in Stasis (422 otherwise).
func (h *BridgeHandle) AddChannel(ctx context.Context, p AddChannelParams) error {
	q := params{}.
		list("channel", p.Channels).
		str("role", p.Role).
		bool("absorbDTMF", p.AbsorbDTMF).
		bool("mute", p.Mute).
		bool("inhibitConnectedLineUpdates", p.InhibitConnectedLineUpdates)
	return h.do(ctx, http.MethodPost, "/addChannel", q)
}

// AddChannels is AddChannel with default options.
func (h *BridgeHandle) AddChannels(ctx context.Context, channelIDs ...string) error {
	return h.AddChannel(ctx, AddChannelParams{Channels: channelIDs})
}

// RemoveChannel removes channels from the bridge; they stay in Stasis.
func (h *BridgeHandle) RemoveChannel(ctx context.Context, channelIDs ...string) error {
	return h.do(ctx, http.MethodPost, "/removeChannel", params{}.list("channel", channelIDs))
}

// SetVideoSource makes a channel the video source of a multi-party bridge.
func (h *BridgeHandle) SetVideoSource(ctx context.Context, channelID string) error {
	return h.do(ctx, http.MethodPost, "/videoSource/"+pathSeg(channelID), nil)
}

// ClearVideoSource goes back to talker-based video source selection.
func (h *BridgeHandle) ClearVideoSource(ctx context.Context) error {
	return h.do(ctx, http.MethodDelete, "/videoSource", nil)
}

// StartMOH plays music on hold of the given class ("" for default) to the
// bridge.
func (h *BridgeHandle) StartMOH(ctx context.Context, class string) error {
	return h.do(ctx, http.MethodPost, "/moh", params{}.str("mohClass", class))
}

// StopMOH stops music on hold in the bridge.
func (h *BridgeHandle) StopMOH(ctx context.Context) error {
	return h.do(ctx, http.MethodDelete, "/moh", nil)
}

// BridgePlayParams are the parameters of BridgeHandle.Play.
type BridgePlayParams struct {
	PlayParams
	// AnnouncerFormat is the format of the announcer channel Asterisk
	// creates to play into the bridge.
	AnnouncerFormat string
}

// Play plays media into the bridge (201 with the queued playback).
func (h *BridgeHandle) Play(ctx context.Context, p BridgePlayParams) (*Playback, error) {
	q := params{}.
		list("media", p.Media).
		str("announcer_format", p.AnnouncerFormat).
		str("lang", p.Lang).
		int("offsetms", p.OffsetMS).
		int("skipms", p.SkipMS).
		str("playbackId", p.PlaybackID)
	return get[Playback](ctx, h.c, request{method: http.MethodPost, path: h.path("/play"), query: q.values()})
}

// Record records the bridge's mixed audio. Asterisk answers 201 with the
// recording in state "queued", then sends RecordingStarted, and
// RecordingFinished when it is stopped or the bridge is destroyed. The
// file lands in Asterisk's recording spool (e.g.
// /var/spool/asterisk/recording/<name>.<format>) and is then available
// as a StoredRecording.
func (h *BridgeHandle) Record(ctx context.Context, p RecordParams) (*LiveRecording, error) {
	return get[LiveRecording](ctx, h.c, request{method: http.MethodPost, path: h.path("/record"), query: p.query(true).values()})
}

// GetVariable returns the value of a bridge variable.
func (h *BridgeHandle) GetVariable(ctx context.Context, name string) (string, error) {
	v, err := get[Variable](ctx, h.c, request{method: http.MethodGet, path: h.path("/variable"),
		query: params{}.str("variable", name).values()})
	if err != nil {
		return "", err
	}
	return v.Value, nil
}

// SetVariable sets a bridge variable.
func (h *BridgeHandle) SetVariable(ctx context.Context, name, value string) error {
	return h.do(ctx, http.MethodPost, "/variable", params{}.str("variable", name).str("value", value))
}

// GetVariables returns several bridge variables at once.
func (h *BridgeHandle) GetVariables(ctx context.Context, names ...string) (map[string]string, error) {
	v, err := get[Variables](ctx, h.c, request{method: http.MethodGet, path: h.path("/variables"),
		query: params{}.list("variables", names).values()})
	if err != nil {
		return nil, err
	}
	return v.Variables, nil
}

// SetVariables sets several bridge variables at once.
func (h *BridgeHandle) SetVariables(ctx context.Context, vars map[string]string) error {
	if vars == nil {
		vars = map[string]string{}
	}
	return h.c.call(ctx, request{method: http.MethodPost, path: h.path("/variables"),
		body: map[string]map[string]string{"variables": vars}}, nil)
}
