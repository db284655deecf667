package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/ccdhq/ccd/stats"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// LockStats serialises writers of the statistics (the live aggregator and a
// rebuild) for the rest of tx.
func LockStats(ctx context.Context, tx *sqlx.Tx) error {
	const lockID = 7233002 // arbitrary, constant: "ccd statistics"
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, lockID); err != nil {
		return fmt.Errorf("store: stats lock: %w", err)
	}
	return nil
}

// Code kinds of stat.code.
const (
	CodeAgent     = "agent"
	CodeQueue     = "queue"
	CodeDNIS      = "dnis"
	CodeExtension = "extension"
	CodeActivity  = "activity"
	CodeRouter    = "router" // a call flow
	CodeBlock     = "block"  // a node of a call flow, named "flow/node"
)

// StatCodes turns ccd's names into the integer codes of the Optimus columns
// (stat.code), caching what it has seen: codes never change once given.
type StatCodes struct {
	db *DB
	mu sync.Mutex
	m  map[[2]string]int
}

// NewStatCodes returns an empty cache over db.
func NewStatCodes(db *DB) *StatCodes { return &StatCodes{db: db, m: map[[2]string]int{}} }

// Resolve makes sure every (kind, name) pair has a code. New codes are
// allocated in their own statement, outside any caller's transaction, so a
// rolled-back write never leaves the cache with a code the database forgot.
func (c *StatCodes) Resolve(ctx context.Context, pairs map[[2]string]bool) error {
	c.mu.Lock()
	var kinds, names []string
	for p := range pairs {
		if _, ok := c.m[p]; !ok {
			kinds, names = append(kinds, p[0]), append(names, p[1])
		}
	}
	c.mu.Unlock()
	if len(kinds) == 0 {
		return nil
	}
	rows, err := c.db.QueryContext(ctx, `SELECT k, n, stat.code_of(k, n) FROM unnest($1::text[], $2::text[]) AS t(k, n)`,
		pq.Array(kinds), pq.Array(names))
	if err != nil {
		return fmt.Errorf("store: stat codes: %w", err)
	}
	defer rows.Close()
	c.mu.Lock()
	defer c.mu.Unlock()
	for rows.Next() {
		var k, n string
		var code int
		if err := rows.Scan(&k, &n, &code); err != nil {
			return err
		}
		c.m[[2]string{k, n}] = code
	}
	return rows.Err()
}

// Code is the code of a name Resolve has seen.
func (c *StatCodes) Code(kind, name string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[[2]string{kind, name}]
}

// deviceKind is the code kind of a device type a row is written with; the
// rows of queues are the ones without a kind of their own.
func deviceKind(t int16) string {
	if k := deviceCodeKind(int64(t)); k != "" {
		return k
	}
	return CodeQueue
}

// keyNames lists the names a row key needs codes for, in the order of its
// table's Keys.
func keyNames(k stats.RowKey) [][2]string {
	switch k.Table {
	case stats.AgentActivityStat:
		return [][2]string{{CodeAgent, k.Name}, {CodeActivity, k.Name2}}
	case stats.AgentByDeviceStat:
		return [][2]string{{CodeAgent, k.Name}, {deviceKind(k.Type), k.Name2}}
	case stats.AgentStat:
		return [][2]string{{CodeAgent, k.Name}}
	case stats.DeviceStat, stats.DeviceTimes:
		return [][2]string{{deviceKind(k.Type), k.Name}}
	case stats.ExtensionStat:
		return [][2]string{{CodeExtension, k.Name}}
	case stats.RouterStat:
		if k.Type == stats.DevRouterBlock {
			return [][2]string{{CodeRouter, k.Name}, {CodeBlock, BlockName(k.Name, k.Name2)}}
		}
		return [][2]string{{CodeRouter, k.Name}}
	}
	return nil
}

// BlockName is the stat.code name of node of flow: node ids are unique
// within a flow only, and neither holds a "/".
func BlockName(flow, node string) string { return flow + "/" + node }

// keyValues are the key columns of a row, in Table.Keys order: the codes of
// its names, then its device type, time type and time frame where the table
// has them.
func (c *StatCodes) keyValues(k stats.RowKey) []int64 {
	if k.Table == stats.RouterStat {
		return c.routerKeyValues(k)
	}
	names := keyNames(k)
	out := make([]int64, 0, 4)
	for _, n := range names {
		out = append(out, int64(c.Code(n[0], n[1])))
	}
	switch k.Table {
	case stats.AgentByDeviceStat, stats.DeviceStat:
		out = append(out, int64(k.Type))
	case stats.DeviceTimes:
		out = append(out, int64(k.Type), int64(k.N1), int64(k.N2))
	case stats.CampaignStat:
		out = append(out, int64(k.N1)) // the campaign's own id: no code
	case stats.CampaignDispositionStat:
		out = append(out, int64(k.N1), int64(k.N2)) // the campaign's and the option's own ids
	}
	return out
}

// routerKeyValues are the keys of a RouterStat row: extension, devicetype,
// devicecode, blockid. A flow has no extension of its own (routes and other
// flows name it), so its code stands in the extension as in the device code;
// its nodes' rows have the flow's code too, and the node's code as BlockID
// (the flow's own row -1).
func (c *StatCodes) routerKeyValues(k stats.RowKey) []int64 {
	flow := int64(c.Code(CodeRouter, k.Name))
	block := int64(stats.FlowBlockID)
	if k.Type == stats.DevRouterBlock {
		block = int64(c.Code(CodeBlock, BlockName(k.Name, k.Name2)))
	}
	return []int64{flow, int64(k.Type), flow, block}
}

// resolveAll allocates the codes of every row and record.
func (c *StatCodes) resolveAll(ctx context.Context, rows map[stats.RowKey]stats.Row, recs []stats.CallRecord) error {
	pairs := map[[2]string]bool{}
	for k := range rows {
		for _, p := range keyNames(k) {
			pairs[p] = true
		}
	}
	for i := range recs {
		r := &recs[i]
		for _, p := range [][2]string{{CodeDNIS, r.DNIS}, {CodeQueue, r.InitialQueue}, {CodeQueue, r.HandledOnQueue},
			{CodeAgent, r.Agent}, {CodeExtension, r.AgentExtension}, {CodeRouter, r.Router}} {
			if p[1] != "" {
				pairs[p] = true
			}
		}
	}
	return c.Resolve(ctx, pairs)
}

// keysByTable sorts the keys of the rows that hold something by table.
func keysByTable(rows map[stats.RowKey]stats.Row) [len(stats.Tables)][]stats.RowKey {
	var out [len(stats.Tables)][]stats.RowKey
	for k, r := range rows {
		if !r.Empty(&stats.Tables[k.Table]) {
			out[k.Table] = append(out[k.Table], k)
		}
	}
	return out
}

// statColumns are the columns of a quarter-hour table in insert order.
func statColumns(t *stats.Table) []string {
	out := []string{"calcts", "thedate", "themonth", "theweek", "theday", "thehour"}
	out = append(out, t.Keys...)
	for _, c := range t.Cols {
		out = append(out, c.Name)
	}
	return out
}

// AddStats adds the live aggregator's rows to the stored ones (sums add, minima
// and maxima combine) and upserts its call records, inside tx.
func (c *StatCodes) AddStats(ctx context.Context, tx *sqlx.Tx, clock stats.Clock, rows map[stats.RowKey]stats.Row, recs []stats.CallRecord) error {
	if err := c.resolveAll(ctx, rows, recs); err != nil {
		return err
	}
	now := time.Now()
	for id, keys := range keysByTable(rows) {
		if len(keys) == 0 {
			continue
		}
		if err := c.upsert(ctx, tx, id, clock, now, keys, rows); err != nil {
			return err
		}
		if err := c.deleteEmptied(ctx, tx, id, keys, rows); err != nil {
			return err
		}
	}
	return upsertCalls(ctx, tx, c, recs)
}

// deleteEmptiedSQL is, per table, the statement of deleteEmptied.
var deleteEmptiedSQL = func() (out [len(stats.Tables)]string) {
	for id := range stats.Tables {
		t := &stats.Tables[id]
		keys := append([]string{"thedate"}, t.Keys...)
		casts := []string{"$1::timestamptz[]"}
		for i := range t.Keys {
			casts = append(casts, fmt.Sprintf("$%d::bigint[]", 2+i))
		}
		var empty []string
		for _, col := range t.Cols {
			if col.Op == stats.Sum {
				empty = append(empty, col.Name+" = 0")
			} else {
				empty = append(empty, col.Name+" IS NULL")
			}
		}
		out[id] = fmt.Sprintf(`DELETE FROM stat.%s WHERE (%s) IN (SELECT * FROM unnest(%s)) AND %s`,
			t.Name, strings.Join(keys, ", "), strings.Join(casts, ", "), strings.Join(empty, " AND "))
	}
	return out
}()

// deleteEmptied deletes the rows a negative delta left with nothing in them.
// Only a late event makes one (it takes back state time accounted ahead of
// it), and a row with nothing in it is one a single pass over the log would
// not have written: the tables only hold intervals with activity.
func (c *StatCodes) deleteEmptied(ctx context.Context, tx *sqlx.Tx, id int, keys []stats.RowKey, rows map[stats.RowKey]stats.Row) error {
	t := &stats.Tables[id]
	var dates []time.Time
	ints := make([][]int64, len(t.Keys))
	for _, k := range keys {
		if !hasNegative(t, rows[k]) {
			continue
		}
		dates = append(dates, time.Unix(k.Start, 0))
		for j, v := range c.keyValues(k) {
			ints[j] = append(ints[j], v)
		}
	}
	if len(dates) == 0 {
		return nil
	}
	args := []any{pq.Array(dates)}
	for _, col := range ints {
		args = append(args, pq.Array(col))
	}
	if _, err := tx.ExecContext(ctx, deleteEmptiedSQL[id], args...); err != nil {
		return fmt.Errorf("store: stat.%s: %w", t.Name, err)
	}
	return nil
}

// hasNegative reports a delta that takes something away.
func hasNegative(t *stats.Table, r stats.Row) bool {
	for i, c := range t.Cols {
		if c.Op == stats.Sum && r[i] < 0 {
			return true
		}
	}
	return false
}

// upsertSQL is, per table, the statement of upsert: every column travels as an
// array, and ON CONFLICT merges with the stored row by each column's Op.
var upsertSQL = func() (out [len(stats.Tables)]string) {
	for id := range stats.Tables {
		t := &stats.Tables[id]
		casts := []string{"$2::timestamptz[]", "$3::text[]", "$4::text[]", "$5::text[]", "$6::text[]"}
		for i := range len(t.Keys) + len(t.Cols) {
			casts = append(casts, fmt.Sprintf("$%d::bigint[]", 7+i))
		}
		set := []string{"calcts = excluded.calcts"}
		for _, col := range t.Cols {
			cur := "stat." + t.Name + "." + col.Name
			switch col.Op {
			case stats.Sum:
				set = append(set, fmt.Sprintf("%s = %s + excluded.%s", col.Name, cur, col.Name))
			case stats.Min:
				set = append(set, fmt.Sprintf("%s = least(%s, excluded.%s)", col.Name, cur, col.Name))
			case stats.Max:
				set = append(set, fmt.Sprintf("%s = greatest(%s, excluded.%s)", col.Name, cur, col.Name))
			}
		}
		out[id] = fmt.Sprintf(`INSERT INTO stat.%s (%s) SELECT $1, * FROM unnest(%s)
			ON CONFLICT (%s, thedate) DO UPDATE SET %s`,
			t.Name, strings.Join(statColumns(t), ", "), strings.Join(casts, ", "), strings.Join(t.Keys, ", "), strings.Join(set, ", "))
	}
	return out
}()

// upsert writes one table's rows in one statement: every column travels as an
// array and ON CONFLICT merges with the stored row by each column's Op.
func (c *StatCodes) upsert(ctx context.Context, tx *sqlx.Tx, id int, clock stats.Clock, now time.Time, keys []stats.RowKey, rows map[stats.RowKey]stats.Row) error {
	t := &stats.Tables[id]
	n := len(keys)
	dates := make([]time.Time, n)
	labels := [4][]string{make([]string, n), make([]string, n), make([]string, n), make([]string, n)}
	ints := make([][]sql.NullInt64, len(t.Keys)+len(t.Cols))
	for i := range ints {
		ints[i] = make([]sql.NullInt64, n)
	}
	for i, k := range keys {
		l := clock.Labels(k.Start)
		dates[i] = l.Date
		labels[0][i], labels[1][i], labels[2][i], labels[3][i] = l.Month, l.Week, l.Day, l.Hour
		for j, v := range c.keyValues(k) {
			ints[j][i] = sql.NullInt64{Int64: v, Valid: true}
		}
		for j, v := range rows[k] {
			ints[len(t.Keys)+j][i] = sql.NullInt64{Int64: v, Valid: v != stats.None}
		}
	}
	args := []any{now, pq.Array(dates), pq.Array(labels[0]), pq.Array(labels[1]), pq.Array(labels[2]), pq.Array(labels[3])}
	for i := range ints {
		args = append(args, pq.GenericArray{A: ints[i]})
	}
	q := upsertSQL[id]
	if _, err := tx.ExecContext(ctx, q, args...); err != nil {
		return fmt.Errorf("store: stat.%s: %w", t.Name, err)
	}
	return nil
}

var callColumns = []string{"callid", "calltype", "dnis", "clid", "offeredts", "firstqueuedts", "answeredts", "abandonedts",
	"transferred2extts", "endedts", "initialqueue", "queuehops", "agent", "agentextension", "handledonqueue",
	"transferdestination", "endtype", "agenthops", "adata1", "adata2", "router", "ucid", "priority", "recording", "holdcount",
	"holdtime", "lastts"}

// callUpdates is the SET list that makes a record written again replace the
// first.
func callUpdates() string {
	set := make([]string, 0, len(callColumns)-1)
	for _, col := range callColumns[1:] {
		set = append(set, col+" = excluded."+col)
	}
	return strings.Join(set, ", ")
}

// callValues is a record as the values of callColumns.
func callValues(c *StatCodes, r *stats.CallRecord) []any {
	return appendCallValues(make([]any, 0, len(callColumns)), c, r)
}

// appendCallValues appends the values of callColumns of a record to out.
func appendCallValues(out []any, c *StatCodes, r *stats.CallRecord) []any {
	ts := func(t time.Time) any {
		if t.IsZero() {
			return nil
		}
		return t
	}
	code := func(kind, name string) any {
		if name == "" {
			return nil
		}
		return c.Code(kind, name)
	}
	prio := any(nil)
	if r.Priority > 0 {
		prio = r.Priority
	}
	return append(out, r.CallID, r.CallType, code(CodeDNIS, r.DNIS), clip(r.CLID), ts(r.OfferedTS), ts(r.FirstQueuedTS),
		ts(r.AnsweredTS), ts(r.AbandonedTS), ts(r.Transferred2ExtTS), ts(r.EndedTS), code(CodeQueue, r.InitialQueue),
		r.QueueHops, code(CodeAgent, r.Agent), code(CodeExtension, r.AgentExtension), code(CodeQueue, r.HandledOnQueue),
		clip(r.TransferDestination), r.EndType, r.AgentHops, clip(r.Adata1), clip(r.Adata2), code(CodeRouter, r.Router), r.UCID, prio,
		r.Recording, r.HoldCount, r.HoldSeconds, r.LastTS)
}

// clip keeps text within the 100 characters of the Optimus columns.
func clip(s string) string {
	if r := []rune(s); len(r) > 100 {
		return string(r[:100])
	}
	return s
}

// upsertCalls writes call records; a record written again (a replay) replaces
// the first.
func upsertCalls(ctx context.Context, tx *sqlx.Tx, c *StatCodes, recs []stats.CallRecord) error {
	if len(recs) == 0 {
		return nil
	}
	ph := make([]string, len(callColumns))
	for i := range ph {
		ph[i] = fmt.Sprintf("$%d", i+1)
	}
	stmt, err := tx.PrepareContext(ctx, fmt.Sprintf(`INSERT INTO stat.callsstat (%s) VALUES (%s)
		ON CONFLICT (callid) DO UPDATE SET %s`, strings.Join(callColumns, ", "), strings.Join(ph, ", "), callUpdates()))
	if err != nil {
		return fmt.Errorf("store: callsstat: %w", err)
	}
	defer stmt.Close()
	for i := range recs {
		if _, err := stmt.ExecContext(ctx, callValues(c, &recs[i])...); err != nil {
			return fmt.Errorf("store: callsstat %d: %w", recs[i].CallID, err)
		}
	}
	return nil
}

// rowQuerier is a database or a transaction.
type rowQuerier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// AggregatorPosition reads where the live aggregator stands, its consumer
// position (event_consumer): every event up to lastID is in the tables, and
// open states are accounted up to state.AdvancedTo. found is false before
// anything saved one.
func (db *DB) AggregatorPosition(ctx context.Context, name string) (lastID int64, state stats.State, found bool, err error) {
	return aggregatorPosition(ctx, db, name)
}

// LockedAggregatorPosition reads the position inside tx, which holds the
// statistics lock (LockStats): nobody moves it until tx ends.
func LockedAggregatorPosition(ctx context.Context, tx *sqlx.Tx, name string) (lastID int64, state stats.State, found bool, err error) {
	return aggregatorPosition(ctx, tx, name)
}

func aggregatorPosition(ctx context.Context, q rowQuerier, name string) (lastID int64, state stats.State, found bool, err error) {
	pos, found, err := consumerPosition(ctx, q, name)
	if err != nil || !found {
		return 0, stats.State{}, false, err
	}
	if err := json.Unmarshal(pos.State, &state); err != nil {
		return 0, stats.State{}, false, fmt.Errorf("store: aggregator state: %w", err)
	}
	return pos.LastID, state, true, nil
}

// AggregatorPositionOf is the consumer position of the live aggregator at
// lastID with state.
func AggregatorPositionOf(lastID int64, state stats.State) (ConsumerPosition, error) {
	raw, err := json.Marshal(state)
	if err != nil {
		return ConsumerPosition{}, fmt.Errorf("store: aggregator state: %w", err)
	}
	return ConsumerPosition{LastID: lastID, State: raw}, nil
}

// SaveAggregatorPosition records the position and state inside tx, the same
// transaction as the rows they produced, whatever position was stored: for a
// rebuild, which holds the statistics lock.
func SaveAggregatorPosition(ctx context.Context, tx *sqlx.Tx, name string, lastID int64, state stats.State) error {
	pos, err := AggregatorPositionOf(lastID, state)
	if err != nil {
		return err
	}
	return SetConsumer(ctx, tx, name, pos)
}

// StatRebuild replaces the statistics of a range in one transaction: the
// range's rows are deleted, then written again by COPY (rows of quarter-hours
// nobody else wrote) and by upsert (the late rows of quarter-hours already
// written).
type StatRebuild struct {
	codes *StatCodes
	conn  *sqlx.Conn // the transaction's connection, for COPY
	tx    *sqlx.Tx
	clock stats.Clock
	rows  int64
	calls int64
	line  []any // scratch for one call record's values
}

// BeginRebuild starts replacing [from, to). It holds the statistics lock
// until Commit or Rollback.
func (c *StatCodes) BeginRebuild(ctx context.Context, clock stats.Clock, from, to time.Time) (*StatRebuild, error) {
	r, err := c.OpenRebuild(ctx, clock)
	if err != nil {
		return nil, err
	}
	if err := r.Clear(ctx, from, to); err != nil {
		r.Rollback()
		return nil, err
	}
	return r, nil
}

// OpenRebuild starts a rebuild that has not cleared anything yet: it holds the
// statistics lock until Commit or Rollback, so the caller can read the live
// aggregator's position (Position) before deciding what to clear.
func (c *StatCodes) OpenRebuild(ctx context.Context, clock stats.Clock) (*StatRebuild, error) {
	conn, err := c.db.Connx(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: rebuild: %w", err)
	}
	tx, err := conn.BeginTxx(ctx, nil)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("store: rebuild: %w", err)
	}
	r := &StatRebuild{codes: c, conn: conn, tx: tx, clock: clock}
	if err := LockStats(ctx, tx); err != nil {
		r.Rollback()
		return nil, err
	}
	return r, nil
}

// Clear deletes the rows of [from, to) and the call records that ended in
// it; a zero from and to clear everything.
func (r *StatRebuild) Clear(ctx context.Context, from, to time.Time) error {
	where, args := ` WHERE thedate >= $1 AND thedate < $2`, []any{from, to}
	if from.IsZero() && to.IsZero() {
		where, args = "", nil
	}
	for _, t := range stats.Tables {
		if _, err := r.tx.ExecContext(ctx, `DELETE FROM stat.`+t.Name+where, args...); err != nil {
			return fmt.Errorf("store: rebuild %s: %w", t.Name, err)
		}
	}
	if _, err := r.tx.ExecContext(ctx, `DELETE FROM stat.callsstat`+strings.ReplaceAll(where, "thedate", "lastts"), args...); err != nil {
		return fmt.Errorf("store: rebuild callsstat: %w", err)
	}
	return nil
}

// Position reads the live aggregator's position under the rebuild's lock.
func (r *StatRebuild) Position(ctx context.Context, name string) (lastID int64, state stats.State, found bool, err error) {
	return LockedAggregatorPosition(ctx, r.tx, name)
}

// SavePosition records a position with the rebuilt rows: they commit
// together.
func (r *StatRebuild) SavePosition(ctx context.Context, name string, lastID int64, state stats.State) error {
	return SaveAggregatorPosition(ctx, r.tx, name, lastID, state)
}

// LastEventID is the id of the newest event in the log now.
func (r *StatRebuild) LastEventID(ctx context.Context) (int64, error) {
	var id int64
	if err := r.tx.QueryRowContext(ctx, `SELECT coalesce(max(id), 0) FROM call_event`).Scan(&id); err != nil {
		return 0, fmt.Errorf("store: rebuild: %w", err)
	}
	return id, nil
}

// Copy writes rows whose quarter-hours have no row yet, and call records.
func (r *StatRebuild) Copy(ctx context.Context, rows map[stats.RowKey]stats.Row, recs []stats.CallRecord) error {
	if err := r.codes.resolveAll(ctx, rows, recs); err != nil {
		return err
	}
	calcts := appendCopyTime(nil, time.Now())
	prefixes := map[int64][]byte{} // quarter-hour start -> its calcts..thehour columns
	// One COPY at a time: a connection carries one COPY, so rows go table by
	// table.
	for id, keys := range keysByTable(rows) {
		if len(keys) == 0 {
			continue
		}
		t := &stats.Tables[id]
		i := 0
		err := copyText(ctx, r.conn, "stat."+t.Name, statColumns(t), func(b []byte) ([]byte, bool, error) {
			for ; i < len(keys) && len(b) < copyChunk; i++ {
				k := keys[i]
				p, ok := prefixes[k.Start]
				if !ok {
					l := r.clock.Labels(k.Start)
					p = append(append(append(make([]byte, 0, 96), calcts...), '\t'), appendCopyTime(nil, l.Date)...)
					for _, s := range []string{l.Month, l.Week, l.Day, l.Hour} {
						p = appendCopyText(append(p, '\t'), s)
					}
					prefixes[k.Start] = p
				}
				b = append(b, p...)
				for _, v := range r.codes.keyValues(k) {
					b = appendCopyInt(append(b, '\t'), v)
				}
				for _, v := range rows[k] {
					b = append(b, '\t')
					if v == stats.None {
						b = appendCopyNull(b)
					} else {
						b = appendCopyInt(b, v)
					}
				}
				b = append(b, '\n')
			}
			return b, i == len(keys), nil
		})
		if err != nil {
			return err
		}
		r.rows += int64(len(keys))
	}
	if len(recs) == 0 {
		return nil
	}
	r.calls += int64(len(recs))
	i := 0
	return copyText(ctx, r.conn, "stat.callsstat", callColumns, func(b []byte) ([]byte, bool, error) {
		for ; i < len(recs) && len(b) < copyChunk; i++ {
			r.line = appendCallValues(r.line[:0], r.codes, &recs[i])
			for j, v := range r.line {
				if j > 0 {
					b = append(b, '\t')
				}
				var err error
				if b, err = appendCopyValue(b, v); err != nil {
					return nil, false, err
				}
			}
			b = append(b, '\n')
		}
		return b, i == len(recs), nil
	})
}

// Add merges rows into quarter-hours that may already have theirs.
func (r *StatRebuild) Add(ctx context.Context, rows map[stats.RowKey]stats.Row) error {
	return r.codes.AddStats(ctx, r.tx, r.clock, rows, nil)
}

// Commit makes the rebuilt range visible and returns how many quarter-hour
// rows and call records were written.
func (r *StatRebuild) Commit() (rows, calls int64, err error) {
	defer r.conn.Close()
	if err := r.tx.Commit(); err != nil {
		return 0, 0, fmt.Errorf("store: rebuild: %w", err)
	}
	return r.rows, r.calls, nil
}

// Rollback abandons the rebuild; after Commit it does nothing.
func (r *StatRebuild) Rollback() {
	r.tx.Rollback()
	r.conn.Close()
}

// StatDimensions is what the configuration says about the codes BI tools
// join on: queue and agent descriptions, and which agents serve which queue.
type StatDimensions struct {
	Queues  map[string]string   // queue code -> name
	Agents  map[string]string   // agent id -> name
	Members map[string][]string // queue code -> agent ids
}

// SyncStatDimensions gives every configured queue and agent its code, records
// their names as descriptions and replaces stat.queueagent.
func (db *DB) SyncStatDimensions(ctx context.Context, d StatDimensions) error {
	codes := NewStatCodes(db)
	pairs := map[[2]string]bool{}
	for q := range d.Queues {
		pairs[[2]string{CodeQueue, q}] = true
	}
	for a := range d.Agents {
		pairs[[2]string{CodeAgent, a}] = true
	}
	if err := codes.Resolve(ctx, pairs); err != nil {
		return err
	}
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: stat dimensions: %w", err)
	}
	defer tx.Rollback()
	for kind, names := range map[string]map[string]string{CodeQueue: d.Queues, CodeAgent: d.Agents} {
		for name, desc := range names {
			if _, err := tx.ExecContext(ctx, `UPDATE stat.code SET description = $3 WHERE kind = $1 AND name = $2 AND description <> $3`,
				kind, name, desc); err != nil {
				return fmt.Errorf("store: stat dimensions: %w", err)
			}
		}
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM stat.queueagent`); err != nil {
		return fmt.Errorf("store: stat dimensions: %w", err)
	}
	for q, agents := range d.Members {
		for _, a := range agents {
			if _, err := tx.ExecContext(ctx, `INSERT INTO stat.queueagent (queuecode, usercode) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
				codes.Code(CodeQueue, q), codes.Code(CodeAgent, a)); err != nil {
				return fmt.Errorf("store: stat dimensions: %w", err)
			}
		}
	}
	return tx.Commit()
}
