package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"
)

// A statistics read can be a million rows of sixty columns. Rows are therefore
// streamed to a RowWriter as the text PostgreSQL sent, without turning every
// value into an interface value first: that alone cost more than the query.

// ValueKind says what a column holds, so that a writer can format its values.
type ValueKind uint8

const (
	Text    ValueKind = iota // Cell.Raw is the text
	Integer                  // Cell.Int is set
	Decimal                  // Cell.Raw is a decimal or float: digits, "NaN", "Infinity" or "-Infinity"
	Time                     // Cell.Time is set
	Bool                     // Cell.Raw is "true" or "false"
)

// Column is one column of a read.
type Column struct {
	Name string
	Kind ValueKind
}

// Cell is one value of a row; Null is SQL NULL. Which field holds a value
// that is not NULL depends on its column's kind: Int for Integer, Time for
// Time, Raw (its text) for the others.
type Cell struct {
	Raw  []byte
	Int  int64
	Time time.Time
	Null bool
}

// RowWriter receives a read: its columns once, then each row. The cells are
// reused after Row returns.
type RowWriter interface {
	Columns(cols []Column) error
	Row(cells []Cell) error
}

// kindOf maps PostgreSQL's type names (as lib/pq reports them) to kinds.
func kindOf(dbType string) ValueKind {
	switch dbType {
	case "INT2", "INT4", "INT8", "OID":
		return Integer
	case "NUMERIC", "FLOAT4", "FLOAT8":
		return Decimal
	case "TIMESTAMPTZ", "TIMESTAMP", "DATE":
		return Time
	case "BOOL":
		return Bool
	}
	return Text
}

// streamRows runs query in a read-only transaction, after the setup
// statements (SET LOCAL ...), and hands its columns and rows to w.
func (db *DB) streamRows(ctx context.Context, w RowWriter, setup []string, query string, args ...any) error {
	return db.rawQuery(ctx, setup, nil, query, args, func(rows driver.Rows) error { return readDriverRows(rows, nil, w) })
}

// rawQuery runs query in a read-only transaction, after the setup
// statements and before (when not nil: other queries that must see the same
// snapshot), and hands the driver's rows to read. Large reads use it:
// database/sql's Scan, value by value, costs as much as the query itself.
func (db *DB) rawQuery(ctx context.Context, setup []string, before func(driver.QueryerContext) error,
	query string, args []any, read func(driver.Rows) error) error {
	named := make([]driver.NamedValue, len(args))
	for i, a := range args {
		v, err := driver.DefaultParameterConverter.ConvertValue(a)
		if err != nil {
			return fmt.Errorf("store: stats: argument %d: %w", i+1, err)
		}
		named[i] = driver.NamedValue{Ordinal: i + 1, Value: v}
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("store: stats: %w", err)
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		begin, ok1 := dc.(driver.ConnBeginTx)
		exec, ok2 := dc.(driver.ExecerContext)
		queryer, ok3 := dc.(driver.QueryerContext)
		if !ok1 || !ok2 || !ok3 {
			return errors.New("store: stats: the driver lacks transactions, Exec or Query with a context")
		}
		// Repeatable read: one snapshot for before and the query.
		tx, err := begin.BeginTx(ctx, driver.TxOptions{ReadOnly: true, Isolation: driver.IsolationLevel(sql.LevelRepeatableRead)})
		if err != nil {
			return fmt.Errorf("store: stats: %w", err)
		}
		// Read-only: nothing to keep; ending it any way releases the snapshot.
		defer tx.Rollback()
		for _, st := range setup {
			if _, err := exec.ExecContext(ctx, st, nil); err != nil {
				return fmt.Errorf("store: stats: %w", err)
			}
		}
		if before != nil {
			if err := before(queryer); err != nil {
				return err
			}
		}
		rows, err := queryer.QueryContext(ctx, query, named)
		if err != nil {
			return fmt.Errorf("store: stats: %w", err)
		}
		defer rows.Close()
		return read(rows)
	})
}

// readDriverRows hands the rows of a driver result to w. kinds are those of
// the columns when the query chose them (see selectColumn); nil takes them
// from the driver's types.
func readDriverRows(rows driver.Rows, kinds []ValueKind, w RowWriter) error {
	names := rows.Columns()
	if kinds != nil && len(kinds) != len(names) {
		return fmt.Errorf("store: stats: %d columns, %d kinds", len(names), len(kinds))
	}
	cols := make([]Column, len(names))
	typed, _ := rows.(driver.RowsColumnTypeDatabaseTypeName)
	for i, n := range names {
		cols[i] = Column{Name: n, Kind: Text}
		switch {
		case kinds != nil:
			cols[i].Kind = kinds[i]
		case typed != nil:
			cols[i].Kind = kindOf(typed.ColumnTypeDatabaseTypeName(i))
		}
	}
	if err := w.Columns(cols); err != nil {
		return err
	}
	dest := make([]driver.Value, len(cols))
	// Room after the cells for a writer that adds columns (namedRows) to
	// append them in place: a row's cells are too many to copy for each row.
	cells := make([]Cell, len(cols), 2*len(cols))
	ends := make([]int, len(cols)) // of the cells whose text is in buf, else -1
	var buf []byte                 // values turned into text, one after the other
	for {
		if err := rows.Next(dest); err == io.EOF {
			return nil
		} else if err != nil {
			return fmt.Errorf("store: stats: %w", err)
		}
		buf = buf[:0]
		for i, v := range dest {
			c := &cells[i]
			*c, ends[i] = Cell{}, -1
			switch x := v.(type) {
			case nil:
				c.Null = true
				continue
			case int64:
				switch cols[i].Kind {
				case Integer:
					c.Int = x
					continue
				case Time: // microseconds since 1970, see selectColumn
					c.Time = time.UnixMicro(x)
					continue
				}
				buf = strconv.AppendInt(buf, x, 10)
			case time.Time:
				c.Time = x
				continue
			case []byte:
				// lib/pq's own buffer, good until the next row: as Cell.Raw.
				if cols[i].Kind != Integer {
					c.Raw = x
					continue
				}
				buf = append(buf, x...)
			case float64:
				buf = strconv.AppendFloat(buf, x, 'g', -1, 64)
			case bool:
				buf = strconv.AppendBool(buf, x)
			case string:
				buf = append(buf, x...)
			default:
				buf = fmt.Append(buf, x)
			}
			ends[i] = len(buf)
		}
		// Slices are taken once the row is whole: appending may have moved buf.
		start := 0
		for i, end := range ends {
			if end < 0 {
				continue
			}
			text := buf[start:end:end]
			start = end
			if cols[i].Kind != Integer {
				cells[i].Raw = text
				continue
			}
			n, err := strconv.ParseInt(string(text), 10, 64)
			if err != nil {
				return fmt.Errorf("store: stats: column %s: %q is not an integer", cols[i].Name, text)
			}
			cells[i].Int = n
		}
		if err := w.Row(cells); err != nil {
			return err
		}
	}
}

// Rows is a RowWriter that keeps a read as plain values: int64 for integers,
// float64 for decimals, string, bool,
// time.Time, and nil for NULL. It is for small reads and tests; the API
// streams.
type Rows struct {
	Names  []string
	Values [][]any
	kinds  []ValueKind
}

func (r *Rows) Columns(cols []Column) error {
	r.Names, r.kinds = make([]string, len(cols)), make([]ValueKind, len(cols))
	for i, c := range cols {
		r.Names[i], r.kinds[i] = c.Name, c.Kind
	}
	r.Values = [][]any{}
	return nil
}

func (r *Rows) Row(cells []Cell) error {
	row := make([]any, len(cells))
	for i, c := range cells {
		if !c.Null {
			row[i] = c.value(r.kinds[i])
		}
	}
	r.Values = append(r.Values, row)
	return nil
}

// value is a non-NULL cell of a column of kind k as a plain value.
func (c Cell) value(k ValueKind) any {
	s := string(c.Raw)
	switch k {
	case Time:
		return c.Time
	case Bool:
		return s == "true"
	case Integer:
		return c.Int
	case Decimal:
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return f // NaN and ±Inf included: they are float values
		}
	}
	return s
}
