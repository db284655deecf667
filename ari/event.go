package ari

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"time"
)

// Event is a message received on the ARI websocket. Every event model of
// the ARI swagger documentation (every subtype of "Event", plus the
// "MissingParams" message) has its own pointer type implementing Event, for
// example *StasisStart or *ChannelHangupRequest; types this package does not
// know decode as *UnknownEvent. Use a type switch to get at the fields:
//
//	switch e := ev.(type) {
//	case *ari.StasisStart:
//		fmt.Println(e.Channel.ID, e.Args)
//	case *ari.ChannelHangupRequest:
//		fmt.Println(e.Channel.ID, e.Cause)
//	}
//
// Events delivered through a Subscription are shared between all the
// subscriptions that receive them: treat them as read-only.
type Event interface {
	// EventType is the "type" of the message, e.g. "StasisStart".
	EventType() string
	// EventApplication is the Stasis application the event was sent to.
	EventApplication() string
	// EventTime is when Asterisk created the event.
	EventTime() time.Time
}

// AsteriskIDOf is the asterisk_id of an event: the unique id of the Asterisk
// that sent it (its system name, else its MAC address). Every event type
// carries it; it is read by field name because the event types are
// generated and share no method for it. "" when Asterisk sent none.
func AsteriskIDOf(e Event) string {
	v := reflect.ValueOf(e)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return ""
	}
	f := v.Elem().FieldByName("AsteriskID")
	if !f.IsValid() || f.Kind() != reflect.String {
		return ""
	}
	return f.String()
}

// event is what the generated event types implement besides Event.
type event interface {
	Event
	decoder
	appendJSON(b []byte) []byte
	appendKeys(k []Key) []Key
}

// UnknownEvent is a websocket message whose type this package has no Go
// type for (for example an event added by a newer Asterisk). Raw holds the
// complete message.
type UnknownEvent struct {
	Type        string
	Application string
	Timestamp   time.Time
	AsteriskID  string
	Raw         json.RawMessage
}

// EventType returns the message's "type".
func (e *UnknownEvent) EventType() string { return e.Type }

// EventApplication returns the message's "application", if any.
func (e *UnknownEvent) EventApplication() string { return e.Application }

// EventTime returns the message's "timestamp", if any.
func (e *UnknownEvent) EventTime() time.Time { return e.Timestamp }

// MarshalJSON returns the message as received.
func (e UnknownEvent) MarshalJSON() ([]byte, error) {
	return e.appendJSON(nil), nil
}

func (e *UnknownEvent) appendJSON(b []byte) []byte {
	if len(e.Raw) > 0 && json.Valid(e.Raw) {
		return append(b, e.Raw...)
	}
	b = append(b, '{')
	b = appendKey(b, "type")
	b = appendString(b, e.Type)
	if !e.Timestamp.IsZero() {
		b = appendKey(b, "timestamp")
		b = appendTime(b, e.Timestamp)
	}
	if e.AsteriskID != "" {
		b = appendKey(b, "asterisk_id")
		b = appendString(b, e.AsteriskID)
	}
	if e.Application != "" {
		b = appendKey(b, "application")
		b = appendString(b, e.Application)
	}
	return append(b, '}')
}

// decode reads the fields common to all events and validates the rest.
func (e *UnknownEvent) decode(r *reader) {
	if !r.objectBegin() {
		return
	}
	for more := r.objectFirst(); more; more = r.objectNext() {
		switch r.key() {
		case "application":
			e.Application = r.str()
		case "timestamp":
			e.Timestamp = r.time()
		case "asterisk_id":
			e.AsteriskID = r.str()
		default:
			r.skip()
		}
	}
}

func (e *UnknownEvent) appendKeys(k []Key) []Key { return k }

// ErrNoType is returned by Decode for a JSON object without a string
// "type" member.
var ErrNoType = errors.New(`ari: message has no "type"`)

// Decode parses one websocket message into its typed Event. A well-formed
// message of a type this package does not know is returned as
// *UnknownEvent, never as an error; malformed JSON, a message that is not
// an object or has no "type", and fields of the wrong JSON type are errors.
// Unknown fields are ignored.
//
// Decode does not retain data.
func Decode(data []byte) (Event, error) {
	// One copy of the whole message; every string field of the result that
	// needs no unescaping is a substring of it.
	r := reader{s: string(data)}
	typ := r.findType()
	if r.err != nil {
		return nil, r.err
	}
	r.i = 0
	ev := newEvent(typ)
	if ev == nil {
		u := &UnknownEvent{Type: typ}
		u.decode(&r)
		if err := r.finish(); err != nil {
			return nil, err
		}
		u.Raw = json.RawMessage(cleanRaw(r.s)) // stored as it is: cleaned like every raw value
		return u, nil
	}
	ev.decode(&r)
	if err := r.finish(); err != nil {
		return nil, err
	}
	return ev, nil
}

// findType scans the top-level object for its "type" member without
// decoding anything else. Asterisk usually writes "type" first, but not
// always (ChannelVarset starts with "variable"), so the other members are
// skipped until it is found.
func (r *reader) findType() string {
	if r.peek() != '{' {
		r.failf("expected object, found %s", r.describe())
		return ""
	}
	r.i++
	for more := r.objectFirst(); more; more = r.objectNext() {
		if r.key() == "type" {
			if r.peek() != '"' {
				r.fail(`"type" is not a string`)
				return ""
			}
			return r.stringBody()
		}
		r.skip()
	}
	if r.err == nil {
		r.err = ErrNoType
	}
	return ""
}

// Marshal encodes an event the way Asterisk writes it on the websocket
// ("type" first, timestamps in TimeLayout). It is the inverse of Decode.
func Marshal(e Event) ([]byte, error) {
	if ev, ok := e.(interface{ appendJSON([]byte) []byte }); ok {
		return ev.appendJSON(nil), nil
	}
	return json.Marshal(e)
}

// Kinds of resources an event can reference; see Key.
const (
	KindChannel     = "channel"
	KindBridge      = "bridge"
	KindPlayback    = "playback"
	KindRecording   = "recording"
	KindEndpoint    = "endpoint"
	KindDeviceState = "deviceState"
)

// Key identifies an ARI resource: a Kind and the resource's ID (channel and
// bridge ids, playback ids, recording names, "tech/resource" for endpoints,
// device names for device states).
type Key struct {
	Kind string
	ID   string
}

func (k Key) String() string { return k.Kind + ":" + k.ID }

// Keys lists the resources an event references, in field order, without
// duplicates. A channel event references its channel; Dial references its
// caller, peer and forwarded channels; ChannelEnteredBridge references the
// bridge and the channel; playback and recording events reference the
// playback or recording and also the channel or bridge they target
// (from target_uri). Scoped subscriptions (Client.Channel(id).Subscribe
// and friends) deliver exactly the events whose Keys contain their resource.
func Keys(e Event) []Key {
	ev, ok := e.(interface{ appendKeys([]Key) []Key })
	if !ok {
		return nil
	}
	var buf [8]Key
	k := ev.appendKeys(buf[:0])
	out := make([]Key, 0, len(k))
	for _, x := range k {
		if x.ID != "" && !containsKey(out, x) {
			out = append(out, x)
		}
	}
	return out
}

func containsKey(l []Key, k Key) bool {
	for _, x := range l {
		if x == k {
			return true
		}
	}
	return false
}

func (v *Channel) appendKeys(k []Key) []Key { return append(k, Key{KindChannel, v.ID}) }

func (v *Bridge) appendKeys(k []Key) []Key { return append(k, Key{KindBridge, v.ID}) }

func (v *Endpoint) appendKeys(k []Key) []Key {
	if v.Technology == "" && v.Resource == "" {
		return k
	}
	return append(k, Key{KindEndpoint, v.Technology + "/" + v.Resource})
}

func (v *DeviceState) appendKeys(k []Key) []Key { return append(k, Key{KindDeviceState, v.Name}) }

func (v *Playback) appendKeys(k []Key) []Key {
	k = append(k, Key{KindPlayback, v.ID})
	return appendTargetKey(k, v.TargetURI)
}

func (v *LiveRecording) appendKeys(k []Key) []Key {
	k = append(k, Key{KindRecording, v.Name})
	return appendTargetKey(k, v.TargetURI)
}

// appendTargetKey adds the resource of a playback or recording target URI
// ("channel:<id>", "bridge:<id>", "endpoint:<tech>/<resource>"...).
func appendTargetKey(k []Key, uri string) []Key {
	kind, id, ok := strings.Cut(uri, ":")
	if !ok || id == "" {
		return k
	}
	switch kind {
	case KindChannel, KindBridge, KindEndpoint, KindDeviceState:
		return append(k, Key{kind, id})
	}
	return k
}
