package stats

import (
	"strings"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/acd"
	"github.com/ccdhq/ccd/eventlog"
	"github.com/ccdhq/ccd/pbx"
)

// col finds a column at start-up; a name that is not in the table is a bug in
// this package, caught by any test.
func col(t TableID, name string) int {
	i := Tables[t].ColumnIndex(name)
	if i < 0 {
		panic("stats: no column " + name + " in " + Tables[t].Name)
	}
	return i
}

var (
	asLogin    = col(AgentStat, "logintime")
	asReady    = col(AgentStat, "readytime")
	asNotReady = col(AgentStat, "notreadytime")
	asIdle     = col(AgentStat, "idletime")
	asACW      = col(AgentStat, "minacwtime")
	aaTime     = col(AgentActivityStat, "activitytime")
	dsLogins   = col(DeviceStat, "logincount")
	dsLogin    = col(DeviceStat, "sumlogintime")
	dsReady    = col(DeviceStat, "sumreadytime")
	dsNotReady = col(DeviceStat, "sumnotreadytime")
	dsACW      = col(DeviceStat, "minacwtime")
	abWrapUp   = col(AgentByDeviceStat, "minwrapuptime")
)

// loggedIn reports whether a state counts as logged in.
func loggedIn(state string) bool { return state != "" && state != acd.LoggedOut }

// account adds an agent's current state from where it was accounted up to s.
func (a *Aggregator) account(id string, ag *AgentState, s int64) {
	if s == ag.Since {
		return
	}
	from := ag.Since
	ag.Since = s
	if !loggedIn(ag.State) {
		return
	}
	user := RowKey{Table: AgentStat, Name: id}
	a.spread(from, s, user, asLogin)
	if ag.State == acd.NotReady {
		a.spread(from, s, user, asNotReady)
		a.spread(from, s, RowKey{Table: AgentActivityStat, Name: id, Name2: ag.Activity}, aaTime)
	} else {
		a.spread(from, s, user, asReady)
		if ag.State == acd.Ready {
			a.spread(from, s, user, asIdle)
		}
	}
	for _, q := range ag.Queues {
		dev := RowKey{Table: DeviceStat, Name: q, Type: DevQueue}
		a.spread(from, s, dev, dsLogin)
		if ag.State == acd.NotReady {
			a.spread(from, s, dev, dsNotReady)
		} else {
			a.spread(from, s, dev, dsReady)
		}
	}
}

// agentEvent folds an agent.<state> or agent.logged_in event.
func (a *Aggregator) agentEvent(ev *eventlog.Event, d *acd.Data) {
	s := ev.At.Unix()
	ag := a.state.Agents[ev.Agent]
	if ag == nil {
		ag = &AgentState{Since: s}
		a.state.Agents[ev.Agent] = ag
	}
	a.account(ev.Agent, ag, s)
	if d.Queues != nil {
		ag.Queues = d.Queues
	}
	if d.Endpoint != "" {
		if ag.Ext != "" && a.state.Extensions[ag.Ext] == ev.Agent {
			delete(a.state.Extensions, ag.Ext)
		}
		ag.Ext = extensionOf(d.Endpoint)
		a.state.Extensions[ag.Ext] = ev.Agent
	}
	if ev.Kind == ccd.EventAgentLoggedIn {
		for _, q := range ag.Queues {
			a.add(s, RowKey{Table: DeviceStat, Name: q, Type: DevQueue}, dsLogins, 1)
		}
		return
	}
	if d.Previous == acd.WrapUp && d.PreviousMS > 0 {
		a.wrapUpEnded(s, ev.Agent, ag, seconds(d.PreviousMS))
	}
	if ev.Queue != "" {
		ag.Queue, ag.DNIS = ev.Queue, ev.DNIS
	}
	ag.State, ag.Activity = d.State, d.Activity
	if ag.State == "" {
		ag.State = strings.TrimPrefix(ev.Kind, ccd.AgentEventPrefix)
	}
	if ag.State == acd.LoggedOut {
		if a.state.Extensions[ag.Ext] == ev.Agent {
			delete(a.state.Extensions, ag.Ext)
		}
		delete(a.state.Agents, ev.Agent)
	}
}

// wrapUpEnded counts one wrap-up (after-call work) for the agent and for the
// devices of the call it followed.
func (a *Aggregator) wrapUpEnded(s int64, id string, ag *AgentState, secs int64) {
	a.measure(s, RowKey{Table: AgentStat, Name: id}, asACW, secs)
	for _, dev := range devices(ag.Queue, ag.DNIS) {
		a.measure(s, RowKey{Table: DeviceStat, Name: dev.name, Type: dev.typ}, dsACW, secs)
		a.measure(s, RowKey{Table: AgentByDeviceStat, Name: id, Name2: dev.name, Type: dev.typ}, abWrapUp, secs)
	}
}

type device struct {
	name string
	typ  int16
}

// devices lists the queue and DNIS a call fact counts for, skipping empty ones.
func devices(queue, dnis string) []device {
	out := make([]device, 0, 2)
	if queue != "" {
		out = append(out, device{queue, DevQueue})
	}
	if dnis != "" {
		out = append(out, device{dnis, DevDNIS})
	}
	return out
}

// extensionOf is the extension number of an endpoint: PJSIP/1001 is 1001.
func extensionOf(endpoint string) string {
	if !strings.Contains(endpoint, "/") {
		return endpoint
	}
	return pbx.ChannelResource(endpoint + "-")
}
