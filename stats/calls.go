package stats

import (
	"strings"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/acd"
	"github.com/ccdhq/ccd/eventlog"
)

var (
	dsOffered    = col(DeviceStat, "offered")
	dsAnswered   = col(DeviceStat, "answered")
	dsAbandoned  = col(DeviceStat, "abandoned")
	dsAbdRinging = col(DeviceStat, "abdringing")
	dsOvQueue    = col(DeviceStat, "overflowedqueue")
	dsOvTime     = col(DeviceStat, "overflowedtime")
	dsOvLogin    = col(DeviceStat, "overflowedlogin")
	dsBackflowed = col(DeviceStat, "backflowed")
	dsInflowed   = col(DeviceStat, "inflowed")
	dsTran2Def   = col(DeviceStat, "tran2def")
	dsRetFrom    = col(DeviceStat, "retfromagent")
	dsOfferedCB  = col(DeviceStat, "offeredcb")
	dsEndedInIVR = col(DeviceStat, "endedinivr")
	dsAnswerTime = col(DeviceStat, "minanswertime")
	dsAbdTime    = col(DeviceStat, "minabdtime")
	dsRingTime   = col(DeviceStat, "minringtime")
	dsTalkTime   = col(DeviceStat, "mintalktime")
	dsHolds      = col(DeviceStat, "holdcount")
	dsHoldTime   = col(DeviceStat, "minholdtime")

	asOffered    = col(AgentStat, "acdoffered")
	asAnswered   = col(AgentStat, "acdanswered")
	asRecalled   = col(AgentStat, "acdrecalled")
	asAbdRinging = col(AgentStat, "acdabdringing")
	asRingTime   = col(AgentStat, "minringtime")
	asTalkTime   = col(AgentStat, "minacdcallstalktime")
	asHolds      = col(AgentStat, "holdcount")
	asHoldTime   = col(AgentStat, "minholdtime")

	abOffered    = col(AgentByDeviceStat, "acdoffered")
	abAnswered   = col(AgentByDeviceStat, "acdanswered")
	abRecalled   = col(AgentByDeviceStat, "acdrecalled")
	abAbdRinging = col(AgentByDeviceStat, "acdabdringing")
	abRingTime   = col(AgentByDeviceStat, "minringtime")
	abTalkTime   = col(AgentByDeviceStat, "minacdtalktime")
	abHolds      = col(AgentByDeviceStat, "holdcount")
	abHoldTime   = col(AgentByDeviceStat, "minholdtime")

	dtAmount = col(DeviceTimes, "amount")
)

// overflowColumn is the DeviceStat counter of an overflow reason.
func overflowColumn(reason string) int {
	switch reason {
	case acd.ReasonTime:
		return dsOvTime
	case acd.ReasonPosition, acd.ReasonFull:
		return dsOvQueue
	case acd.ReasonLogin:
		return dsOvLogin
	}
	return -1
}

// count adds 1 to column c of the DeviceStat rows of the call's queue and DNIS.
func (a *Aggregator) count(s int64, queue, dnis string, c int) {
	for _, dev := range devices(queue, dnis) {
		a.add(s, RowKey{Table: DeviceStat, Name: dev.name, Type: dev.typ}, c, 1)
	}
}

// time adds one duration to the DeviceStat min/sum/max at column c, and to the
// DeviceTimes histograms of the queue and DNIS when time types are given.
func (a *Aggregator) time(s int64, queue, dnis string, c int, secs int64, queueTT, dnisTT int32) {
	for _, dev := range devices(queue, dnis) {
		tt := queueTT
		if dev.typ == DevDNIS {
			tt = dnisTT
		}
		a.deviceTime(s, dev, c, secs, tt)
	}
}

// deviceTime is time for one device and its time type (0: no histogram).
func (a *Aggregator) deviceTime(s int64, dev device, c int, secs int64, tt int32) {
	a.measure(s, RowKey{Table: DeviceStat, Name: dev.name, Type: dev.typ}, c, secs)
	if tt != 0 {
		a.histogram(s, dev.name, dev.typ, tt, secs)
	}
}

func (a *Aggregator) histogram(s int64, name string, typ int16, tt int32, secs int64) {
	a.add(s, RowKey{Table: DeviceTimes, Name: name, Type: typ, N1: tt, N2: int32(TimeFrame(secs))}, dtAmount, 1)
}

// agentCount adds 1 to column c of AgentStat and to column cb of the agent's
// AgentByDeviceStat rows for the call's queue and DNIS.
// factColumns are the columns one fact of a call at an agent goes to: its
// count and time on the queue and DNIS (DeviceStat), on the agent (AgentStat)
// and on the agent at the queue or DNIS (AgentByDeviceStat).
type factColumns struct{ count, time, agentCount, byDeviceCount, agentTime, byDeviceTime int }

var (
	ringAnswered  = factColumns{dsAnswered, dsRingTime, asAnswered, abAnswered, asRingTime, abRingTime}
	ringReturned  = factColumns{dsRetFrom, dsRingTime, asRecalled, abRecalled, asRingTime, abRingTime}
	ringAbandoned = factColumns{dsAbdRinging, dsRingTime, asAbdRinging, abAbdRinging, asRingTime, abRingTime}
	holdEnded     = factColumns{dsHolds, dsHoldTime, asHolds, abHolds, asHoldTime, abHoldTime}
)

// agentFact counts one fact lasting secs (a ring that ended, a hold) in the
// columns c.
func (a *Aggregator) agentFact(s int64, agent, queue, dnis string, secs int64, c factColumns) {
	a.count(s, queue, dnis, c.count)
	a.time(s, queue, dnis, c.time, secs, 0, 0)
	a.agentCount(s, agent, queue, dnis, c.agentCount, c.byDeviceCount)
	a.agentTime(s, agent, queue, dnis, c.agentTime, c.byDeviceTime, secs)
}

func (a *Aggregator) agentCount(s int64, agent, queue, dnis string, c, cb int) {
	if agent == "" {
		return
	}
	a.add(s, RowKey{Table: AgentStat, Name: agent}, c, 1)
	for _, dev := range devices(queue, dnis) {
		a.add(s, RowKey{Table: AgentByDeviceStat, Name: agent, Name2: dev.name, Type: dev.typ}, cb, 1)
	}
}

// agentTime is agentCount for a min/sum/max duration.
func (a *Aggregator) agentTime(s int64, agent, queue, dnis string, c, cb int, secs int64) {
	if agent == "" {
		return
	}
	a.measure(s, RowKey{Table: AgentStat, Name: agent}, c, secs)
	for _, dev := range devices(queue, dnis) {
		a.measure(s, RowKey{Table: AgentByDeviceStat, Name: agent, Name2: dev.name, Type: dev.typ}, cb, secs)
	}
}

// callEvent folds a call.<what> event of the ACD.
func (a *Aggregator) callEvent(ev *eventlog.Event, d *acd.Data) {
	s := ev.At.Unix()
	q, dnis := ev.Queue, ev.DNIS
	cs := a.state.Calls[ev.CallID]
	if cs == nil {
		cs = &CallState{FirstID: ev.ID}
		a.state.Calls[ev.CallID] = cs
	}
	switch ev.Kind {
	case ccd.EventCallOffered:
		// the queue the call is routed to (none for an unrouted call) offers it
		// even when it is full and overflows at once; a callback's place
		// (virtual) is not a new call offered to the queue
		if !d.Virtual {
			offeredOn := dnis
			if cs.DNISOffered {
				offeredOn = ""
			}
			a.count(s, q, offeredOn, dsOffered)
		}
		cs.Virtual = d.Virtual
	case ccd.EventCallCallbackOffered:
		a.count(s, q, dnis, dsOfferedCB)
	case ccd.EventCallQueued:
		a.queued(ev, cs, d.Reason)
	case ccd.EventCallOverflowed:
		if c := overflowColumn(d.Reason); c >= 0 {
			a.count(s, q, dnis, c)
		}
	case ccd.EventCallToDefault:
		a.count(s, q, dnis, dsTran2Def)
		if c := overflowColumn(d.Reason); c >= 0 && q != "" {
			a.count(s, q, dnis, c)
		}
	case ccd.EventCallRinging:
		a.agentCount(s, ev.Agent, q, dnis, asOffered, abOffered)
	case ccd.EventCallAnswered:
		if d.Backflow {
			a.count(s, q, "", dsBackflowed)
		}
		a.waited(ev, cs, d.WaitedMS, dsAnswerTime, TTQueueAnswerWait, TTDNISAnswerWait)
		a.agentFact(s, ev.Agent, q, dnis, seconds(d.RingMS), ringAnswered)
		cs.Agent, cs.Queue, cs.AnsweredMS = ev.Agent, q, ev.At.UnixMilli()
		cs.Handler, cs.HandlerEndpoint = ev.Agent, d.Endpoint
	case ccd.EventCallReturned:
		a.agentFact(s, ev.Agent, q, dnis, seconds(d.RingMS), ringReturned)
	case ccd.EventCallAbandoned:
		if cs.Virtual && ev.Agent == "" {
			break
		}
		if ev.Agent != "" {
			a.agentFact(s, ev.Agent, q, dnis, seconds(d.RingMS), ringAbandoned)
		} else {
			a.count(s, q, dnis, dsAbandoned)
		}
		a.waited(ev, cs, d.WaitedMS, dsAbdTime, TTQueueAbandonWait, TTDNISAbandonWait)
	case ccd.EventCallUnhold:
		a.agentFact(s, ev.Agent, q, dnis, seconds(d.HoldMS), holdEnded)
	case ccd.EventCallTransferred:
		a.talkEnded(ev, cs)
	case ccd.EventCallEnded:
		a.talkEnded(ev, cs)
		if d.Summary != nil {
			if d.Summary.EndType == acd.EndInIVR {
				a.count(s, q, dnis, dsEndedInIVR)
			}
			a.record(ev, cs, d.Summary)
			a.campaignTalk(ev, d.Summary)
		}
		delete(a.state.Calls, ev.CallID)
	}
}

// queued counts a call entering a queue after its arrival. Offered are the
// calls routed to the queue (counted at call.offered) and transferred to it by
// an agent (a new offer, not an overflow); calls overflowed into it, with or
// without search expansion, are Inflowed and not Offered (000 §4's toolbar:
// "calls that were overflowed into this queue are not counted in this field"),
// so a routed call is Offered in one queue only.
func (a *Aggregator) queued(ev *eventlog.Event, cs *CallState, reason string) {
	s := ev.At.Unix()
	switch reason {
	case "", "route":
		return
	case "overflow", "expand":
		a.count(s, ev.Queue, "", dsInflowed)
	default:
		a.count(s, ev.Queue, "", dsOffered)
	}
	cs.entered(ev.Queue, ev.At.UnixMilli())
}

// waited counts how long a caller waited before an answer or an abandon in
// column c and the histograms: the DNIS from when the call was first queued
// (waitedMS), the queue from when the call entered that queue ("waited in the
// queue").
func (a *Aggregator) waited(ev *eventlog.Event, cs *CallState, waitedMS int64, c int, queueTT, dnisTT int32) {
	s := ev.At.Unix()
	if ev.Queue != "" {
		a.deviceTime(s, device{ev.Queue, DevQueue}, c, seconds(cs.queueWaitMS(ev.Queue, ev.At.UnixMilli(), waitedMS)), queueTT)
	}
	if ev.DNIS != "" {
		a.deviceTime(s, device{ev.DNIS, DevDNIS}, c, seconds(waitedMS), dnisTT)
	}
}

// talkEnded closes the talk of the agent the call is connected to, if any: at a
// transfer (the agent leaves, the call goes on) or at the end.
func (a *Aggregator) talkEnded(ev *eventlog.Event, cs *CallState) {
	if cs.Agent == "" {
		return
	}
	s := ev.At.Unix()
	talk := seconds(ev.At.UnixMilli() - cs.AnsweredMS)
	q, dnis := cs.Queue, ev.DNIS
	a.time(s, q, dnis, dsTalkTime, talk, TTQueueTalk, TTDNISTalk)
	a.agentTime(s, cs.Agent, q, dnis, asTalkTime, abTalkTime, talk)
	a.histogram(s, cs.Agent, DevAgent, TTAgentACDTalk, talk)
	cs.Agent, cs.Queue, cs.AnsweredMS = "", "", 0
}

// Call types of CallsStat.
const (
	CallACD         = 1
	CallOutExternal = 2
	CallOutInternal = 3
	CallInExternal  = 4
	CallInInternal  = 5
)

// CallRecord is one row of stat.callsstat. Names (queues, agents, DNIS,
// extension) are ccd's; the store maps them to codes.
type CallRecord struct {
	CallID              int64 // id of the call's first event in the log
	UCID                string
	CallType            int
	DNIS                string
	CLID                string
	OfferedTS           time.Time
	FirstQueuedTS       time.Time
	AnsweredTS          time.Time
	AbandonedTS         time.Time
	Transferred2ExtTS   time.Time
	EndedTS             time.Time
	InitialQueue        string
	QueueHops           int
	Agent               string
	AgentExtension      string
	HandledOnQueue      string
	TransferDestination string
	EndType             int
	AgentHops           int
	Adata1, Adata2      string
	Router              string // the first flow the call went through
	// Beyond Optimus:
	Priority    int
	Recording   string
	HoldCount   int
	HoldSeconds int64
	LastTS      time.Time // when the call left ccd: rebuilds select calls by it
}

// record emits the CallsStat row of an ACD call that ended.
func (a *Aggregator) record(ev *eventlog.Event, cs *CallState, c *acd.Call) {
	if !a.inWindow(ev.At.Unix()) {
		return
	}
	ad1, ad2 := splitAttachData(c.AttachData)
	r := CallRecord{
		CallID: cs.FirstID, UCID: ev.CallID, CallType: CallACD, DNIS: c.DNIS, CLID: c.CLID,
		OfferedTS: c.OfferedAt, FirstQueuedTS: c.QueuedAt, AnsweredTS: c.AnsweredAt, AbandonedTS: c.AbandonedAt,
		InitialQueue: c.InitialQueue, QueueHops: c.QueueHops, Agent: cs.Handler, HandledOnQueue: c.Queue,
		TransferDestination: c.TransferTo, EndType: c.EndType, AgentHops: c.AgentHops, Adata1: ad1, Adata2: ad2,
		Priority: c.Priority, Recording: c.Recording, HoldCount: c.Holds, HoldSeconds: seconds(c.HoldMS), LastTS: ev.At,
	}
	if cs.Handler == "" && !c.AnsweredAt.IsZero() && c.EndType != acd.EndAbandonedRinging {
		// answered before the state knew handlers (a call in progress across
		// an upgrade): the summary's agent and endpoint are the handler's
		r.Agent, cs.HandlerEndpoint = c.Agent, c.Endpoint
	}
	if f := cs.Flow; f != nil {
		// came through a flow: it entered ccd there, and the flow chose its
		// attached data
		r.Router = f.Router
		if f.FirstMS != 0 {
			r.OfferedTS = time.UnixMilli(f.FirstMS)
		}
		if f.HasAdata {
			r.Adata1, r.Adata2 = f.Adata[0], f.Adata[1]
		}
	}
	if cs.HandlerEndpoint != "" {
		r.AgentExtension = extensionOf(cs.HandlerEndpoint)
	}
	if c.EndType == acd.EndTransferred {
		r.Transferred2ExtTS = c.TransferAt
	}
	if c.Virtual || isDialerCall(ev.CallID) {
		// A callback's attempt or a person the dialer reached: ccd called
		// the customer. A callback's attach data names the call or request
		// it calls back; a dialer call's, its campaign and target.
		r.CallType = CallOutExternal
	}
	if !c.AnsweredAt.IsZero() {
		r.EndedTS = c.EndedAt
		if r.EndedTS.IsZero() {
			r.EndedTS = ev.At
		}
	}
	if cs.FirstID == 0 {
		r.CallID = ev.ID
	}
	a.records = append(a.records, r)
}

// splitAttachData fills Adata1 and Adata2 (100 characters each in Optimus): a
// "|" separates the two; without one, the data is Adata1.
func splitAttachData(s string) (string, string) {
	one, two, _ := strings.Cut(s, "|")
	return one, two
}
