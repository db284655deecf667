package api

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/ccdhq/ccd/internal/jsontext"
	"github.com/ccdhq/ccd/store"
	"github.com/labstack/echo/v4"
)

// Statistics answers are streamed: a month of a table is millions of values,
// which are written as they arrive from the database instead of being held
// and then marshalled value by value. Nothing is written before the reader
// reports the columns, so a failed query still gets a proper error answer;
// a failure after that can only cut the answer short (see abortStream).

// jsonRows writes {meta..., "columns": [...], "rows": [{...}, ...]}: each row
// an object whose keys keep the order of the columns.
type jsonRows struct {
	c     echo.Context
	meta  any // the fields before "columns", as a struct
	loc   *time.Location
	w     *bufio.Writer
	cols  []store.Column
	keys  [][]byte // `{"name":` for the first column, `,"name":` for the others
	rows  int
	buf   []byte
	start bool
}

func (j *jsonRows) Columns(cols []store.Column) error {
	meta, err := json.Marshal(j.meta)
	if err != nil {
		return err
	}
	names := make([]string, len(cols))
	j.cols, j.keys = cols, make([][]byte, len(cols))
	for i, c := range cols {
		names[i] = c.Name
		sep := byte(',')
		if i == 0 {
			sep = '{'
		}
		j.keys[i] = append(jsontext.AppendString([]byte{sep}, c.Name), ':')
	}
	colsJSON, err := json.Marshal(names)
	if err != nil {
		return err
	}
	resp := j.c.Response()
	resp.Header().Set(echo.HeaderContentType, echo.MIMEApplicationJSON)
	resp.WriteHeader(http.StatusOK)
	j.w = bufio.NewWriterSize(resp, 64<<10)
	j.start = true
	j.w.Write(meta[:len(meta)-1]) // without its closing brace
	if len(meta) > 2 {
		j.w.WriteByte(',')
	}
	j.w.WriteString(`"columns":`)
	j.w.Write(colsJSON)
	_, err = j.w.WriteString(`,"rows":[`)
	return err
}

func (j *jsonRows) Row(cells []store.Cell) error {
	b := j.buf[:0]
	if j.rows > 0 {
		b = append(b, ',')
	}
	j.rows++
	if len(cells) == 0 {
		b = append(b, '{')
	}
	for i := range cells {
		b = append(b, j.keys[i]...)
		b = appendJSONCell(b, j.cols[i].Kind, &cells[i], j.loc)
	}
	b = append(b, '}')
	j.buf = b
	_, err := j.w.Write(b)
	return err
}

// finish closes the document; a read that reported no columns is answered as
// an empty one.
func (j *jsonRows) finish() error {
	if !j.start {
		if err := j.Columns(nil); err != nil {
			return err
		}
	}
	j.w.WriteString("]}\n")
	return j.w.Flush()
}

// appendJSONCell appends one value: numbers bare, NaN and infinities (which
// JSON has not) and NULL as null, times in RFC 3339 in loc.
func appendJSONCell(b []byte, k store.ValueKind, c *store.Cell, loc *time.Location) []byte {
	if c.Null {
		return append(b, "null"...)
	}
	switch k {
	case store.Integer, store.Bool:
		return append(b, c.Raw...)
	case store.Decimal:
		if s := string(c.Raw); s == "NaN" || s == "Infinity" || s == "-Infinity" || s == "+Inf" || s == "-Inf" {
			return append(b, "null"...)
		}
		return append(b, c.Raw...)
	case store.Time:
		b = append(b, '"')
		b = c.Time.In(loc).AppendFormat(b, time.RFC3339)
		return append(b, '"')
	}
	return jsontext.AppendString(b, string(c.Raw))
}

// csvRows writes an RFC 4180 file: the header line, then the rows; NULL is an
// empty field and times are RFC 3339 in loc.
type csvRows struct {
	c     echo.Context
	file  string
	loc   *time.Location
	bw    *bufio.Writer
	w     *csv.Writer
	cols  []store.Column
	rec   []string
	start bool
}

func (w *csvRows) Columns(cols []store.Column) error {
	h := w.c.Response().Header()
	h.Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	h.Set(echo.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="%s.csv"`, w.file))
	w.c.Response().WriteHeader(http.StatusOK)
	w.start = true
	w.bw = bufio.NewWriterSize(w.c.Response(), 64<<10)
	w.w = csv.NewWriter(w.bw)
	// RFC 4180 ends records with CRLF. encoding/csv then writes a newline
	// inside a quoted value as CRLF too, which CSV readers give back as \n.
	w.w.UseCRLF = true
	w.cols = cols
	w.rec = make([]string, len(cols))
	for i, c := range cols {
		w.rec[i] = c.Name
	}
	return w.w.Write(w.rec)
}

func (w *csvRows) Row(cells []store.Cell) error {
	for i, c := range cells {
		switch {
		case c.Null:
			w.rec[i] = ""
		case w.cols[i].Kind == store.Time:
			w.rec[i] = c.Time.In(w.loc).Format(time.RFC3339)
		default:
			w.rec[i] = string(c.Raw)
		}
	}
	return w.w.Write(w.rec)
}

func (w *csvRows) finish() error {
	if !w.start {
		if err := w.Columns(nil); err != nil {
			return err
		}
	}
	w.w.Flush()
	if err := w.w.Error(); err != nil {
		return err
	}
	return w.bw.Flush()
}

// streamer is a RowWriter that has to be finished.
type streamer interface {
	store.RowWriter
	finish() error
	started() bool
}

func (j *jsonRows) started() bool { return j.start }
func (w *csvRows) started() bool  { return w.start }

// stream runs read into out and finishes it. An error before anything was
// written is returned for the error handler to answer; after that the
// answer is already 200 and part sent, so the connection is cut instead: a
// client then sees a broken transfer, not a short document that parses.
func (a *statsAPI) stream(c echo.Context, out streamer, read func(store.RowWriter) error) error {
	err := read(out)
	if err == nil {
		err = out.finish()
	}
	if err == nil || !out.started() {
		return readerErr(err)
	}
	a.log.Warn("statistics answer cut short", "path", c.Request().URL.Path, "err", err)
	panic(http.ErrAbortHandler)
}
