package acd

import (
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/acd/endpoints"
)

// Login logs an agent in at an endpoint ("" keeps the configured one); the agent
// is ready at once. Logging in again at another endpoint moves the agent when no
// call is in progress.
func (e *Engine) Login(now time.Time, id, endpoint string) error {
	a := e.agents[id]
	if a == nil {
		return notFound("acd: no agent", strconv.Quote(id))
	}
	if endpoint == "" {
		endpoint = a.Endpoint
	}
	if endpoint == "" {
		return &ccd.Error{Code: ccd.EINVALID, Field: "endpoint", Message: "acd: agent " + id + " has no endpoint configured; login must name one"}
	}
	// Whoever decided on the endpoint, nothing that is not one reaches Asterisk.
	if err := endpoints.Check(endpoint); err != nil {
		return &ccd.Error{Code: ccd.EINVALID, Field: "endpoint", Message: "acd: endpoint: " + err.Error()}
	}
	if other := e.byEndpoint[endpoint]; other != nil && other != a {
		return &ccd.Error{Code: ccd.ECONFLICT, Field: "endpoint", Message: "acd: endpoint " + endpoint + " is in use by agent " + other.ID}
	}
	if a.loggedIn {
		if endpoint == a.Endpoint {
			return nil
		}
		// A restored agent ringing or on a call has no call yet until
		// RestoreCalls: its state still says it is busy.
		if a.call != nil || a.State == Ringing || a.State == OnCall {
			return conflict("acd: agent " + id + " is on a call")
		}
		delete(e.byEndpoint, a.Endpoint)
	}
	a.Endpoint = endpoint
	e.byEndpoint[endpoint] = a
	if !a.loggedIn {
		a.loggedIn = true
		for _, q := range a.queues {
			q.loggedIn++
		}
	}
	a.Pending, a.PendingActivity = "", ""
	e.events = append(e.events, Event{At: now, Kind: ccd.EventAgentLoggedIn, Agent: id, Data: Data{Endpoint: endpoint, Queues: a.queueCodes(),
		SessionSkills: a.sessionSkills}})
	e.setAgent(now, a, Ready, Data{})
	e.findCall(now, a)
	return nil
}

// LoginWithSkills logs an agent in as Login does, with skills for this
// session in place of its configured ones (an Agent Login SQL hook's
// AgentSkills): the queues it serves follow them until it logs out. The
// configuration is not changed.
func (e *Engine) LoginWithSkills(now time.Time, id, endpoint string, skills map[string]int) error {
	a := e.agents[id]
	if a == nil {
		return notFound("acd: no agent", strconv.Quote(id))
	}
	prev := a.sessionSkills
	e.setSessionSkills(now, a, maps.Clone(skills))
	if err := e.Login(now, id, endpoint); err != nil {
		e.setSessionSkills(now, a, prev)
		return err
	}
	return nil
}

// setSessionSkills puts an agent's session skills (nil: the configured
// ones) in effect and matches agents and queues again.
func (e *Engine) setSessionSkills(now time.Time, a *agent, skills map[string]int) {
	a.useSkills(skills)
	e.match(now)
}

func (a *agent) useSkills(session map[string]int) {
	a.sessionSkills, a.SessionSkills, a.skills = session, session, a.cfgSkills
	if session != nil {
		a.skills = session
	}
}

// Logout logs an agent out; an agent on a call or ringing is logged out when that
// call ends (a ringing offer is withdrawn and the call returns to its queue).
func (e *Engine) Logout(now time.Time, id string) error {
	a := e.agents[id]
	if a == nil {
		return notFound("acd: no agent", strconv.Quote(id))
	}
	if !a.loggedIn {
		return nil
	}
	switch a.State {
	case Ringing:
		a.Pending = LoggedOut
		e.withdraw(now, a)
	case OnCall, OnDirectCall:
		a.Pending = LoggedOut
	default:
		e.logout(now, a)
	}
	return nil
}

// withdraw cancels the offer ringing at an agent who asked for another state.
func (e *Engine) withdraw(now time.Time, a *agent) {
	if o := a.offer; o != nil {
		e.act(Action{Kind: Cancel, CallID: o.c.ID, Agent: a.ID, Channel: o.channel})
		e.offerFailed(now, o, AgentLeft)
	}
}

func (e *Engine) logout(now time.Time, a *agent) {
	a.Pending, a.PendingActivity = "", ""
	e.setAgent(now, a, LoggedOut, Data{})
	a.loggedIn = false
	delete(e.byEndpoint, a.Endpoint)
	// Queues left without agents overflow their callers by their
	// no_agents_logged_in rules.
	for _, q := range a.queues {
		q.loggedIn--
		if q.loggedIn == 0 {
			e.noAgents(now, q)
		}
	}
	if a.removed {
		delete(e.agents, a.ID) // its last call is over: it goes
	}
	if a.sessionSkills != nil {
		e.setSessionSkills(now, a, nil) // the session's skills end with it
	}
}

func (e *Engine) noAgents(now time.Time, q *queue) {
	var rules []int
	for i, o := range q.cfg.Overflow {
		if o.NoAgentsLoggedIn {
			rules = append(rules, i)
		}
	}
	if len(rules) == 0 {
		return
	}
	for _, m := range slices.Clone(q.waiting.items) {
		for _, i := range rules {
			if !m.gone && m.c.State == Waiting {
				e.overflow(now, m, i, ReasonLogin)
			}
		}
	}
}

// Ready makes an agent available. During wrap-up it ends the wrap-up; on a call
// it cancels a pending not-ready.
func (e *Engine) Ready(now time.Time, id string) error {
	a, err := e.loggedIn(id)
	if err != nil {
		return err
	}
	switch a.State {
	case Ready:
		return nil
	case Ringing, OnCall, OnDirectCall:
		a.Pending, a.PendingActivity = "", ""
		if a.State == OnDirectCall {
			a.back, a.backActivity = Ready, ""
		}
		return nil
	}
	a.Pending, a.PendingActivity = "", ""
	e.setAgent(now, a, Ready, Data{})
	e.findCall(now, a)
	return nil
}

// NotReady makes an agent unavailable with an activity (pause) code. A ringing
// offer is withdrawn; on a call the change happens when the call ends.
func (e *Engine) NotReady(now time.Time, id, activity string) error {
	a, err := e.loggedIn(id)
	if err != nil {
		return err
	}
	switch a.State {
	case OnCall:
		a.Pending, a.PendingActivity = NotReady, activity
		return nil
	case OnDirectCall:
		a.back, a.backActivity = NotReady, activity
		return nil
	case Ringing:
		e.setAgentNotReadyWithdrawing(now, a, activity)
		return nil
	case NotReady:
		if a.Activity == activity {
			return nil
		}
	}
	a.Pending, a.PendingActivity = "", ""
	e.setAgent(now, a, NotReady, Data{Activity: activity})
	return nil
}

func (e *Engine) setAgentNotReadyWithdrawing(now time.Time, a *agent, activity string) {
	o := a.offer
	a.call = nil
	e.setAgent(now, a, NotReady, Data{Activity: activity})
	if o != nil {
		e.act(Action{Kind: Cancel, CallID: o.c.ID, Agent: a.ID, Channel: o.channel})
		e.offerFailed(now, o, AgentLeft)
	}
}

func (e *Engine) loggedIn(id string) (*agent, error) {
	a := e.agents[id]
	if a == nil {
		return nil, notFound("acd: no agent", strconv.Quote(id))
	}
	if !a.loggedIn {
		return nil, conflict("acd: agent " + id + " is not logged in")
	}
	return a, nil
}

// DirectCall reports that an agent's endpoint started (on) or ended (!on) a
// call ccd did not offer (seen on AMI): the agent is not offered queue calls
// meanwhile, and returns to the state it had afterwards.
func (e *Engine) DirectCall(now time.Time, endpoint string, on bool) {
	a := e.byEndpoint[endpoint]
	if a == nil || !a.loggedIn {
		return
	}
	if on {
		if a.State != Ready && a.State != NotReady && a.State != WrapUp {
			return // ringing or on an ACD call: that is ccd's own call
		}
		a.back, a.backActivity = a.State, a.Activity
		if a.State == WrapUp {
			a.back = Ready
		}
		e.setAgent(now, a, OnDirectCall, Data{})
		return
	}
	if a.State != OnDirectCall {
		return
	}
	if a.Pending == LoggedOut {
		e.logout(now, a)
		return
	}
	if a.back == NotReady {
		e.setAgent(now, a, NotReady, Data{Activity: a.backActivity})
		return
	}
	e.setAgent(now, a, Ready, Data{})
	e.findCall(now, a)
}

// AgentByEndpoint returns the agent logged in at an endpoint.
func (e *Engine) AgentByEndpoint(endpoint string) (string, bool) {
	a := e.byEndpoint[endpoint]
	if a == nil {
		return "", false
	}
	return a.ID, true
}

// Agent returns one agent's state.
func (e *Engine) Agent(id string) (Agent, error) {
	a := e.agents[id]
	if a == nil {
		return Agent{}, notFound("acd: no agent", strconv.Quote(id))
	}
	return a.Agent, nil
}

// Agents returns every configured agent's state, in configuration order.
func (e *Engine) Agents() []Agent {
	out := make([]Agent, len(e.agentList))
	for i, a := range e.agentList {
		out[i] = a.Agent
	}
	return out
}
