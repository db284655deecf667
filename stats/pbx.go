package stats

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/acd"
	"github.com/ccdhq/ccd/eventlog"
	"github.com/ccdhq/ccd/pbx"
)

// The observed-call columns, shared by name between AgentStat and ExtensionStat.
const (
	cIntDialed, cIntAnsweredTo, cExtDialed, cExtAnsweredTo = "intdialed", "intansweredto", "extdialed", "extansweredto"
	cInOffered, cInAnswered, cInAbandoned                  = "inoffered", "inanswered", "inabandoned"
	cExOffered, cExAnswered, cExAbandoned                  = "exoffered", "exanswered", "exabandoned"
)

// cdr is what the statistics read of an Asterisk CDR (pbx.cdr payload).
type cdr struct {
	Source      string          `json:"source"`
	Destination string          `json:"destination"`
	Channel     string          `json:"channel"`
	DestChannel string          `json:"destinationchannel"`
	Disposition string          `json:"disposition"`
	Duration    json.RawMessage `json:"duration"`
	Billable    json.RawMessage `json:"billableseconds"`
	Direction   string          `json:"direction"`
	ACD         bool            `json:"acd"`
	StartTime   string          `json:"starttime"`
}

// pbxEvent folds what the AMI observed of calls ccd does not control: CDRs give
// the Int*/Ext*/In*/Ex* columns of ExtensionStat and of the agent logged in at
// the extension, and a CallsStat row each; unholds give their hold times.
func (a *Aggregator) pbxEvent(ev *eventlog.Event) error {
	switch ev.Kind {
	case ccd.EventPBXCDR:
		var c cdr
		if err := json.Unmarshal(ev.Payload, &c); err != nil {
			return &DecodeError{ID: ev.ID, Kind: ev.Kind, Err: err}
		}
		if !c.ACD && c.DestChannel != "" {
			a.observedCall(ev, &c)
		}
	case ccd.EventPBXUnhold:
		var h ccd.PBXHold
		if err := json.Unmarshal(ev.Payload, &h); err != nil {
			return &DecodeError{ID: ev.ID, Kind: ev.Kind, Err: err}
		}
		if !h.ACD && h.Number != "" {
			s, secs := ev.At.Unix(), int64(h.HoldSeconds+0.5)
			for _, k := range a.extensionRows(h.Number) {
				a.add(s, k, col(k.Table, "holdcount"), 1)
				a.measure(s, k, col(k.Table, "minholdtime"), secs)
			}
		}
	}
	return nil
}

// extensionRows are the rows an observed fact of an extension goes to: its
// ExtensionStat row and, when an agent is logged in there, the agent's AgentStat.
func (a *Aggregator) extensionRows(ext string) []RowKey {
	rows := []RowKey{{Table: ExtensionStat, Name: ext}}
	if agent := a.state.Extensions[ext]; agent != "" {
		rows = append(rows, RowKey{Table: AgentStat, Name: agent})
	}
	return rows
}

// observedCall counts one dialled leg: the caller's side (dialled, answered to,
// talk, dial time) and the called side (offered, answered or abandoned, talk,
// ring time), for whichever of them are extensions.
func (a *Aggregator) observedCall(ev *eventlog.Event, c *cdr) {
	s := ev.At.Unix()
	from := c.Source
	if from == "" {
		from = pbx.ChannelResource(c.Channel)
	}
	to := pbx.ChannelResource(c.DestChannel)
	duration, billable := jsonInt(c.Duration), jsonInt(c.Billable)
	answered := c.Disposition == "ANSWERED"
	wait := max(duration-billable, 0)
	callerInternal := c.Direction == pbx.Internal || c.Direction == pbx.Outbound
	calledInternal := c.Direction == pbx.Internal || c.Direction == pbx.Inbound
	internal := c.Direction == pbx.Internal

	if callerInternal {
		a.countDialled(s, a.extensionRows(from), internal, answered, billable, wait)
	}
	if calledInternal {
		offered, answeredC, abandoned, talk, ring, tt, ett := cExOffered, cExAnswered, cExAbandoned, "inextcallstalktime", "inextcallsringtime", int32(TTAgentInExtTalk), int32(TTExtInExtTalk)
		if internal {
			offered, answeredC, abandoned, talk, ring, tt, ett = cInOffered, cInAnswered, cInAbandoned, "inintcallstalktime", "inintcallsringtime", TTAgentInIntTalk, TTExtInIntTalk
		}
		for _, k := range a.extensionRows(to) {
			a.add(s, k, col(k.Table, offered), 1)
			if answered {
				a.add(s, k, col(k.Table, answeredC), 1)
				a.measure(s, k, col(k.Table, "min"+talk), billable)
				a.talkHistogram(s, k, tt, ett, billable)
			} else {
				a.add(s, k, col(k.Table, abandoned), 1)
			}
			if k.Table == ExtensionStat {
				a.measure(s, k, col(k.Table, "min"+ring), wait)
			}
		}
	}
	a.observedRecord(ev, c, from, to, answered, callerInternal, calledInternal)
}

// countDialled counts a call an extension or agent made in rows: dialled,
// answered to, talk time and dial time, internal (Int*) or external (Ext*).
func (a *Aggregator) countDialled(s int64, rows []RowKey, internal, answered bool, talkSecs, waitSecs int64) {
	dialled, answeredTo, talk, good, bad, tt, ett := cExtDialed, cExtAnsweredTo, "outextcallstalktime", "outextgooddialtime", "outextbaddialtime", int32(TTAgentOutExtTalk), int32(TTExtOutExtTalk)
	if internal {
		dialled, answeredTo, talk, good, bad, tt, ett = cIntDialed, cIntAnsweredTo, "outintcallstalktime", "outintgooddialtime", "outintbaddialtime", TTAgentOutIntTalk, TTExtOutIntTalk
	}
	for _, k := range rows {
		a.add(s, k, col(k.Table, dialled), 1)
		if answered {
			a.add(s, k, col(k.Table, answeredTo), 1)
			a.measure(s, k, col(k.Table, "min"+talk), talkSecs)
			a.measure(s, k, col(k.Table, "min"+good), waitSecs)
			a.talkHistogram(s, k, tt, ett, talkSecs)
		} else {
			a.measure(s, k, col(k.Table, "min"+bad), waitSecs)
		}
	}
}

// talkHistogram counts a talk time in DeviceTimes: the agent's time type for an
// AgentStat row, the extension's for an ExtensionStat row.
func (a *Aggregator) talkHistogram(s int64, k RowKey, agentTT, extTT int32, secs int64) {
	if k.Table == AgentStat {
		a.histogram(s, k.Name, DevAgent, agentTT, secs)
	} else {
		a.histogram(s, k.Name, DevExtension, extTT, secs)
	}
}

// observedRecord is the CallsStat row of an observed leg.
func (a *Aggregator) observedRecord(ev *eventlog.Event, c *cdr, from, to string, answered, callerInternal, calledInternal bool) {
	if !a.inWindow(ev.At.Unix()) {
		return
	}
	r := CallRecord{CallID: ev.ID, UCID: ev.CallID, DNIS: to, CLID: from, LastTS: ev.At, EndType: acd.EndTalked}
	switch {
	case callerInternal && calledInternal:
		r.CallType = CallOutInternal
	case callerInternal:
		r.CallType = CallOutExternal
	default:
		r.CallType = CallInExternal
	}
	if t, err := time.ParseInLocation("2006-01-02 15:04:05", c.StartTime, a.clock.loc()); err == nil {
		r.OfferedTS = t
	} else {
		r.OfferedTS = ev.At
	}
	if answered {
		r.AnsweredTS = r.OfferedTS.Add(time.Duration(max(jsonInt(c.Duration)-jsonInt(c.Billable), 0)) * time.Second)
		r.EndedTS = ev.At
		if calledInternal {
			r.AgentExtension = to
			r.Agent = a.state.Extensions[to]
		}
	} else if callerInternal {
		r.EndType = acd.EndOutboundUnanswered
	} else {
		r.EndType, r.AbandonedTS = acd.EndAbandoned, ev.At
	}
	a.records = append(a.records, r)
}

// jsonInt reads a number that AMI delivers as a string ("6") or a JSON number.
func jsonInt(raw json.RawMessage) int64 {
	s := string(raw)
	if len(s) >= 2 && s[0] == '"' {
		s = s[1 : len(s)-1]
	}
	n, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0
	}
	return int64(n)
}
