package store

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// A rebuild writes millions of rows. Going through database/sql one row at a
// time costs more CPU than PostgreSQL spends storing them (every value is
// converted, boxed and checked), so rebuild rows are formatted here straight
// into COPY's text format and handed to lib/pq's raw CopyData in large chunks.

// copyChunk is how much formatted text is handed to the driver at a time.
const copyChunk = 256 << 10

// appendCopyInt appends an integer column.
func appendCopyInt(b []byte, v int64) []byte { return strconv.AppendInt(b, v, 10) }

// appendCopyNull appends SQL NULL.
func appendCopyNull(b []byte) []byte { return append(b, `\N`...) }

// appendCopyText appends a text column, escaped as COPY's text format wants:
// backslash, tab, newline and carriage return are the only special bytes.
func appendCopyText(b []byte, s string) []byte {
	if !strings.ContainsAny(s, "\\\t\n\r") {
		return append(b, s...)
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			b = append(b, `\\`...)
		case '\t':
			b = append(b, `\t`...)
		case '\n':
			b = append(b, `\n`...)
		case '\r':
			b = append(b, `\r`...)
		default:
			b = append(b, c)
		}
	}
	return b
}

// appendCopyTime appends a timestamptz column. It is written in UTC: the
// column stores an instant, and "Z" avoids zone offsets with seconds.
func appendCopyTime(b []byte, t time.Time) []byte {
	return t.UTC().AppendFormat(b, "2006-01-02 15:04:05.999999Z07:00")
}

// appendCopyValue appends one of the values the call records are made of.
func appendCopyValue(b []byte, v any) ([]byte, error) {
	switch v := v.(type) {
	case nil:
		return appendCopyNull(b), nil
	case int:
		return appendCopyInt(b, int64(v)), nil
	case int16:
		return appendCopyInt(b, int64(v)), nil
	case int32:
		return appendCopyInt(b, int64(v)), nil
	case int64:
		return appendCopyInt(b, v), nil
	case string:
		return appendCopyText(b, v), nil
	case time.Time:
		return appendCopyTime(b, v), nil
	}
	return b, fmt.Errorf("store: copy: no text format for %T", v)
}

// copyDataer is lib/pq's COPY statement: CopyData sends preformatted lines.
type copyDataer interface {
	CopyData(ctx context.Context, line string) (driver.Result, error)
}

// copyText runs COPY table (columns) FROM STDIN on conn, inside whatever
// transaction conn is in, with the lines fill appends to its buffer (each
// ending in '\n'). fill is called until it reports done.
func copyText(ctx context.Context, conn *sqlx.Conn, table string, columns []string, fill func(buf []byte) ([]byte, bool, error)) error {
	return conn.Raw(func(dc any) error {
		prep, ok := dc.(driver.ConnPrepareContext)
		if !ok {
			return errors.New("store: copy: the driver cannot prepare statements")
		}
		// Table and column names are this package's constants, never input.
		st, err := prep.PrepareContext(ctx, "COPY "+table+" ("+strings.Join(columns, ", ")+") FROM STDIN")
		if err != nil {
			return fmt.Errorf("store: %s: %w", table, err)
		}
		defer st.Close()
		cd, ok := st.(copyDataer)
		if !ok {
			return errors.New("store: copy: the driver has no CopyData (lib/pq >= 1.10.6 needed)")
		}
		buf := make([]byte, 0, copyChunk+4096)
		for done := false; !done; {
			buf, done, err = fill(buf[:0])
			if err != nil {
				return err
			}
			if len(buf) == 0 {
				continue
			}
			// CopyData ends what it is given with a newline itself.
			if _, err := cd.CopyData(ctx, string(buf[:len(buf)-1])); err != nil {
				return fmt.Errorf("store: %s: %w", table, err)
			}
		}
		//lint:ignore SA1019 lib/pq finishes a COPY with Exec(nil); it has no ExecContext for it.
		if _, err := st.Exec(nil); err != nil {
			return fmt.Errorf("store: %s: %w", table, err)
		}
		return nil
	})
}
