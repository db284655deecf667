package store_test

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ccdhq/ccd/internal/pgtest"
	"github.com/ccdhq/ccd/stats"
	"github.com/ccdhq/ccd/store"
)

// statDay is the day the fixture's rows fall on (UTC, so labels are simple).
var statDay = time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)

// insStat inserts a quarter-hour row of table starting at `at`, with the
// labels the aggregator would give it in UTC.
func insStat(t *testing.T, db *store.DB, table string, at time.Time, vals map[string]any) {
	t.Helper()
	l := stats.Clock{Loc: time.UTC}.Labels(at.Unix())
	cols := []string{"calcts", "thedate", "themonth", "theweek", "theday", "thehour"}
	args := []any{at, l.Date, l.Month, l.Week, l.Day, l.Hour}
	names := make([]string, 0, len(vals))
	for k := range vals {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		cols, args = append(cols, k), append(args, vals[k])
	}
	ph := make([]string, len(args))
	for i := range ph {
		ph[i] = fmt.Sprintf("$%d", i+1)
	}
	if _, err := db.Exec(fmt.Sprintf("INSERT INTO stat.%s (%s) VALUES (%s)", table, strings.Join(cols, ", "),
		strings.Join(ph, ", ")), args...); err != nil {
		t.Fatalf("insert %s: %v", table, err)
	}
}

// code allocates (or finds) the stat.code of a name, with a description.
func code(t *testing.T, db *store.DB, kind, name, desc string) int {
	t.Helper()
	var c int
	if err := db.QueryRow(`SELECT stat.code_of($1, $2)`, kind, name).Scan(&c); err != nil {
		t.Fatal(err)
	}
	if desc != "" {
		if _, err := db.Exec(`UPDATE stat.code SET description = $3 WHERE kind = $1 AND name = $2`, kind, name, desc); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

type fixture struct {
	sales, support, alice, bob, dnis, ext, noAnswer, lunch, busy, unavail int
}

// statFixture fills the stat tables with a small day; the expected figures of
// the tests below are computed by hand from it.
func statFixture(t *testing.T, db *store.DB) fixture {
	t.Helper()
	f := fixture{
		sales:    code(t, db, "queue", "sales", "Sales Line"),
		support:  code(t, db, "queue", "support", ""),
		alice:    code(t, db, "agent", "1001", "Alice Van Dyke"),
		bob:      code(t, db, "agent", "1002", ""),
		dnis:     code(t, db, "dnis", "5550100", ""),
		ext:      code(t, db, "extension", "201", ""),
		noAnswer: code(t, db, "activity", "no_answer", ""),
		lunch:    code(t, db, "activity", "lunch", ""),
		busy:     code(t, db, "activity", "busy", ""),
		unavail:  code(t, db, "activity", "unavailable", ""),
	}
	h10, h1015 := statDay.Add(10*time.Hour), statDay.Add(10*time.Hour+15*time.Minute)
	before, after := statDay.Add(-15*time.Minute), statDay.AddDate(0, 0, 1)

	ab := func(at time.Time, user, dev, typ int, v map[string]any) {
		v["usercode"], v["devicecode"], v["devicetype"] = user, dev, typ
		insStat(t, db, "agentbydevicestat", at, v)
	}
	ab(h10, f.alice, f.sales, 3, map[string]any{"acdoffered": 3, "acdanswered": 2, "acdrecalled": 1, "sumacdtalktime": 100})
	ab(h1015, f.alice, f.sales, 3, map[string]any{"acdoffered": 1, "acdanswered": 1, "sumacdtalktime": 50})
	ab(h10, f.alice, f.dnis, 2, map[string]any{"acdoffered": 3, "acdanswered": 2})
	ab(h10, f.bob, f.support, 3, map[string]any{"acdoffered": 2, "acdrecalled": 2})
	ab(after, f.alice, f.sales, 3, map[string]any{"acdoffered": 5, "acdanswered": 5})
	ab(before, f.alice, f.sales, 3, map[string]any{"acdoffered": 50})

	as := func(at time.Time, user int, v map[string]any) {
		v["usercode"] = user
		insStat(t, db, "agentstat", at, v)
	}
	as(h10, f.alice, map[string]any{"logintime": 900, "readytime": 600, "notreadytime": 300, "idletime": 200,
		"extdialed": 2, "acdoffered": 4, "acdanswered": 3, "sumacdcallstalktime": 150, "suminextcallstalktime": 60})
	as(h1015, f.alice, map[string]any{"logintime": 900, "readytime": 900, "idletime": 400, "extdialed": 1})
	as(h10, f.bob, map[string]any{"logintime": 900, "notreadytime": 900})
	as(before, f.alice, map[string]any{"logintime": 900})

	act := func(at time.Time, user, a, secs int) {
		insStat(t, db, "agentactivitystat", at, map[string]any{"usercode": user, "activitycode": a, "activitytime": secs})
	}
	act(h10, f.alice, f.noAnswer, 120)
	act(h10, f.alice, f.lunch, 180)
	act(h10, f.bob, f.busy, 60)
	act(h1015, f.bob, f.unavail, 30)

	ds := func(at time.Time, dev, typ int, v map[string]any) {
		v["devicecode"], v["devicetype"] = dev, typ
		insStat(t, db, "devicestat", at, v)
	}
	ds(h10, f.sales, 3, map[string]any{"offered": 5, "answered": 3, "abandoned": 1, "abdringing": 1, "overflowedtime": 1,
		"sumanswertime": 30, "sumabdtime": 20, "sumtalktime": 150})
	ds(h1015, f.sales, 3, map[string]any{"offered": 1, "answered": 1, "sumanswertime": 4, "sumtalktime": 50,
		"overflowedqueue": 1, "overflowedlogin": 1})
	ds(h10, f.support, 3, map[string]any{"offered": 2, "abandoned": 2, "sumabdtime": 40})
	// Two calls overflowed into support and answered there: Inflowed, not Offered.
	ds(h1015, f.support, 3, map[string]any{"inflowed": 2, "answered": 2, "sumanswertime": 10, "sumtalktime": 80})
	ds(h10, f.dnis, 2, map[string]any{"offered": 7})
	ds(after, f.sales, 3, map[string]any{"offered": 9})
	ds(before, f.sales, 3, map[string]any{"offered": 100, "answered": 100})

	dt := func(at time.Time, tt, frame, amount int) {
		insStat(t, db, "devicetimes", at, map[string]any{"devicecode": f.sales, "devicetype": 3, "timetype": tt,
			"timeframe": frame, "amount": amount})
	}
	dt(h10, stats.TTQueueAnswerWait, 2, 1)
	dt(h10, stats.TTQueueAnswerWait, 10, 1)
	dt(h10, stats.TTQueueAnswerWait, 22, 1)
	dt(h1015, stats.TTQueueAnswerWait, 20, 1)
	dt(h10, stats.TTQueueAbandonWait, 2, 5)
	dt(before, stats.TTQueueAnswerWait, 2, 100)

	insStat(t, db, "extensionstat", h10, map[string]any{"extension": f.ext, "extdialed": 4})

	if _, err := db.Exec(`INSERT INTO stat.queueagent VALUES ($1, $2), ($3, $4)`, f.sales, f.alice, f.support, f.bob); err != nil {
		t.Fatal(err)
	}
	call := func(id int64, offered time.Time, dnis, initial, handled, agent any, rec string) {
		_, err := db.Exec(`INSERT INTO stat.callsstat (callid, calltype, dnis, clid, offeredts, initialqueue,
			handledonqueue, agent, endtype, recording, lastts) VALUES ($1, 1, $2, '0611, "x"', $3, $4, $5, $6, 101, $7, $3)`,
			id, dnis, offered, initial, handled, agent, rec)
		if err != nil {
			t.Fatal(err)
		}
	}
	call(1, h10.Add(time.Minute), f.dnis, f.sales, f.support, f.bob, "/rec/1.wav")
	call(2, h10.Add(5*time.Minute), nil, f.support, f.support, f.alice, "")
	call(3, after, nil, f.sales, nil, nil, "/rec/3.wav")
	return f
}

func col(t *testing.T, cols []string, name string) int {
	t.Helper()
	for i, c := range cols {
		if c == name {
			return i
		}
	}
	t.Fatalf("no column %q in %v", name, cols)
	return -1
}

func TestStatRows(t *testing.T) {
	db := pgtest.NewDB(t)
	ctx := ctxT(t)
	f := statFixture(t, db)
	day := store.StatQuery{From: statDay, To: statDay.AddDate(0, 0, 1)}

	q := day
	q.Table = "agentbydevicestat"
	cols, rows, err := db.StatRows(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	// Every column of the table, then the names.
	if cols[0] != "calcts" || cols[len(cols)-2] != "agent" || cols[len(cols)-1] != "device" {
		t.Fatalf("columns %v", cols)
	}
	type abRow struct {
		hour, agent, device string
		offered             int64
	}
	var got []abRow
	for _, r := range rows {
		got = append(got, abRow{r[col(t, cols, "thehour")].(string) + "/" + r[col(t, cols, "thedate")].(time.Time).UTC().Format("15:04"),
			r[col(t, cols, "agent")].(string), r[col(t, cols, "device")].(string), r[col(t, cols, "acdoffered")].(int64)})
	}
	// Ordered by thedate, usercode, devicecode (sales < the DNIS's code 5550100).
	want := []abRow{{"10:00/10:00", "1001", "sales", 3}, {"10:00/10:00", "1001", "5550100", 3},
		{"10:00/10:00", "1002", "support", 2}, {"10:00/10:15", "1001", "sales", 1}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("agentbydevicestat rows\n got %v\nwant %v", got, want)
	}
	if v := rows[0][col(t, cols, "minringtime")]; v != nil {
		t.Fatalf("NULL minringtime read as %#v", v)
	}

	count := func(q store.StatQuery) int {
		t.Helper()
		_, rows, err := db.StatRows(ctx, q)
		if err != nil {
			t.Fatalf("%+v: %v", q, err)
		}
		return len(rows)
	}
	for _, c := range []struct {
		table, queue, agent, dnis string
		from, to                  time.Time
		limit, want               int
	}{
		{table: "agentbydevicestat", queue: "sales", want: 2},
		{table: "agentbydevicestat", dnis: "5550100", want: 1},
		{table: "agentbydevicestat", agent: "1002", want: 1},
		{table: "agentbydevicestat", queue: "sales", agent: "1002", want: 0},
		{table: "agentbydevicestat", limit: 1, want: 1},
		{table: "agentbydevicestat", from: statDay.Add(10*time.Hour + 15*time.Minute), to: statDay.Add(10*time.Hour + 30*time.Minute), want: 1},
		// [from, to): the row at 10:15 is out of [10:00, 10:15), the row at to (next day 00:00) out of the day.
		{table: "agentbydevicestat", from: statDay.Add(10 * time.Hour), to: statDay.Add(10*time.Hour + 15*time.Minute), want: 3},
		{table: "devicestat", queue: "sales", want: 2},
		{table: "devicestat", dnis: "5550100", want: 1},
		{table: "devicetimes", queue: "sales", want: 5},
		{table: "agentstat", agent: "1001", want: 2},
		{table: "agentactivitystat", agent: "1002", want: 2},
		{table: "callsstat", want: 2},
		{table: "callsstat", queue: "sales", want: 1},
		{table: "callsstat", queue: "support", want: 2},
		{table: "callsstat", agent: "1001", want: 1},
		{table: "callsstat", dnis: "5550100", want: 1},
		{table: "callsstat", from: statDay, to: statDay.AddDate(0, 0, 2), want: 3},
	} {
		q := store.StatQuery{Table: c.table, Queue: c.queue, Agent: c.agent, DNIS: c.dnis, From: c.from, To: c.to, Limit: c.limit}
		if q.From.IsZero() {
			q.From, q.To = day.From, day.To
		}
		if n := count(q); n != c.want {
			t.Errorf("%+v: %d rows, want %d", c, n, c.want)
		}
	}

	// Name resolution of the other key columns.
	q = day
	q.Table = "agentactivitystat"
	cols, rows, err = db.StatRows(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	var acts []string
	for _, r := range rows {
		acts = append(acts, r[col(t, cols, "agent")].(string)+":"+r[col(t, cols, "activity")].(string))
	}
	sort.Strings(acts)
	if want := []string{"1001:lunch", "1001:no_answer", "1002:busy", "1002:unavailable"}; !reflect.DeepEqual(acts, want) {
		t.Fatalf("activities %v, want %v", acts, want)
	}
	q.Table = "extensionstat"
	cols, rows, err = db.StatRows(ctx, q)
	if err != nil || len(rows) != 1 || rows[0][col(t, cols, "extension_number")] != "201" || rows[0][col(t, cols, "extension")] != int64(f.ext) {
		t.Fatalf("extensionstat: %v %v %v", cols, rows, err)
	}

	q.Table = "callsstat"
	cols, rows, err = db.StatRows(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	r := rows[0]
	if r[col(t, cols, "callid")] != int64(1) || r[col(t, cols, "agent_id")] != "1002" || r[col(t, cols, "dnis_number")] != "5550100" ||
		r[col(t, cols, "initial_queue_code")] != "sales" || r[col(t, cols, "handled_on_queue_code")] != "support" ||
		!r[col(t, cols, "offeredts")].(time.Time).Equal(statDay.Add(10*time.Hour+time.Minute)) || r[col(t, cols, "answeredts")] != nil {
		t.Fatalf("callsstat row 1: %v\n%v", cols, r)
	}
	if r := rows[1]; r[col(t, cols, "callid")] != int64(2) || r[col(t, cols, "dnis_number")] != nil || r[col(t, cols, "agent_id")] != "1001" {
		t.Fatalf("callsstat row 2: %v", r)
	}

	// Names are kept between reads: a code given since the last read must
	// still have its name, and the empty name (code 0, "no activity") is
	// text, not NULL.
	carol := code(t, db, "agent", "carol", "")
	none := code(t, db, "activity", "", "")
	insStat(t, db, "agentactivitystat", statDay.Add(11*time.Hour), map[string]any{"usercode": carol, "activitycode": none, "activitytime": 60})
	q = day
	q.Table, q.Agent = "agentactivitystat", "carol"
	cols, rows, err = db.StatRows(ctx, q)
	if err != nil || len(rows) != 1 || rows[0][col(t, cols, "agent")] != "carol" || rows[0][col(t, cols, "activity")] != "" {
		t.Fatalf("agentactivitystat of a new agent: %v %v %v", cols, rows, err)
	}
}

func TestStatRowsRefuses(t *testing.T) {
	db := pgtest.NewDB(t)
	ctx := ctxT(t)
	day := store.StatQuery{From: statDay, To: statDay.AddDate(0, 0, 1)}
	for _, c := range []struct {
		q     store.StatQuery
		field string
	}{
		{store.StatQuery{Table: "call_event"}, "table"},
		{store.StatQuery{Table: "agentstat; DROP TABLE x"}, "table"},
		{store.StatQuery{Table: "agentstat", Queue: "sales"}, "queue"},
		{store.StatQuery{Table: "agentstat", DNIS: "1"}, "dnis"},
		{store.StatQuery{Table: "devicestat", Agent: "1001"}, "agent"},
		{store.StatQuery{Table: "extensionstat", DNIS: "1"}, "dnis"},
		{store.StatQuery{Table: "routerstat", Queue: "sales"}, "queue"},
		{store.StatQuery{Table: "agentstat", Limit: -1}, "limit"},
		{store.StatQuery{Table: "agentstat", From: statDay, To: statDay}, "to"},
	} {
		q := c.q
		if q.From.IsZero() {
			q.From, q.To = day.From, day.To
		}
		_, _, err := db.StatRows(ctx, q)
		var qe *store.QueryError
		if !errors.As(err, &qe) || qe.Field != c.field {
			t.Errorf("%+v: error %v, want a QueryError on %s", c.q, err, c.field)
		}
	}
	if _, _, err := db.BIFunction(ctx, "dialertargetsdata", statDay, statDay); err == nil {
		t.Fatal("unknown BI function accepted")
	}
}

// A queue or agent filter must name one ccd knows: configured now or found in
// the statistics' history. A DNIS is whatever callers dialled.
func TestStatRowsFilterNames(t *testing.T) {
	db := pgtest.NewDB(t)
	ctx := ctxT(t)
	statFixture(t, db)
	// The configuration has a queue and an agent without history, and no
	// longer has sales, support, 1001 or 1002, whose rows are history.
	if err := db.SyncStatDimensions(ctx, store.StatDimensions{Queues: map[string]string{"new": "New Line"},
		Agents: map[string]string{"2001": "Zoe"}}); err != nil {
		t.Fatal(err)
	}
	day := store.StatQuery{From: statDay, To: statDay.AddDate(0, 0, 1)}
	for _, c := range []struct {
		table, queue, agent, dnis string
		rows                      int
		field, msg                string
	}{
		{table: "devicestat", queue: "sales", rows: 2},
		{table: "callsstat", agent: "1001", rows: 1},
		{table: "agentstat", agent: "1002", rows: 1},
		{table: "devicestat", queue: "new"},
		{table: "agentstat", agent: "2001"},
		{table: "callsstat", dnis: "5559999"},
		{table: "devicestat", queue: "nope", field: "queue", msg: `no queue "nope"`},
		{table: "callsstat", queue: "Sales", field: "queue", msg: `no queue "Sales"`},
		{table: "agentbydevicestat", queue: "sales", agent: "9999", field: "agent", msg: `no agent "9999"`},
		{table: "callsstat", agent: "sales", field: "agent", msg: `no agent "sales"`},
		{table: "devicestat", queue: "x\x00y", field: "queue", msg: "NUL"},
		{table: "callsstat", agent: "\xff\xfe", field: "agent", msg: "UTF-8"},
		{table: "callsstat", dnis: "\xc3\x28", field: "dnis", msg: "UTF-8"},
	} {
		q := store.StatQuery{Table: c.table, Queue: c.queue, Agent: c.agent, DNIS: c.dnis, From: day.From, To: day.To}
		_, rows, err := db.StatRows(ctx, q)
		var qe *store.QueryError
		switch {
		case c.field == "" && (err != nil || len(rows) != c.rows):
			t.Errorf("%+v: %d rows, %v; want %d rows", c, len(rows), err, c.rows)
		case c.field != "" && (!errors.As(err, &qe) || qe.Field != c.field || !strings.Contains(qe.Message, c.msg)):
			t.Errorf("%+v: %v; want a QueryError on %s saying %s", c, err, c.field, c.msg)
		}
	}
}

func TestBIFunctions(t *testing.T) {
	db := pgtest.NewDB(t)
	ctx := ctxT(t)
	f := statFixture(t, db)
	from, till := statDay, statDay.AddDate(0, 0, 1)

	cols, rows, err := db.BIFunction(ctx, "agentdata", from, till)
	if err != nil {
		t.Fatal(err)
	}
	wantCols := []string{"queuecode", "queuedesc", "usercode", "firstname", "lastname", "theday", "offered", "answered",
		"answeredpercentage", "talktime", "waitingtime", "outboundcalls", "logintime", "notreadytime", "readytime",
		"forcenotready", "retfromagent"}
	if !reflect.DeepEqual(cols, wantCols) {
		t.Fatalf("agentdata columns %v", cols)
	}
	// Alice on sales: offered 3+1, answered 2+1, talk 100+50; her day: idle
	// 200+400, dialed out 2+1, login 900+900, not ready 300, ready 600+900,
	// forced (no_answer; lunch is not) 120, recalled 1. The DNIS row and the
	// rows before and at the end of the range do not count.
	// Bob on support: no description, so his id is the first name; forced
	// busy 60 + unavailable 30.
	want := [][]any{
		{int64(f.sales), "Sales Line", int64(f.alice), "Alice", "Van Dyke", "2026-03-10", int64(4), int64(3), 75.0,
			int64(150), int64(600), int64(3), int64(1800), int64(300), int64(1500), int64(120), int64(1)},
		{int64(f.support), "support", int64(f.bob), "1002", "", "2026-03-10", int64(2), int64(0), 0.0,
			int64(0), int64(0), int64(0), int64(900), int64(900), int64(0), int64(90), int64(2)},
	}
	if !reflect.DeepEqual(rows, want) {
		t.Fatalf("agentdata\n got %v\nwant %v", rows, want)
	}

	cols, rows, err = db.BIFunction(ctx, "queuedata", from, till)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"queuecode", "queuedesc", "theday", "offered", "answered", "answeredpercentage", "abandoned",
		"abandonedpercentage", "talktime", "waitingtime"}; !reflect.DeepEqual(cols, want) {
		t.Fatalf("queuedata columns %v", cols)
	}
	// sales: offered 5+1, answered 3+1, abandoned 1 in queue + 1 ringing, talk
	// 150+50, waited 30+20+4. support: 2 offered, both abandoned after 40 s,
	// and 2 inflowed, answered after 10 s and talked 80 s: the percentages are
	// of the 4 calls the queue handled, never over 100.
	if len(rows) != 2 {
		t.Fatalf("queuedata rows %v", rows)
	}
	s, p := rows[0], rows[1]
	if s[0] != int64(f.sales) || s[1] != "Sales Line" || s[2] != "2026-03-10" || s[3] != int64(6) || s[4] != int64(4) ||
		math.Abs(s[5].(float64)-400.0/6) > 1e-9 || s[6] != int64(2) || math.Abs(s[7].(float64)-200.0/6) > 1e-9 ||
		s[8] != int64(200) || s[9] != int64(54) {
		t.Fatalf("queuedata sales %v", s)
	}
	if !reflect.DeepEqual(p, []any{int64(f.support), "support", "2026-03-10", int64(2), int64(2), 50.0, int64(2), 50.0, int64(80), int64(50)}) {
		t.Fatalf("queuedata support %v", p)
	}
	// An empty range divides nothing by zero.
	if _, rows, err := db.BIFunction(ctx, "queuedata", from.AddDate(1, 0, 0), till.AddDate(1, 0, 0)); err != nil || len(rows) != 0 {
		t.Fatalf("empty queuedata: %v %v", rows, err)
	}

	_, rows, err = db.BIFunction(ctx, "getallqueues", time.Time{}, time.Time{})
	if err != nil || !reflect.DeepEqual(rows, [][]any{{int64(f.sales), "Sales Line"}, {int64(f.support), "support"}}) {
		t.Fatalf("getallqueues %v %v", rows, err)
	}
	_, rows, err = db.BIFunction(ctx, "getallqueuesagents", time.Time{}, time.Time{})
	if err != nil || !reflect.DeepEqual(rows, [][]any{{int64(f.sales), int64(f.alice)}, {int64(f.support), int64(f.bob)}}) {
		t.Fatalf("getallqueuesagents %v %v", rows, err)
	}

	// The recording look-ups of 000 §7.1.
	var rec *string
	if err := db.QueryRow(`SELECT configuration.getcallrecordingfile(1)`).Scan(&rec); err != nil || rec == nil || *rec != "/rec/1.wav" {
		t.Fatalf("recording of call 1: %v %v", rec, err)
	}
	for _, id := range []int{2, 99} { // not recorded; unknown
		if err := db.QueryRow(`SELECT configuration.getcallrecordingfile($1)`, id).Scan(&rec); err != nil || rec != nil {
			t.Fatalf("recording of call %d: %v %v", id, rec, err)
		}
	}
	recs := func(from, till time.Time, clid string) []string {
		t.Helper()
		rows, err := db.Query(`SELECT callid, recfile FROM stat.getallrecordings($1, $2, $3)`, from, till, clid)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var id int64
			var f string
			if err := rows.Scan(&id, &f); err != nil {
				t.Fatal(err)
			}
			out = append(out, fmt.Sprint(id, f))
		}
		return out
	}
	if got := recs(from, till, `0611, "x"`); !reflect.DeepEqual(got, []string{"1/rec/1.wav"}) {
		t.Fatalf("recordings of the day %v", got)
	}
	if got := recs(from, till.AddDate(0, 0, 1), `0611, "x"`); !reflect.DeepEqual(got, []string{"1/rec/1.wav", "3/rec/3.wav"}) {
		t.Fatalf("recordings of two days %v", got)
	}
	if got := recs(from, till, "0611"); len(got) != 0 {
		t.Fatalf("recordings of another clid %v", got)
	}
}

func TestQueueAndAgentToday(t *testing.T) {
	db := pgtest.NewDB(t)
	ctx := ctxT(t)
	statFixture(t, db)
	got, err := db.QueueToday(ctx, statDay, map[string]time.Duration{"sales": 20 * time.Second, "support": 10 * time.Second,
		"ghost": time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	// No upper bound: the next day's 9 offered sales calls count, the row
	// before since does not. Within 20 s: frames 2, 10 and 20 (not 22), and
	// not the abandon waits.
	want := map[string]store.QueueDay{
		"sales": {Offered: 15, Answered: 4, Abandoned: 1, AbdRinging: 1, Overflowed: 3, SumAnswerTime: 34, SumAbdTime: 20,
			AnsweredInSL: 3},
		"support": {Offered: 2, Inflowed: 2, Answered: 2, Abandoned: 2, SumAnswerTime: 10, SumAbdTime: 40},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("QueueToday\n got %+v\nwant %+v", got, want)
	}
	got, err = db.QueueToday(ctx, statDay, nil)
	if err != nil || got["sales"].AnsweredInSL != 0 || got["sales"].Offered != 15 {
		t.Fatalf("QueueToday without service levels %+v %v", got, err)
	}

	agents, err := db.AgentToday(ctx, statDay)
	if err != nil {
		t.Fatal(err)
	}
	wantA := map[string]store.AgentDay{
		"1001": {Offered: 4, Answered: 3, LoginTime: 1800, ReadyTime: 1500, NotReadyTime: 300, ACDTalkTime: 150, TalkTime: 210},
		"1002": {LoginTime: 900, NotReadyTime: 900},
	}
	if !reflect.DeepEqual(agents, wantA) {
		t.Fatalf("AgentToday\n got %+v\nwant %+v", agents, wantA)
	}
}

// TestStatRowsNamesWhileCodesGrow: reads running while new agents get codes
// and rows always find the name of every code in the rows they see (the
// names are loaded in the read's own snapshot), and every read sees at most
// what was written before it.
func TestStatRowsNamesWhileCodesGrow(t *testing.T) {
	db := pgtest.NewDB(t)
	ctx := ctxT(t)
	const agents = 40
	q := store.StatQuery{Table: "agentstat", From: statDay, To: statDay.AddDate(0, 0, 1)}
	done := make(chan struct{})
	errs := make(chan error, 3)
	for range 3 {
		go func() {
			reads := 0
			for {
				select {
				case <-done:
					if reads == 0 {
						errs <- errors.New("no read ran")
						return
					}
					errs <- nil
					return
				default:
				}
				cols, rows, err := db.StatRows(ctx, q)
				if err != nil {
					errs <- err
					return
				}
				reads++
				agent, login := slices.Index(cols, "agent"), slices.Index(cols, "logintime")
				if agent < 0 || login < 0 {
					errs <- fmt.Errorf("columns %v", cols)
					return
				}
				for _, r := range rows {
					if name, _ := r[agent].(string); name != fmt.Sprint("a", r[login]) {
						errs <- fmt.Errorf("login time %v: name %q", r[login], name)
						return
					}
				}
			}
		}()
	}
	for i := range agents {
		// The agent's number is its login time, so a read can tell the name it must have.
		c := code(t, db, "agent", fmt.Sprint("a", i+1), "")
		insStat(t, db, "agentstat", statDay.Add(time.Duration(i%96)*15*time.Minute), map[string]any{"usercode": c, "logintime": i + 1})
	}
	close(done)
	for range 3 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	_, rows, err := db.StatRows(ctx, q)
	if err != nil || len(rows) != agents {
		t.Fatalf("after the writes: %d rows, %v", len(rows), err)
	}
}
