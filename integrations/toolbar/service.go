package toolbar

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/acd"
	"github.com/ccdhq/ccd/config"
	"github.com/ccdhq/ccd/eventlog"
	"github.com/ccdhq/ccd/pbx"
	"github.com/ccdhq/ccd/store"
	"github.com/prometheus/client_golang/prometheus"
)

// Live is the ACD's present (the queue application).
type Live interface {
	Agent(ctx context.Context, id string) (ccd.AgentStatus, error)
	Agents(ctx context.Context) ([]ccd.AgentStatus, error)
	Calls(ctx context.Context) ([]ccd.Call, error)
	Queues(ctx context.Context) ([]ccd.QueueStatus, error)
}

// Figures are today's statistics as the live aggregator has them (store.DB).
type Figures interface {
	ToolbarQueues(ctx context.Context, since time.Time) (map[string]store.ToolbarQueue, error)
	ToolbarAgents(ctx context.Context, since time.Time) (map[string]store.ToolbarAgent, error)
}

// Options wire a Service.
type Options struct {
	Live    Live
	Figures Figures
	ACD     func() config.ACD // the live configuration
	Toolbar config.Toolbar
	Loc     *time.Location // where "today" starts; nil: the machine's zone
	Log     *slog.Logger
	Now     func() time.Time
	// Registerer takes the push's metrics; nil registers none.
	Registerer prometheus.Registerer
}

// Service runs the toolbar connections: at most one per agent, as the OCX.
type Service struct {
	o   Options
	log *slog.Logger
	m   metrics

	computing sync.Mutex // one reading of the figures at a time

	mu       sync.Mutex
	clients  map[string]*client // by agent
	offers   map[string]offer   // calls offered and not ended
	answered map[string]answer  // calls answered by an agent, until they end
	// crm is what the CRM answered for calls not ended (call.crm_data);
	// rings is the agent each of those calls last rang, for a pop that
	// comes again when the CRM answers after the ring.
	crm   map[string]crmData
	rings map[string]ring
	// profiles are the call profiles (call.profile_changed) of calls not
	// ended, by lower-cased field: what {PROFILE:name} pops.
	profiles map[string]profile
	last     *snapshot // the figures of the last tick
	// servesMap is who serves which queue in the configuration whose lists
	// servesKey identifies.
	servesMap map[string][]string
	servesKey [6]uintptr
	failing   bool // the last tick could not read the figures (only Tick uses it)
	closed    bool
}

// profile is a call's profile fields, and when they last changed (for prune).
type profile struct {
	fields map[string]string
	at     time.Time
}

// crmData is the CRM's answer for a call, and when it came (for prune).
type crmData struct {
	ccd.CRMCallData
	at time.Time
}

// answer is a call an agent answered, for its OnCall(0).
type answer struct {
	agent    string
	recorded bool
	outbound bool // the agent's own call, seen on the AMI
	at       time.Time
}

// New returns a service; Run starts it.
func New(o Options) *Service {
	o.Log = cmp.Or(o.Log, slog.Default())
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Loc == nil {
		o.Loc = time.Local
	}
	d := config.Default().Toolbar
	o.Toolbar.Interval = cmp.Or(o.Toolbar.Interval, d.Interval)
	o.Toolbar.SendBuffer = cmp.Or(o.Toolbar.SendBuffer, d.SendBuffer)
	s := &Service{o: o, log: o.Log.With("part", "toolbar"), clients: map[string]*client{}, offers: map[string]offer{},
		answered: map[string]answer{}, crm: map[string]crmData{}, rings: map[string]ring{},
		profiles: map[string]profile{}}
	s.m = newMetrics(o.Registerer, s.connections)
	return s
}

func (s *Service) connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.clients)
}

// Run follows the committed events of hub and sends the figures every
// toolbar.interval until ctx ends; then it closes every connection.
func (s *Service) Run(ctx context.Context, hub *eventlog.Hub) {
	sub := hub.Subscribe(100000)
	defer sub.Close()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		s.tickLoop(ctx)
	}()
	for {
		d, err := sub.Next(ctx)
		if err != nil {
			break
		}
		if d.Missed {
			s.log.Warn("toolbar fell behind the event log's fan-out: some live events were dropped; screen pops fall back to the ACD's present")
		}
		for _, e := range d.Events {
			s.Handle(ctx, e)
		}
	}
	wg.Wait()
	s.closeAll()
}

func (s *Service) tickLoop(ctx context.Context) {
	t := time.NewTicker(s.o.Toolbar.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.Tick(ctx)
		}
	}
}

// Handle turns one committed event into the pushes it causes.
func (s *Service) Handle(ctx context.Context, e eventlog.Event) {
	switch e.Kind {
	case ccd.EventCallOffered:
		s.mu.Lock()
		s.offers[e.CallID] = offerOf(e)
		s.mu.Unlock()
	case ccd.EventCallRinging:
		s.ringing(ctx, ringOf(e))
	case ccd.EventCallCRMData:
		s.crmAnswered(ctx, e)
	case ccd.EventProfileChanged:
		s.profileChanged(e)
	case ccd.EventCallReturned:
		s.mu.Lock()
		delete(s.rings, e.CallID) // back in its queue: it rings no one
		s.mu.Unlock()
	case ccd.EventCallAnswered:
		rec := recorded(s.o.ACD(), e.Queue)
		s.mu.Lock()
		s.answered[e.CallID] = answer{agent: e.Agent, recorded: rec, at: e.At}
		s.mu.Unlock()
		s.send(e.Agent, EventCall, encode(Call{Event: EventCall, CallID: e.CallID, IsAnswer: 1, IsRecorded: flag(rec)}))
	case ccd.EventCallRecording:
		s.mu.Lock()
		if a, ok := s.answered[e.CallID]; ok {
			a.recorded = true
			s.answered[e.CallID] = a
		}
		s.mu.Unlock()
	case ccd.EventCallTransferred, ccd.EventCallEnded:
		s.ended(e)
	case ccd.EventPBXDialEnd:
		s.outboundAnswered(ctx, e)
	case ccd.EventPBXHangup:
		s.mu.Lock()
		a, ok := s.answered[e.CallID]
		s.mu.Unlock()
		if ok && a.outbound {
			s.ended(e)
		}
	case ccd.EventAgentLoggedOut:
		// Logging out ends the agent's tokens: a connection opened with one
		// ends too.
		s.mu.Lock()
		c := s.clients[e.Agent]
		s.mu.Unlock()
		if c != nil && c.bySession {
			c.close(reasonLoggedOut)
		}
	}
}

// ended sends OnCall(0) for a call the agent had answered: it ended, or the
// agent transferred it away.
func (s *Service) ended(e eventlog.Event) {
	s.mu.Lock()
	a, ok := s.answered[e.CallID]
	delete(s.answered, e.CallID)
	delete(s.rings, e.CallID)
	if e.Kind == ccd.EventCallEnded {
		delete(s.offers, e.CallID)
		delete(s.crm, e.CallID)
		delete(s.profiles, e.CallID)
	}
	s.mu.Unlock()
	if ok {
		s.send(a.agent, EventCall, encode(Call{Event: EventCall, CallID: e.CallID, IsAnswer: 0, IsRecorded: flag(a.recorded)}))
	}
}

// outboundAnswered sends OnCall(1) for a call an agent dialled from its
// phone (outside the ACD) once the called party answers: the AMI's DialEnd
// with ANSWER from the phone of a logged-in agent. The call's first hangup
// ends it (OnCall 0).
func (s *Service) outboundAnswered(ctx context.Context, e eventlog.Event) {
	var d struct {
		Channel   string `json:"channel"`
		Status    string `json:"status"`
		Direction string `json:"direction"`
		ACD       bool   `json:"acd"`
	}
	if json.Unmarshal(e.Payload, &d) != nil || d.Status != "ANSWER" || d.ACD || e.CallID == "" ||
		(d.Direction != pbx.Outbound && d.Direction != pbx.Internal) {
		return
	}
	phone := pbx.ChannelResource(d.Channel)
	agents, err := s.o.Live.Agents(ctx)
	if err != nil || phone == "" {
		return
	}
	for _, a := range agents {
		if a.State == ccd.AgentLoggedOut || extension(a.Endpoint) != phone {
			continue
		}
		s.mu.Lock()
		_, known := s.answered[e.CallID]
		if !known {
			s.answered[e.CallID] = answer{agent: a.ID, outbound: true, at: e.At}
		}
		s.mu.Unlock()
		if !known {
			s.send(a.ID, EventCall, encode(Call{Event: EventCall, CallID: e.CallID, IsAnswer: 1}))
		}
		return
	}
}

func (s *Service) ringing(ctx context.Context, r ring) {
	s.mu.Lock()
	s.rings[r.callID] = r
	s.mu.Unlock()
	s.pop(ctx, r)
}

// pop sends the screen pop of a call ringing (or connected) at r.agent,
// with what the CRM answered for it so far.
func (s *Service) pop(ctx context.Context, r ring) {
	s.mu.Lock()
	o, ok := s.offers[r.callID]
	crm, hasCRM := s.crm[r.callID]
	prof := s.profiles[r.callID].fields
	s.mu.Unlock()
	var live ccd.Call
	if !ok || !hasCRM {
		// Offered before this process started, or a delivery was missed:
		// the ACD still has the call.
		live, _ = s.liveCall(ctx, r.callID)
	}
	if !ok && live.ID != "" {
		o = offerOfCall(live)
	}
	if !hasCRM {
		crm.DefaultTransferNumber = live.DefaultTransferNumber
	}
	o.profile = prof
	pop := makePop(s.o.ACD(), s.o.Toolbar, r, o).withCRM(crm.CRMCallData)
	s.send(r.agent, EventScreenPop, encodePop(pop))
}

// crmAnswered keeps the CRM's answer for the call's screen pop. The CRM is
// asked off the call path, so its answer often comes after the call rang an
// agent: that agent then gets OnScreenPopUpData again, for the same callId,
// with the CRM's URL and transfer number.
func (s *Service) crmAnswered(ctx context.Context, e eventlog.Event) {
	s.mu.Lock()
	s.crm[e.CallID] = crmData{CRMCallData: crmOf(e), at: e.At}
	r, rang := s.rings[e.CallID]
	s.mu.Unlock()
	if rang {
		s.pop(ctx, r)
	}
}

func encodePop(p Pop) []byte {
	return encode(ScreenPop{Event: EventScreenPop, CLID: p.Params.CLID, DNIS: p.Params.DNIS, AttachData: p.Params.AttachData,
		CallID: p.Params.CallID, Queue: p.Params.QueueCode, URLs: append([]string{}, p.URLs...), DefaultTransferNumber: p.TransferNumber})
}

func (s *Service) liveCall(ctx context.Context, id string) (ccd.Call, bool) {
	calls, err := s.o.Live.Calls(ctx)
	if err != nil {
		return ccd.Call{}, false
	}
	for _, c := range calls {
		if c.ID == id {
			return c, true
		}
	}
	return ccd.Call{}, false
}

func flag(b bool) int {
	if b {
		return 1
	}
	return 0
}

// send hands a message to the agent's connection, if it has one.
func (s *Service) send(agent, event string, msg []byte) {
	s.mu.Lock()
	c := s.clients[agent]
	s.mu.Unlock()
	if c != nil {
		c.push(event, msg)
	}
}

// ---- the figures ----

// snapshot is what one tick computed: each queue's group of the "3|"
// string, each agent's figures, who serves which queue and the calls
// waiting.
type snapshot struct {
	at      time.Time
	groups  map[string]string // queue code -> its part of the "3|" string
	agents  map[string]store.ToolbarAgent
	serves  map[string][]string // agent -> queues, in the configuration's order
	waiting []ccd.Call          // calls waiting now
}

// Tick sends OnQueuesInfoData to every connected toolbar.
func (s *Service) Tick(ctx context.Context) {
	s.mu.Lock()
	s.prune()
	targets := make([]*client, 0, len(s.clients))
	for _, c := range s.clients {
		targets = append(targets, c)
	}
	s.mu.Unlock()
	if len(targets) == 0 {
		return
	}
	s.computing.Lock()
	snap, err := s.compute(ctx)
	s.computing.Unlock()
	if err != nil {
		s.m.figureErrors.Inc()
		if !s.failing {
			s.log.Warn("toolbar: cannot read today's figures; OnQueuesInfoData waits until they can be read", "err", err)
		}
		s.failing = true
		return
	}
	if s.failing {
		s.log.Info("toolbar: today's figures can be read again")
	}
	s.failing = false
	for _, c := range targets {
		c.push(EventQueuesInfo, s.queuesInfo(snap, c.agent, c.currentView()))
	}
}

// startOfDay is midnight of now's day in the center's zone.
func (s *Service) startOfDay() time.Time {
	n := s.o.Now().In(s.o.Loc)
	return time.Date(n.Year(), n.Month(), n.Day(), 0, 0, 0, 0, s.o.Loc)
}

func (s *Service) compute(ctx context.Context) (*snapshot, error) {
	cfg := s.o.ACD()
	since := s.startOfDay()
	queues, err := s.o.Figures.ToolbarQueues(ctx, since)
	if err != nil {
		return nil, err
	}
	agents, err := s.o.Figures.ToolbarAgents(ctx, since)
	if err != nil {
		return nil, err
	}
	present, err := s.o.Live.Queues(ctx)
	if err != nil {
		return nil, err
	}
	calls, err := s.o.Live.Calls(ctx)
	if err != nil {
		return nil, err
	}
	waitingIn := map[string]int{}
	for _, q := range present {
		waitingIn[q.Code] = q.Waiting
	}
	snap := &snapshot{at: s.o.Now(), groups: map[string]string{}, agents: agents, serves: s.serves(cfg)}
	for _, q := range cfg.Queues {
		line := QueueLine{Code: q.Code, Name: cmp.Or(q.Name, q.Code), Waiting: waitingIn[q.Code], Figures: queues[q.Code]}
		snap.groups[q.Code] = QueuesString([]QueueLine{line})[len("3|"):]
	}
	for _, c := range calls {
		if c.State == ccd.CallWaiting {
			snap.waiting = append(snap.waiting, c)
		}
	}
	s.mu.Lock()
	s.last = snap
	s.mu.Unlock()
	return snap, nil
}

// serves is who may serve which queue, worked out again only when the
// configuration changed: matching every agent against every queue is most
// of a tick's work. The live configuration replaces its lists whole on every
// change (liveconf never changes an item in place), so the lists' arrays
// tell one version from the next.
func (s *Service) serves(cfg config.ACD) map[string][]string {
	key := [6]uintptr{reflect.ValueOf(cfg.Queues).Pointer(), uintptr(len(cfg.Queues)), reflect.ValueOf(cfg.Agents).Pointer(),
		uintptr(len(cfg.Agents)), reflect.ValueOf(cfg.Groups).Pointer(), uintptr(len(cfg.Groups))}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.servesMap == nil || key != s.servesKey {
		s.servesMap, s.servesKey = serves(cfg), key
	}
	return s.servesMap
}

// serves is who may serve which queue (skills and groups), by agent, in the
// order of the configuration's queues.
func serves(cfg config.ACD) map[string][]string {
	out := map[string][]string{}
	eng, err := acd.New(cfg.Spec())
	if err != nil {
		return out
	}
	members := eng.QueueMembers()
	for _, q := range cfg.Queues {
		for _, a := range members[q.Code] {
			out[a] = append(out[a], q.Code)
		}
	}
	return out
}

// queuesInfo is the agent's OnQueuesInfoData in the view it chose.
func (s *Service) queuesInfo(snap *snapshot, agent, view string) []byte {
	mine := snap.serves[agent]
	if view == ViewAgent {
		waiting := 0
		for _, c := range snap.waiting {
			if slices.ContainsFunc(c.Queues, func(q string) bool { return slices.Contains(mine, q) }) {
				waiting++
			}
		}
		return encode(QueuesInfo{Event: EventQueuesInfo, Data: AgentString(agent, snap.agents[agent], waiting)})
	}
	n := len("3|")
	for _, q := range mine {
		n += len(snap.groups[q])
	}
	b := make([]byte, 0, n)
	b = append(b, "3|"...)
	for _, q := range mine {
		b = append(b, snap.groups[q]...)
	}
	return encode(QueuesInfo{Event: EventQueuesInfo, Data: string(b)})
}

// ---- connections ----

// attach makes c the agent's connection, closing the one it replaces, and
// sends it the present at once: the call ringing or connected at the agent
// and the figures.
func (s *Service) attach(ctx context.Context, c *client) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return errors.New("toolbar: shutting down")
	}
	old := s.clients[c.agent]
	s.clients[c.agent] = c
	s.mu.Unlock()
	if old != nil {
		old.close(reasonReplaced)
	}
	s.m.connects.Inc()
	s.sendPresent(ctx, c)
	return nil
}

// detach forgets c if it is still its agent's connection.
func (s *Service) detach(c *client) {
	s.mu.Lock()
	if s.clients[c.agent] == c {
		delete(s.clients, c.agent)
	}
	s.mu.Unlock()
}

func (s *Service) sendPresent(ctx context.Context, c *client) {
	for _, o := range s.present(ctx, c.agent, c.currentView()) {
		c.push(o.event, o.msg)
	}
}

// present is what a toolbar gets when it connects: the call ringing at the
// agent (OnScreenPopUpData) or connected to it (and OnCall 1), then the
// figures (OnQueuesInfoData).
func (s *Service) present(ctx context.Context, agent, view string) []outgoing {
	var out []outgoing
	if st, err := s.o.Live.Agent(ctx, agent); err == nil && st.CallID != "" {
		if call, ok := s.liveCall(ctx, st.CallID); ok && call.Agent == agent &&
			(call.State == ccd.CallRinging || call.State == ccd.CallConnected) {
			r := ring{callID: call.ID, agent: agent, queue: call.Queue, clid: call.CLID, dnis: call.DNIS,
				endpoint: call.Endpoint, at: call.RingingAt}
			s.mu.Lock()
			crm, hasCRM := s.crm[call.ID]
			s.mu.Unlock()
			if !hasCRM {
				crm.DefaultTransferNumber = call.DefaultTransferNumber
			}
			pop := makePop(s.o.ACD(), s.o.Toolbar, r, offerOfCall(call)).withCRM(crm.CRMCallData)
			out = append(out, outgoing{EventScreenPop, encodePop(pop)})
			if call.State == ccd.CallConnected {
				rec := call.Recording != "" || recorded(s.o.ACD(), call.Queue)
				out = append(out, outgoing{EventCall, encode(Call{Event: EventCall, CallID: call.ID, IsAnswer: 1, IsRecorded: flag(rec)})})
				s.mu.Lock()
				if _, known := s.answered[call.ID]; !known {
					s.answered[call.ID] = answer{agent: agent, recorded: rec, at: call.AnsweredAt}
				}
				s.mu.Unlock()
			}
		}
	}
	snap, err := s.fresh(ctx)
	if err != nil {
		s.log.Warn("toolbar: cannot read today's figures for a new connection", "agent", agent, "err", err)
		return out
	}
	return append(out, outgoing{EventQueuesInfo, s.queuesInfo(snap, agent, view)})
}

// fresh is the last tick's figures, or new ones when they are older than
// a tick: toolbars that all reconnect at once (after a restart) share one
// reading of the database.
func (s *Service) fresh(ctx context.Context) (*snapshot, error) {
	s.computing.Lock()
	defer s.computing.Unlock()
	s.mu.Lock()
	snap := s.last
	s.mu.Unlock()
	if snap != nil && s.o.Now().Sub(snap.at) <= s.o.Toolbar.Interval {
		return snap, nil
	}
	return s.compute(ctx)
}

func (s *Service) closeAll() {
	s.mu.Lock()
	s.closed = true
	all := make([]*client, 0, len(s.clients))
	for _, c := range s.clients {
		all = append(all, c)
	}
	s.mu.Unlock()
	for _, c := range all {
		c.close(reasonShutdown)
	}
}

// prune forgets the offers and answers of calls whose end never came
// through (a missed delivery, an AMI hangup not seen), so the maps do not
// grow for ever. s.mu is held.
func (s *Service) prune() {
	old := s.o.Now().Add(-24 * time.Hour)
	for id, o := range s.offers {
		if o.at.Before(old) {
			delete(s.offers, id)
		}
	}
	for id, a := range s.answered {
		if a.at.Before(old) {
			delete(s.answered, id)
		}
	}
	for id, c := range s.crm {
		if c.at.Before(old) {
			delete(s.crm, id)
		}
	}
	for id, r := range s.rings {
		if r.at.Before(old) {
			delete(s.rings, id)
		}
	}
	for id, pr := range s.profiles {
		if pr.at.Before(old) {
			delete(s.profiles, id)
		}
	}
}

// profileChanged keeps the call's profile fields for its screen pop (the
// call flow before the queue stores them).
func (s *Service) profileChanged(e eventlog.Event) {
	var ch ccd.ProfileChange
	if json.Unmarshal(e.Payload, &ch) != nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	pr := s.profiles[e.CallID]
	if pr.fields == nil {
		pr.fields = map[string]string{}
	}
	for _, c := range ch.Changes {
		pr.fields[strings.ToLower(c.Field)] = c.New
	}
	pr.at = e.At
	s.profiles[e.CallID] = pr
}
