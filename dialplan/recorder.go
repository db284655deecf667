package dialplan

import (
	"encoding/json"
	"log/slog"
	"strings"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/ari"
	"github.com/ccdhq/ccd/eventlog"
	"github.com/ccdhq/ccd/pbx"
)

// Recorder writes what happens to the channels in ccd's Stasis application to the
// event log, as "ari.<EventType>" events carrying the event as Asterisk sent it, and
// tells the AMI observer which channels ccd controls. The queue application adds its
// own higher-level events (call.*, agent.*) beside these.
type Recorder struct {
	emit       func(eventlog.Event) error
	node       string // the configured node name; "" takes the event's asterisk_id
	controlled *pbx.Controlled
	log        *slog.Logger
}

// NewRecorder returns a recorder writing to emit.
func NewRecorder(emit func(eventlog.Event) error, controlled *pbx.Controlled, log *slog.Logger) *Recorder {
	if log == nil {
		log = slog.Default()
	}
	return &Recorder{emit: emit, controlled: controlled, log: log.With("component", "stasis")}
}

// skipped are events too frequent and too thin to be worth a row each.
var skipped = map[string]bool{"ChannelVarset": true, "ChannelTalkingStarted": true, "ChannelTalkingFinished": true}

// unique are events that happen once per channel: their key is the channel id, so a
// re-delivery after a reconnect is stored once.
var unique = map[string]bool{"StasisStart": true, "StasisEnd": true, "ChannelDestroyed": true}

// SetNode names the Asterisk node whose events the recorder writes: it goes
// into every event's Node instead of the asterisk_id Asterisk sends. Call it
// before the first Handle.
func (r *Recorder) SetNode(name string) { r.node = name }

// Handle records one event.
func (r *Recorder) Handle(e ari.Event) {
	typ := e.EventType()
	if skipped[typ] {
		return
	}
	if ss, ok := e.(*ari.StasisStart); ok && r.controlled != nil {
		r.controlled.Add(ss.Channel.ID)
	}
	raw, err := ari.Marshal(e)
	if err != nil || !json.Valid(raw) {
		r.log.Warn("cannot record ARI event", "type", typ, "err", err)
		return
	}
	ev := eventlog.Event{At: e.EventTime(), Kind: ccd.ARIEventPrefix + typ, Source: eventlog.SourceARI, Payload: raw,
		Node: r.node}
	if ev.Node == "" {
		ev.Node = ari.AsteriskIDOf(e)
	}
	if ev.At.IsZero() {
		return
	}
	for _, k := range ari.Keys(e) {
		if k.Kind == ari.KindChannel {
			ev.CallID = k.ID
			break
		}
	}
	if ch := channelOf(e); ch != nil {
		ev.CLID = ch.Caller.Number
		if strings.HasPrefix(ch.Dialplan.AppName, "Stasis") || typ == "StasisStart" {
			ev.DNIS = ch.Dialplan.Exten
		}
	}
	if unique[typ] && ev.CallID != "" {
		// With the event's time: a channel can leave the application and come
		// back (continue into a context that calls Stasis again), and each stay
		// counts; a re-delivery after a reconnect has the same time.
		ev.Key = "ari:" + typ + ":" + ev.CallID + ":" + ev.At.UTC().Format(time.RFC3339Nano)
	}
	if err := r.emit(ev); err != nil {
		r.log.Warn("cannot record ARI event", "type", typ, "err", err)
	}
}

// Adopt marks channels found in the application after a (re)connect as controlled,
// so that a ccd restart does not turn its calls into "direct" calls.
func (r *Recorder) Adopt(chans []ari.Channel) {
	for _, ch := range chans {
		if r.controlled != nil {
			r.controlled.Add(ch.ID)
		}
	}
	if len(chans) > 0 {
		r.log.Info("re-adopted channels still in the Stasis application", "channels", len(chans))
	}
}

func channelOf(e ari.Event) *ari.Channel {
	switch v := e.(type) {
	case *ari.StasisStart:
		return &v.Channel
	case *ari.StasisEnd:
		return &v.Channel
	case *ari.ChannelStateChange:
		return &v.Channel
	case *ari.ChannelDestroyed:
		return &v.Channel
	}
	return nil
}
