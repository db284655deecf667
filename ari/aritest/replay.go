package aritest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ccdhq/ccd/ari"
)

// Exchange is one recorded REST request and its response, as found in a
// "*.rest.txt" capture line:
//
//	POST /channels/caller-1;2/answer? -> 204
//	POST /bridges?name=q&type=mixing -> 200 {"id":"...",...}
type Exchange struct {
	Method string
	Path   string     // below /ari, unescaped
	Query  url.Values // parsed query
	Status int
	Body   []byte
}

func (e Exchange) String() string {
	s := e.Method + " " + e.Path
	if len(e.Query) > 0 {
		s += "?" + e.Query.Encode()
	}
	return s
}

// ParseExchanges reads a "*.rest.txt" capture: one exchange per line,
// "METHOD /path?query -> STATUS body". Blank lines and lines starting with
// '#' are ignored.
func ParseExchanges(r io.Reader) ([]Exchange, error) {
	var out []Exchange
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 16<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		req, resp, ok := strings.Cut(line, " -> ")
		if !ok {
			return nil, fmt.Errorf("line %d: no \" -> \"", n)
		}
		method, target, ok := strings.Cut(req, " ")
		if !ok {
			return nil, fmt.Errorf("line %d: no request target", n)
		}
		rawPath, rawQuery, _ := strings.Cut(target, "?")
		path, err := url.PathUnescape(rawPath)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		path = strings.TrimPrefix(path, "/ari")
		q, err := url.ParseQuery(rawQuery)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		statusText, body, _ := strings.Cut(resp, " ")
		status, err := strconv.Atoi(statusText)
		if err != nil {
			return nil, fmt.Errorf("line %d: bad status %q", n, statusText)
		}
		out = append(out, Exchange{
			Method: method, Path: path, Query: q, Status: status,
			Body: []byte(strings.TrimSpace(body)),
		})
	}
	return out, sc.Err()
}

// ParseEvents reads a "*.ari.jsonl" capture: one websocket message per
// line.
func ParseEvents(r io.Reader) ([][]byte, error) {
	var out [][]byte
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		if l := bytes.TrimSpace(sc.Bytes()); len(l) > 0 {
			out = append(out, bytes.Clone(l))
		}
	}
	return out, sc.Err()
}

// Replay is a fake ARI server that plays back a recorded call.
//
// REST requests are answered with the recorded response of the first
// not-yet-used exchange with the same method, path and query parameters
// (parameter order does not matter), so a client that repeats the recorded
// calls in order gets the recorded answers in order. A request with no
// recorded exchange left gets 500 {"message": "aritest: no recorded
// response ..."} and is listed by Unmatched.
//
// Recorded events are sent to every open websocket when the test asks:
// SendNext, SendAll or Play.
type Replay struct {
	*Server

	rmu       sync.Mutex
	exchanges []Exchange
	used      []bool
	unmatched []Request
	events    [][]byte
	next      int
}

// NewReplay starts a replay server for a "*.rest.txt" file and a
// "*.ari.jsonl" file; either may be "".
func NewReplay(restFile, eventsFile string, opts ...Option) (*Replay, error) {
	var ex []Exchange
	var evs [][]byte
	if restFile != "" {
		f, err := os.Open(restFile)
		if err != nil {
			return nil, err
		}
		ex, err = ParseExchanges(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("aritest: %s: %w", restFile, err)
		}
	}
	if eventsFile != "" {
		f, err := os.Open(eventsFile)
		if err != nil {
			return nil, err
		}
		evs, err = ParseEvents(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("aritest: %s: %w", eventsFile, err)
		}
	}
	return NewReplayFrom(ex, evs, opts...), nil
}

// NewReplayFrom starts a replay server for exchanges and events already in
// memory.
func NewReplayFrom(exchanges []Exchange, events [][]byte, opts ...Option) *Replay {
	r := &Replay{exchanges: exchanges, used: make([]bool, len(exchanges)), events: events}
	r.Server = newServer(r.serveREST, buildOptions(opts))
	return r
}

func (r *Replay) serveREST(w http.ResponseWriter, req *http.Request, path string) {
	q := req.URL.Query()
	q.Del("api_key")
	r.rmu.Lock()
	for i, e := range r.exchanges {
		if r.used[i] || e.Method != req.Method || e.Path != path || !sameQuery(e.Query, q) {
			continue
		}
		r.used[i] = true
		r.rmu.Unlock()
		if len(e.Body) > 0 {
			w.Header().Set("Content-Type", "application/json")
		}
		w.WriteHeader(e.Status)
		w.Write(e.Body)
		return
	}
	rq := Request{Method: req.Method, Path: path, Query: q}
	r.unmatched = append(r.unmatched, rq)
	r.rmu.Unlock()
	writeError(w, http.StatusInternalServerError, "aritest: no recorded response for "+rq.String())
}

func sameQuery(a, b url.Values) bool {
	if len(a) == 0 && len(b) == 0 {
		return true
	}
	return reflect.DeepEqual(a, b)
}

// Unmatched returns the requests that had no recorded response.
func (r *Replay) Unmatched() []Request {
	r.rmu.Lock()
	defer r.rmu.Unlock()
	return append([]Request(nil), r.unmatched...)
}

// Unused returns the recorded exchanges no request has used yet.
func (r *Replay) Unused() []Exchange {
	r.rmu.Lock()
	defer r.rmu.Unlock()
	var out []Exchange
	for i, e := range r.exchanges {
		if !r.used[i] {
			out = append(out, e)
		}
	}
	return out
}

// ErrNoWebsocket is returned when events are to be sent but no websocket
// is open.
var ErrNoWebsocket = errors.New("aritest: no websocket connected")

// Remaining returns the number of recorded events not sent yet.
func (r *Replay) Remaining() int {
	r.rmu.Lock()
	defer r.rmu.Unlock()
	return len(r.events) - r.next
}

// SendNext sends up to n further recorded events to every open websocket
// and returns how many it sent. With no websocket open it sends nothing
// and returns ErrNoWebsocket.
func (r *Replay) SendNext(n int) (int, error) {
	r.rmu.Lock()
	defer r.rmu.Unlock()
	if r.Websockets() == 0 {
		return 0, ErrNoWebsocket
	}
	sent := 0
	for ; sent < n && r.next < len(r.events); sent++ {
		r.SendRaw(r.events[r.next])
		r.next++
	}
	return sent, nil
}

// SendAll sends every remaining recorded event.
func (r *Replay) SendAll() (int, error) {
	return r.SendNext(int(^uint(0) >> 1))
}

// Play sends the remaining events paced by their recorded timestamps,
// divided by speed (2 plays twice as fast; 0 or less means as fast as
// possible). It returns when all are sent or ctx is done.
func (r *Replay) Play(ctx context.Context, speed float64) error {
	var prev time.Time
	for r.Remaining() > 0 {
		r.rmu.Lock()
		data := r.events[r.next]
		r.rmu.Unlock()
		if speed > 0 {
			if ev, err := ari.Decode(data); err == nil {
				t := ev.EventTime()
				if !prev.IsZero() && t.After(prev) {
					timer := time.NewTimer(time.Duration(float64(t.Sub(prev)) / speed))
					select {
					case <-timer.C:
					case <-ctx.Done():
						timer.Stop()
						return ctx.Err()
					}
				}
				if !t.IsZero() {
					prev = t
				}
			}
		}
		if _, err := r.SendNext(1); err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	return nil
}

func readAll(r *http.Request) ([]byte, error) {
	return io.ReadAll(io.LimitReader(r.Body, 16<<20))
}

func nopBody(b []byte) io.ReadCloser { return io.NopCloser(bytes.NewReader(b)) }
