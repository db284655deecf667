package webui

import (
	"cmp"
	"context"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/api"
	"github.com/ccdhq/ccd/eventlog"
	"github.com/ccdhq/ccd/store"
	"github.com/labstack/echo/v4"
)

// Spy rings a supervisor's phone into an agent's call: listen, whisper or
// barge through an ARI snoop channel on the agent's channel (dialplan/spy).
// A channel gone meanwhile is ECONFLICT.
type Spy interface {
	Spy(ctx context.Context, agentChannel, mode, endpoint string) (snoopChannel string, err error)
}

// mountSupervision adds the supervisor console's actions on calls and the
// reports' reads, all behind the session (g) and, when they change
// something, its CSRF token.
//
//	POST /ui/agents/:id/spy          mode=listen|whisper|barge [endpoint=]
//	POST /ui/calls/:id/transfer      queue= | agent=   (a waiting call)
//	POST /ui/calls/:id/priority      priority=1..9     (a call not answered yet)
//	GET  /ui/campaigns               the dialer's campaigns and their targets
//	GET  /ui/stats/:table            as GET /api/stats/:table (JSON or CSV)
//	GET  /ui/recordings              as GET /api/recordings
//	GET  /ui/recordings/:callid/file as GET /api/recordings/:callid/file
func (u *UI) mountSupervision(srv *api.Server, g *echo.Group) {
	g.POST("/agents/:id/spy", u.spy, u.csrf, api.QueryParams())
	g.POST("/calls/:id/transfer", u.transferWaiting, u.csrf, api.QueryParams())
	g.POST("/calls/:id/priority", u.changePriority, u.csrf, api.QueryParams())
	if grid, ok := u.o.Store.(campaignGrid); ok {
		g.GET("/campaigns", u.campaigns(grid), api.Require(ccd.RoleSupervise), api.QueryParams())
		// The console's grid follows the live stream: one count a
		// second for every open console, not one per console.
		today := func(ctx context.Context) ([]store.CampaignLine, error) { return grid.CampaignGrid(ctx, u.midnight()) }
		u.live.campaigns = (&everySecond{read: today, now: u.o.Now}).get
	}
	if u.o.Reports != nil {
		g.GET("/stats/:table", u.o.Reports.Table, api.Require(ccd.RoleStats),
			api.QueryParams("from", "to", "queue", "agent", "dnis", "format", "limit"))
	}
	if list, file, ok := srv.RecordingHandlers(); ok {
		hear := api.Require(ccd.RoleRecordings, ccd.RoleAgentSelf)
		g.GET("/recordings", list, hear, api.QueryParams("callid", "clid", "from", "till"))
		g.GET("/recordings/:callid/file", file, hear, api.QueryParams())
	}
}

// campaignGrid reads the dialer's campaigns with their targets' counts
// (store.DB).
type campaignGrid interface {
	CampaignGrid(ctx context.Context, since time.Time) ([]store.CampaignLine, error)
}

// campaigns is the campaign grid: every campaign with its targets, dialled
// counting from midnight.
func (u *UI) campaigns(grid campaignGrid) echo.HandlerFunc {
	return func(c echo.Context) error {
		lines, err := grid.CampaignGrid(c.Request().Context(), u.midnight())
		if err != nil {
			return u.unavailable(err)
		}
		return c.JSON(http.StatusOK, lines)
	}
}

// midnight is when today began in the call center's zone.
func (u *UI) midnight() time.Time {
	now := u.o.Now().In(u.o.Location)
	return time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, u.o.Location)
}

// supervisorOnly refuses principals that may not act on others' calls.
func supervisorOnly(p ccd.Principal) error {
	if !p.Has(ccd.RoleAgentForce) {
		return &ccd.Error{Code: ccd.EFORBIDDEN, Message: "this needs a supervisor's session"}
	}
	return nil
}

// spy puts the supervisor's phone on an agent's call.
func (u *UI) spy(c echo.Context) error {
	p := api.PrincipalOf(c)
	if err := supervisorOnly(p); err != nil {
		return err
	}
	agent, mode := c.Param("id"), c.FormValue("mode")
	if mode != "listen" && mode != "whisper" && mode != "barge" {
		return ccd.Invalid("mode", "must be listen, whisper or barge")
	}
	if u.o.Spy == nil {
		return &ccd.Error{Code: ccd.EUNAVAILABLE, Message: "listening needs the ACD (ARI) in this ccd"}
	}
	ctx := c.Request().Context()
	endpoint, err := u.supervisorPhone(c, p)
	if err != nil {
		return err
	}
	act := ccd.SupervisorAction{Action: mode, By: by(p), Endpoint: endpoint}
	call, channel, err := u.agentCall(ctx, agent)
	if err == nil {
		act.Snoop, err = u.o.Spy.Spy(ctx, channel, mode, endpoint)
	}
	u.auditCall(act, agent, call, err)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]string{"agent": agent, "call_id": call, "mode": mode, "endpoint": endpoint, "snoop": act.Snoop})
}

// supervisorPhone is the endpoint typed in the console (a free extension
// of acd.extensions), else the one configured for the user.
func (u *UI) supervisorPhone(c echo.Context, p ccd.Principal) (string, error) {
	if typed := c.FormValue("endpoint"); typed != "" {
		return u.o.Agents.ExtensionEndpoint(typed, "endpoint")
	}
	user, found, err := u.o.Store.UIUserByName(c.Request().Context(), p.Name)
	if err != nil {
		return "", u.unavailable(err)
	}
	if !found || user.Endpoint == "" {
		return "", ccd.Invalid("endpoint", "is required: no phone is configured for "+p.Name+" (ccd user add -endpoint); type an extension")
	}
	return user.Endpoint, nil
}

// agentCall is the call an agent is talking on and the agent's channel in
// it; an agent logged out or not on a call is ECONFLICT.
func (u *UI) agentCall(ctx context.Context, agent string) (callID, channel string, err error) {
	st, err := u.o.Agents.Ctl.Agent(ctx, agent)
	if err != nil {
		return "", "", err
	}
	if st.State == ccd.AgentLoggedOut {
		return "", "", &ccd.Error{Code: ccd.ECONFLICT, Message: "agent " + agent + " is logged out"}
	}
	calls, ok := u.o.Agents.Ctl.(ccd.CallControl)
	if !ok || st.CallID == "" {
		return "", "", &ccd.Error{Code: ccd.ECONFLICT, Message: "agent " + agent + " is not on a call"}
	}
	all, err := calls.Calls(ctx)
	if err != nil {
		return "", "", err
	}
	for _, cl := range all {
		if cl.ID == st.CallID && cl.Agent == agent && cl.State == ccd.CallConnected && cl.Channel != "" {
			return cl.ID, cl.Channel, nil
		}
	}
	return st.CallID, "", &ccd.Error{Code: ccd.ECONFLICT, Message: "agent " + agent + " is not talking on a call now (it ended or still rings)"}
}

// transferWaiting sends a waiting call to another queue or rings one agent
// for it.
func (u *UI) transferWaiting(c echo.Context) error {
	p := api.PrincipalOf(c)
	if err := supervisorOnly(p); err != nil {
		return err
	}
	call, queue, agent := c.Param("id"), c.FormValue("queue"), c.FormValue("agent")
	if (queue == "") == (agent == "") {
		return ccd.Invalid("queue", "give a queue or an agent to transfer the call to")
	}
	w, err := u.waitingCalls()
	if err != nil {
		return err
	}
	err = w.MoveWaiting(c.Request().Context(), call, queue, agent)
	u.auditCall(ccd.SupervisorAction{Action: "transfer", By: by(p), ToQueue: queue, ToAgent: agent}, agent, call, err)
	if err != nil {
		return err
	}
	u.live.poke()
	return c.JSON(http.StatusOK, map[string]string{"call_id": call, "queue": queue, "agent": agent})
}

// changePriority sets a waiting call's priority.
func (u *UI) changePriority(c echo.Context) error {
	p := api.PrincipalOf(c)
	if err := supervisorOnly(p); err != nil {
		return err
	}
	call := c.Param("id")
	prio, err := strconv.Atoi(c.FormValue("priority"))
	if err != nil || prio < 1 || prio > 9 {
		return ccd.Invalid("priority", "must be a whole number from 1 (highest) to 9")
	}
	w, err := u.waitingCalls()
	if err != nil {
		return err
	}
	err = w.SetPriority(c.Request().Context(), call, prio)
	u.auditCall(ccd.SupervisorAction{Action: "priority", By: by(p), Priority: prio}, "", call, err)
	if err != nil {
		return err
	}
	u.live.poke()
	return c.JSON(http.StatusOK, map[string]any{"call_id": call, "priority": prio})
}

func (u *UI) waitingCalls() (ccd.WaitingCallControl, error) {
	w, ok := u.o.Agents.Ctl.(ccd.WaitingCallControl)
	if !ok {
		return nil, &ccd.Error{Code: ccd.EUNAVAILABLE, Message: "this needs the ACD in this ccd"}
	}
	return w, nil
}

func by(p ccd.Principal) string { return string(p.Kind) + ":" + p.Name }

// auditCall records a supervisor's action on a call, done or refused.
func (u *UI) auditCall(act ccd.SupervisorAction, agent, call string, err error) {
	if u.o.Emit == nil {
		return
	}
	if err != nil {
		act.Error = err.Error()
	}
	ev := eventlog.Event{At: u.o.Now(), Kind: ccd.EventSupervisorAction, Source: eventlog.SourceAPI, Key: eventlog.NewKey(),
		Agent: agent, CallID: call, Payload: eventlog.Payload(act)}
	if err := u.o.Emit(ev); err != nil {
		u.o.Log.Error("event log refused the audit of a supervisor action", "call", call, "action", act.Action, "err", err)
	}
}

// callView is a call not answered yet, as the supervisor console's queue
// grid shows it.
type callView struct {
	ID          string `json:"id"`
	CLID        string `json:"clid"`
	DNIS        string `json:"dnis"`
	Queue       string `json:"queue"`
	State       string `json:"state"` // waiting or ringing
	Agent       string `json:"agent,omitempty"`
	Priority    int    `json:"priority"`
	WaitSeconds int64  `json:"wait_seconds"`
}

// waiting lists the calls not answered yet, longest waiting first.
func waiting(ctx context.Context, ctl ccd.AgentControl, now time.Time) ([]callView, error) {
	calls, ok := ctl.(ccd.CallControl)
	if !ok {
		return nil, nil
	}
	all, err := calls.Calls(ctx)
	if err != nil {
		return nil, err
	}
	out := []callView{}
	for _, c := range all {
		if c.State != ccd.CallWaiting && c.State != ccd.CallRinging {
			continue
		}
		since := c.QueuedAt
		if since.IsZero() {
			since = c.OfferedAt
		}
		out = append(out, callView{ID: c.ID, CLID: c.CLID, DNIS: c.DNIS, Queue: c.Queue, State: c.State, Agent: c.Agent,
			Priority: c.Priority, WaitSeconds: int64(now.Sub(since) / time.Second)})
	}
	// Longest waiting first, as the queues serve them within a priority.
	slices.SortStableFunc(out, func(a, b callView) int { return cmp.Compare(b.WaitSeconds, a.WaitSeconds) })
	return out, nil
}
