package pbx

import (
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/ami"
	"github.com/ccdhq/ccd/eventlog"
)

// Event kinds written by the observer: the domain's (ccd.EventPBX*), under
// the names this package's callers know.
const (
	KindChannel     = ccd.EventPBXChannel
	KindDial        = ccd.EventPBXDial
	KindDialEnd     = ccd.EventPBXDialEnd
	KindHold        = ccd.EventPBXHold
	KindUnhold      = ccd.EventPBXUnhold
	KindHangup      = ccd.EventPBXHangup
	KindCDR         = ccd.EventPBXCDR
	KindDeviceState = ccd.EventPBXDeviceState
)

// Events are the AMI events the observer reads; subscribe to exactly these so the
// AMI reader can skip the hundreds of VarSet and Newexten frames of every call
// before allocating them.
var Events = []string{"Newchannel", "DialBegin", "DialEnd", "Hold", "Unhold", "Hangup", "Cdr", "DeviceStateChange"}

// OpenChannel is a channel the observer believes is up.
type OpenChannel struct {
	Uniqueid, Linkedid, Channel, Number string
	Created                             time.Time
}

type dialKey struct{ from, to string }

type endedChannel struct {
	linkedid string
	acd      bool
}

// endedMemory bounds how many hung-up channels are remembered for late CDRs.
const endedMemory = 10000

// Observer turns AMI events into call events. It is safe for concurrent use.
type Observer struct {
	cls        *Classifier
	emit       func(eventlog.Event) error
	controlled *Controlled
	log        *slog.Logger
	now        func() time.Time
	// node is the Asterisk the events come from: the configured node name,
	// else the SystemName the AMI's events carry (Asterisk sends it when
	// asterisk.conf sets systemname).
	node      atomic.Pointer[string]
	nodeFixed bool

	mu       sync.Mutex
	channels map[string]*OpenChannel
	// tracks numbers the channels in the order they were tracked (trackedAt),
	// so that Resync leaves alone a channel that appeared after Asterisk's
	// list was asked for.
	tracks    uint64
	trackedAt map[string]uint64
	byCall    map[string]map[string]bool // linkedid -> uniqueids of its open channels
	acdCalls  map[string]bool            // linkedids known to be ccd's
	// ended remembers the last channels that hung up, because Asterisk may post a
	// channel's CDR just after its Hangup, and the CDR carries no LinkedID.
	ended      map[string]endedChannel
	endedOrder []string
	dials      map[dialKey]time.Time
	holds      map[string]time.Time
	holdSeq    map[string]int
}

// NewObserver returns an observer that passes its events to emit (usually
// eventlog.Writer.Add). controlled may be nil; when set, events of channels that ccd
// drives through ARI are marked "acd": true so that statistics do not count them as
// direct calls.
func NewObserver(cls *Classifier, controlled *Controlled, emit func(eventlog.Event) error, log *slog.Logger) *Observer {
	if log == nil {
		log = slog.Default()
	}
	if controlled == nil {
		controlled = NewControlled()
	}
	return &Observer{
		cls: cls, emit: emit, controlled: controlled, log: log.With("component", "pbx"), now: time.Now,
		channels: map[string]*OpenChannel{}, trackedAt: map[string]uint64{}, byCall: map[string]map[string]bool{}, acdCalls: map[string]bool{}, ended: map[string]endedChannel{}, dials: map[dialKey]time.Time{}, holds: map[string]time.Time{}, holdSeq: map[string]int{},
	}
}

// Restore seeds the observer with channels that were up when ccd last stopped (read
// back from the event log), so that Resync can close those that ended meanwhile.
func (o *Observer) Restore(open []OpenChannel) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for i := range open {
		o.track(&open[i])
	}
}

// track adds an open channel; o.mu is held.
func (o *Observer) track(c *OpenChannel) {
	cp := *c
	o.channels[c.Uniqueid] = &cp
	o.tracks++
	o.trackedAt[c.Uniqueid] = o.tracks
	if c.Linkedid != "" {
		if o.byCall[c.Linkedid] == nil {
			o.byCall[c.Linkedid] = map[string]bool{}
		}
		o.byCall[c.Linkedid][c.Uniqueid] = true
	}
}

// untrack removes a channel; o.mu is held. The call's ccd mark goes with its last
// channel.
func (o *Observer) untrack(uid string) {
	c := o.channels[uid]
	delete(o.channels, uid)
	delete(o.trackedAt, uid)
	delete(o.holds, uid)
	delete(o.holdSeq, uid)
	if c == nil {
		return
	}
	if _, seen := o.ended[uid]; !seen {
		if len(o.endedOrder) >= endedMemory {
			delete(o.ended, o.endedOrder[0])
			o.endedOrder = o.endedOrder[1:]
		}
		o.endedOrder = append(o.endedOrder, uid)
	}
	o.ended[uid] = endedChannel{linkedid: c.Linkedid, acd: o.acdCalls[c.Linkedid] || o.controlled.Has(uid)}
	if set := o.byCall[c.Linkedid]; set != nil {
		delete(set, uid)
		if len(set) == 0 {
			delete(o.byCall, c.Linkedid)
			delete(o.acdCalls, c.Linkedid)
		}
	}
}

// isACD reports whether a channel's call is driven by ccd: the channel itself, or
// any open channel of the same call (the two halves of a Local channel, the agent
// leg of a queue call).
func (o *Observer) isACD(uid, linkedid string) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	if linkedid == "" {
		if c := o.channels[uid]; c != nil {
			linkedid = c.Linkedid
		}
	}
	if o.controlled.Has(uid) {
		if linkedid != "" {
			o.acdCalls[linkedid] = true
		}
		return true
	}
	if linkedid == "" {
		return false
	}
	if o.acdCalls[linkedid] {
		return true
	}
	for other := range o.byCall[linkedid] {
		if o.controlled.Has(other) {
			o.acdCalls[linkedid] = true
			return true
		}
	}
	return false
}

// Open lists the channels the observer believes are up.
func (o *Observer) Open() []OpenChannel {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := make([]OpenChannel, 0, len(o.channels))
	for _, c := range o.channels {
		out = append(out, *c)
	}
	return out
}

// Resync is called after a (re)connect with the uniqueids Asterisk reports up
// (CoreShowChannels). A channel the observer still holds open but Asterisk no longer
// has ended while ccd was not listening: it gets its hangup event now, with the same
// idempotency key a live Hangup would have had, so a record is never left open and
// never closed twice.
//
// mark is what Mark returned before the list was asked for: a channel tracked
// after it (its Newchannel handled while the list was on its way) is not in
// the list for that reason alone, and stays open.
func (o *Observer) Resync(live map[string]bool, mark uint64) int {
	o.mu.Lock()
	var gone []*OpenChannel
	for id, c := range o.channels {
		if !live[id] && o.trackedAt[id] <= mark {
			gone = append(gone, c)
		}
	}
	o.mu.Unlock()
	at := o.now()
	for _, c := range gone {
		acd := o.isACD(c.Uniqueid, c.Linkedid)
		o.mu.Lock()
		o.untrack(c.Uniqueid)
		o.mu.Unlock()
		o.put(eventlog.Event{
			At: at, CallID: c.Linkedid, Kind: KindHangup, Key: "ami:Hangup:" + c.Uniqueid,
			Payload: eventlog.Payload(map[string]any{
				"channel": c.Channel, "uniqueid": c.Uniqueid, "number": c.Number,
				"cause": 0, "cause_txt": "ended while ccd was disconnected", "lost": true,
				"acd": acd,
			}),
		}, c.Number, "")
		o.controlled.Forget(c.Uniqueid)
	}
	return len(gone)
}

// Mark is the point to pass to Resync: take it before asking Asterisk for its
// channels.
func (o *Observer) Mark() uint64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.tracks
}

// SetNode names the Asterisk node the observer listens to; its events carry
// that name instead of the SystemName Asterisk sends. Call it before the
// first Handle.
func (o *Observer) SetNode(name string) {
	if name != "" {
		o.node.Store(&name)
		o.nodeFixed = true
	}
}

// Handle processes one AMI event. Events it does not use are ignored.
func (o *Observer) Handle(m *ami.Message) {
	if !o.nodeFixed {
		if sys := m.Get("SystemName"); sys != "" {
			if cur := o.node.Load(); cur == nil || *cur != sys {
				o.node.Store(&sys)
			}
		}
	}
	switch m.Event() {
	case "Newchannel":
		o.newChannel(m)
	case "DialBegin":
		o.dialBegin(m)
	case "DialEnd":
		o.dialEnd(m)
	case "Hold":
		o.hold(m, true)
	case "Unhold":
		o.hold(m, false)
	case "Hangup":
		o.hangup(m)
	case "Cdr":
		o.cdr(m)
	case "DeviceStateChange":
		o.deviceState(m)
	}
}

// eventTime is the event's own Timestamp (manager.conf timestampevents=yes), which
// survives queueing delays; without it, the time of reading.
func (o *Observer) eventTime(m *ami.Message) time.Time {
	if ts := m.Get("Timestamp"); ts != "" {
		if f, err := strconv.ParseFloat(ts, 64); err == nil && f > 0 {
			sec := int64(f)
			return time.Unix(sec, int64((f-float64(sec))*1e9)).Round(time.Microsecond)
		}
	}
	return o.now()
}

func (o *Observer) put(ev eventlog.Event, clid, dnis string) {
	ev.Source = eventlog.SourceAMI
	ev.CLID, ev.DNIS = clid, dnis
	if node := o.node.Load(); node != nil {
		ev.Node = *node
	}
	if err := o.emit(ev); err != nil {
		o.log.Error("dropping malformed pbx event", "kind", ev.Kind, "err", err)
	}
}

// number is the extension or number of a channel: its caller ID, or failing that
// the endpoint in its name.
func number(m *ami.Message, prefix string) string {
	if n := cleanNumber(m.Get(prefix + "CallerIDNum")); n != "" {
		return n
	}
	return ChannelResource(m.Get(prefix + "Channel"))
}

func (o *Observer) newChannel(m *ami.Message) {
	c := &OpenChannel{
		Uniqueid: m.Get("Uniqueid"), Linkedid: m.Get("Linkedid"), Channel: m.Get("Channel"),
		Created: o.eventTime(m),
	}
	if c.Uniqueid == "" {
		return
	}
	// A new channel has no caller ID yet; the endpoint is what identifies a phone.
	c.Number = ChannelResource(c.Channel)
	o.mu.Lock()
	o.track(c)
	o.mu.Unlock()
	o.put(eventlog.Event{
		At: c.Created, CallID: c.Linkedid, Kind: KindChannel, Key: "ami:Newchannel:" + c.Uniqueid,
		Payload: eventlog.Payload(map[string]any{
			"channel": c.Channel, "uniqueid": c.Uniqueid, "linkedid": c.Linkedid, "number": c.Number,
			"context": m.Get("Context"), "exten": m.Get("Exten"), "state": m.Get("ChannelStateDesc"),
			"internal": o.cls.IsInternal(c.Number), "acd": o.isACD(c.Uniqueid, c.Linkedid),
		}),
	}, c.Number, m.Get("Exten"))
}

// dialParties names the two ends of a DialBegin/DialEnd. A dial with no calling
// channel (an AMI or ARI originate) is attributed to the destination's linkedid.
func (o *Observer) dialParties(m *ami.Message) (callID, from, to string) {
	callID = m.Get("Linkedid")
	if callID == "" {
		callID = m.Get("DestLinkedid")
	}
	from = number(m, "")
	if m.Get("Channel") == "" {
		from = ""
	}
	to = DialedNumber(m.Get("DialString"))
	if to == "" {
		to = ChannelResource(m.Get("DestChannel"))
	}
	return callID, from, to
}

func (o *Observer) dialBegin(m *ami.Message) {
	at := o.eventTime(m)
	callID, from, to := o.dialParties(m)
	uid, dest := m.Get("Uniqueid"), m.Get("DestUniqueid")
	o.mu.Lock()
	o.dials[dialKey{uid, dest}] = at
	o.mu.Unlock()
	o.put(eventlog.Event{
		At: at, CallID: callID, Kind: KindDial, Key: "ami:DialBegin:" + uid + ":" + dest,
		Payload: eventlog.Payload(map[string]any{
			"from": from, "to": to, "channel": m.Get("Channel"), "dest_channel": m.Get("DestChannel"),
			"uniqueid": uid, "dest_uniqueid": dest, "dialstring": m.Get("DialString"),
			"direction": o.cls.Direction(from, to), "acd": o.isACD(uid, callID) || o.isACD(dest, m.Get("DestLinkedid")),
		}),
	}, from, to)
}

func (o *Observer) dialEnd(m *ami.Message) {
	at := o.eventTime(m)
	callID, from, to := o.dialParties(m)
	uid, dest := m.Get("Uniqueid"), m.Get("DestUniqueid")
	o.mu.Lock()
	began, ok := o.dials[dialKey{uid, dest}]
	delete(o.dials, dialKey{uid, dest})
	o.mu.Unlock()
	p := map[string]any{
		"from": from, "to": to, "channel": m.Get("Channel"), "dest_channel": m.Get("DestChannel"),
		"uniqueid": uid, "dest_uniqueid": dest, "status": m.Get("DialStatus"),
		"direction": o.cls.Direction(from, to), "acd": o.isACD(uid, callID) || o.isACD(dest, m.Get("DestLinkedid")),
	}
	if ok {
		p["dial_seconds"] = at.Sub(began).Seconds()
	}
	o.put(eventlog.Event{
		At: at, CallID: callID, Kind: KindDialEnd, Key: "ami:DialEnd:" + uid + ":" + dest,
		Payload: eventlog.Payload(p),
	}, from, to)
}

func (o *Observer) hold(m *ami.Message, on bool) {
	at := o.eventTime(m)
	uid := m.Get("Uniqueid")
	o.mu.Lock()
	var held time.Duration
	if on {
		o.holds[uid] = at
		o.holdSeq[uid]++
	} else if since, ok := o.holds[uid]; ok {
		held = at.Sub(since)
		delete(o.holds, uid)
	}
	seq := o.holdSeq[uid]
	o.mu.Unlock()
	kind, name := KindHold, "Hold"
	if !on {
		kind, name = KindUnhold, "Unhold"
	}
	p := ccd.PBXHold{Channel: m.Get("Channel"), Uniqueid: uid, Number: number(m, ""), ACD: o.isACD(uid, m.Get("Linkedid")),
		HoldSeconds: held.Seconds()}
	// The n-th hold of a channel is one fact; its timestamp, when Asterisk sends
	// one, tells repeated holds apart across a ccd restart too.
	key := "ami:" + name + ":" + uid + ":" + strconv.Itoa(seq) + ":" + m.Get("Timestamp")
	o.put(eventlog.Event{At: at, CallID: m.Get("Linkedid"), Kind: kind, Key: key, Payload: eventlog.Payload(p)}, number(m, ""), "")
}

func (o *Observer) hangup(m *ami.Message) {
	at := o.eventTime(m)
	uid := m.Get("Uniqueid")
	acd := o.isACD(uid, m.Get("Linkedid"))
	o.mu.Lock()
	c := o.channels[uid]
	o.untrack(uid)
	for k := range o.dials {
		if k.from == uid || k.to == uid {
			delete(o.dials, k)
		}
	}
	o.mu.Unlock()
	p := map[string]any{
		"channel": m.Get("Channel"), "uniqueid": uid, "number": number(m, ""),
		"cause": atoi(m.Get("Cause")), "cause_txt": m.Get("Cause-txt"),
		"acd": acd,
	}
	if c != nil {
		p["seconds"] = at.Sub(c.Created).Seconds()
	}
	o.put(eventlog.Event{At: at, CallID: m.Get("Linkedid"), Kind: KindHangup, Key: "ami:Hangup:" + uid, Payload: eventlog.Payload(p)}, number(m, ""), "")
	o.controlled.Forget(uid)
}

func (o *Observer) cdr(m *ami.Message) {
	at := o.eventTime(m)
	src, dst := m.Get("Source"), m.Get("Destination")
	p := map[string]any{}
	for _, f := range m.Fields {
		if f.Key == "Event" || f.Key == "Privilege" {
			continue
		}
		p[strings.ToLower(f.Key)] = f.Value
	}
	p["direction"] = o.cls.Direction(src, dst)
	// One channel can have several CDRs (one per Dial it makes); the start time and
	// the other party tell them apart.
	key := "ami:Cdr:" + m.Get("UniqueID") + ":" + m.Get("StartTime") + ":" + m.Get("DestinationChannel")
	// cdr_manager sends no LinkedID unless configured to; the channel, still open
	// when its CDR is posted, knows its call.
	uid := m.Get("UniqueID")
	callID := m.Get("LinkedID")
	var endedACD bool
	if callID == "" {
		o.mu.Lock()
		if c := o.channels[uid]; c != nil {
			callID = c.Linkedid
		} else if e, ok := o.ended[uid]; ok {
			callID, endedACD = e.linkedid, e.acd
		}
		o.mu.Unlock()
	}
	if callID == "" {
		callID = uid
	}
	p["acd"] = endedACD || o.isACD(uid, callID)
	o.put(eventlog.Event{At: at, CallID: callID, Kind: KindCDR, Key: key, Payload: eventlog.Payload(p)}, src, dst)
}

func (o *Observer) deviceState(m *ami.Message) {
	at := o.eventTime(m)
	dev, state := m.Get("Device"), m.Get("State")
	key := ""
	if ts := m.Get("Timestamp"); ts != "" {
		key = "ami:DeviceStateChange:" + dev + ":" + state + ":" + ts
	}
	o.put(eventlog.Event{At: at, Kind: KindDeviceState, Key: key,
		Payload: eventlog.Payload(map[string]any{"device": dev, "state": state, "number": ChannelResource(dev + "-")})}, "", "")
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}
