package store

import (
	"context"
	"database/sql/driver"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"

	"github.com/ccdhq/ccd/stats"
)

// The statistics reads give, beside each code column, the name stat.code
// gives the code. Joining stat.code in the read cost PostgreSQL a tenth of
// a day of AgentStat; the names are kept here instead. stat.code only ever
// grows (a code, once given, never changes or goes), so a kind's names are
// fresh while its count of codes is the one they were loaded with.

// codeNames is the names of the codes, by kind.
type codeNames struct {
	mu    sync.Mutex
	kinds map[string]*kindNames
}

// kindNames is one kind's names. It is not changed once published: a reload
// makes a new one, so a read can keep using the one it took.
type kindNames struct {
	count int64
	names map[int64][]byte
}

// load returns the names of kinds as of the snapshot q reads in, reloading
// the kinds that gained codes since they were last loaded.
func (c *codeNames) load(ctx context.Context, q driver.QueryerContext, kinds []string) (map[string]*kindNames, error) {
	out := map[string]*kindNames{}
	if len(kinds) == 0 {
		return out, nil
	}
	counts := map[string]int64{}
	if err := driverRows(ctx, q, `SELECT kind, count(*) FROM stat.code WHERE kind IN (`+quoteKinds(kinds)+`) GROUP BY kind`,
		func(v []driver.Value) error {
			n, ok := v[1].(int64)
			if !ok {
				return fmt.Errorf("store: stats: count of codes: %T", v[1])
			}
			counts[string(asText(v[0]))] = n
			return nil
		}); err != nil {
		return nil, err
	}
	var stale []string
	c.mu.Lock()
	for _, k := range kinds {
		if have := c.kinds[k]; have != nil && have.count == counts[k] {
			out[k] = have
		} else {
			stale = append(stale, k)
		}
	}
	c.mu.Unlock()
	if len(stale) == 0 {
		return out, nil
	}
	fresh := map[string]*kindNames{}
	for _, k := range stale {
		fresh[k] = &kindNames{count: counts[k], names: map[int64][]byte{}}
	}
	if err := driverRows(ctx, q, `SELECT kind, code, name FROM stat.code WHERE kind IN (`+quoteKinds(stale)+`)`,
		func(v []driver.Value) error {
			code, ok := v[1].(int64)
			if !ok {
				return fmt.Errorf("store: stats: code: %T", v[1])
			}
			name := asText(v[2])
			// Copied (lib/pq's buffer is reused) into a slice that is not nil
			// even for the empty name: nil means "no name".
			fresh[string(asText(v[0]))].names[code] = append(make([]byte, 0, len(name)), name...)
			return nil
		}); err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.kinds == nil {
		c.kinds = map[string]*kindNames{}
	}
	for k, n := range fresh {
		// Another read may have loaded a later snapshot meanwhile: keep the larger.
		if have := c.kinds[k]; have == nil || have.count < n.count {
			c.kinds[k] = n
		}
		out[k] = n
	}
	c.mu.Unlock()
	return out, nil
}

// quoteKinds is kinds as an SQL list; they are ccd's constants, never input.
func quoteKinds(kinds []string) string {
	q := make([]string, len(kinds))
	for i, k := range kinds {
		q[i] = "'" + strings.ReplaceAll(k, "'", "''") + "'"
	}
	return strings.Join(q, ", ")
}

// asText is a text value as lib/pq gives it (string, or []byte for types it
// does not convert).
func asText(v driver.Value) []byte {
	switch x := v.(type) {
	case string:
		return []byte(x)
	case []byte:
		return x
	}
	return nil
}

// driverRows runs a small query on a driver connection and hands each row to
// f; args are its parameters $1, $2... (values the driver takes as they are).
func driverRows(ctx context.Context, q driver.QueryerContext, query string, f func([]driver.Value) error, args ...driver.Value) error {
	var named []driver.NamedValue
	for i, a := range args {
		named = append(named, driver.NamedValue{Ordinal: i + 1, Value: a})
	}
	rows, err := q.QueryContext(ctx, query, named)
	if err != nil {
		return fmt.Errorf("store: stats: %w", err)
	}
	defer rows.Close()
	dest := make([]driver.Value, len(rows.Columns()))
	for {
		if err := rows.Next(dest); err == io.EOF {
			return nil
		} else if err != nil {
			return fmt.Errorf("store: stats: %w", err)
		}
		if err := f(dest); err != nil {
			return err
		}
	}
}

// codeName is a column of names a read adds: the name of the code in column
// col, of kind kind, or of the kind deviceCodeKind gives the type in column
// typeCol when kind is "".
type codeName struct {
	as      string
	col     int
	kind    string
	typeCol int
}

// deviceTypes are the DeviceTypes with names.
var deviceTypes = []int64{stats.DevAgent, stats.DevDNIS, stats.DevQueue, stats.DevExtension, stats.DevRouter}

// deviceCodeKind is the stat.code kind of a DeviceType. A router block's
// DeviceCode is its router's (its BlockID names the block).
func deviceCodeKind(t int64) string {
	switch t {
	case stats.DevAgent:
		return CodeAgent
	case stats.DevDNIS:
		return CodeDNIS
	case stats.DevQueue:
		return CodeQueue
	case stats.DevExtension:
		return CodeExtension
	case stats.DevRouter, stats.DevRouterBlock:
		return CodeRouter
	}
	return ""
}

// namedRows is a RowWriter that adds the name columns to each row before
// handing it to w.
type namedRows struct {
	w     RowWriter
	add   []codeName
	names map[string]*kindNames
}

// kinds lists the kinds of codes the added columns name.
func (n *namedRows) kinds() []string {
	var out []string
	for _, a := range n.add {
		if a.kind != "" {
			out = append(out, a.kind)
			continue
		}
		for _, t := range deviceTypes {
			out = append(out, deviceCodeKind(t))
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func (n *namedRows) Columns(cols []Column) error {
	for _, a := range n.add {
		cols = append(cols, Column{Name: a.as, Kind: Text})
	}
	return n.w.Columns(cols)
}

func (n *namedRows) Row(cells []Cell) error {
	row := cells // appended to in place when cells has room, see readDriverRows
	for _, a := range n.add {
		var name []byte
		if code := cells[a.col]; !code.Null {
			kind := a.kind
			if kind == "" && !cells[a.typeCol].Null {
				kind = deviceCodeKind(cells[a.typeCol].Int)
			}
			if k := n.names[kind]; k != nil {
				name = k.names[code.Int]
			}
		}
		// A code without a name is NULL, as the outer join it replaces gave.
		row = append(row, Cell{Raw: name, Null: name == nil})
	}
	return n.w.Row(row)
}
