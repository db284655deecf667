package ari

import (
	"context"
	"net/http"
)

// ListChannels returns every active channel in Asterisk (GET /channels),
// not only those of this application; see InApplication.
func (c *Client) ListChannels(ctx context.Context) ([]Channel, error) {
	return list[Channel](ctx, c, request{method: http.MethodGet, path: "/channels"})
}

// OriginateParams are the parameters of POST /channels (originate). Set
// either App (the channel enters that Stasis application when answered) or
// Extension/Context/Priority/Label (the channel runs the dialplan).
type OriginateParams struct {
	// Endpoint to call, e.g. "PJSIP/1001" or "Local/1001@agents". Required.
	Endpoint string
	// Extension, Context, Priority and Label select where the answered
	// channel continues in the dialplan. Context defaults to "default" and
	// Priority to 1.
	Extension string
	Context   string
	Priority  int64
	Label     string
	// App is the Stasis application that is subscribed to the channel and
	// receives it once answered; AppArgs are its comma-separated arguments
	// (StasisStart.Args).
	App     string
	AppArgs string
	// CallerID to use when dialing, e.g. `"Customer" <5551234>`.
	CallerID string
	// Timeout in seconds before giving up dialing; 0 means Asterisk's
	// default (30), -1 means no timeout.
	Timeout int
	// Variables to set on the channel.
	Variables map[string]string
	// ChannelID is the unique id to give the channel. For Local channels it
	// names the ";1" half and OtherChannelID the ";2" half; when
	// OtherChannelID is empty Asterisk names the ";2" half ChannelID+";2"
	// (e.g. "caller-1;2": that is the half that runs the dialplan and so
	// the one that enters Stasis from Stasis() in it).
	ChannelID      string
	OtherChannelID string
	// Originator is the id of the channel on whose behalf this one is
	// created (codecs, linkedid); Formats ("ulaw,slin16") is the
	// alternative when there is no originator.
	Originator string
	Formats    string
}

func (p OriginateParams) query(withID bool) params {
	q := params{}.
		str("endpoint", p.Endpoint).
		str("extension", p.Extension).
		str("context", p.Context).
		int64("priority", p.Priority).
		str("label", p.Label).
		str("app", p.App).
		str("appArgs", p.AppArgs).
		str("callerId", p.CallerID).
		int("timeout", p.Timeout).
		str("otherChannelId", p.OtherChannelID).
		str("originator", p.Originator).
		str("formats", p.Formats)
	if withID {
		q.str("channelId", p.ChannelID)
	}
	return q
}

// Originate creates a new channel and dials it (POST /channels). The
// returned snapshot is taken before the call is answered (state "Down").
func (c *Client) Originate(ctx context.Context, p OriginateParams) (*Channel, error) {
	return get[Channel](ctx, c, request{method: http.MethodPost, path: "/channels",
		query: p.query(true).values(), body: variablesBody(p.Variables)})
}

// CreateChannelParams are the parameters of POST /channels/create.
type CreateChannelParams struct {
	Endpoint       string // required
	App            string // required: the Stasis application to place the channel in
	AppArgs        string
	ChannelID      string
	OtherChannelID string
	Originator     string
	Formats        string
	Variables      map[string]string
}

// CreateChannel creates a channel without dialing it and places it in a
// Stasis application (POST /channels/create); dial it with
// ChannelHandle.Dial.
func (c *Client) CreateChannel(ctx context.Context, p CreateChannelParams) (*Channel, error) {
	q := params{}.
		str("endpoint", p.Endpoint).
		str("app", p.App).
		str("appArgs", p.AppArgs).
		str("channelId", p.ChannelID).
		str("otherChannelId", p.OtherChannelID).
		str("originator", p.Originator).
		str("formats", p.Formats)
	return get[Channel](ctx, c, request{method: http.MethodPost, path: "/channels/create",
		query: q.values(), body: variablesBody(p.Variables)})
}

// ExternalMediaParams are the parameters of POST /channels/externalMedia.
type ExternalMediaParams struct {
	ChannelID      string
	App            string // required
	ExternalHost   string // host:port, or a websocket_client connection id
	Encapsulation  string // "rtp" (default), "audiosocket", "none"
	Transport      string // "udp" (default), "tcp", "websocket"
	ConnectionType string // "client" (default), "server"
	Format         string // required, e.g. "ulaw"
	Direction      string // "both" (default)
	Data           string
	TransportData  string
	Variables      map[string]string
}

// ExternalMedia creates a channel that streams media to or from an
// external host (POST /channels/externalMedia).
func (c *Client) ExternalMedia(ctx context.Context, p ExternalMediaParams) (*Channel, error) {
	q := params{}.
		str("channelId", p.ChannelID).
		str("app", p.App).
		str("external_host", p.ExternalHost).
		str("encapsulation", p.Encapsulation).
		str("transport", p.Transport).
		str("connection_type", p.ConnectionType).
		str("format", p.Format).
		str("direction", p.Direction).
		str("data", p.Data).
		str("transport_data", p.TransportData)
	return get[Channel](ctx, c, request{method: http.MethodPost, path: "/channels/externalMedia",
		query: q.values(), body: variablesBody(p.Variables)})
}

// ChannelHandle is a reference to a channel by id. Creating one does not
// contact Asterisk; each method is one REST call.
type ChannelHandle struct {
	c  *Client
	id string
}

// Channel returns a handle for the channel with the given id.
func (c *Client) Channel(id string) *ChannelHandle { return &ChannelHandle{c: c, id: id} }

// ID returns the channel id.
func (h *ChannelHandle) ID() string { return h.id }

// Key returns the channel's resource key.
func (h *ChannelHandle) Key() Key { return Key{KindChannel, h.id} }

func (h *ChannelHandle) path(sub string) string { return "/channels/" + pathSeg(h.id) + sub }

func (h *ChannelHandle) do(ctx context.Context, method, sub string, q params) error {
	return h.c.call(ctx, request{method: method, path: h.path(sub), query: q.values()}, nil)
}

// Subscribe returns a subscription to the events that reference this
// channel (as its channel, Dial peer/caller, playback or recording target,
// transfer party...), optionally limited to some types.
func (h *ChannelHandle) Subscribe(types ...string) *Subscription {
	return h.c.bus.subscribe(h.Key(), types)
}

// Get returns the channel's current snapshot.
func (h *ChannelHandle) Get(ctx context.Context) (*Channel, error) {
	return get[Channel](ctx, h.c, request{method: http.MethodGet, path: h.path("")})
}

// Originate creates and dials a channel with this handle's id (POST
// /channels/{channelId}); p.ChannelID is ignored.
func (h *ChannelHandle) Originate(ctx context.Context, p OriginateParams) (*Channel, error) {
	return get[Channel](ctx, h.c, request{method: http.MethodPost, path: h.path(""),
		query: p.query(false).values(), body: variablesBody(p.Variables)})
}

// Hangup reasons accepted by ChannelHandle.Hangup.
const (
	HangupNormal            = "normal"
	HangupBusy              = "busy"
	HangupCongestion        = "congestion"
	HangupNoAnswer          = "no_answer"
	HangupTimeout           = "timeout"
	HangupRejected          = "rejected"
	HangupUnallocated       = "unallocated"
	HangupNormalUnspecified = "normal_unspecified"
	HangupNumberIncomplete  = "number_incomplete"
	HangupCodecMismatch     = "codec_mismatch"
	HangupInterworking      = "interworking"
	HangupFailure           = "failure"
	HangupAnsweredElsewhere = "answered_elsewhere"
)

// Hangup hangs the channel up (DELETE /channels/{id}) with one of the
// Hangup* reasons; "" means normal clearing.
func (h *ChannelHandle) Hangup(ctx context.Context, reason string) error {
	return h.do(ctx, http.MethodDelete, "", params{}.str("reason", reason))
}

// HangupWithCode hangs the channel up with a Q.850 cause code
// (reason_code), e.g. "17" for user busy.
func (h *ChannelHandle) HangupWithCode(ctx context.Context, code string) error {
	return h.do(ctx, http.MethodDelete, "", params{}.str("reason_code", code))
}

// Answer answers the channel.
func (h *ChannelHandle) Answer(ctx context.Context) error {
	return h.do(ctx, http.MethodPost, "/answer", nil)
}

// Ring indicates ringing to the channel.
func (h *ChannelHandle) Ring(ctx context.Context) error {
	return h.do(ctx, http.MethodPost, "/ring", nil)
}

// StopRing stops ringing indication on the channel.
func (h *ChannelHandle) StopRing(ctx context.Context) error {
	return h.do(ctx, http.MethodDelete, "/ring", nil)
}

// Progress indicates call progress (early media) to the channel.
func (h *ChannelHandle) Progress(ctx context.Context) error {
	return h.do(ctx, http.MethodPost, "/progress", nil)
}

// StartMOH plays music on hold of the given class ("" for the default
// class) to the channel.
func (h *ChannelHandle) StartMOH(ctx context.Context, class string) error {
	return h.do(ctx, http.MethodPost, "/moh", params{}.str("mohClass", class))
}

// StopMOH stops music on hold.
func (h *ChannelHandle) StopMOH(ctx context.Context) error {
	return h.do(ctx, http.MethodDelete, "/moh", nil)
}

// StartSilence plays silence to the channel.
func (h *ChannelHandle) StartSilence(ctx context.Context) error {
	return h.do(ctx, http.MethodPost, "/silence", nil)
}

// StopSilence stops playing silence.
func (h *ChannelHandle) StopSilence(ctx context.Context) error {
	return h.do(ctx, http.MethodDelete, "/silence", nil)
}

// Hold puts the channel on hold. Asterisk only signals hold to the far
// end: no ChannelHold event is raised for a hold requested over ARI, so
// record it yourself if you need it.
func (h *ChannelHandle) Hold(ctx context.Context) error {
	return h.do(ctx, http.MethodPost, "/hold", nil)
}

// Unhold takes the channel off hold.
func (h *ChannelHandle) Unhold(ctx context.Context) error {
	return h.do(ctx, http.MethodDelete, "/hold", nil)
}

// Audio directions for Mute, Unmute and Snoop.
const (
	DirectionBoth = "both"
	DirectionIn   = "in"
	DirectionOut  = "out"
	DirectionNone = "none"
)

// Mute mutes audio in the given direction ("" means both).
func (h *ChannelHandle) Mute(ctx context.Context, direction string) error {
	return h.do(ctx, http.MethodPost, "/mute", params{}.str("direction", direction))
}

// Unmute unmutes audio in the given direction ("" means both).
func (h *ChannelHandle) Unmute(ctx context.Context, direction string) error {
	return h.do(ctx, http.MethodDelete, "/mute", params{}.str("direction", direction))
}

// DTMFParams are the parameters of SendDTMF. Durations are in
// milliseconds; zero means Asterisk's default (before/after 0,
// between/duration 100).
type DTMFParams struct {
	DTMF     string // digits to send, e.g. "123#"
	Before   int
	Between  int
	Duration int
	After    int
}

// SendDTMF sends DTMF digits to the channel.
func (h *ChannelHandle) SendDTMF(ctx context.Context, p DTMFParams) error {
	q := params{}.
		str("dtmf", p.DTMF).
		int("before", p.Before).
		int("between", p.Between).
		int("duration", p.Duration).
		int("after", p.After)
	return h.do(ctx, http.MethodPost, "/dtmf", q)
}

// PlayParams are the parameters of ChannelHandle.Play.
type PlayParams struct {
	// Media URIs to play in order, e.g. "sound:hello-world",
	// "recording:name", "number:42", "tone:ring". Required.
	Media []string
	// Lang selects the language of sounds; default the channel's.
	Lang string
	// OffsetMS skips into the first media item.
	OffsetMS int
	// SkipMS is the step of forward/reverse controls; 0 means 3000.
	SkipMS int
	// PlaybackID names the playback; Asterisk generates one when empty.
	PlaybackID string
}

// Play starts playing media to the channel. Asterisk answers 201 with the
// queued playback; PlaybackStarted and PlaybackFinished follow as events.
func (h *ChannelHandle) Play(ctx context.Context, p PlayParams) (*Playback, error) {
	q := params{}.
		list("media", p.Media).
		str("lang", p.Lang).
		int("offsetms", p.OffsetMS).
		int("skipms", p.SkipMS).
		str("playbackId", p.PlaybackID)
	return get[Playback](ctx, h.c, request{method: http.MethodPost, path: h.path("/play"), query: q.values()})
}

// Values for RecordParams.IfExists.
const (
	IfExistsFail      = "fail"
	IfExistsOverwrite = "overwrite"
	IfExistsAppend    = "append"
)

// RecordParams are the parameters of ChannelHandle.Record and
// BridgeHandle.Record.
type RecordParams struct {
	// Name of the recording (file name without extension). Required.
	Name string
	// Format to encode audio in, e.g. "wav". Required.
	Format string
	// RecorderFormat is the format of the recorder channel (bridges only).
	RecorderFormat string
	// MaxDurationSeconds and MaxSilenceSeconds limit the recording; 0 is
	// no limit.
	MaxDurationSeconds int
	MaxSilenceSeconds  int
	// IfExists is what to do when the file exists: IfExistsFail (Asterisk's
	// default), IfExistsOverwrite or IfExistsAppend.
	IfExists string
	// Beep plays a beep when recording begins.
	Beep bool
	// TerminateOn is the DTMF that ends the recording: "none" (default),
	// "any", "*" or "#".
	TerminateOn string
}

func (p RecordParams) query(bridge bool) params {
	q := params{}.
		str("name", p.Name).
		str("format", p.Format).
		int("maxDurationSeconds", p.MaxDurationSeconds).
		int("maxSilenceSeconds", p.MaxSilenceSeconds).
		str("ifExists", p.IfExists).
		bool("beep", p.Beep).
		str("terminateOn", p.TerminateOn)
	if bridge {
		q.str("recorder_format", p.RecorderFormat)
	}
	return q
}

// Record starts recording the channel. Asterisk answers 201 with the
// recording in state "queued"; RecordingStarted and RecordingFinished
// follow as events.
func (h *ChannelHandle) Record(ctx context.Context, p RecordParams) (*LiveRecording, error) {
	return get[LiveRecording](ctx, h.c, request{method: http.MethodPost, path: h.path("/record"), query: p.query(false).values()})
}

// SnoopParams are the parameters of ChannelHandle.Snoop.
type SnoopParams struct {
	Spy     string // audio to spy on: DirectionNone (default), In, Out, Both
	Whisper string // audio to whisper: DirectionNone (default), In, Out, Both
	App     string // required: the application the snoop channel is placed in
	AppArgs string
	SnoopID string // id of the snoop channel; generated when empty
}

// Snoop creates a channel that spies on and/or whispers to this one.
func (h *ChannelHandle) Snoop(ctx context.Context, p SnoopParams) (*Channel, error) {
	q := params{}.
		str("spy", p.Spy).
		str("whisper", p.Whisper).
		str("app", p.App).
		str("appArgs", p.AppArgs).
		str("snoopId", p.SnoopID)
	return get[Channel](ctx, h.c, request{method: http.MethodPost, path: h.path("/snoop"), query: q.values()})
}

// GetVariable returns the value of a channel variable or dialplan function
// (e.g. "CALLERID(num)").
func (h *ChannelHandle) GetVariable(ctx context.Context, name string) (string, error) {
	v, err := get[Variable](ctx, h.c, request{method: http.MethodGet, path: h.path("/variable"),
		query: params{}.str("variable", name).values()})
	if err != nil {
		return "", err
	}
	return v.Value, nil
}

// SetVariable sets a channel variable or writable dialplan function.
func (h *ChannelHandle) SetVariable(ctx context.Context, name, value string) error {
	return h.do(ctx, http.MethodPost, "/variable", params{}.str("variable", name).str("value", value))
}

// ContinueParams are the parameters of ChannelHandle.Continue. All empty
// continues at the next priority.
type ContinueParams struct {
	Context   string
	Extension string
	Priority  int
	Label     string
}

// Continue makes the channel leave Stasis and continue in the dialplan
// (StasisEnd follows).
func (h *ChannelHandle) Continue(ctx context.Context, p ContinueParams) error {
	q := params{}.
		str("context", p.Context).
		str("extension", p.Extension).
		int("priority", p.Priority).
		str("label", p.Label)
	return h.do(ctx, http.MethodPost, "/continue", q)
}

// Redirect redirects the channel to a different location (e.g. a SIP
// REFER/302 to endpoint "PJSIP/1002").
func (h *ChannelHandle) Redirect(ctx context.Context, endpoint string) error {
	return h.do(ctx, http.MethodPost, "/redirect", params{}.str("endpoint", endpoint))
}

// Move moves the channel from this Stasis application to another.
func (h *ChannelHandle) Move(ctx context.Context, app, appArgs string) error {
	return h.do(ctx, http.MethodPost, "/move", params{}.str("app", app).str("appArgs", appArgs))
}

// DialParams are the parameters of ChannelHandle.Dial.
type DialParams struct {
	Caller  string // id of the calling channel
	Timeout int    // seconds; 0 means no timeout
}

// Dial dials a channel created with Client.CreateChannel.
func (h *ChannelHandle) Dial(ctx context.Context, p DialParams) error {
	return h.do(ctx, http.MethodPost, "/dial", params{}.str("caller", p.Caller).int("timeout", p.Timeout))
}

// RTPStatistics returns the channel's RTP statistics.
func (h *ChannelHandle) RTPStatistics(ctx context.Context) (*RTPstat, error) {
	return get[RTPstat](ctx, h.c, request{method: http.MethodGet, path: h.path("/rtp_statistics")})
}

// TransferProgress informs the channel about the progress of an
// attended/blind transfer it requested (states such as "channel_progress",
// "channel_answered", "channel_declined").
func (h *ChannelHandle) TransferProgress(ctx context.Context, states string) error {
	return h.do(ctx, http.MethodPost, "/transfer_progress", params{}.str("states", states))
}

// GetVariables returns several channel variables at once (GET
// /channels/{id}/variables).
func (h *ChannelHandle) GetVariables(ctx context.Context, names ...string) (map[string]string, error) {
	v, err := get[Variables](ctx, h.c, request{method: http.MethodGet, path: h.path("/variables"),
		query: params{}.list("variables", names).values()})
	if err != nil {
		return nil, err
	}
	return v.Variables, nil
}

// SetVariables sets several channel variables at once (POST
// /channels/{id}/variables).
func (h *ChannelHandle) SetVariables(ctx context.Context, vars map[string]string) error {
	if vars == nil {
		vars = map[string]string{}
	}
	return h.c.call(ctx, request{method: http.MethodPost, path: h.path("/variables"),
		body: map[string]map[string]string{"variables": vars}}, nil)
}

// Claim claims a channel in broadcast state (CallBroadcast) for this
// client's application (POST /events/claim). Only the first claim
// succeeds; later ones get 409.
func (h *ChannelHandle) Claim(ctx context.Context) error {
	q := params{}.str("channelId", h.id).str("application", h.c.cfg.Application)
	return h.c.call(ctx, request{method: http.MethodPost, path: "/events/claim", query: q.values()}, nil)
}
