package api

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
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
// an object whose keys keep the order of the columns. Rows are appended to
// one buffer, which goes to the client each time it passes flushAt: a day
// of AgentStat is 15 MB of JSON, and a bufio.Writer in between would copy
// all of it once more.
type jsonRows struct {
	c     echo.Context
	meta  any // the fields before "columns", as a struct
	times timeText
	cols  []store.Column
	keys  [][]byte // `{"name":` for the first column, `,"name":` for the others
	rows  int
	out   []byte
	start bool
}

const flushAt = 64 << 10

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
	j.times.reset(len(cols))
	resp := j.c.Response()
	resp.Header().Set(echo.HeaderContentType, echo.MIMEApplicationJSON)
	resp.WriteHeader(http.StatusOK)
	j.start = true
	j.out = make([]byte, 0, flushAt+flushAt/2)
	j.out = append(j.out, meta[:len(meta)-1]...) // without its closing brace
	if len(meta) > 2 {
		j.out = append(j.out, ',')
	}
	j.out = append(j.out, `"columns":`...)
	j.out = append(j.out, colsJSON...)
	j.out = append(j.out, `,"rows":[`...)
	return nil
}

func (j *jsonRows) Row(cells []store.Cell) error {
	b := j.out
	if j.rows > 0 {
		b = append(b, ',')
	}
	j.rows++
	if len(cells) == 0 {
		b = append(b, '{')
	}
	for i := range cells {
		b = append(b, j.keys[i]...)
		c := &cells[i]
		switch {
		case c.Null:
			b = append(b, "null"...)
		case j.cols[i].Kind == store.Time:
			b = append(b, '"')
			b = j.times.append(b, i, c.Time)
			b = append(b, '"')
		case j.cols[i].Kind == store.Integer:
			b = strconv.AppendInt(b, c.Int, 10)
		default:
			b = appendJSONValue(b, j.cols[i].Kind, c.Raw)
		}
	}
	j.out = append(b, '}')
	if len(j.out) < flushAt {
		return nil
	}
	return j.flush()
}

func (j *jsonRows) flush() error {
	_, err := j.c.Response().Write(j.out)
	j.out = j.out[:0]
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
	j.out = append(j.out, "]}\n"...)
	return j.flush()
}

// appendJSONValue appends the text of a decimal, a bool or a text: numbers
// bare, NaN and infinities (which JSON has not) as null, text as a string.
func appendJSONValue(b []byte, k store.ValueKind, raw []byte) []byte {
	switch k {
	case store.Bool:
		return append(b, raw...)
	case store.Decimal:
		if s := string(raw); s == "NaN" || s == "Infinity" || s == "-Infinity" || s == "+Inf" || s == "-Inf" {
			return append(b, "null"...)
		}
		return append(b, raw...)
	}
	return jsontext.AppendString(b, string(raw))
}

// timeText formats the times of a read in RFC 3339 in loc. A column's time
// repeats row after row (thedate is the same for every agent of a
// quarter-hour), so each column keeps its last one formatted.
type timeText struct {
	loc  *time.Location
	last []time.Time
	text [][]byte
}

func (t *timeText) reset(columns int) {
	t.last, t.text = make([]time.Time, columns), make([][]byte, columns)
}

// append appends the text of column i's time v.
func (t *timeText) append(b []byte, i int, v time.Time) []byte {
	if t.text[i] == nil || !v.Equal(t.last[i]) {
		t.last[i] = v
		t.text[i] = v.In(t.loc).AppendFormat(t.text[i][:0], time.RFC3339)
	}
	return append(b, t.text[i]...)
}

// csvRows writes an RFC 4180 file: the header line, then the rows; NULL is an
// empty field, times are RFC 3339 in loc and texts that a spreadsheet would
// run as formulas are quoted (csvText).
type csvRows struct {
	c     echo.Context
	file  string
	times timeText
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
	w.times.reset(len(cols))
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
			w.rec[i] = string(w.times.append(nil, i, c.Time))
		case w.cols[i].Kind == store.Integer:
			w.rec[i] = strconv.FormatInt(c.Int, 10)
		case w.cols[i].Kind == store.Text:
			w.rec[i] = csvText(c.Raw)
		default:
			w.rec[i] = string(c.Raw)
		}
	}
	return w.w.Write(w.rec)
}

// csvText is a text cell of a CSV file. Spreadsheets take a cell starting
// with =, +, - or @ (also after a tab or CR, which they skip) for a formula,
// so a caller ID or an activity code "=HYPERLINK(...)" would run in whoever
// opens the export (OWASP CSV injection); a leading single quote makes it
// text. Numeric columns never come here: -5 in them is a number.
func csvText(raw []byte) string {
	if len(raw) > 0 {
		switch raw[0] {
		case '=', '+', '-', '@', '\t', '\r':
			return "'" + string(raw)
		}
	}
	return string(raw)
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
