package store

import (
	"context"
	"database/sql/driver"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ccdhq/ccd/internal/textcheck"
	"github.com/ccdhq/ccd/stats"
	"github.com/lib/pq"
)

// QueryError is a request the statistics readers refuse because of one of its
// fields; the API answers it with 400 naming Field.
type QueryError struct {
	Field   string
	Message string
}

func (e *QueryError) Error() string { return e.Field + ": " + e.Message }

// CallsStat is the name of the per-call table, which StatRows reads beside the
// quarter-hour tables of stats.Tables.
const CallsStat = "callsstat"

// StatQuery selects rows of one stat table: those whose interval starts (for
// callsstat: whose call was offered) in [From, To), optionally narrowed to a
// queue, an agent or a DNIS given by ccd's names. Limit > 0 caps the rows.
type StatQuery struct {
	Table    string
	From, To time.Time
	Queue    string // a queue code
	Agent    string // an agent id
	DNIS     string // a DNIS number
	Limit    int
}

// statTable is what StatRows needs to know of a table.
type statTable struct {
	keys            []string // ORDER BY after the time column
	timeCol         string
	user, device    bool // has usercode; has devicecode and devicetype of queues and DNIS
	extension, acty bool // has extension; has activitycode
}

func lookupStatTable(name string) (statTable, bool) {
	if name == CallsStat {
		return statTable{keys: []string{"callid"}, timeCol: "offeredts"}, true
	}
	id, ok := stats.TableByName(name)
	if !ok {
		return statTable{}, false
	}
	t := &stats.Tables[id]
	has := func(k string) bool { return slices.Contains(t.Keys, k) }
	return statTable{
		keys: t.Keys, timeCol: "thedate",
		user: has(stats.KeyUser), acty: has(stats.KeyActivity),
		// RouterStat's extension is its flow's code, named as the device.
		extension: has(stats.KeyExtension) && id != stats.RouterStat,
		// RouterStat has devices too, but routers and blocks (types 11, 12):
		// a queue or DNIS filter would always give nothing there.
		device: has(stats.KeyDevice) && id != stats.RouterStat,
	}, true
}

// StatTableNames lists the tables StatRows reads, for messages and docs.
func StatTableNames() []string {
	var out []string
	for _, t := range stats.Tables {
		out = append(out, t.Name)
	}
	return append(out, CallsStat)
}

// ValidateStatQuery checks the table, that each filter given applies to it and
// the limit, but not the range; StatRows calls it, and the API calls it first
// so that a bad request is a 400 whatever reader serves it.
func ValidateStatQuery(q StatQuery) error {
	t, ok := lookupStatTable(q.Table)
	if !ok {
		return &QueryError{Field: "table", Message: fmt.Sprintf("unknown table %q; want one of %s",
			q.Table, strings.Join(StatTableNames(), ", "))}
	}
	// PostgreSQL refuses these as parameters and the read would fail as a
	// whole; they can match nothing anyway.
	for _, f := range [][2]string{{"queue", q.Queue}, {"agent", q.Agent}, {"dnis", q.DNIS}} {
		if p := textcheck.Problem(f[1]); p != "" {
			return &QueryError{Field: f[0], Message: p}
		}
	}
	calls := q.Table == CallsStat
	if q.Queue != "" && !t.device && !calls {
		return &QueryError{Field: "queue", Message: "table " + q.Table + " has no queues"}
	}
	if q.DNIS != "" && !t.device && !calls {
		return &QueryError{Field: "dnis", Message: "table " + q.Table + " has no DNIS"}
	}
	if q.Agent != "" && !t.user && !calls {
		return &QueryError{Field: "agent", Message: "table " + q.Table + " has no agents"}
	}
	if q.Limit < 0 {
		return &QueryError{Field: "limit", Message: "must be positive"}
	}
	return nil
}

// StatRows reads the rows of q.Table in q's range as plain values (see Rows).
func (db *DB) StatRows(ctx context.Context, q StatQuery) ([]string, [][]any, error) {
	var r Rows
	if err := db.StreamStatRows(ctx, q, &r); err != nil {
		return nil, nil, err
	}
	return r.Names, r.Values, nil
}

// StreamStatRows reads the rows of q.Table in q's range into w, in the order
// of the time column and the table's keys: every column of the table followed
// by the names stat.code gives the codes (agent for usercode, device for
// devicecode, extension_number, activity; for callsstat agent_id,
// dnis_number, initial_queue_code, handled_on_queue_code, router_flow; in
// routerstat device and block).
func (db *DB) StreamStatRows(ctx context.Context, q StatQuery, w RowWriter) error {
	if err := ValidateStatQuery(q); err != nil {
		return err
	}
	cols, err := db.statColumns(ctx, q.Table)
	if err != nil {
		return err
	}
	query, kinds, args, add, err := statQuery(q, cols)
	if err != nil {
		return err
	}
	named := &namedRows{w: w, add: add}
	// The rows are wanted in the order of the primary key, which an index
	// scan gives for free; the tables are written in time order, so its page
	// reads are nearly sequential. The planner's estimates put a bitmap scan
	// or a parallel sequential scan, each followed by a sort of the wide rows,
	// close to it, and which one wins changes with every ANALYZE: twice the
	// time for a day when they do, and a sort that spills to disk for a month.
	return db.rawQuery(ctx, []string{
		`SET LOCAL enable_bitmapscan = off`,
		`SET LOCAL max_parallel_workers_per_gather = 0`,
	}, func(dq driver.QueryerContext) (err error) {
		if err := knownFilterNames(ctx, dq, q); err != nil {
			return err
		}
		named.names, err = db.codeNames.load(ctx, dq, named.kinds())
		return err
	}, query, args, func(rows driver.Rows) error { return readDriverRows(rows, kinds, named) })
}

// knownFilterNames refuses a queue or agent filter that stat.code has no code
// for. ccd gives every configured queue and agent a code at start
// (SyncStatDimensions) and every other name when it first writes a row for
// it, and never takes one back: so a queue or agent no longer configured
// still reads its history, and a name without a code is a mistake (a typo, a
// wrong id) the caller hears of instead of an empty answer. A DNIS is not
// checked: it is whatever number callers dialled, known only once one did.
func knownFilterNames(ctx context.Context, q driver.QueryerContext, sq StatQuery) error {
	for _, f := range []struct{ field, kind, name string }{{"queue", CodeQueue, sq.Queue}, {"agent", CodeAgent, sq.Agent}} {
		if f.name == "" {
			continue
		}
		found := false
		if err := driverRows(ctx, q, `SELECT 1 FROM stat.code WHERE kind = $1 AND name = $2`,
			func([]driver.Value) error { found = true; return nil }, f.kind, f.name); err != nil {
			return err
		}
		if !found {
			return &QueryError{Field: f.field, Message: fmt.Sprintf("no %s %q", f.kind, f.name)}
		}
	}
	return nil
}

// tableColumn is a column of a stat table as the catalog gives it.
type tableColumn struct {
	Name string `db:"attname"`
	Type string `db:"typname"`
}

// statColumns lists the columns of stat.table in their order, from the
// catalog the first time and from memory after that: migrations run before
// ccd serves, so a table does not change under a running ccd.
func (db *DB) statColumns(ctx context.Context, table string) ([]tableColumn, error) {
	if c, ok := db.statCols.Load(table); ok {
		return c.([]tableColumn), nil
	}
	var cols []tableColumn
	if err := db.SelectContext(ctx, &cols, `SELECT a.attname, t.typname
		FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
		WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped
		ORDER BY a.attnum`, "stat."+table); err != nil {
		return nil, fmt.Errorf("store: stats: columns of %s: %w", table, err)
	}
	db.statCols.Store(table, cols)
	return cols, nil
}

// selectColumn is how a read asks for the value expr: as the driver hands it
// over cheapest, with the kind readDriverRows then gives it. A day of
// AgentStat is 700,000 values; lib/pq parses the text of every time and
// copies every text into a new string, which cost more than the query.
// Times come instead as microseconds since 1970 in a bigint and texts as
// bytea, both of which it passes through in binary. (A time of ±infinity
// would fail the read; ccd writes only the times of events.)
func selectColumn(expr, typ, as string) (string, ValueKind) {
	switch typ {
	case "timestamptz":
		return "(date_part('epoch', " + expr + ") * 1e6)::int8 AS " + as, Time
	case "varchar", "text":
		return "textsend(" + expr + ") AS " + as, Text
	}
	return expr + " AS " + as, kindOf(strings.ToUpper(typ))
}

// statQuery is the SELECT of StreamStatRows over the table's columns cols,
// with the kinds of its columns and the name columns to add to its rows.
func statQuery(q StatQuery, cols []tableColumn) (string, []ValueKind, []any, []codeName, error) {
	if !q.To.After(q.From) {
		return "", nil, nil, nil, &QueryError{Field: "to", Message: "to must be after from"}
	}
	t, _ := lookupStatTable(q.Table)
	args := []any{q.From, q.To}
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	var sel, where []string
	var kinds []ValueKind
	index := map[string]int{}
	for i, c := range cols {
		s, k := selectColumn("t."+pq.QuoteIdentifier(c.Name), c.Type, pq.QuoteIdentifier(c.Name))
		sel, kinds = append(sel, s), append(kinds, k)
		index[c.Name] = i
	}
	var add []codeName
	name := func(kind, col, as string) {
		add = append(add, codeName{as: as, col: index[col], kind: kind, typeCol: index[stats.KeyDeviceType]})
	}
	// codeOf is the code of a name, NULL (matching nothing) when ccd never gave it one.
	codeOf := func(kind, name string) string {
		return "(SELECT code FROM stat.code WHERE kind = '" + kind + "' AND name = " + arg(name) + ")"
	}
	where = append(where, "t."+t.timeCol+" >= $1", "t."+t.timeCol+" < $2")
	if q.Table == CallsStat {
		name(CodeAgent, "agent", "agent_id")
		name(CodeDNIS, "dnis", "dnis_number")
		name(CodeQueue, "initialqueue", "initial_queue_code")
		name(CodeQueue, "handledonqueue", "handled_on_queue_code")
		name(CodeRouter, "router", "router_flow")
		if q.Queue != "" {
			c := codeOf(CodeQueue, q.Queue)
			where = append(where, "(t.handledonqueue = "+c+" OR t.initialqueue = "+c+")")
		}
		if q.Agent != "" {
			where = append(where, "t.agent = "+codeOf(CodeAgent, q.Agent))
		}
		if q.DNIS != "" {
			where = append(where, "t.dnis = "+codeOf(CodeDNIS, q.DNIS))
		}
	} else {
		if t.user {
			name(CodeAgent, stats.KeyUser, "agent")
		}
		if slices.Contains(t.keys, stats.KeyDevice) {
			name("", stats.KeyDevice, "device") // of the kind its devicetype says
		}
		if t.extension {
			name(CodeExtension, stats.KeyExtension, "extension_number")
		}
		if t.acty {
			name(CodeActivity, stats.KeyActivity, "activity")
		}
		if slices.Contains(t.keys, stats.KeyBlockID) {
			name(CodeBlock, stats.KeyBlockID, "block") // "flow/node"; NULL on a flow's row (-1)
		}
		if q.Queue != "" {
			where = append(where, fmt.Sprintf("t.devicetype = %d AND t.devicecode = %s", stats.DevQueue, codeOf(CodeQueue, q.Queue)))
		}
		if q.DNIS != "" {
			where = append(where, fmt.Sprintf("t.devicetype = %d AND t.devicecode = %s", stats.DevDNIS, codeOf(CodeDNIS, q.DNIS)))
		}
		if q.Agent != "" {
			where = append(where, "t.usercode = "+codeOf(CodeAgent, q.Agent))
		}
	}
	order := []string{"t." + t.timeCol}
	for _, k := range t.keys {
		order = append(order, "t."+k)
	}
	// Table and column names come from lookupStatTable's whitelist; every
	// value the caller gave is a parameter.
	query := fmt.Sprintf("SELECT %s FROM stat.%s t WHERE %s ORDER BY %s",
		strings.Join(sel, ", "), q.Table, strings.Join(where, " AND "), strings.Join(order, ", "))
	if q.Limit > 0 {
		query += " LIMIT " + arg(q.Limit)
	}
	return query, kinds, args, add, nil
}

// biFunctions are the BI functions of migration 0003 BIFunction runs, with
// whether they take a range, and the order of their rows.
var biFunctions = map[string]struct {
	ranged bool
	order  string
}{
	"agentdata":          {true, "theday, queuecode, usercode"},
	"queuedata":          {true, "theday, queuecode"},
	"getallqueues":       {false, "code"},
	"getallqueuesagents": {false, "queuecode, usercode"},
}

// BIFunctionRanged says whether the BI function name takes a range (from,
// till); ok is false for a name that is not one.
func BIFunctionRanged(name string) (ranged, ok bool) {
	f, ok := biFunctions[name]
	return f.ranged, ok
}

// BIFunction runs one of the BI functions as plain values (see Rows).
func (db *DB) BIFunction(ctx context.Context, name string, from, till time.Time) ([]string, [][]any, error) {
	var r Rows
	if err := db.StreamBIFunction(ctx, name, from, till, &r); err != nil {
		return nil, nil, err
	}
	return r.Names, r.Values, nil
}

// StreamBIFunction runs one of the BI functions (bi.agentdata, bi.queuedata
// over [from, till); bi.getallqueues, bi.getallqueuesagents without
// arguments) into w.
func (db *DB) StreamBIFunction(ctx context.Context, name string, from, till time.Time, w RowWriter) error {
	f, ok := biFunctions[name]
	if !ok {
		return &QueryError{Field: "function", Message: fmt.Sprintf("unknown BI function %q", name)}
	}
	if !f.ranged {
		return db.streamRows(ctx, w, nil, "SELECT * FROM bi."+name+"() ORDER BY "+f.order)
	}
	if !till.After(from) {
		return &QueryError{Field: "till", Message: "till must be after from"}
	}
	return db.streamRows(ctx, w, nil, "SELECT * FROM bi."+name+"($1, $2) ORDER BY "+f.order, from, till)
}

// QueueDay is a queue's figures since a moment (today, for supervision), from
// stat.devicestat and stat.devicetimes.
type QueueDay struct {
	Offered       int64 // routed or transferred here
	Inflowed      int64 // overflowed here from another queue (not in Offered)
	Answered      int64
	Abandoned     int64 // in the queue (devicestat.abandoned); AbdRinging are the others
	AbdRinging    int64 // while an agent's phone rang
	Overflowed    int64 // by time, queue position or no agents
	SumAnswerTime int64 // seconds callers waited before an answer
	SumAbdTime    int64 // seconds callers waited before abandoning, in the queue or ringing
	// AnsweredInSL counts answers after a wait within the queue's service level.
	// DeviceTimes frames are two seconds wide and named by their upper bound,
	// so an odd service level counts as the even one below it.
	AnsweredInSL int64
}

// QueueToday sums each queue's figures (by queue code) over the quarter-hours
// starting at or after since. serviceLevel gives the queues' service levels;
// a queue without one has AnsweredInSL 0.
func (db *DB) QueueToday(ctx context.Context, since time.Time, serviceLevel map[string]time.Duration) (map[string]QueueDay, error) {
	out := map[string]QueueDay{}
	rows, err := db.QueryContext(ctx, `SELECT c.name, sum(d.offered), sum(d.inflowed), sum(d.answered), sum(d.abandoned), sum(d.abdringing),
			sum(d.overflowedqueue + d.overflowedtime + d.overflowedlogin), sum(d.sumanswertime), sum(d.sumabdtime)
		FROM stat.devicestat d JOIN stat.code c ON c.kind = 'queue' AND c.code = d.devicecode
		WHERE d.devicetype = $1 AND d.thedate >= $2
		GROUP BY c.name`, stats.DevQueue, since)
	if err != nil {
		return nil, fmt.Errorf("store: queue today: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		var d QueueDay
		if err := rows.Scan(&name, &d.Offered, &d.Inflowed, &d.Answered, &d.Abandoned, &d.AbdRinging, &d.Overflowed,
			&d.SumAnswerTime, &d.SumAbdTime); err != nil {
			return nil, fmt.Errorf("store: queue today: %w", err)
		}
		out[name] = d
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: queue today: %w", err)
	}
	rows.Close()
	if len(serviceLevel) == 0 {
		return out, nil
	}
	var names []string
	var secs []int64
	for n, sl := range serviceLevel {
		names, secs = append(names, n), append(secs, int64(sl/time.Second))
	}
	rows, err = db.QueryContext(ctx, `SELECT c.name, sum(t.amount)
		FROM unnest($1::text[], $2::bigint[]) AS sl(name, secs)
		JOIN stat.code c ON c.kind = 'queue' AND c.name = sl.name
		JOIN stat.devicetimes t ON t.devicecode = c.code AND t.devicetype = $3 AND t.timetype = $4
			AND t.timeframe <= sl.secs AND t.thedate >= $5
		GROUP BY c.name`, pq.Array(names), pq.Array(secs), stats.DevQueue, stats.TTQueueAnswerWait, since)
	if err != nil {
		return nil, fmt.Errorf("store: queue today: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		var n int64
		if err := rows.Scan(&name, &n); err != nil {
			return nil, fmt.Errorf("store: queue today: %w", err)
		}
		d := out[name]
		d.AnsweredInSL = n
		out[name] = d
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: queue today: %w", err)
	}
	return out, nil
}

// AgentDay is an agent's figures since a moment, from stat.agentstat. Times
// are seconds.
type AgentDay struct {
	Offered      int64
	Answered     int64
	LoginTime    int64
	ReadyTime    int64
	NotReadyTime int64
	ACDTalkTime  int64 // on queue calls
	TalkTime     int64 // on every call: queue calls, direct calls in and out
}

// AgentToday sums each agent's figures (by agent id) over the quarter-hours
// starting at or after since.
func (db *DB) AgentToday(ctx context.Context, since time.Time) (map[string]AgentDay, error) {
	rows, err := db.QueryContext(ctx, `SELECT c.name, sum(a.acdoffered), sum(a.acdanswered), sum(a.logintime),
			sum(a.readytime), sum(a.notreadytime), sum(a.sumacdcallstalktime),
			sum(a.sumacdcallstalktime + a.suminintcallstalktime + a.suminextcallstalktime
				+ a.sumoutintcallstalktime + a.sumoutextcallstalktime)
		FROM stat.agentstat a JOIN stat.code c ON c.kind = 'agent' AND c.code = a.usercode
		WHERE a.thedate >= $1
		GROUP BY c.name`, since)
	if err != nil {
		return nil, fmt.Errorf("store: agent today: %w", err)
	}
	defer rows.Close()
	out := map[string]AgentDay{}
	for rows.Next() {
		var name string
		var d AgentDay
		if err := rows.Scan(&name, &d.Offered, &d.Answered, &d.LoginTime, &d.ReadyTime, &d.NotReadyTime,
			&d.ACDTalkTime, &d.TalkTime); err != nil {
			return nil, fmt.Errorf("store: agent today: %w", err)
		}
		out[name] = d
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: agent today: %w", err)
	}
	return out, nil
}
