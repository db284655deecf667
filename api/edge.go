package api

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/internal/textcheck"
	"github.com/labstack/echo/v4"
)

// edge is what every request passes before its handler, whatever the route:
// the body is read within the size limit (and then served to the handler from
// memory), the write deadline follows the answer's progress, and every text the request carries (query and
// path parameters, form fields, JSON strings at any depth) is checked with
// textcheck, so that no route, present or future, can hand the event log a
// value PostgreSQL refuses.
func (s *Server) edge(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		rc := http.NewResponseController(c.Response())
		if limit, ok := s.streamed[c.Path()]; ok {
			return s.streamEdge(c, rc, limit, next)
		}
		if r.ContentLength > s.opts.MaxBodyBytes {
			return tooLarge(s.opts.MaxBodyBytes)
		}
		body, err := io.ReadAll(http.MaxBytesReader(c.Response().Writer, r.Body, s.opts.MaxBodyBytes))
		if err != nil {
			return bodyReadError(err, s.opts.MaxBodyBytes)
		}
		followProgress(c, rc, s.opts.WriteTimeout)
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
		r.TransferEncoding = nil
		if err := checkTexts(c, body); err != nil {
			return err
		}
		return next(c)
	}
}

// StreamBody makes route path's body a stream its handler reads (an import of
// a million rows), within limit bytes, instead of a body read whole at the
// edge: the handler checks each text it takes with textcheck and reads
// errors with BodyError. The read deadline moves on while the body comes.
// Register it before serving.
func (s *Server) StreamBody(path string, limit int64) { s.streamed[path] = limit }

func (s *Server) streamEdge(c echo.Context, rc *http.ResponseController, limit int64, next echo.HandlerFunc) error {
	r := c.Request()
	if r.ContentLength > limit {
		return tooLarge(limit)
	}
	if err := checkQuery(r.URL.RawQuery); err != nil {
		return err
	}
	followProgress(c, rc, s.opts.WriteTimeout)
	r.Body = &progressReader{ReadCloser: http.MaxBytesReader(c.Response().Writer, r.Body, limit), rc: rc, timeout: s.opts.ReadTimeout}
	return next(c)
}

// progressReader moves the read deadline on as a streamed body arrives.
type progressReader struct {
	io.ReadCloser
	rc       *http.ResponseController
	timeout  time.Duration
	extended time.Time
}

func (p *progressReader) Read(b []byte) (int, error) {
	if now := time.Now(); now.Sub(p.extended) > p.timeout/8 {
		_ = p.rc.SetReadDeadline(now.Add(p.timeout))
		p.extended = now
	}
	return p.ReadCloser.Read(b)
}

// BodyError is the error to answer for a failed read of a streamed body:
// 413 over its limit, 408 late, else 400.
func BodyError(err error, limit int64) error { return bodyReadError(err, limit) }

func tooLarge(limit int64) error {
	return &ccd.Error{Code: ccd.ETOOLARGE, Field: "body", Message: fmt.Sprintf("the request body is over %d bytes (api.max_body_bytes)", limit)}
}

// bodyReadError tells a body over the limit (413) from one that did not come
// in time (408) or at all (400).
func bodyReadError(err error, limit int64) error {
	var tooBig *http.MaxBytesError
	var ne net.Error
	switch {
	case errors.As(err, &tooBig):
		return tooLarge(limit)
	case errors.As(err, &ne) && ne.Timeout():
		return &ccd.Error{Code: ccd.ETIMEOUT, Field: "body", Message: "the request body did not arrive in time (api.read_timeout)"}
	default:
		return ccd.Invalid("body", "could not be read: "+err.Error())
	}
}

// progressWriter extends the connection's write deadline as an answer is
// written, so the write timeout bounds a stall, not a whole answer: a client
// that stops reading is cut off, a large export that keeps flowing is not.
type progressWriter struct {
	http.ResponseWriter
	rc       *http.ResponseController
	timeout  time.Duration
	extended time.Time
}

// followProgress puts a progressWriter under the echo response and starts the
// write deadline now, after the body is in.
func followProgress(c echo.Context, rc *http.ResponseController, timeout time.Duration) {
	w := &progressWriter{ResponseWriter: c.Response().Writer, rc: rc, timeout: timeout}
	w.extend(time.Now())
	c.Response().Writer = w
}

func (w *progressWriter) extend(now time.Time) {
	_ = w.rc.SetWriteDeadline(now.Add(w.timeout))
	w.extended = now
}

func (w *progressWriter) Write(b []byte) (int, error) {
	// Setting a deadline costs a timer update; once per eighth of the
	// timeout is precise enough.
	if now := time.Now(); now.Sub(w.extended) > w.timeout/8 {
		w.extend(now)
	}
	return w.ResponseWriter.Write(b)
}

func (w *progressWriter) Flush() {
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

func (w *progressWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// checkTexts refuses (400, naming the field) the first text of the request
// that textcheck.Problem refuses.
func checkTexts(c echo.Context, body []byte) error {
	if err := checkQuery(c.Request().URL.RawQuery); err != nil {
		return err
	}
	if len(body) == 0 {
		return nil
	}
	ctype, params, _ := mime.ParseMediaType(c.Request().Header.Get("Content-Type"))
	switch {
	case ctype == echo.MIMEApplicationForm:
		return checkForm(body)
	case ctype == echo.MIMEMultipartForm:
		return checkMultipart(body, params["boundary"])
	case ctype == echo.MIMEApplicationJSON || strings.HasSuffix(ctype, "+json"):
		return checkJSON(body)
	case ctype == "text/xml" || ctype == "application/xml" || strings.HasSuffix(ctype, "+xml"):
		return checkXML(body)
	case json.Valid(body):
		// JSON under another content type: checked as JSON all the same, in
		// case a handler decodes it without asking.
		return checkJSON(body)
	default:
		// A body in another format is read by no handler as fields; it still
		// must not smuggle what PostgreSQL refuses.
		if p := textcheck.TextProblem(string(body)); p != "" {
			return ccd.Invalid("body", p)
		}
		return nil
	}
}

// checkXML checks the text of every element of an XML body (a SOAP
// request), naming the element that holds what PostgreSQL refuses or what
// XML cannot carry; a body that is not XML is refused naming body.
func checkXML(body []byte) error {
	dec := xml.NewDecoder(bytes.NewReader(body))
	var open []string
	for {
		tok, err := dec.Token()
		switch {
		case err == io.EOF:
			return nil
		case err != nil && len(open) > 0:
			return ccd.Invalid(open[len(open)-1], "is not XML text: "+err.Error())
		case err != nil:
			return ccd.Invalid("body", "is not well-formed XML: "+err.Error())
		}
		switch t := tok.(type) {
		case xml.StartElement:
			open = append(open, t.Name.Local)
			for _, a := range t.Attr {
				if p := textcheck.Problem(a.Value); p != "" {
					return ccd.Invalid(t.Name.Local, "attribute "+a.Name.Local+" "+p)
				}
			}
		case xml.EndElement:
			open = open[:len(open)-1]
		case xml.CharData:
			if strings.TrimSpace(string(t)) == "" {
				continue // the layout between elements
			}
			if p := textcheck.Problem(string(t)); p != "" && len(open) > 0 {
				return ccd.Invalid(open[len(open)-1], p)
			}
		}
	}
}

func checkQuery(raw string) error {
	q, err := url.ParseQuery(raw)
	if err != nil {
		return ccd.Invalid("query", "is not a valid query string: "+err.Error())
	}
	return checkValues(q)
}

func checkForm(body []byte) error {
	f, err := url.ParseQuery(string(body))
	if err != nil {
		return ccd.Invalid("body", "is not a valid form: "+err.Error())
	}
	return checkValues(f)
}

// checkValues checks the names and values of query parameters or form fields.
func checkValues(vs url.Values) error {
	for name, values := range vs {
		if p := textcheck.Problem(name); p != "" {
			return ccd.Invalid(fieldName(name), "parameter name "+p)
		}
		for _, v := range values {
			if p := textcheck.Problem(v); p != "" {
				return ccd.Invalid(name, p)
			}
		}
	}
	return nil
}

func checkMultipart(body []byte, boundary string) error {
	if boundary == "" {
		return ccd.Invalid("body", "multipart/form-data without a boundary")
	}
	mr := multipart.NewReader(bytes.NewReader(body), boundary)
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return ccd.Invalid("body", "is not valid multipart/form-data: "+err.Error())
		}
		name := part.FormName()
		if p := textcheck.Problem(name); p != "" {
			return ccd.Invalid(fieldName(name), "field name "+p)
		}
		if part.FileName() != "" {
			continue // a file is content, not a text field
		}
		v, err := io.ReadAll(part)
		if err != nil {
			return ccd.Invalid(name, "could not be read: "+err.Error())
		}
		if p := textcheck.Problem(string(v)); p != "" {
			return ccd.Invalid(name, p)
		}
	}
}

// checkJSON walks a JSON body token by token and names the first key or
// string value that is refused by its path ("pause_id", "data.items[2].code").
// The raw bytes of each string are checked too: encoding/json turns invalid
// UTF-8 into U+FFFD silently, which would hide the fault from a handler.
func checkJSON(body []byte) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var path jsonPath
	for {
		start := dec.InputOffset()
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return ccd.Invalid("body", "is not valid JSON: "+err.Error())
		}
		switch t := tok.(type) {
		case json.Delim:
			path.delim(t)
			continue
		case string:
			isKey := path.expectsKey()
			field := path.field(t, isKey)
			if !utf8.Valid(body[start:dec.InputOffset()]) {
				return ccd.Invalid(field, "is not valid UTF-8")
			}
			if p := textcheck.Problem(t); p != "" {
				return ccd.Invalid(field, cond(isKey, "key ", "")+p)
			}
			if isKey {
				path.key(t)
				continue
			}
		}
		path.valueDone()
	}
}

func cond(b bool, yes, no string) string {
	if b {
		return yes
	}
	return no
}

// jsonPath follows where a token stream is: one frame per open object or
// array.
type jsonPath struct{ frames []jsonFrame }

type jsonFrame struct {
	object  bool
	key     string // object: the key of the value being read
	index   int    // array: the index of the value being read
	wantKey bool   // object: the next string is a key
}

func (p *jsonPath) top() *jsonFrame {
	if len(p.frames) == 0 {
		return nil
	}
	return &p.frames[len(p.frames)-1]
}

func (p *jsonPath) expectsKey() bool {
	f := p.top()
	return f != nil && f.object && f.wantKey
}

func (p *jsonPath) delim(d json.Delim) {
	switch d {
	case '{':
		p.frames = append(p.frames, jsonFrame{object: true, wantKey: true})
	case '[':
		p.frames = append(p.frames, jsonFrame{})
	default: // '}' or ']': the container was a value of its parent
		p.frames = p.frames[:len(p.frames)-1]
		p.valueDone()
	}
}

func (p *jsonPath) key(k string) {
	f := p.top()
	f.key, f.wantKey = k, false
}

// valueDone moves past a value: an object waits for its next key, an array
// counts its next index.
func (p *jsonPath) valueDone() {
	f := p.top()
	switch {
	case f == nil:
	case f.object:
		f.wantKey = true
	default:
		f.index++
	}
}

// field is the path of the value being read, or of the key k when isKey.
func (p *jsonPath) field(k string, isKey bool) string {
	var b strings.Builder
	for i, f := range p.frames {
		last := i == len(p.frames)-1
		switch {
		case f.object && last && isKey:
			writeKey(&b, fieldName(k))
		case f.object:
			writeKey(&b, f.key)
		default:
			b.WriteString("[" + strconv.Itoa(f.index) + "]")
		}
	}
	if b.Len() == 0 {
		return "body"
	}
	return b.String()
}

func writeKey(b *strings.Builder, k string) {
	if b.Len() > 0 {
		b.WriteByte('.')
	}
	b.WriteString(k)
}

// fieldName makes a refused name printable for the error that names it.
func fieldName(name string) string {
	if textcheck.Problem(name) == "" {
		return name
	}
	q := strconv.QuoteToASCII(name)
	return q[1 : len(q)-1]
}
