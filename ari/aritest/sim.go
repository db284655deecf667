package aritest

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ccdhq/ccd/ari"
)

// Sim is a small stateful simulation of Asterisk behind ARI, for testing
// applications end to end. It keeps channels, bridges, playbacks and
// recordings in memory, changes them on REST requests and emits the events
// Asterisk 22 emits for them, shaped as in real captures:
//
//   - A Local channel is a pair: originating channelId "agent-1" to
//     "Local/1001@agents" creates "agent-1" (Local/1001@agents-0000000N;1)
//     and "agent-1;2" (...;2); an inbound caller injected with NewCaller on
//     a Local endpoint is in Stasis on its ";2" half.
//   - Originate with app= subscribes the application to both halves and
//     puts the channel into Stasis when it answers: Dial (dialstatus "",
//     then RINGING for non-Local endpoints, then ANSWER),
//     ChannelStateChange, ChannelVarset STASISSTATUS, StasisStart.
//   - DELETE /channels/{id} raises ChannelHangupRequest with cause 32 and
//     soft=true (an explicit soft hangup), then ChannelLeftBridge if
//     bridged, StasisEnd, and ChannelDestroyed (with the hangup cause, 16
//     by default) for applications still subscribed to the channel;
//     hanging up one half of a Local pair hangs up the other with cause
//     16.
//   - Bridges created over REST raise no BridgeCreated for the application
//     (it is not subscribed yet); adding one of its channels subscribes it,
//     so it gets ChannelEnteredBridge/ChannelLeftBridge and
//     BridgeDestroyed.
//   - Hold, MOH, ring, silence and mute change state (visible through
//     SimChannel) but raise no events, as in Asterisk: ChannelHold only
//     comes from the phone (SimChannel.Hold).
//   - Record answers 201 with state "queued", then RecordingStarted and,
//     on stop, hangup or bridge destruction, RecordingFinished (and a
//     stored recording).
//   - Snoop creates an Up channel Snoop/<target>-<8 hex digits> at
//     s@default that enters Stasis with its arguments, and leaves Stasis
//     and is destroyed when its target hangs up (the application gets
//     StasisEnd, no ChannelHangupRequest nor ChannelDestroyed).
//   - Errors are {"message": ...} with Asterisk's statuses: 404 for
//     unknown resources, 409 for a channel not in Stasis or a reused id,
//     412 for a channel in the wrong state, 422 for a bridge operation on
//     a channel not in Stasis or not in the bridge, 400 for bad
//     parameters.
//   - Events go to the applications subscribed to a resource they
//     reference (or to websockets with subscribeAll). Events are dropped
//     while an application has no websocket, but its channels stay in
//     Stasis, and a new websocket gets their later events.
//
// Dialplan execution is not simulated: a channel originated without app=
// stays in the state the test puts it in, except that AddRoute can make
// Local channels to an extension enter Stasis, like a dialplan that runs
// Stasis() would.
type Sim struct {
	*Server

	mu         sync.Mutex
	defaultApp string
	seq        int // channel name sequence (hex)
	uidSeq     int
	epoch      int64
	chanSeq    int
	snoopSeq   int // names the snoop channels, as Asterisk's own counter
	channels   map[string]*simChan
	bridges    map[string]*simBridge
	playbacks  map[string]*simPlayback
	live       map[string]*simRecording
	stored     map[string]ari.StoredRecording
	sounds     map[string]ari.Sound // the sounds index (AddSound)
	devices    map[string]string
	globals    map[string]string
	endpoints  map[string]*ari.Endpoint
	mailboxes  map[string]ari.Mailbox
	behaviors  map[string]Behavior
	defaultBeh Behavior
	routes     map[string]route
	contexts   map[string]func(ari.Channel, map[string]string) DialplanStep // simulated dialplan (AddContext)
	appState   map[string]*appState
	outbox     []outMsg
	changed    chan struct{}

	playbackDuration time.Duration
	timers           map[*time.Timer]struct{}
	twg              sync.WaitGroup
	closed           bool
}

type route struct {
	app  string
	args []string
}

// appState is what an application subscribed to explicitly, and its
// event filter.
type appState struct {
	devices    map[string]bool
	endpoints  map[string]bool
	allowed    []string
	disallowed []string
}

type outMsg struct {
	conn *wsConn
	data []byte
}

type simChan struct {
	n          int
	snap       ari.Channel
	saved      ari.DialplanCEP // dialplan to restore when leaving Stasis
	stasisApp  string
	subs       map[string]bool // applications subscribed beyond Stasis
	peer       *simChan        // other half of a Local pair
	local      int             // 1 or 2 for Local halves
	bridge     *simBridge
	vars       map[string]string
	moh        bool
	mohClass   string
	hold       bool
	ringing    bool
	silence    bool
	mute       string
	orig       *origination // set while an originated channel is dialing
	originated string       // app given to originate, if any
	snoops     *simChan     // the channel a snoop channel spies on or whispers to
	snoopDirs  [2]string    // ... its spy and whisper directions
	gone       bool
}

type origination struct {
	dialstring string
	app        string
	args       []string
	timer      *time.Timer
	behavior   Behavior
}

type simBridge struct {
	b    ari.Bridge
	subs map[string]bool
	moh  bool
}

type simPlayback struct {
	p     ari.Playback
	media []string
	timer *time.Timer
}

type simRecording struct {
	r       ari.LiveRecording
	started time.Time
	paused  bool
	muted   bool
}

// Action is what a dialed endpoint does; see Behavior.
type Action int

const (
	// EndpointRing rings until the test calls SimChannel.Answer, Busy or
	// Hangup, or the originate timeout expires (dialstatus NOANSWER).
	EndpointRing Action = iota
	// EndpointAnswer answers after Behavior.Delay.
	EndpointAnswer
	// EndpointBusy rejects the call as busy (cause 17) after Delay.
	EndpointBusy
	// EndpointUnavailable fails at once (dialstatus CHANUNAVAIL, cause 20).
	EndpointUnavailable
	// EndpointCongestion fails after Delay with dialstatus CONGESTION and
	// cause 34 (a trunk answering 503).
	EndpointCongestion
	// EndpointFail fails after Delay with Behavior.DialStatus (default
	// CHANUNAVAIL) and Behavior.Cause: 1 for an unallocated number (SIP
	// 404), 21 for a rejected call (SIP 603), 28 for an invalid format.
	EndpointFail
)

// Behavior tells the simulation how an endpoint reacts when dialed.
type Behavior struct {
	Action Action
	// Delay before the action (answer or busy).
	Delay time.Duration
	// HangupAfter, when positive, makes an answered call hang up from the
	// far end (cause 16) after that long.
	HangupAfter time.Duration
	// Cause and DialStatus are EndpointFail's.
	Cause      int
	DialStatus string
	// Context is the dialplan context channels to this (non-Local)
	// endpoint report, as configured for the endpoint in Asterisk
	// (pjsip.conf context=); default "default".
	Context string
}

// WithDefaultApp sets the application Sim.NewCaller uses when
// CallerOptions.App is empty (default "ccd").
func WithDefaultApp(app string) Option { return func(o *options) { o.defaultApp = app } }

// WithPlaybackDuration makes every playback of a Sim finish by itself
// after d; by default playbacks play until stopped over REST or with
// Sim.FinishPlayback.
func WithPlaybackDuration(d time.Duration) Option {
	return func(o *options) { o.playbackDuration = d }
}

// NewSim starts a simulation server.
func NewSim(opts ...Option) *Sim {
	o := buildOptions(opts)
	s := &Sim{
		defaultApp:       o.defaultApp,
		playbackDuration: o.playbackDuration,
		epoch:            time.Now().Unix(),
		channels:         map[string]*simChan{},
		bridges:          map[string]*simBridge{},
		playbacks:        map[string]*simPlayback{},
		live:             map[string]*simRecording{},
		stored:           map[string]ari.StoredRecording{},
		sounds:           map[string]ari.Sound{},
		devices:          map[string]string{},
		globals:          map[string]string{},
		endpoints:        map[string]*ari.Endpoint{},
		mailboxes:        map[string]ari.Mailbox{},
		behaviors:        map[string]Behavior{},
		routes:           map[string]route{},
		appState:         map[string]*appState{},
		changed:          make(chan struct{}),
		timers:           map[*time.Timer]struct{}{},
	}
	s.Server = newServer(s.serveREST, o)
	return s
}

// Close stops pending timers and shuts the server down.
func (s *Sim) Close() {
	s.mu.Lock()
	s.closed = true
	for t := range s.timers {
		if t.Stop() {
			s.twg.Done()
		}
	}
	s.timers = map[*time.Timer]struct{}{}
	s.mu.Unlock()
	s.twg.Wait()
	s.Server.Close()
}

// after runs f under the simulation lock after d, unless the simulation
// is closed first.
func (s *Sim) after(d time.Duration, f func()) *time.Timer {
	s.twg.Add(1)
	var t *time.Timer
	t = time.AfterFunc(d, func() {
		defer s.twg.Done()
		s.mu.Lock()
		defer s.mu.Unlock()
		delete(s.timers, t)
		if s.closed {
			return
		}
		f()
		s.flush()
	})
	s.timers[t] = struct{}{}
	return t
}

func (s *Sim) cancel(t *time.Timer) {
	if t == nil {
		return
	}
	if _, ok := s.timers[t]; ok && t.Stop() {
		delete(s.timers, t)
		s.twg.Done()
	}
}

// ---- identifiers ----

func now() time.Time { return time.Now().UTC().Truncate(time.Millisecond) }

func (s *Sim) nextSeq() int {
	s.seq++
	return s.seq
}

func (s *Sim) uniqueID() string {
	for {
		s.uidSeq++
		id := fmt.Sprintf("%d.%d", s.epoch, s.uidSeq)
		if s.channels[id] == nil {
			return id
		}
	}
}

func uuid() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// ---- events ----

func (s *Sim) app(name string) *appState {
	a := s.appState[name]
	if a == nil {
		a = &appState{devices: map[string]bool{}, endpoints: map[string]bool{}}
		s.appState[name] = a
	}
	return a
}

// interested reports whether app receives an event referencing keys.
func (s *Sim) interested(app string, keys []ari.Key) bool {
	for _, k := range keys {
		switch k.Kind {
		case ari.KindChannel:
			if c := s.channels[k.ID]; c != nil && (c.stasisApp == app || c.subs[app]) {
				return true
			}
		case ari.KindBridge:
			if b := s.bridges[k.ID]; b != nil && b.subs[app] {
				return true
			}
		case ari.KindDeviceState:
			if s.app(app).devices[k.ID] {
				return true
			}
		case ari.KindEndpoint:
			tech, _, _ := strings.Cut(k.ID, "/")
			if a := s.app(app); a.endpoints[k.ID] || a.endpoints[tech] {
				return true
			}
		}
	}
	return false
}

func (a *appState) filtered(typ string) bool {
	if len(a.allowed) > 0 && !slices.Contains(a.allowed, typ) {
		return true
	}
	return slices.Contains(a.disallowed, typ)
}

// emit queues ev for every application that is interested in it now.
func (s *Sim) emit(ev ari.Event) { s.emitTo("", ev) }

// emitTo queues ev for app only (or, with app "", for every interested
// application).
func (s *Sim) emitTo(only string, ev ari.Event) {
	keys := ari.Keys(ev)
	s.Server.mu.Lock()
	defer s.Server.mu.Unlock()
	apps := make([]string, 0, len(s.Server.apps))
	for a := range s.Server.apps {
		apps = append(apps, a)
	}
	slices.Sort(apps)
	for _, a := range apps {
		c := s.Server.apps[a]
		if only != "" && a != only {
			continue
		}
		if only == "" && !c.subscribeAll && !s.interested(a, keys) {
			continue
		}
		if s.app(a).filtered(ev.EventType()) {
			continue
		}
		s.outbox = append(s.outbox, outMsg{c, s.Server.encode(ev, a)})
	}
}

// flush hands queued events to their websockets, in order.
func (s *Sim) flush() {
	for _, m := range s.outbox {
		m.conn.send(m.data)
	}
	s.outbox = nil
	close(s.changed)
	s.changed = make(chan struct{})
}

// registered reports whether app has a websocket.
func (s *Sim) registered(app string) bool {
	s.Server.mu.Lock()
	defer s.Server.mu.Unlock()
	return s.Server.apps[app] != nil
}

// ---- channels ----

func (c *simChan) snapshot() ari.Channel {
	snap := c.snap
	return snap
}

func (s *Sim) newChan(id, name, state string) *simChan {
	s.chanSeq++
	c := &simChan{
		n: s.chanSeq,
		snap: ari.Channel{
			ID:           id,
			Name:         name,
			State:        state,
			CreationTime: now(),
			Language:     "en",
		},
		subs: map[string]bool{},
		vars: map[string]string{},
	}
	s.channels[id] = c
	return c
}

// parseLocal splits "Local/1001@agents/n" into exten and context.
func parseLocal(resource string) (exten, context string) {
	resource, _, _ = strings.Cut(resource, "/")
	exten, context, ok := strings.Cut(resource, "@")
	if !ok || context == "" {
		context = "default"
	}
	return exten, context
}

// parseCallerID parses `"Name" <number>` or a bare number.
func parseCallerID(s string) ari.CallerID {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '<'); i >= 0 {
		name := strings.Trim(strings.TrimSpace(s[:i]), `"`)
		num := s[i+1:]
		if j := strings.IndexByte(num, '>'); j >= 0 {
			num = num[:j]
		}
		return ari.CallerID{Name: name, Number: strings.TrimSpace(num)}
	}
	if strings.IndexFunc(s, func(r rune) bool { return !strings.ContainsRune("0123456789+*#", r) }) < 0 {
		return ari.CallerID{Number: s}
	}
	return ari.CallerID{Name: s}
}

// createChannel creates an outgoing channel (or Local pair) to endpoint,
// returning the channel the originator controls (the ";1" half for Local).
func (s *Sim) createChannel(tech, resource, id, otherID string, cid ari.CallerID) (*simChan, error) {
	if id == "" {
		id = s.uniqueID()
	}
	if s.channels[id] != nil {
		return nil, errConflict("Channel with given unique ID already exists")
	}
	n := s.nextSeq()
	if strings.EqualFold(tech, "Local") {
		if otherID == "" {
			otherID = id + ";2"
		}
		if s.channels[otherID] != nil || otherID == id {
			return nil, errConflict("Channel with given unique ID already exists")
		}
		exten, ctx := parseLocal(resource)
		base := fmt.Sprintf("Local/%s-%08x", strings.SplitN(resource, "/", 2)[0], n)
		one := s.newChan(id, base+";1", ari.ChannelStateDown)
		two := s.newChan(otherID, base+";2", ari.ChannelStateRing)
		one.snap.Dialplan = ari.DialplanCEP{Context: ctx, Exten: exten, Priority: 1, AppName: "AppDial2", AppData: "(Outgoing Line)"}
		two.snap.Dialplan = ari.DialplanCEP{Context: ctx, Exten: exten, Priority: 1}
		for _, c := range []*simChan{one, two} {
			c.snap.Caller, c.snap.Connected = cid, cid
		}
		one.peer, two.peer = two, one
		one.local, two.local = 1, 2
		return one, nil
	}
	c := s.newChan(id, fmt.Sprintf("%s/%s-%08x", tech, resource, n), ari.ChannelStateDown)
	c.snap.Caller, c.snap.Connected = cid, cid
	ctx := "default"
	if b, ok := s.behaviors[tech+"/"+resource]; ok && b.Context != "" {
		ctx = b.Context
	}
	c.snap.Dialplan = ari.DialplanCEP{Context: ctx, Exten: "s", Priority: 1, AppName: "AppDial2", AppData: "(Outgoing Line)"}
	if strings.EqualFold(tech, "PJSIP") || strings.EqualFold(tech, "SIP") {
		c.snap.ProtocolID = uuid()
	}
	return c, nil
}

// enterStasis puts c into app and emits StasisStart. It fails (and the
// caller decides what happens to the channel) when app has no websocket,
// as Stasis() fails for an application that is not registered.
func (s *Sim) enterStasis(c *simChan, app string, args []string) bool {
	if !s.registered(app) {
		c.vars["STASISSTATUS"] = "FAILED"
		return false
	}
	if args == nil {
		args = []string{}
	}
	c.saved = c.snap.Dialplan
	data := app
	if len(args) > 0 {
		data += "," + strings.Join(args, ",")
	}
	c.snap.Dialplan.AppName, c.snap.Dialplan.AppData = "Stasis", data
	c.stasisApp = app
	s.emit(&ari.StasisStart{Timestamp: now(), Args: args, Channel: c.snapshot()})
	return true
}

// leaveStasis emits StasisEnd and restores the dialplan location.
func (s *Sim) leaveStasis(c *simChan) {
	if c.stasisApp == "" {
		return
	}
	s.emit(&ari.StasisEnd{Timestamp: now(), Channel: c.snapshot()})
	c.stasisApp = ""
	c.snap.Dialplan = c.saved
	if c.originated != "" {
		c.vars["STASISSTATUS"] = "SUCCESS"
		s.emit(&ari.ChannelVarset{Timestamp: now(), Variable: "STASISSTATUS", Value: "SUCCESS", Channel: ptr(c.snapshot())})
	}
}

func ptr[T any](v T) *T { return &v }

func (s *Sim) setState(c *simChan, state string) {
	if c.snap.State == state {
		return
	}
	c.snap.State = state
	s.emit(&ari.ChannelStateChange{Timestamp: now(), Channel: c.snapshot()})
}

// Hangup causes and their text (ast_cause2str).
var causeText = map[int]string{
	0:   "Unknown",
	1:   "Unallocated (unassigned) number",
	3:   "No route to destination",
	16:  "Normal Clearing",
	17:  "User busy",
	18:  "No user responding",
	19:  "User alerting, no answer",
	20:  "Subscriber absent",
	21:  "Call Rejected",
	26:  "Answered elsewhere",
	28:  "Invalid number format (incomplete number)",
	31:  "Normal, unspecified",
	34:  "Circuit/channel congestion",
	38:  "Network out of order",
	58:  "Bearer capability not available",
	127: "Interworking, unspecified",
}

// CauseText returns Asterisk's text for a hangup cause.
func CauseText(cause int) string {
	if t, ok := causeText[cause]; ok {
		return t
	}
	return "Unknown"
}

// hangupReasons maps the reason parameter of DELETE /channels/{id}.
var hangupReasons = map[string]int{
	"": 16, "normal": 16, "busy": 17, "congestion": 34, "no_answer": 19,
	"timeout": 18, "rejected": 21, "unallocated": 1, "normal_unspecified": 31,
	"number_incomplete": 28, "codec_mismatch": 58, "interworking": 127,
	"failure": 38, "answered_elsewhere": 26,
}

// softHangupExplicit is AST_SOFTHANGUP_EXPLICIT, reported as the cause of
// ChannelHangupRequest (with soft=true) when ARI hangs a channel up.
const softHangupExplicit = 32

// hangup tears c down, and the other half of a Local pair with it:
// ChannelHangupRequest for each half (c first, with requestCause and
// soft; its peer with cause), ChannelLeftBridge for halves in a bridge,
// then for each half StasisEnd if in Stasis and ChannelDestroyed, halves
// outside Stasis first. This is the order Asterisk 22 was captured in.
func (s *Sim) hangup(c *simChan, cause, requestCause int, soft bool) {
	if c.gone {
		return
	}
	pair := []*simChan{c}
	if p := c.peer; p != nil && !p.gone {
		pair = append(pair, p)
	}
	for _, x := range pair {
		x.gone = true
		if o := x.orig; o != nil {
			s.cancel(o.timer)
			x.orig = nil
		}
	}
	s.emit(&ari.ChannelHangupRequest{Timestamp: now(), Cause: requestCause, Soft: soft, Channel: c.snapshot()})
	if len(pair) == 2 {
		s.emit(&ari.ChannelHangupRequest{Timestamp: now(), Cause: cause, Channel: pair[1].snapshot()})
	}
	for _, x := range pair {
		if x.bridge != nil {
			s.leaveBridge(x)
		}
		s.stopMediaOf(ari.KindChannel + ":" + x.snap.ID)
	}
	slices.SortStableFunc(pair, func(a, b *simChan) int {
		inA, inB := a.stasisApp != "", b.stasisApp != ""
		switch {
		case inA == inB:
			return 0
		case inA:
			return 1
		}
		return -1
	})
	for _, x := range pair {
		s.leaveStasis(x)
		s.emit(&ari.ChannelDestroyed{Timestamp: now(), Cause: cause, CauseTxt: CauseText(cause), Channel: x.snapshot()})
		delete(s.channels, x.snap.ID)
	}
	for _, x := range pair {
		s.endSnoops(x)
	}
}

// endSnoops ends the snoop channels of a channel that is gone: in Asterisk
// their audiohooks stop and the snoop channel leaves Stasis and is
// destroyed, with no hangup request.
func (s *Sim) endSnoops(target *simChan) {
	var snoops []*simChan
	for _, c := range s.channels {
		if c.snoops == target && !c.gone {
			snoops = append(snoops, c)
		}
	}
	slices.SortFunc(snoops, func(a, b *simChan) int { return a.n - b.n })
	for _, c := range snoops {
		c.gone = true
		if c.bridge != nil {
			s.leaveBridge(c)
		}
		s.stopMediaOf(ari.KindChannel + ":" + c.snap.ID)
		s.leaveStasis(c)
		s.emit(&ari.ChannelDestroyed{Timestamp: now(), Cause: 16, CauseTxt: CauseText(16), Channel: c.snapshot()})
		delete(s.channels, c.snap.ID)
	}
}

// failDial ends an unanswered origination with a dial status and cause.
func (s *Sim) failDial(c *simChan, dialstatus string, cause int) {
	o := c.orig
	if o == nil || c.gone {
		return
	}
	s.cancel(o.timer)
	c.orig = nil
	s.emit(&ari.Dial{Timestamp: now(), Peer: c.snapshot(), DialString: o.dialstring, DialStatus: dialstatus})
	for _, x := range []*simChan{c.peer, c} {
		if x == nil || x.gone {
			continue
		}
		x.gone = true
		s.emit(&ari.ChannelDestroyed{Timestamp: now(), Cause: cause, CauseTxt: CauseText(cause), Channel: x.snapshot()})
		delete(s.channels, x.snap.ID)
	}
}

// ringing makes a dialed channel ring (non-Local endpoints report it).
func (s *Sim) ring(c *simChan) {
	o := c.orig
	if o == nil || c.local != 0 || c.snap.State == ari.ChannelStateRinging {
		return
	}
	s.emit(&ari.Dial{Timestamp: now(), Peer: c.snapshot(), DialString: o.dialstring, DialStatus: "RINGING"})
	s.setState(c, ari.ChannelStateRinging)
}

// answer is the far end answering a dialed channel.
func (s *Sim) answer(c *simChan) {
	o := c.orig
	if o == nil || c.gone {
		return
	}
	s.cancel(o.timer)
	c.orig = nil
	if p := c.peer; p != nil {
		s.setState(p, ari.ChannelStateUp)
	}
	s.setState(c, ari.ChannelStateUp)
	s.emit(&ari.Dial{Timestamp: now(), Peer: c.snapshot(), DialString: o.dialstring, DialStatus: "ANSWER"})
	if o.app != "" {
		c.vars["STASISSTATUS"] = ""
		s.emit(&ari.ChannelVarset{Timestamp: now(), Variable: "STASISSTATUS", Value: "", Channel: ptr(c.snapshot())})
		if !s.enterStasis(c, o.app, o.args) {
			s.hangup(c, 16, 16, false)
			return
		}
	}
	if d := o.behavior.HangupAfter; d > 0 {
		id := c.snap.ID
		target := c
		if c.peer != nil {
			target = c.peer // the far end of a Local pair is its ";2" half
		}
		s.after(d, func() {
			if x := s.channels[id]; x == c {
				// A Local pair is hung up by the dialplan of its ";2" half
				// (Hangup()), which Asterisk reports as a soft hangup.
				s.hangup(target, 16, 16, target.local == 2)
			}
		})
	}
}

// dial starts the (simulated) dialing of an originated channel.
func (s *Sim) dial(c *simChan, endpoint string, timeout int) {
	o := c.orig
	s.emit(&ari.Dial{Timestamp: now(), Peer: c.snapshot(), DialString: o.dialstring})
	b, ok := s.behaviors[endpoint]
	if !ok {
		b = s.defaultBeh
	}
	o.behavior = b
	if timeout == 0 {
		timeout = 30
	}
	if timeout > 0 && b.Action != EndpointUnavailable {
		o.timer = s.after(time.Duration(timeout)*time.Second, func() { s.failDial(c, "NOANSWER", 19) })
	}
	act := func(f func()) {
		if b.Delay > 0 {
			s.after(b.Delay, func() {
				if c.orig == o {
					f()
				}
			})
		} else {
			f()
		}
	}
	switch b.Action {
	case EndpointRing:
		s.ring(c)
	case EndpointAnswer:
		s.ring(c)
		act(func() { s.answer(c) })
	case EndpointBusy:
		s.ring(c)
		act(func() { s.failDial(c, "BUSY", 17) })
	case EndpointUnavailable:
		s.failDial(c, "CHANUNAVAIL", 20)
	case EndpointCongestion:
		s.ring(c)
		act(func() { s.failDial(c, "CONGESTION", 34) })
	case EndpointFail:
		status := b.DialStatus
		if status == "" {
			status = "CHANUNAVAIL"
		}
		act(func() { s.failDial(c, status, b.Cause) })
	}
}

// ---- bridges ----

func (b *simBridge) snapshot() ari.Bridge {
	snap := b.b
	snap.Channels = slices.Clone(b.b.Channels)
	if snap.Channels == nil {
		snap.Channels = []string{}
	}
	return snap
}

func (s *Sim) joinBridge(c *simChan, b *simBridge) {
	if c.bridge == b {
		return
	}
	if c.bridge != nil {
		s.leaveBridge(c)
	}
	c.bridge = b
	b.b.Channels = append([]string{c.snap.ID}, b.b.Channels...)
	if c.stasisApp != "" {
		b.subs[c.stasisApp] = true
	}
	s.emit(&ari.ChannelEnteredBridge{Timestamp: now(), Bridge: b.snapshot(), Channel: ptr(c.snapshot())})
}

func (s *Sim) leaveBridge(c *simChan) {
	b := c.bridge
	if b == nil {
		return
	}
	c.bridge = nil
	b.b.Channels = slices.DeleteFunc(b.b.Channels, func(id string) bool { return id == c.snap.ID })
	s.emit(&ari.ChannelLeftBridge{Timestamp: now(), Bridge: b.snapshot(), Channel: c.snapshot()})
}

func (s *Sim) destroyBridge(b *simBridge) {
	for _, id := range slices.Clone(b.b.Channels) {
		if c := s.channels[id]; c != nil {
			s.leaveBridge(c)
		}
	}
	s.stopMediaOf(ari.KindBridge + ":" + b.b.ID)
	s.emit(&ari.BridgeDestroyed{Timestamp: now(), Bridge: b.snapshot()})
	delete(s.bridges, b.b.ID)
}

// ---- playbacks and recordings ----

// stopMediaOf finishes the playbacks and recordings targeting uri
// ("channel:<id>" or "bridge:<id>").
func (s *Sim) stopMediaOf(uri string) {
	for _, p := range s.sortedPlaybacks() {
		if p.p.TargetURI == uri {
			s.finishPlayback(p)
		}
	}
	for _, r := range s.sortedRecordings() {
		if r.r.TargetURI == uri {
			s.finishRecording(r, ari.RecordingStateDone)
		}
	}
}

func (s *Sim) sortedPlaybacks() []*simPlayback {
	l := make([]*simPlayback, 0, len(s.playbacks))
	for _, p := range s.playbacks {
		l = append(l, p)
	}
	slices.SortFunc(l, func(a, b *simPlayback) int { return strings.Compare(a.p.ID, b.p.ID) })
	return l
}

func (s *Sim) sortedRecordings() []*simRecording {
	l := make([]*simRecording, 0, len(s.live))
	for _, r := range s.live {
		l = append(l, r)
	}
	slices.SortFunc(l, func(a, b *simRecording) int { return strings.Compare(a.r.Name, b.r.Name) })
	return l
}

func (s *Sim) startPlayback(id, target, lang string, media []string) (ari.Playback, error) {
	if id == "" {
		id = uuid()
	}
	if s.playbacks[id] != nil {
		return ari.Playback{}, errConflict("Playback with the same id already exists")
	}
	if lang == "" {
		lang = "en"
	}
	p := &simPlayback{p: ari.Playback{ID: id, MediaURI: media[0], TargetURI: target, Language: lang, State: ari.PlaybackStateQueued}, media: media}
	if len(media) > 1 {
		p.p.NextMediaURI = media[1]
	}
	queued := p.p
	s.playbacks[id] = p
	p.p.State = ari.PlaybackStatePlaying
	s.emit(&ari.PlaybackStarted{Timestamp: now(), Playback: p.p})
	if s.playbackDuration > 0 {
		p.timer = s.after(s.playbackDuration, func() {
			if s.playbacks[id] == p {
				s.finishPlayback(p)
			}
		})
	}
	return queued, nil
}

func (s *Sim) finishPlayback(p *simPlayback) {
	s.cancel(p.timer)
	p.p.State = ari.PlaybackStateDone
	p.p.NextMediaURI = ""
	s.emit(&ari.PlaybackFinished{Timestamp: now(), Playback: p.p})
	delete(s.playbacks, p.p.ID)
}

var recordingFormats = map[string]bool{
	"wav": true, "WAV": true, "wav16": true, "gsm": true, "ulaw": true, "alaw": true,
	"sln": true, "sln16": true, "g722": true, "g729": true, "ogg": true, "mp3": true,
}

func (s *Sim) startRecording(target string, q map[string][]string) (ari.LiveRecording, error) {
	get := func(k string) string {
		if v := q[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	name, format := get("name"), get("format")
	if name == "" {
		return ari.LiveRecording{}, errBadRequest("Missing parameter name")
	}
	if format == "" {
		return ari.LiveRecording{}, errBadRequest("Missing parameter format")
	}
	for _, k := range []string{"maxDurationSeconds", "maxSilenceSeconds"} {
		if v := get(k); v != "" {
			if n, err := strconv.Atoi(v); err != nil || n < 0 {
				return ari.LiveRecording{}, errBadRequest(k + " cannot be negative")
			}
		}
	}
	switch get("terminateOn") {
	case "", "none", "any", "*", "#":
	default:
		return ari.LiveRecording{}, errBadRequest("terminateOn invalid")
	}
	ifExists := get("ifExists")
	switch ifExists {
	case "", "fail", "overwrite", "append":
	default:
		return ari.LiveRecording{}, errBadRequest("ifExists invalid")
	}
	if !recordingFormats[format] {
		return ari.LiveRecording{}, errUnprocessable("specified format is unknown on this system")
	}
	_, stored := s.stored[name]
	if s.live[name] != nil || (stored && (ifExists == "" || ifExists == "fail")) {
		return ari.LiveRecording{}, errConflict(fmt.Sprintf("Recording '%s' already exists and can not be overwritten", name))
	}
	r := &simRecording{r: ari.LiveRecording{Name: name, Format: format, TargetURI: target, State: ari.RecordingStateQueued}, started: time.Now()}
	queued := r.r
	s.live[name] = r
	r.r.State = ari.RecordingStateRecording
	s.emit(&ari.RecordingStarted{Timestamp: now(), Recording: r.r})
	return queued, nil
}

func (s *Sim) finishRecording(r *simRecording, state string) {
	r.r.State = state
	r.r.Duration = int(time.Since(r.started) / time.Second)
	s.emit(&ari.RecordingFinished{Timestamp: now(), Recording: r.r})
	delete(s.live, r.r.Name)
	if state == ari.RecordingStateDone {
		s.stored[r.r.Name] = ari.StoredRecording{Name: r.r.Name, Format: r.r.Format}
	}
}

// ---- test controls ----

// ErrNoChannel is returned by SimChannel methods when the channel does not
// exist (any more).
var ErrNoChannel = errors.New("aritest: no such channel")

// CallerOptions describe an inbound call injected with Sim.NewCaller.
type CallerOptions struct {
	// App is the Stasis application the call enters; default the Sim's
	// default application ("ccd").
	App string
	// Args are the Stasis arguments (StasisStart.Args).
	Args []string
	// Name and Number are the caller id.
	Name, Number string
	// Endpoint is where the call comes from: "Local/<exten>@<context>"
	// (the default, "Local/<Number>@inbound") creates a Local pair whose
	// ";2" half enters Stasis, as in the captures; any other endpoint,
	// e.g. "PJSIP/trunk", creates a single channel named like
	// "PJSIP/trunk-00000001".
	Endpoint string
	// ChannelID is the id of the channel; for Local endpoints it is the
	// ";1" half and the call in Stasis is ChannelID+";2". Generated when
	// empty.
	ChannelID string
	// ChannelVars are variables the dialplan set before Stasis() that
	// ari.conf's channelvars shows in the channel of every event (e.g. the
	// CCD_X_* copies of SIP headers).
	ChannelVars map[string]string
	// Answered has the dialplan answer the call before Stasis() (state "Up"
	// instead of "Ring").
	Answered bool
}

// NewCaller injects an inbound call that runs Stasis(app, args...) in the
// dialplan: a channel in state "Ring" ("Up" when Answered) and a StasisStart
// event. It fails if
// the application has no websocket, as Stasis() would.
func (s *Sim) NewCaller(o CallerOptions) (*SimChannel, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	defer s.flush()
	if o.App == "" {
		o.App = s.defaultApp
	}
	if !s.registered(o.App) {
		return nil, fmt.Errorf("aritest: application %q is not registered (no websocket)", o.App)
	}
	if o.Endpoint == "" {
		num := o.Number
		if num == "" {
			num = "s"
		}
		o.Endpoint = "Local/" + num + "@inbound"
	}
	tech, resource, ok := strings.Cut(o.Endpoint, "/")
	if !ok || tech == "" || resource == "" {
		return nil, fmt.Errorf("aritest: invalid endpoint %q", o.Endpoint)
	}
	cid := ari.CallerID{Name: o.Name, Number: o.Number}
	var c *simChan
	if strings.EqualFold(tech, "Local") {
		one, err := s.createChannel(tech, resource, o.ChannelID, "", cid)
		if err != nil {
			return nil, err
		}
		one.snap.State = ari.ChannelStateUp
		c = one.peer
	} else {
		id := o.ChannelID
		if id == "" {
			id = s.uniqueID()
		}
		if s.channels[id] != nil {
			return nil, fmt.Errorf("aritest: channel %q exists", id)
		}
		c = s.newChan(id, fmt.Sprintf("%s/%s-%08x", tech, resource, s.nextSeq()), ari.ChannelStateRing)
		c.snap.Caller, c.snap.Connected = cid, cid
		exten := o.Number
		if exten == "" {
			exten = "s"
		}
		c.snap.Dialplan = ari.DialplanCEP{Context: "inbound", Exten: exten, Priority: 1}
		if strings.EqualFold(tech, "PJSIP") {
			c.snap.ProtocolID = uuid()
		}
	}
	c.snap.State = ari.ChannelStateRing
	if len(o.ChannelVars) > 0 {
		c.snap.ChannelVars = map[string]string{}
		for k, v := range o.ChannelVars {
			c.vars[k], c.snap.ChannelVars[k] = v, v
		}
	}
	if o.Answered {
		c.snap.State = ari.ChannelStateUp
	}
	s.enterStasis(c, o.App, o.Args)
	return &SimChannel{s: s, id: c.snap.ID}, nil
}

// AddRoute makes Local channels to exten@context (e.g. originated by the
// application with endpoint "Local/5551234@inbound") run Stasis(app,
// args...) on their ";2" half at once, like a dialplan that calls
// Stasis().
func (s *Sim) AddRoute(exten, context, app string, args ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.routes[exten+"@"+context] = route{app: app, args: args}
}

// SetEndpoint sets how an endpoint ("PJSIP/1001", "Local/1001@agents")
// reacts when dialed.
func (s *Sim) SetEndpoint(endpoint string, b Behavior) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.behaviors[endpoint] = b
}

// SetDefaultBehavior sets how endpoints without a SetEndpoint behavior
// react when dialed (default: EndpointRing).
func (s *Sim) SetDefaultBehavior(b Behavior) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.defaultBeh = b
}

// AddSound puts a sound in the sounds index, as Asterisk lists the files
// of its sounds directory: id ("welcome", "digits/1") in the format and
// languages given (none: en). /sounds lists the index and /sounds/{id}
// answers 404 "Sound not found" for a sound not in it.
func (s *Sim) AddSound(id, format string, langs ...string) {
	if len(langs) == 0 {
		langs = []string{"en"}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	snd := s.sounds[id]
	snd.ID = id
	for _, l := range langs {
		snd.Formats = append(snd.Formats, ari.FormatLangPair{Language: l, Format: format})
	}
	s.sounds[id] = snd
}

// AddStoredRecording puts a finished recording in the recording spool
// (/recordings/stored), as a file put there by hand would be.
func (s *Sim) AddStoredRecording(name, format string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stored[name] = ari.StoredRecording{Name: name, Format: format}
}

// AddEndpoint declares an endpoint for the /endpoints resources.
func (s *Sim) AddEndpoint(tech, resource, state string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.endpoints[tech+"/"+resource] = &ari.Endpoint{Technology: tech, Resource: resource, State: state, ChannelIDs: []string{}}
}

// Channels returns snapshots of every channel, in creation order.
func (s *Sim) Channels() []ari.Channel {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.channelList()
}

func (s *Sim) channelList() []ari.Channel {
	l := make([]*simChan, 0, len(s.channels))
	for _, c := range s.channels {
		l = append(l, c)
	}
	slices.SortFunc(l, func(a, b *simChan) int { return a.n - b.n })
	out := make([]ari.Channel, 0, len(l))
	for _, c := range l {
		out = append(out, c.snapshot())
	}
	return out
}

// Bridge returns a bridge's snapshot.
func (s *Sim) Bridge(id string) (ari.Bridge, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.bridges[id]
	if b == nil {
		return ari.Bridge{}, false
	}
	return b.snapshot(), true
}

// Bridges returns snapshots of every bridge.
func (s *Sim) Bridges() []ari.Bridge {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.bridgeList()
}

func (s *Sim) bridgeList() []ari.Bridge {
	out := make([]ari.Bridge, 0, len(s.bridges))
	for _, b := range s.bridges {
		out = append(out, b.snapshot())
	}
	slices.SortFunc(out, func(a, b ari.Bridge) int {
		if c := a.CreationTime.Compare(b.CreationTime); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out
}

// Playback returns a playback in progress.
func (s *Sim) Playback(id string) (ari.Playback, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p := s.playbacks[id]; p != nil {
		return p.p, true
	}
	return ari.Playback{}, false
}

// FinishPlayback ends a playback as if its media had finished playing
// (PlaybackFinished).
func (s *Sim) FinishPlayback(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	defer s.flush()
	p := s.playbacks[id]
	if p == nil {
		return fmt.Errorf("aritest: no playback %q", id)
	}
	s.finishPlayback(p)
	return nil
}

// LiveRecording returns a recording in progress.
func (s *Sim) LiveRecording(name string) (ari.LiveRecording, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r := s.live[name]; r != nil {
		return r.r, true
	}
	return ari.LiveRecording{}, false
}

// StoredRecordings returns the finished recordings.
func (s *Sim) StoredRecordings() []ari.StoredRecording {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]ari.StoredRecording, 0, len(s.stored))
	for _, r := range s.stored {
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b ari.StoredRecording) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// WaitChannel waits until a channel with the given id exists.
func (s *Sim) WaitChannel(ctx context.Context, id string) (*SimChannel, error) {
	for {
		s.mu.Lock()
		ok, ch := s.channels[id] != nil, s.changed
		s.mu.Unlock()
		if ok {
			return s.Channel(id), nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// Channel returns a control handle for the channel id (which may not
// exist yet or any more).
func (s *Sim) Channel(id string) *SimChannel { return &SimChannel{s: s, id: id} }

// SimChannel controls and inspects one simulated channel from the far
// end's point of view (the phone or trunk), as opposed to the REST API
// which acts for the application.
type SimChannel struct {
	s  *Sim
	id string
}

// ID returns the channel id.
func (c *SimChannel) ID() string { return c.id }

func (c *SimChannel) with(f func(ch *simChan) error) error {
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	defer s.flush()
	ch := s.channels[c.id]
	if ch == nil {
		return ErrNoChannel
	}
	return f(ch)
}

func (c *SimChannel) inspect(f func(ch *simChan)) bool {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	ch := c.s.channels[c.id]
	if ch == nil {
		return false
	}
	f(ch)
	return true
}

// Snooping tells, for a snoop channel, the channel it snoops on and its
// spy and whisper directions; ok is false for any other channel.
func (c *SimChannel) Snooping() (target, spy, whisper string, ok bool) {
	c.inspect(func(ch *simChan) {
		if ch.snoops != nil {
			target, spy, whisper, ok = ch.snoops.snap.ID, ch.snoopDirs[0], ch.snoopDirs[1], true
		}
	})
	return target, spy, whisper, ok
}

// Exists reports whether the channel exists.
func (c *SimChannel) Exists() bool { return c.inspect(func(*simChan) {}) }

// Snapshot returns the channel as GET /channels/{id} would.
func (c *SimChannel) Snapshot() (snap ari.Channel, ok bool) {
	ok = c.inspect(func(ch *simChan) { snap = ch.snapshot() })
	return snap, ok
}

// State returns the channel state ("Ring", "Up"...), "" if it is gone.
func (c *SimChannel) State() (state string) {
	c.inspect(func(ch *simChan) { state = ch.snap.State })
	return state
}

// App returns the Stasis application the channel is in, "" if none.
func (c *SimChannel) App() (app string) {
	c.inspect(func(ch *simChan) { app = ch.stasisApp })
	return app
}

// BridgeID returns the id of the bridge the channel is in, "" if none.
func (c *SimChannel) BridgeID() (id string) {
	c.inspect(func(ch *simChan) {
		if ch.bridge != nil {
			id = ch.bridge.b.ID
		}
	})
	return id
}

// MOH reports whether music on hold is playing to the channel, and its
// class.
func (c *SimChannel) MOH() (on bool, class string) {
	c.inspect(func(ch *simChan) { on, class = ch.moh, ch.mohClass })
	return on, class
}

// OnHold reports whether the application put the channel on hold.
func (c *SimChannel) OnHold() (on bool) {
	c.inspect(func(ch *simChan) { on = ch.hold })
	return on
}

// RingIndication reports whether the application is indicating ringing
// to the channel (POST /channels/{id}/ring).
func (c *SimChannel) RingIndication() (on bool) {
	c.inspect(func(ch *simChan) { on = ch.ringing })
	return on
}

// Silence reports whether silence is being played to the channel.
func (c *SimChannel) Silence() (on bool) {
	c.inspect(func(ch *simChan) { on = ch.silence })
	return on
}

// Muted returns the mute direction ("in", "out", "both"), "" if unmuted.
func (c *SimChannel) Muted() (dir string) {
	c.inspect(func(ch *simChan) { dir = ch.mute })
	return dir
}

// Variable returns a channel variable.
func (c *SimChannel) Variable(name string) (v string, ok bool) {
	c.inspect(func(ch *simChan) { v, ok = ch.vars[name] })
	return v, ok
}

// Ring makes a dialed channel report ringing (Dial RINGING and
// ChannelStateChange to "Ringing" for non-Local endpoints).
func (c *SimChannel) Ring() error {
	return c.with(func(ch *simChan) error {
		if ch.orig == nil {
			return fmt.Errorf("aritest: channel %q is not being dialed", c.id)
		}
		c.s.ring(ch)
		return nil
	})
}

// Answer makes a dialed channel answer: ChannelStateChange Up, Dial
// ANSWER and, if originated with app=, StasisStart.
func (c *SimChannel) Answer() error {
	return c.with(func(ch *simChan) error {
		if ch.orig == nil {
			return fmt.Errorf("aritest: channel %q is not being dialed", c.id)
		}
		c.s.answer(ch)
		return nil
	})
}

// Busy makes a dialed channel reject the call as busy.
func (c *SimChannel) Busy() error {
	return c.with(func(ch *simChan) error {
		if ch.orig == nil {
			return fmt.Errorf("aritest: channel %q is not being dialed", c.id)
		}
		c.s.failDial(ch, "BUSY", 17)
		return nil
	})
}

// Hangup makes the far end of the channel hang up with the given cause (16
// is normal clearing): ChannelHangupRequest, ChannelLeftBridge if bridged,
// StasisEnd if in Stasis, ChannelDestroyed for subscribed applications.
// A channel still being dialed fails with dialstatus CANCEL.
//
// For a PJSIP (or other) channel the far end is the phone. For a half of a
// Local pair it is the other half: a caller from NewCaller (in Stasis on
// ";2") hangs up through its ";1" half, so the application sees a plain
// hangup request; an agent originated on "Local/..." (in Stasis on ";1")
// hangs up through the dialplan of its ";2" half (Hangup()), which
// Asterisk reports first, as a soft hangup. Both orders are those of the
// captures.
func (c *SimChannel) Hangup(cause int) error {
	return c.with(func(ch *simChan) error {
		if ch.orig != nil {
			c.s.failDial(ch, "CANCEL", cause)
			return nil
		}
		if p := ch.peer; p != nil && !p.gone {
			c.s.hangup(p, cause, cause, p.local == 2)
			return nil
		}
		c.s.hangup(ch, cause, cause, false)
		return nil
	})
}

// SendDTMF makes the far end press keys: one ChannelDtmfReceived per
// digit.
func (c *SimChannel) SendDTMF(digits string) error {
	return c.with(func(ch *simChan) error {
		for _, d := range digits {
			c.s.emit(&ari.ChannelDtmfReceived{Timestamp: now(), Digit: string(d), DurationMS: 100, Channel: ch.snapshot()})
		}
		return nil
	})
}

// Hold makes the phone put the call on hold (ChannelHold), as opposed to
// POST /channels/{id}/hold which raises no event.
func (c *SimChannel) Hold() error {
	return c.with(func(ch *simChan) error {
		c.s.emit(&ari.ChannelHold{Timestamp: now(), Channel: ch.snapshot()})
		return nil
	})
}

// Unhold makes the phone take the call off hold (ChannelUnhold).
func (c *SimChannel) Unhold() error {
	return c.with(func(ch *simChan) error {
		c.s.emit(&ari.ChannelUnhold{Timestamp: now(), Channel: ch.snapshot()})
		return nil
	})
}
