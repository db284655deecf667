package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/stats"
	"github.com/ccdhq/ccd/store"
	"github.com/labstack/echo/v4"
)

// StatsReader reads the statistics tables; *store.DB implements it.
type StatsReader interface {
	StreamStatRows(ctx context.Context, q store.StatQuery, w store.RowWriter) error
	StreamBIFunction(ctx context.Context, name string, from, till time.Time, w store.RowWriter) error
	QueueToday(ctx context.Context, since time.Time, serviceLevel map[string]time.Duration) (map[string]store.QueueDay, error)
	AgentToday(ctx context.Context, since time.Time) (map[string]store.AgentDay, error)
}

// LiveSource is the ACD's present: queues, calls and agents as they are now.
type LiveSource interface {
	Queues(ctx context.Context) ([]ccd.QueueStatus, error)
	Calls(ctx context.Context) ([]ccd.Call, error)
	Agents(ctx context.Context) ([]ccd.AgentStatus, error)
}

// maxRangeDays bounds the range of one statistics request: three months of
// quarter-hours is already gigabytes of JSON for the larger tables.
const maxRangeDays = 92

// statsAPI serves the statistics tables, the BI functions and the real-time
// supervision views.
type statsAPI struct {
	r    StatsReader
	live LiveSource
	log  *slog.Logger
	now  func() time.Time
	loc  *time.Location
	sl   map[string]time.Duration
	// levels, when set, gives the service levels as they are now (the live
	// configuration) instead of sl.
	levels func() map[string]time.Duration
}

// MountStats adds the statistics interfaces, behind the authentication:
// the tables and BI functions need the stats role, the real-time views the
// supervise role. When no credential holds the stats role (no integration
// token configured) they stay off. live may be nil (no ACD in this process):
// the real-time views then answer 503. loc is the call center's zone, in
// which dates without an offset are read, times are written and "today"
// starts (nil: the machine's). serviceLevels holds each queue's service
// level (queue code -> answer within). The Realtime it returns (nil when
// off) feeds the dialects' supervision views.
//
//	GET /api/stats/:table?from=&to=&queue=&agent=&dnis=&format=json|csv&limit=
//	GET /api/stats/bi/:function?from=&till=&format=
//	GET /api/stats/realtime/queues
//	GET /api/stats/realtime/agents
//
// Each route takes the query parameters listed and no other (QueryParams).
// Durations are seconds.
func (s *Server) MountStats(r StatsReader, live LiveSource, loc *time.Location, serviceLevels map[string]time.Duration) *Realtime {
	if !s.Grants(ccd.RoleStats) {
		return nil
	}
	if loc == nil {
		loc = time.Local
	}
	a := &statsAPI{r: r, live: live, log: s.log, now: s.opts.Now, loc: loc, sl: serviceLevels}
	// Static paths win over :table in Echo's router, so bi and realtime are
	// not taken for table names.
	e, auth := s.Echo, s.Authenticate
	stats, supervise := Require(ccd.RoleStats), Require(ccd.RoleSupervise)
	e.GET("/api/stats/:table", a.table, auth, stats, QueryParams("from", "to", "queue", "agent", "dnis", "format", "limit"))
	e.GET("/api/stats/bi/:function", a.bi, auth, stats, QueryParams("from", "till", "format"))
	e.GET("/api/stats/realtime/queues", a.realtimeQueues, auth, supervise, QueryParams())
	e.GET("/api/stats/realtime/agents", a.realtimeAgents, auth, supervise, QueryParams())
	return &Realtime{a: a}
}

// ServiceLevelsFrom makes the real-time views read each queue's service
// level from levels at every request (the live configuration), instead of
// the map given to MountStats. Call it before the server serves.
func (r *Realtime) ServiceLevelsFrom(levels func() map[string]time.Duration) { r.a.levels = levels }

func (a *statsAPI) serviceLevels() map[string]time.Duration {
	if a.levels != nil {
		return a.levels()
	}
	return a.sl
}

// Realtime is the ACD's present combined with today's statistics, as the
// real-time views give it; the dialects' supervision views show it in their
// own words.
type Realtime struct{ a *statsAPI }

// Table is the handler of GET /api/stats/:table (JSON or CSV), for another
// interface that authenticates its own way (the web interface's session)
// and checks the stats role.
func (r *Realtime) Table(c echo.Context) error { return r.a.table(c) }

// Queues is every queue's present and day so far.
func (r *Realtime) Queues(ctx context.Context) ([]QueueView, error) { return r.a.queues(ctx) }

// Agents is every agent's present and day so far.
func (r *Realtime) Agents(ctx context.Context) ([]AgentView, error) { return r.a.agents(ctx) }

// QueryParams admits only the query parameters a route declares, each once
// and each a text PostgreSQL takes (textcheck). A misspelt parameter would
// otherwise be ignored without a word (to= on a BI function that reads till=
// answered a whole day), and a NUL in a filter failed the read with a 500.
func QueryParams(names ...string) echo.MiddlewareFunc {
	takes := "takes no parameters"
	if len(names) > 0 {
		takes = "takes " + strings.Join(names, ", ")
	}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			// Parsed here rather than by URL.Query, which drops a pair it
			// cannot decode (dnis=%zz) as if it had not been sent.
			q, err := url.ParseQuery(c.Request().URL.RawQuery)
			if err != nil {
				return ccd.Invalid("query", err.Error())
			}
			for _, name := range slices.Sorted(maps.Keys(q)) { // sorted: the same answer every time
				switch {
				case !slices.Contains(names, name):
					return ccd.Invalid(name, "unknown parameter; "+c.Path()+" "+takes)
				case len(q[name]) > 1:
					return ccd.Invalid(name, "is given more than once")
				}
			}
			return next(c)
		}
	}
}

// readerErr turns the store's refusals into 400s naming the field.
func readerErr(err error) error {
	var qe *store.QueryError
	if errors.As(err, &qe) {
		return ccd.Invalid(qe.Field, qe.Message)
	}
	return err
}

func (a *statsAPI) reader() (StatsReader, error) {
	if a.r == nil {
		return nil, &ccd.Error{Code: ccd.EUNAVAILABLE, Message: "statistics are not available"}
	}
	return a.r, nil
}

// parseTime reads RFC 3339, or a local date or date and time in a.loc.
func (a *statsAPI) parseTime(field, v string) (time.Time, error) {
	if t, ok := stats.ParseTime(v, a.loc); ok {
		return t, nil
	}
	return time.Time{}, ccd.Invalid(field, fmt.Sprintf("%q is not a time: want RFC 3339 (2026-03-10T08:00:00+01:00), "+
		"a local date (2026-03-10) or a local date and time (2026-03-10T08:00)", v))
}

// parseRange reads the range [from, to) from the query parameters named
// fromName and toName; to defaults to the same time the next day.
func (a *statsAPI) parseRange(c echo.Context, fromName, toName string) (from, to time.Time, err error) {
	fv := c.QueryParam(fromName)
	if fv == "" {
		return from, to, ccd.Invalid(fromName, "is required")
	}
	if from, err = a.parseTime(fromName, fv); err != nil {
		return from, to, err
	}
	if tv := c.QueryParam(toName); tv != "" {
		if to, err = a.parseTime(toName, tv); err != nil {
			return from, to, err
		}
	} else {
		to = from.In(a.loc).AddDate(0, 0, 1) // a calendar day, 23 or 25 hours across a DST change
	}
	if !to.After(from) {
		return from, to, ccd.Invalid(toName, toName+" must be after "+fromName)
	}
	if to.After(from.In(a.loc).AddDate(0, 0, maxRangeDays)) {
		return from, to, ccd.Invalid(toName, fmt.Sprintf("the range is over %d days; ask for less at a time", maxRangeDays))
	}
	return from, to, nil
}

func parseFormat(c echo.Context) (string, error) {
	switch f := c.QueryParam("format"); f {
	case "", "json":
		return "json", nil
	case "csv":
		return "csv", nil
	default:
		return "", ccd.Invalid("format", fmt.Sprintf("%q: want json or csv", f))
	}
}

func (a *statsAPI) table(c echo.Context) error {
	q := store.StatQuery{Table: c.Param("table"), Queue: c.QueryParam("queue"), Agent: c.QueryParam("agent"),
		DNIS: c.QueryParam("dnis")}
	if err := store.ValidateStatQuery(q); err != nil {
		return readerErr(err)
	}
	var err error
	if q.From, q.To, err = a.parseRange(c, "from", "to"); err != nil {
		return err
	}
	format, err := parseFormat(c)
	if err != nil {
		return err
	}
	if v := c.QueryParam("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			return ccd.Invalid("limit", fmt.Sprintf("%q: want a positive whole number", v))
		}
		q.Limit = n
	}
	r, err := a.reader()
	if err != nil {
		return err
	}
	var out streamer = &csvRows{c: c, file: q.Table + "-" + a.fileDate(q.From), times: timeText{loc: a.loc}}
	if format == "json" {
		out = &jsonRows{c: c, times: timeText{loc: a.loc}, meta: struct {
			Table string `json:"table"`
			From  string `json:"from"`
			To    string `json:"to"`
		}{q.Table, a.ts(q.From), a.ts(q.To)}}
	}
	return a.stream(c, out, func(w store.RowWriter) error { return r.StreamStatRows(c.Request().Context(), q, w) })
}

func (a *statsAPI) bi(c echo.Context) error {
	name := c.Param("function")
	ranged, ok := store.BIFunctionRanged(name)
	if !ok {
		return ccd.Invalid("function", fmt.Sprintf("unknown BI function %q; want agentdata, queuedata, getallqueues or getallqueuesagents", name))
	}
	var from, till time.Time
	if ranged {
		var err error
		if from, till, err = a.parseRange(c, "from", "till"); err != nil {
			return err
		}
	} else {
		for _, p := range []string{"from", "till"} {
			if c.QueryParam(p) != "" {
				return ccd.Invalid(p, name+" takes no range")
			}
		}
	}
	format, err := parseFormat(c)
	if err != nil {
		return err
	}
	r, err := a.reader()
	if err != nil {
		return err
	}
	meta := struct {
		Function string `json:"function"`
		From     string `json:"from,omitempty"`
		Till     string `json:"till,omitempty"`
	}{Function: name}
	file := name
	if ranged {
		meta.From, meta.Till = a.ts(from), a.ts(till)
		file += "-" + a.fileDate(from)
	}
	var out streamer = &csvRows{c: c, file: file, times: timeText{loc: a.loc}}
	if format == "json" {
		out = &jsonRows{c: c, times: timeText{loc: a.loc}, meta: meta}
	}
	return a.stream(c, out, func(w store.RowWriter) error {
		return r.StreamBIFunction(c.Request().Context(), name, from, till, w)
	})
}

func (a *statsAPI) ts(t time.Time) string { return t.In(a.loc).Format(time.RFC3339) }

// fileDate names a CSV file after the start of its range: the day, and the time
// when the range does not start at midnight.
func (a *statsAPI) fileDate(t time.Time) string {
	t = t.In(a.loc)
	if t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 {
		return t.Format("2006-01-02")
	}
	return t.Format("2006-01-02T1504")
}

// startOfDay is local midnight of now's day in the center's zone: "today" of
// the real-time views.
func (a *statsAPI) startOfDay() time.Time {
	n := a.now().In(a.loc)
	return time.Date(n.Year(), n.Month(), n.Day(), 0, 0, 0, 0, a.loc)
}

func (a *statsAPI) liveSource() (LiveSource, error) {
	if a.live == nil {
		return nil, &ccd.Error{Code: ccd.EUNAVAILABLE, Message: "the ACD's live state is not available in this process"}
	}
	return a.live, nil
}

// QueueToday is a queue's day so far.
type QueueToday struct {
	// Offered counts calls routed or transferred to the queue; Inflowed those
	// overflowed into it from another queue, which are not Offered here
	// (Optimus' toolbar reading), so a call is offered in one queue only.
	Offered  int64 `json:"offered"`
	Inflowed int64 `json:"inflowed"`
	Answered int64 `json:"answered"`
	// Abandoned counts every caller who hung up before talking, in the queue
	// or while an agent's phone rang; AbandonedRinging are the latter.
	Abandoned        int64 `json:"abandoned"`
	AbandonedRinging int64 `json:"abandoned_ringing"`
	Overflowed       int64 `json:"overflowed"`
	AnsweredInSL     int64 `json:"answered_in_sl"`
	// ServiceLevelSeconds is the queue's configured service level; null when
	// none is, and then ServiceLevelPercent is null too.
	ServiceLevelSeconds *int64 `json:"service_level_seconds"`
	// ServiceLevelPercent = answered within the service level / (answered +
	// abandoned) * 100: callers who gave up count against it, overflowed ones
	// (handled elsewhere) do not. Null before any call was answered or abandoned.
	ServiceLevelPercent *float64 `json:"service_level_percent"`
	AvgWaitSeconds      float64  `json:"avg_wait_seconds"`    // of answered calls
	AvgAbandonSeconds   float64  `json:"avg_abandon_seconds"` // of abandoned calls
}

// QueueView is a queue's present and its day so far.
type QueueView struct {
	QueueStatusView
	Today QueueToday `json:"today"`
}

// ratio is n/d rounded to a tenth, 0 when d is 0.
func ratio(n, d int64) float64 {
	if d == 0 {
		return 0
	}
	return math.Round(float64(n)/float64(d)*10) / 10
}

// sources are what the real-time views combine: the ACD's present and today's
// statistics.
func (a *statsAPI) sources() (LiveSource, StatsReader, error) {
	live, err := a.liveSource()
	if err != nil {
		return nil, nil, err
	}
	r, err := a.reader()
	if err != nil {
		return nil, nil, err
	}
	return live, r, nil
}

func (a *statsAPI) queues(ctx context.Context) ([]QueueView, error) {
	live, r, err := a.sources()
	if err != nil {
		return nil, err
	}
	qs, err := live.Queues(ctx)
	if err != nil {
		return nil, err
	}
	sl := a.serviceLevels()
	today, err := r.QueueToday(ctx, a.startOfDay(), sl)
	if err != nil {
		return nil, err
	}
	out := make([]QueueView, 0, len(qs))
	for _, q := range qs {
		d := today[q.Code]
		abandoned := d.Abandoned + d.AbdRinging
		t := QueueToday{
			Offered: d.Offered, Inflowed: d.Inflowed, Answered: d.Answered, Abandoned: abandoned, AbandonedRinging: d.AbdRinging,
			Overflowed: d.Overflowed, AnsweredInSL: d.AnsweredInSL,
			AvgWaitSeconds: ratio(d.SumAnswerTime, d.Answered), AvgAbandonSeconds: ratio(d.SumAbdTime, abandoned),
		}
		if sl, ok := sl[q.Code]; ok {
			secs := int64(sl / time.Second)
			t.ServiceLevelSeconds = &secs
			if n := d.Answered + abandoned; n > 0 {
				p := math.Round(float64(d.AnsweredInSL)/float64(n)*1000) / 10
				t.ServiceLevelPercent = &p
			}
		}
		out = append(out, QueueView{QueueStatusView: queueStatus(q), Today: t})
	}
	return out, nil
}

// AgentToday is an agent's day so far.
type AgentToday struct {
	Offered         int64 `json:"offered"`
	Answered        int64 `json:"answered"`
	LoginSeconds    int64 `json:"login_seconds"`
	ReadySeconds    int64 `json:"ready_seconds"`
	NotReadySeconds int64 `json:"not_ready_seconds"`
	ACDTalkSeconds  int64 `json:"acd_talk_seconds"` // on queue calls
	TalkSeconds     int64 `json:"talk_seconds"`     // on every call
}

// AgentView is an agent's present and day so far: its state, the call it
// is on, and (Status) the state in the supervision views' words.
type AgentView struct {
	ID              string `json:"id"`
	Name            string `json:"name"`
	State           string `json:"state"`
	Status          string `json:"status"`
	Activity        string `json:"activity,omitempty"`
	SecondsInStatus int64  `json:"seconds_in_status"`
	Queue           string `json:"queue"`
	Contact         string `json:"contact"`
	CallID          string `json:"call_id,omitempty"`
	// Pending is the change the agent makes when its call ends.
	Pending *ccd.PendingChange `json:"pending,omitempty"`
	Today   AgentToday         `json:"today"`
}

// statusLabel is an agent state in the words of the supervision views
// (OMniLeads'), given beside the state in the real-time agents view.
func statusLabel(st ccd.AgentStatus) string {
	switch st.State {
	case "ready":
		return "READY"
	case "on_call", "on_direct_call":
		return "ONCALL"
	case "ringing":
		return "RINGING"
	case "wrap_up":
		return "PAUSE-ACW"
	case "not_ready":
		if st.Activity != "" {
			return "PAUSE-" + st.Activity
		}
		return "PAUSE"
	case "logged_out":
		return "OFFLINE"
	}
	return strings.ToUpper(st.State)
}

func (a *statsAPI) agents(ctx context.Context) ([]AgentView, error) {
	live, r, err := a.sources()
	if err != nil {
		return nil, err
	}
	agents, err := live.Agents(ctx)
	if err != nil {
		return nil, err
	}
	calls, err := live.Calls(ctx)
	if err != nil {
		return nil, err
	}
	today, err := r.AgentToday(ctx, a.startOfDay())
	if err != nil {
		return nil, err
	}
	// An agent's call: the one its status names, else any call ringing or
	// connected to it.
	byID, byAgent := map[string]*ccd.Call{}, map[string]*ccd.Call{}
	for i := range calls {
		cl := &calls[i]
		byID[cl.ID] = cl
		if cl.Agent != "" && byAgent[cl.Agent] == nil {
			byAgent[cl.Agent] = cl
		}
	}
	now := a.now()
	out := make([]AgentView, 0, len(agents))
	for _, st := range agents {
		v := AgentView{ID: st.ID, Name: st.Name, State: st.State, Status: statusLabel(st), Activity: st.Activity, Pending: st.Pending}
		if !st.Since.IsZero() {
			v.SecondsInStatus = max(int64(now.Sub(st.Since)/time.Second), 0)
		}
		cl := byID[st.CallID]
		if cl == nil || cl.Agent != st.ID {
			cl = byAgent[st.ID]
		}
		if cl != nil {
			v.Queue, v.Contact, v.CallID = cl.Queue, cl.CLID, cl.ID
		}
		d := today[st.ID]
		v.Today = AgentToday{Offered: d.Offered, Answered: d.Answered, LoginSeconds: d.LoginTime,
			ReadySeconds: d.ReadyTime, NotReadySeconds: d.NotReadyTime, ACDTalkSeconds: d.ACDTalkTime, TalkSeconds: d.TalkTime}
		out = append(out, v)
	}
	return out, nil
}

func (a *statsAPI) realtimeQueues(c echo.Context) error {
	qs, err := a.queues(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, qs)
}

func (a *statsAPI) realtimeAgents(c echo.Context) error {
	as, err := a.agents(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, as)
}
