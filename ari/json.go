package ari

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/ccdhq/ccd/internal/jsontext"
	"github.com/ccdhq/ccd/internal/textcheck"
)

// This file holds the small JSON reader and writer used by the generated
// model code. Events arrive at a high rate and every one of them carries one
// or more Channel snapshots, so decoding goes through a purpose-built scanner
// instead of reflection: the input is converted to a string once and every
// unescaped string field is a substring of it, which leaves one allocation
// per event for all string data. Asterisk timestamps
// ("2026-11-22T18:35:24.138+0000") are not RFC 3339, which is another reason
// not to rely on time.Time's own JSON methods.
//
// The reader is strict: anything it accepts is valid JSON (RFC 8259). It
// stops at the first error.

// maxDepth bounds nesting when skipping unknown values, so hostile input
// cannot exhaust the stack.
const maxDepth = 1000

// reader is a JSON scanner over one document.
type reader struct {
	s     string
	i     int
	err   error
	depth int
}

// SyntaxError reports malformed JSON, or JSON whose shape does not match
// the ARI model being decoded.
type SyntaxError struct {
	Offset int    // byte offset in the input where the problem was found
	Msg    string // description of the problem
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("ari: invalid JSON at offset %d: %s", e.Offset, e.Msg)
}

func (r *reader) fail(msg string) {
	if r.err == nil {
		r.err = &SyntaxError{Offset: r.i, Msg: msg}
	}
	r.i = len(r.s)
}

func (r *reader) failf(format string, args ...any) {
	if r.err == nil {
		r.fail(fmt.Sprintf(format, args...))
	}
}

func (r *reader) ws() {
	for r.i < len(r.s) {
		switch r.s[r.i] {
		case ' ', '\t', '\n', '\r':
			r.i++
		default:
			return
		}
	}
}

// peek returns the next non-space byte, or 0 at the end of input.
func (r *reader) peek() byte {
	r.ws()
	if r.i < len(r.s) {
		return r.s[r.i]
	}
	return 0
}

func (r *reader) describe() string {
	if r.i >= len(r.s) {
		return "end of input"
	}
	return strconv.QuoteRune(rune(r.s[r.i]))
}

// literal consumes lit if it is next.
func (r *reader) literal(lit string) bool {
	if strings.HasPrefix(r.s[r.i:], lit) {
		r.i += len(lit)
		return true
	}
	return false
}

// null consumes a JSON null if it is the next value.
func (r *reader) null() bool {
	if r.peek() == 'n' {
		if r.literal("null") {
			return true
		}
		r.fail("invalid literal")
	}
	return false
}

// finish checks that only whitespace follows the value.
func (r *reader) finish() error {
	if r.err == nil {
		r.ws()
		if r.i != len(r.s) {
			r.fail("unexpected data after top-level value")
		}
	}
	return r.err
}

// objectBegin consumes '{'. It returns false for null (leaving the target
// untouched) and on error.
func (r *reader) objectBegin() bool { return r.open('{', "object") }

// objectFirst reports whether the object just opened has a member.
func (r *reader) objectFirst() bool { return r.first('}') }

// objectNext consumes the separator after a member and reports whether
// another member follows.
func (r *reader) objectNext() bool { return r.next('}', "object") }

// key reads a member name and the ':' after it.
func (r *reader) key() string {
	if r.peek() != '"' {
		r.failf("expected object key, found %s", r.describe())
		return ""
	}
	k := r.stringBody()
	if r.peek() != ':' {
		r.failf("expected ':' after object key, found %s", r.describe())
		return ""
	}
	r.i++
	return k
}

func (r *reader) arrayBegin() bool { return r.open('[', "array") }
func (r *reader) arrayFirst() bool { return r.first(']') }
func (r *reader) arrayNext() bool  { return r.next(']', "array") }

// open consumes the opening bracket of an object or array; null reads as
// absent.
func (r *reader) open(bracket byte, what string) bool {
	switch r.peek() {
	case bracket:
		r.i++
		return true
	case 'n':
		r.null()
		return false
	}
	r.failf("expected %s, found %s", what, r.describe())
	return false
}

// first consumes the closing bracket of an empty container.
func (r *reader) first(closing byte) bool {
	if r.peek() == closing {
		r.i++
		return false
	}
	return r.err == nil
}

// next consumes ',' (another element follows) or the closing bracket.
func (r *reader) next(closing byte, what string) bool {
	switch r.peek() {
	case ',':
		r.i++
		return true
	case closing:
		r.i++
		return false
	}
	r.failf("expected ',' or '%c' in %s, found %s", closing, what, r.describe())
	return false
}

// str reads a string value; null reads as "".
func (r *reader) str() string {
	switch r.peek() {
	case '"':
		return r.stringBody()
	case 'n':
		r.null()
		return ""
	}
	r.failf("expected string, found %s", r.describe())
	return ""
}

// stringBody reads a string starting at the opening quote. Strings without
// escapes are returned as substrings of the input (no allocation).
func (r *reader) stringBody() string {
	r.i++ // opening quote
	start := r.i
	ascii := true
	for r.i < len(r.s) {
		c := r.s[r.i]
		switch {
		case c == '"':
			s := r.s[start:r.i]
			r.i++
			if !ascii && !utf8.ValidString(s) {
				return fixUTF8(s)
			}
			return s
		case c == '\\':
			return r.stringEscaped(start)
		case c < 0x20:
			r.fail("control character in string")
			return ""
		case c >= utf8.RuneSelf:
			ascii = false
		}
		r.i++
	}
	r.fail("unterminated string")
	return ""
}

// stringEscaped finishes a string that contains escapes, starting over at
// start (just after the opening quote). A \u0000 escape is dropped
// (textcheck.Clean): decoded strings go to the event log, and PostgreSQL refuses
// NUL. Unescaped strings cannot hold one: a raw control character is an error.
func (r *reader) stringEscaped(start int) string {
	b := make([]byte, 0, r.i-start+16)
	b = append(b, r.s[start:r.i]...)
	for r.i < len(r.s) {
		c := r.s[r.i]
		switch {
		case c == '"':
			r.i++
			if !utf8.Valid(b) {
				return textcheck.Clean(fixUTF8(string(b)))
			}
			return textcheck.Clean(string(b))
		case c < 0x20:
			r.fail("control character in string")
			return ""
		case c != '\\':
			b = append(b, c)
			r.i++
			continue
		}
		// Escape sequence.
		if r.i+1 >= len(r.s) {
			break
		}
		e := r.s[r.i+1]
		r.i += 2
		switch e {
		case '"', '\\', '/':
			b = append(b, e)
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case 'u':
			c1, ok := r.hex4()
			if !ok {
				return ""
			}
			rn := rune(c1)
			if utf16.IsSurrogate(rn) {
				// A high surrogate must be followed by \uDC00-\uDFFF to form
				// one code point; anything else becomes U+FFFD, as in
				// encoding/json.
				rn = utf8.RuneError
				if c1 < 0xDC00 && strings.HasPrefix(r.s[r.i:], `\u`) {
					save := r.i
					r.i += 2
					c2, ok := r.hex4()
					if !ok {
						return ""
					}
					if dec := utf16.DecodeRune(rune(c1), rune(c2)); dec != utf8.RuneError {
						rn = dec
					} else {
						r.i = save
					}
				}
			}
			b = utf8.AppendRune(b, rn)
		default:
			r.i -= 2
			r.fail("invalid escape in string")
			return ""
		}
	}
	r.fail("unterminated string")
	return ""
}

func (r *reader) hex4() (uint16, bool) {
	if r.i+4 > len(r.s) {
		r.fail("short unicode escape")
		return 0, false
	}
	var v uint16
	for _, c := range []byte(r.s[r.i : r.i+4]) {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			r.fail("invalid unicode escape")
			return 0, false
		}
		v = v<<4 | uint16(c)
	}
	r.i += 4
	return v, true
}

// fixUTF8 replaces each invalid byte with U+FFFD, as encoding/json does.
func fixUTF8(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 8)
	for len(s) > 0 {
		c, n := utf8.DecodeRuneInString(s)
		if c == utf8.RuneError && n == 1 {
			b.WriteRune(utf8.RuneError)
		} else {
			b.WriteString(s[:n])
		}
		s = s[n:]
	}
	return b.String()
}

// number scans a JSON number and returns its text and whether it is a plain
// integer (no fraction or exponent).
func (r *reader) number() (string, bool) {
	r.ws()
	start := r.i
	s := r.s
	i := r.i
	integer := true
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && '1' <= s[i] && s[i] <= '9':
		for i < len(s) && '0' <= s[i] && s[i] <= '9' {
			i++
		}
	default:
		r.i = i
		r.failf("expected number, found %s", r.describe())
		return "", false
	}
	if i < len(s) && s[i] == '.' {
		integer = false
		i++
		if i >= len(s) || s[i] < '0' || s[i] > '9' {
			r.i = i
			r.fail("invalid number")
			return "", false
		}
		for i < len(s) && '0' <= s[i] && s[i] <= '9' {
			i++
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		integer = false
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if i >= len(s) || s[i] < '0' || s[i] > '9' {
			r.i = i
			r.fail("invalid number")
			return "", false
		}
		for i < len(s) && '0' <= s[i] && s[i] <= '9' {
			i++
		}
	}
	r.i = i
	return s[start:i], integer
}

func (r *reader) int64() int64 {
	if r.null() {
		return 0
	}
	start := r.i
	txt, integer := r.number()
	if r.err != nil {
		return 0
	}
	if !integer {
		r.i = start
		r.failf("number %s is not an integer", txt)
		return 0
	}
	// Fast path for the short non-negative numbers ARI sends.
	if len(txt) <= 18 && txt[0] != '-' {
		var v int64
		for i := 0; i < len(txt); i++ {
			v = v*10 + int64(txt[i]-'0')
		}
		return v
	}
	v, err := strconv.ParseInt(txt, 10, 64)
	if err != nil {
		r.i = start
		r.failf("number %s out of range", txt)
		return 0
	}
	return v
}

func (r *reader) int() int {
	start := r.i
	v := r.int64()
	if v > math.MaxInt || v < math.MinInt {
		r.i = start
		r.fail("number out of range")
		return 0
	}
	return int(v)
}

func (r *reader) float() float64 {
	if r.null() {
		return 0
	}
	start := r.i
	txt, _ := r.number()
	if r.err != nil {
		return 0
	}
	v, err := strconv.ParseFloat(txt, 64)
	if err != nil {
		r.i = start
		r.failf("number %s out of range", txt)
		return 0
	}
	return v
}

func (r *reader) bool() bool {
	switch r.peek() {
	case 't':
		if r.literal("true") {
			return true
		}
	case 'f':
		if r.literal("false") {
			return false
		}
	case 'n':
		r.null()
		return false
	}
	r.failf("expected boolean, found %s", r.describe())
	return false
}

// time reads an Asterisk timestamp; null or "" read as the zero time.
func (r *reader) time() time.Time {
	start := r.i
	s := r.str()
	if r.err != nil || s == "" {
		return time.Time{}
	}
	t, err := ParseTime(s)
	if err != nil {
		r.i = start
		r.fail(err.Error())
	}
	return t
}

// raw returns a copy of the next value's JSON text, cleaned (cleanRaw); null
// reads as nil.
func (r *reader) raw() json.RawMessage {
	if r.null() {
		return nil
	}
	r.ws()
	start := r.i
	r.skip()
	if r.err != nil {
		return nil
	}
	return json.RawMessage(cleanRaw(r.s[start:r.i]))
}

// cleanRaw returns valid JSON text with every string in it decoded and encoded
// again when it holds an escape or invalid UTF-8: NUL dropped, invalid UTF-8 and
// lone surrogates replaced, as for decoded strings. PostgreSQL's jsonb refuses
// \u0000, lone surrogates and invalid UTF-8, and raw values are stored as they
// are. Outside strings valid JSON has no quote, so each quote starts a string.
func cleanRaw(raw string) string {
	if !strings.Contains(raw, `\u`) && utf8.ValidString(raw) {
		return raw
	}
	b := make([]byte, 0, len(raw))
	r := reader{s: raw}
	for {
		q := strings.IndexByte(raw[r.i:], '"')
		if q < 0 {
			return string(append(b, raw[r.i:]...))
		}
		b = append(b, raw[r.i:r.i+q]...)
		r.i += q
		b = appendString(b, r.stringBody())
	}
}

// strList reads an array of strings; null reads as nil.
func (r *reader) strList() []string {
	if !r.arrayBegin() {
		return nil
	}
	l := []string{}
	for more := r.arrayFirst(); more; more = r.arrayNext() {
		l = append(l, r.str())
	}
	return l
}

// strMap reads an object of strings. ARI documents these objects (channel
// variables, bridge variables...) as string maps; a non-string value is kept
// as its JSON text rather than failing the whole event.
func (r *reader) strMap() map[string]string {
	if !r.objectBegin() {
		return nil
	}
	m := map[string]string{}
	for more := r.objectFirst(); more; more = r.objectNext() {
		k := r.key()
		if r.peek() == '"' {
			m[k] = r.str()
		} else {
			m[k] = string(r.raw())
		}
	}
	return m
}

// skipObject consumes an object whose members are all ignored.
func (r *reader) skipObject() {
	if !r.objectBegin() {
		return
	}
	for more := r.objectFirst(); more; more = r.objectNext() {
		r.key()
		r.skip()
	}
}

// skip consumes and validates one value of any type.
func (r *reader) skip() {
	switch r.peek() {
	case '{':
		r.depth++
		if r.depth > maxDepth {
			r.fail("nesting too deep")
			return
		}
		r.i++
		for more := r.objectFirst(); more; more = r.objectNext() {
			r.key()
			r.skip()
		}
		r.depth--
	case '[':
		r.depth++
		if r.depth > maxDepth {
			r.fail("nesting too deep")
			return
		}
		r.i++
		for more := r.arrayFirst(); more; more = r.arrayNext() {
			r.skip()
		}
		r.depth--
	case '"':
		r.stringBody()
	case 't':
		if !r.literal("true") {
			r.fail("invalid literal")
		}
	case 'f':
		if !r.literal("false") {
			r.fail("invalid literal")
		}
	case 'n':
		if !r.literal("null") {
			r.fail("invalid literal")
		}
	default:
		r.number()
	}
}

// decoder is implemented by every generated model.
type decoder interface {
	decode(r *reader)
}

func unmarshalInto(data []byte, v decoder) error {
	r := reader{s: string(data)}
	v.decode(&r)
	return r.finish()
}

// decodeList decodes a JSON array of models, as returned by the list
// operations of the REST API.
func decodeList[T any, P interface {
	*T
	decoder
}](data []byte) ([]T, error) {
	r := reader{s: string(data)}
	out := []T{}
	if r.arrayBegin() {
		for more := r.arrayFirst(); more; more = r.arrayNext() {
			var x T
			P(&x).decode(&r)
			out = append(out, x)
		}
	}
	if err := r.finish(); err != nil {
		return nil, err
	}
	return out, nil
}

// TimeLayout is the layout of every timestamp in ARI JSON
// (ast_json_timeval: millisecond precision, numeric zone without colon).
const TimeLayout = "2006-01-02T15:04:05.000-0700"

var errTime = errors.New("invalid timestamp")

// zones caches the fixed zones of offsets other than UTC so that parsing a
// timestamp does not allocate a *time.Location each time. Offsets are
// cached by minute in [-24h, +24h].
var zones [2*24*60 + 1]atomic.Pointer[time.Location]

// ParseTime parses an ARI timestamp. Besides TimeLayout it accepts RFC 3339
// (with or without fractional seconds), which some proxies and test
// fixtures produce.
func ParseTime(s string) (time.Time, error) {
	// Fast path: exactly "YYYY-MM-DDTHH:MM:SS.mmm+hhmm".
	if len(s) == 28 && s[4] == '-' && s[7] == '-' && s[10] == 'T' && s[13] == ':' &&
		s[16] == ':' && s[19] == '.' && (s[23] == '+' || s[23] == '-') {
		n := func(a, b int) int {
			v := 0
			for i := a; i < b; i++ {
				c := s[i]
				if c < '0' || c > '9' {
					return -1
				}
				v = v*10 + int(c-'0')
			}
			return v
		}
		year, mon, day := n(0, 4), n(5, 7), n(8, 10)
		hh, mm, ss, ms := n(11, 13), n(14, 16), n(17, 19), n(20, 23)
		zh, zm := n(24, 26), n(26, 28)
		if year >= 0 && mon >= 1 && mon <= 12 && day >= 1 && day <= daysIn(mon, year) &&
			hh >= 0 && hh < 24 && mm >= 0 && mm < 60 && ss >= 0 && ss < 60 && ms >= 0 &&
			zh >= 0 && zh < 24 && zm >= 0 && zm < 60 {
			off := zh*60 + zm
			if s[23] == '-' {
				off = -off
			}
			return time.Date(year, time.Month(mon), day, hh, mm, ss, ms*1e6, zone(off)), nil
		}
		return time.Time{}, fmt.Errorf("%w %q", errTime, s)
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999-0700"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%w %q", errTime, s)
}

func daysIn(mon, year int) int {
	switch mon {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

func zone(offMinutes int) *time.Location {
	if offMinutes == 0 {
		return time.UTC
	}
	z := &zones[offMinutes+24*60]
	if loc := z.Load(); loc != nil {
		return loc
	}
	loc := time.FixedZone("", offMinutes*60)
	if z.CompareAndSwap(nil, loc) {
		return loc
	}
	return z.Load()
}

// appendKey writes `"key":`, preceded by a comma unless it is the first
// member of the object being written.
func appendKey(b []byte, key string) []byte {
	if len(b) > 0 && b[len(b)-1] != '{' {
		b = append(b, ',')
	}
	b = append(b, '"')
	b = append(b, key...)
	return append(b, '"', ':')
}

// appendString writes s as a JSON string (jsontext.AppendString).
func appendString(b []byte, s string) []byte { return jsontext.AppendString(b, s) }

func appendInt(b []byte, v int64) []byte { return strconv.AppendInt(b, v, 10) }

func appendBool(b []byte, v bool) []byte { return strconv.AppendBool(b, v) }

// appendFloat writes f; NaN and infinities, which JSON cannot express, are
// written as 0.
func appendFloat(b []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(b, '0')
	}
	return strconv.AppendFloat(b, f, 'g', -1, 64)
}

// appendTime writes t in TimeLayout when it has millisecond precision and a
// four-digit year, and in RFC 3339 otherwise, so that decoding gives back
// the same instant.
func appendTime(b []byte, t time.Time) []byte {
	if y := t.Year(); y >= 0 && y <= 9999 && t.Nanosecond()%1e6 == 0 {
		_, off := t.Zone()
		if off%60 == 0 && off > -24*3600 && off < 24*3600 {
			b = append(b, '"')
			b = t.AppendFormat(b, TimeLayout)
			return append(b, '"')
		}
	}
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"')
}

// appendRaw writes a raw JSON value; a nil or invalid value is written as
// null so that the output stays valid.
func appendRaw(b []byte, v json.RawMessage) []byte {
	if len(v) == 0 || !json.Valid(v) {
		return append(b, "null"...)
	}
	return append(b, v...)
}

// appendStrMap writes a string map with sorted keys.
func appendStrMap(b []byte, m map[string]string) []byte {
	if m == nil {
		return append(b, "null"...)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, k)
		b = append(b, ':')
		b = appendString(b, m[k])
	}
	return append(b, '}')
}
