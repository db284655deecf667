package ari

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Error is a non-2xx response of the REST API. Asterisk explains errors in
// a JSON body {"message": "..."}; Message holds that text (or the raw body
// when it is not JSON). Use errors.As, or IsNotFound and friends:
//
//	if err := c.Channel(id).Answer(ctx); ari.IsNotFound(err) {
//		// the caller hung up meanwhile
//	}
type Error struct {
	StatusCode int    // HTTP status, e.g. 404
	Message    string // Asterisk's explanation, e.g. "Channel not found"
	Method     string // request method
	Path       string // request path below /ari, e.g. "/channels/abc/answer"
}

func (e *Error) Error() string {
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(e.StatusCode)
	}
	return fmt.Sprintf("ari: %s %s: %d %s", e.Method, e.Path, e.StatusCode, msg)
}

func newError(status int, method, path string, body []byte) *Error {
	e := &Error{StatusCode: status, Method: method, Path: path}
	var m struct {
		Message string `json:"message"`
		Error   string `json:"error"`
	}
	if json.Unmarshal(body, &m) == nil && (m.Message != "" || m.Error != "") {
		e.Message = m.Message
		if e.Message == "" {
			e.Message = m.Error
		}
	} else if s := strings.TrimSpace(string(body)); s != "" {
		if len(s) > 200 {
			s = s[:200] + "..."
		}
		e.Message = s
	}
	return e
}

func statusOf(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.StatusCode
	}
	return 0
}

// IsNotFound reports whether err is an ARI 404 Not Found (e.g. the channel
// is already gone).
func IsNotFound(err error) bool { return statusOf(err) == http.StatusNotFound }

// IsConflict reports whether err is an ARI 409 Conflict (e.g. a channelId
// that is already in use, or a channel that is not in Stasis).
func IsConflict(err error) bool { return statusOf(err) == http.StatusConflict }

// IsUnprocessable reports whether err is an ARI 422 Unprocessable Entity
// (e.g. adding a channel that is not in Stasis to a bridge).
func IsUnprocessable(err error) bool { return statusOf(err) == http.StatusUnprocessableEntity }

// IsPreconditionFailed reports whether err is an ARI 412 Precondition
// Failed, which channel operations return for a channel in the wrong state
// (e.g. answering a channel that is still ringing out).
func IsPreconditionFailed(err error) bool {
	return statusOf(err) == http.StatusPreconditionFailed
}

// IsBadRequest reports whether err is an ARI 400 Bad Request.
func IsBadRequest(err error) bool { return statusOf(err) == http.StatusBadRequest }

// maxBody bounds the size of JSON responses read into memory.
const maxBody = 64 << 20

func readLimited(r io.Reader, n int64) []byte {
	b, _ := io.ReadAll(io.LimitReader(r, n))
	return b
}

// request describes one REST call.
type request struct {
	method string
	path   string // below /ari, segments already escaped with pathSeg
	query  url.Values
	body   any // JSON-encoded when non-nil
}

// pathSeg escapes s for use as one path segment. Unlike url.PathEscape it
// leaves RFC 3986 sub-delimiters alone, so that Local channel ids such as
// "caller-1;2" appear in request paths as Asterisk's own clients send them.
func pathSeg(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			strings.IndexByte("-._~!$&'()*+,;=:@", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

// displayPath unescapes a request path for error messages.
func displayPath(p string) string {
	if u, err := url.PathUnescape(p); err == nil {
		return u
	}
	return p
}

// send performs a request and returns the response, which has a 2xx
// status; other statuses are returned as *Error.
func (c *Client) send(ctx context.Context, r request) (*http.Response, error) {
	var data []byte
	if r.body != nil {
		var err error
		if data, err = json.Marshal(r.body); err != nil {
			return nil, fmt.Errorf("ari: %s %s: encoding body: %w", r.method, displayPath(r.path), err)
		}
	}
	if rc := c.rest.Load(); rc != nil {
		return c.sendOverWebSocket(ctx, rc, r, data)
	}
	return c.sendHTTP(ctx, r, data)
}

// sendHTTP is send over HTTP; data is the encoded body or nil.
func (c *Client) sendHTTP(ctx context.Context, r request, data []byte) (*http.Response, error) {
	u := c.base + r.path
	if len(r.query) > 0 {
		u += "?" + r.query.Encode()
	}
	var body io.Reader
	if data != nil {
		body = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, u, body)
	if err != nil {
		return nil, fmt.Errorf("ari: %s %s: %w", r.method, displayPath(r.path), err)
	}
	req.Header.Set("Authorization", c.auth)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.httpc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("ari: %s %s: %w", r.method, displayPath(r.path), err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		data := readLimited(resp.Body, 64<<10)
		resp.Body.Close()
		return nil, newError(resp.StatusCode, r.method, displayPath(r.path), data)
	}
	return resp, nil
}

// call performs a request and decodes a JSON response into out (if not
// nil).
func (c *Client) call(ctx context.Context, r request, out decoder) error {
	resp, err := c.send(ctx, r)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return fmt.Errorf("ari: %s %s: reading response: %w", r.method, displayPath(r.path), err)
	}
	if out == nil || len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	if err := unmarshalInto(data, out); err != nil {
		return fmt.Errorf("ari: %s %s: decoding response: %w", r.method, displayPath(r.path), err)
	}
	return nil
}

// list performs a request whose response is a JSON array of T.
func list[T any, P interface {
	*T
	decoder
}](ctx context.Context, c *Client, r request) ([]T, error) {
	resp, err := c.send(ctx, r)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, fmt.Errorf("ari: %s %s: reading response: %w", r.method, displayPath(r.path), err)
	}
	out, err := decodeList[T, P](data)
	if err != nil {
		return nil, fmt.Errorf("ari: %s %s: decoding response: %w", r.method, displayPath(r.path), err)
	}
	return out, nil
}

// get is call for a single model result.
func get[T any, P interface {
	*T
	decoder
}](ctx context.Context, c *Client, r request) (*T, error) {
	v := new(T)
	if err := c.call(ctx, r, P(v)); err != nil {
		return nil, err
	}
	return v, nil
}

// params builds query strings. Empty values are left out so that Asterisk
// applies its documented defaults.
type params url.Values

func (p params) str(k, v string) params {
	if v != "" {
		p[k] = []string{v}
	}
	return p
}

// list joins values with commas: that is how ARI takes parameters with
// allowMultiple (e.g. channel=a,b on addChannel).
func (p params) list(k string, v []string) params {
	var nonEmpty []string
	for _, s := range v {
		if s != "" {
			nonEmpty = append(nonEmpty, s)
		}
	}
	if len(nonEmpty) > 0 {
		p[k] = []string{strings.Join(nonEmpty, ",")}
	}
	return p
}

func (p params) int(k string, v int) params {
	if v != 0 {
		p[k] = []string{strconv.Itoa(v)}
	}
	return p
}

func (p params) int64(k string, v int64) params {
	if v != 0 {
		p[k] = []string{strconv.FormatInt(v, 10)}
	}
	return p
}

func (p params) bool(k string, v bool) params {
	if v {
		p[k] = []string{"true"}
	}
	return p
}

func (p params) values() url.Values { return url.Values(p) }

// variablesBody is the {"variables": {...}} body several operations take.
func variablesBody(v map[string]string) any {
	if len(v) == 0 {
		return nil
	}
	return map[string]map[string]string{"variables": v}
}

func itoa(i int) string { return strconv.Itoa(i) }
