package aritest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ccdhq/ccd/ari"
)

// httpError is an ARI error response.
type httpError struct {
	status int
	msg    string
}

func (e *httpError) Error() string { return strconv.Itoa(e.status) + " " + e.msg }

func errBadRequest(msg string) error    { return &httpError{http.StatusBadRequest, msg} }
func errNotFound(msg string) error      { return &httpError{http.StatusNotFound, msg} }
func errConflict(msg string) error      { return &httpError{http.StatusConflict, msg} }
func errInternal(msg string) error      { return &httpError{http.StatusInternalServerError, msg} }
func errPrecondition(msg string) error  { return &httpError{http.StatusPreconditionFailed, msg} }
func errUnprocessable(msg string) error { return &httpError{http.StatusUnprocessableEntity, msg} }

var errNoRoute = &httpError{http.StatusNotFound, "Resource not found"}
var errMethod = &httpError{http.StatusMethodNotAllowed, "Invalid method"}

// reply is a successful response: status and JSON body (nil for none).
type reply struct {
	status int
	body   any
}

func ok(body any) (reply, error) { return reply{http.StatusOK, body}, nil }

func created(body any) (reply, error) { return reply{http.StatusCreated, body}, nil }

func noContent() (reply, error) { return reply{http.StatusNoContent, nil}, nil }

// req wraps a request with parameter accessors.
type req struct {
	r    *http.Request
	q    url.Values
	segs []string
}

func (r *req) get(k string) string { return r.q.Get(k) }

// list returns a parameter with allowMultiple: repeated and/or
// comma-separated.
func (r *req) list(k string) []string {
	var out []string
	for _, v := range r.q[k] {
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
	}
	return out
}

func (r *req) int(k string, def int) (int, error) {
	v := r.get(k)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, errBadRequest("Invalid value for " + k)
	}
	return n, nil
}

// variables parses the {"variables": {...}} body.
func (r *req) variables() (map[string]string, error) {
	body, _ := readAll(r.r)
	if len(strings.TrimSpace(string(body))) == 0 {
		return nil, nil
	}
	var v struct {
		Variables map[string]any `json:"variables"`
	}
	if err := json.Unmarshal(body, &v); err != nil {
		return nil, errBadRequest("Invalid JSON body")
	}
	out := map[string]string{}
	for k, x := range v.Variables {
		s, ok := x.(string)
		if !ok {
			return nil, errBadRequest("Only string values in the 'variables' object allowed")
		}
		out[k] = s
	}
	return out, nil
}

// bodyParams adds the members of a JSON object body to the query
// parameters, as Asterisk takes every parameter of a request from either
// (e.g. {"variable":"FOO","value":"bar"} to set a channel variable); a
// parameter in both keeps the query's value. Objects and lists (originate's
// "variables") stay in the body.
func bodyParams(r *http.Request, q url.Values) {
	if r.Body == nil {
		return
	}
	data, _ := io.ReadAll(io.LimitReader(r.Body, 16<<20))
	r.Body = io.NopCloser(bytes.NewReader(data))
	var m map[string]any
	if json.Unmarshal(data, &m) != nil {
		return
	}
	for k, v := range m {
		if q.Has(k) {
			continue
		}
		switch v := v.(type) {
		case string:
			q.Set(k, v)
		case float64:
			q.Set(k, strconv.FormatFloat(v, 'f', -1, 64))
		case bool:
			q.Set(k, strconv.FormatBool(v))
		}
	}
}

func (s *Sim) serveREST(w http.ResponseWriter, r *http.Request, _ string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	raw := strings.TrimPrefix(r.URL.EscapedPath(), "/ari")
	var segs []string
	for _, p := range strings.Split(strings.Trim(raw, "/"), "/") {
		u, err := url.PathUnescape(p)
		if err != nil {
			u = p
		}
		segs = append(segs, u)
	}
	q := r.URL.Query()
	q.Del("api_key")
	bodyParams(r, q)
	rp, err := s.route(&req{r: r, q: q, segs: segs})
	if err != nil {
		he, isHTTP := err.(*httpError)
		if !isHTTP {
			he = &httpError{http.StatusInternalServerError, err.Error()}
		}
		writeError(w, he.status, he.msg)
	} else if rp.body == nil {
		w.WriteHeader(rp.status)
	} else if b, isBytes := rp.body.([]byte); isBytes {
		w.Header().Set("Content-Type", "audio/wav")
		w.WriteHeader(rp.status)
		w.Write(b)
	} else {
		writeJSON(w, rp.status, rp.body)
	}
	if f, isFlusher := w.(http.Flusher); isFlusher {
		f.Flush()
	}
	// Events caused by the request go out after its response, as Asterisk's
	// usually do.
	s.flush()
}

func (s *Sim) route(r *req) (reply, error) {
	if len(r.segs) == 0 {
		return reply{}, errNoRoute
	}
	switch r.segs[0] {
	case "channels":
		return s.routeChannels(r)
	case "bridges":
		return s.routeBridges(r)
	case "playbacks":
		return s.routePlaybacks(r)
	case "recordings":
		return s.routeRecordings(r)
	case "applications":
		return s.routeApplications(r)
	case "asterisk":
		return s.routeAsterisk(r)
	case "endpoints":
		return s.routeEndpoints(r)
	case "deviceStates":
		return s.routeDeviceStates(r)
	case "events":
		return s.routeEvents(r)
	case "sounds":
		return s.routeSounds(r)
	case "mailboxes":
		return s.routeMailboxes(r)
	}
	return reply{}, errNoRoute
}

// routeSounds answers from the sounds index as res_ari_sounds does: the
// list filtered by lang and format, one sound by id or 404 "Sound not
// found".
func (s *Sim) routeSounds(r *req) (reply, error) {
	switch len(r.segs) {
	case 1:
		return method(r, map[string]func() (reply, error){http.MethodGet: func() (reply, error) {
			lang, format := r.get("lang"), r.get("format")
			l := []ari.Sound{}
			for _, snd := range s.sounds {
				if f := matchingFormats(snd.Formats, lang, format); len(f) > 0 {
					l = append(l, snd)
				}
			}
			slices.SortFunc(l, func(a, b ari.Sound) int { return strings.Compare(a.ID, b.ID) })
			return ok(l)
		}})
	case 2:
		return method(r, map[string]func() (reply, error){http.MethodGet: func() (reply, error) {
			snd, found := s.sounds[r.segs[1]]
			if !found {
				return reply{}, errNotFound("Sound not found")
			}
			return ok(snd)
		}})
	}
	return reply{}, errNoRoute
}

// matchingFormats are the formats of a sound in lang and format ("" for
// any).
func matchingFormats(all []ari.FormatLangPair, lang, format string) []ari.FormatLangPair {
	var out []ari.FormatLangPair
	for _, f := range all {
		if (lang == "" || f.Language == lang) && (format == "" || f.Format == format) {
			out = append(out, f)
		}
	}
	return out
}

// method dispatches on the HTTP method.
func method(r *req, handlers map[string]func() (reply, error)) (reply, error) {
	if h, found := handlers[r.r.Method]; found {
		return h()
	}
	return reply{}, errMethod
}

// ---- channels ----

// control finds a channel that is in Stasis, as find_control does.
func (s *Sim) control(id string) (*simChan, error) {
	c := s.channels[id]
	if c == nil {
		return nil, errNotFound("Channel not found")
	}
	if c.stasisApp == "" {
		return nil, errConflict("Channel not in Stasis application")
	}
	return c, nil
}

// controlUp is control plus channel_state_invalid: operations that need
// media refuse outbound channels that have not answered.
func (s *Sim) controlUp(id string) (*simChan, error) {
	c, err := s.control(id)
	if err != nil {
		return nil, err
	}
	switch c.snap.State {
	case ari.ChannelStateDown, ari.ChannelStateRsrved, ari.ChannelStateRinging:
		return nil, errPrecondition("Channel in invalid state")
	}
	return c, nil
}

func (s *Sim) routeChannels(r *req) (reply, error) {
	segs := r.segs
	switch len(segs) {
	case 1:
		return method(r, map[string]func() (reply, error){
			http.MethodGet:  func() (reply, error) { return ok(s.channelList()) },
			http.MethodPost: func() (reply, error) { return s.originate(r, r.get("channelId")) },
		})
	case 2:
		switch segs[1] {
		case "create":
			if r.r.Method == http.MethodPost {
				return s.createChannelREST(r)
			}
		case "externalMedia":
			if r.r.Method == http.MethodPost {
				return s.externalMedia(r)
			}
		}
		id := segs[1]
		return method(r, map[string]func() (reply, error){
			http.MethodGet: func() (reply, error) {
				c := s.channels[id]
				if c == nil {
					return reply{}, errNotFound("Channel not found")
				}
				return ok(c.snapshot())
			},
			http.MethodPost:   func() (reply, error) { return s.originate(r, id) },
			http.MethodDelete: func() (reply, error) { return s.hangupREST(r, id) },
		})
	}
	id, op := segs[1], segs[2]
	if len(segs) == 4 {
		switch op {
		case "play":
			if r.r.Method == http.MethodPost {
				return s.playChannel(r, id, segs[3])
			}
		case "snoop":
			if r.r.Method == http.MethodPost {
				return s.snoop(r, id, segs[3])
			}
		}
		return reply{}, errNoRoute
	}
	if len(segs) != 3 {
		return reply{}, errNoRoute
	}
	simple := func(f func(c *simChan) error, needUp bool) func() (reply, error) {
		return func() (reply, error) {
			var c *simChan
			var err error
			if needUp {
				c, err = s.controlUp(id)
			} else {
				c, err = s.control(id)
			}
			if err != nil {
				return reply{}, err
			}
			if err := f(c); err != nil {
				return reply{}, err
			}
			return noContent()
		}
	}
	switch op {
	case "answer":
		return method(r, map[string]func() (reply, error){
			http.MethodPost: simple(func(c *simChan) error {
				// Answering the ";2" half of a Local pair answers the
				// origination of its ";1" half.
				if p := c.peer; p != nil && p.orig != nil {
					s.answer(p)
				}
				if p := c.peer; p != nil {
					s.setState(p, ari.ChannelStateUp)
				}
				s.setState(c, ari.ChannelStateUp)
				return nil
			}, true),
		})
	case "ring":
		return method(r, map[string]func() (reply, error){
			http.MethodPost:   simple(func(c *simChan) error { c.ringing = true; return nil }, true),
			http.MethodDelete: simple(func(c *simChan) error { c.ringing = false; return nil }, true),
		})
	case "progress":
		return method(r, map[string]func() (reply, error){
			http.MethodPost: simple(func(*simChan) error { return nil }, true),
		})
	case "moh":
		return method(r, map[string]func() (reply, error){
			http.MethodPost: simple(func(c *simChan) error {
				c.moh, c.mohClass = true, r.get("mohClass")
				if c.mohClass == "" {
					c.mohClass = "default"
				}
				return nil
			}, true),
			http.MethodDelete: simple(func(c *simChan) error { c.moh, c.mohClass = false, ""; return nil }, true),
		})
	case "hold":
		return method(r, map[string]func() (reply, error){
			http.MethodPost:   simple(func(c *simChan) error { c.hold = true; return nil }, true),
			http.MethodDelete: simple(func(c *simChan) error { c.hold = false; return nil }, true),
		})
	case "silence":
		return method(r, map[string]func() (reply, error){
			http.MethodPost:   simple(func(c *simChan) error { c.silence = true; return nil }, true),
			http.MethodDelete: simple(func(c *simChan) error { c.silence = false; return nil }, true),
		})
	case "mute":
		dir := func() (string, error) {
			d := r.get("direction")
			if d == "" {
				d = "both"
			}
			switch d {
			case "both", "in", "out":
				return d, nil
			}
			return "", errBadRequest("Invalid direction specified")
		}
		return method(r, map[string]func() (reply, error){
			http.MethodPost: simple(func(c *simChan) error {
				d, err := dir()
				if err != nil {
					return err
				}
				switch {
				case c.mute == "" || c.mute == d:
					c.mute = d
				default:
					c.mute = "both"
				}
				return nil
			}, true),
			http.MethodDelete: simple(func(c *simChan) error {
				d, err := dir()
				if err != nil {
					return err
				}
				switch {
				case d == "both" || c.mute == d:
					c.mute = ""
				case c.mute == "both":
					if d == "in" {
						c.mute = "out"
					} else {
						c.mute = "in"
					}
				}
				return nil
			}, true),
		})
	case "dtmf":
		return method(r, map[string]func() (reply, error){
			http.MethodPost: simple(func(*simChan) error {
				if r.get("dtmf") == "" {
					return errBadRequest("DTMF is required")
				}
				return nil
			}, true),
		})
	case "play":
		if r.r.Method == http.MethodPost {
			return s.playChannel(r, id, r.get("playbackId"))
		}
		return reply{}, errMethod
	case "record":
		if r.r.Method != http.MethodPost {
			return reply{}, errMethod
		}
		if _, err := s.control(id); err != nil {
			return reply{}, err
		}
		rec, err := s.startRecording(ari.KindChannel+":"+id, r.q)
		if err != nil {
			return reply{}, err
		}
		return created(rec)
	case "variable":
		name := r.get("variable")
		return method(r, map[string]func() (reply, error){
			http.MethodGet: func() (reply, error) {
				if name == "" {
					return reply{}, errBadRequest("Variable name is required")
				}
				c := s.channels[id]
				if c == nil {
					return reply{}, errNotFound("Provided channel was not found")
				}
				v, found := c.vars[name]
				if !found {
					v, found = builtinVar(c, name)
				}
				if !found {
					return reply{}, errNotFound("Provided variable was not found")
				}
				return ok(ari.Variable{Value: v})
			},
			http.MethodPost: func() (reply, error) {
				if name == "" {
					return reply{}, errBadRequest("Variable name is required")
				}
				c, err := s.control(id)
				if err != nil {
					return reply{}, err
				}
				v := r.get("value")
				c.vars[name] = v
				s.emit(&ari.ChannelVarset{Timestamp: now(), Variable: name, Value: v, Channel: ptr(c.snapshot())})
				return noContent()
			},
		})
	case "variables":
		return method(r, map[string]func() (reply, error){
			http.MethodGet: func() (reply, error) {
				names := r.list("variables")
				if len(names) == 0 {
					return reply{}, errBadRequest("Missing parameter variables")
				}
				c := s.channels[id]
				if c == nil {
					return reply{}, errNotFound("Provided channel was not found")
				}
				out := map[string]string{}
				for _, n := range names {
					v, found := c.vars[n]
					if !found {
						v, found = builtinVar(c, n)
					}
					if !found {
						return reply{}, errNotFound("Provided variable was not found")
					}
					out[n] = v
				}
				return ok(ari.Variables{Variables: out})
			},
			http.MethodPost: func() (reply, error) {
				c, err := s.control(id)
				if err != nil {
					return reply{}, err
				}
				vars, err := r.variables()
				if err != nil {
					return reply{}, err
				}
				if vars == nil {
					return reply{}, errBadRequest("Missing parameter variables")
				}
				keys := make([]string, 0, len(vars))
				for k := range vars {
					keys = append(keys, k)
				}
				slices.Sort(keys)
				for _, k := range keys {
					c.vars[k] = vars[k]
					s.emit(&ari.ChannelVarset{Timestamp: now(), Variable: k, Value: vars[k], Channel: ptr(c.snapshot())})
				}
				return noContent()
			},
		})
	case "continue":
		return method(r, map[string]func() (reply, error){
			http.MethodPost: simple(func(c *simChan) error {
				dp := c.saved
				if ctx := r.get("context"); ctx != "" {
					dp.Context, dp.Exten, dp.Priority = ctx, "s", 1
				}
				if ext := r.get("extension"); ext != "" {
					dp.Exten, dp.Priority = ext, 1
				}
				if p, err := r.int("priority", 0); err == nil && p > 0 {
					dp.Priority = int64(p)
				} else if r.get("context") == "" && r.get("extension") == "" {
					dp.Priority++
				}
				s.leaveStasis(c)
				dp.AppName, dp.AppData = "", ""
				c.snap.Dialplan = dp
				s.runContext(c)
				return nil
			}, true),
		})
	case "redirect":
		return method(r, map[string]func() (reply, error){
			http.MethodPost: simple(func(c *simChan) error {
				ep := r.get("endpoint")
				if ep == "" {
					return errBadRequest("Required parameter 'endpoint' not provided.")
				}
				tech, res, found := strings.Cut(ep, "/")
				if !found || tech == "" {
					return errUnprocessable("Endpoint parameter '" + ep + "' does not contain tech/resource")
				}
				if res == "" {
					return errUnprocessable("No resource provided in endpoint parameter '" + ep + "'")
				}
				if chTech, _, _ := strings.Cut(c.snap.Name, "/"); !strings.EqualFold(chTech, tech) {
					return errUnprocessable("Endpoint technology '" + tech + "' does not match channel technology '" + chTech + "'")
				}
				return nil
			}, true),
		})
	case "move":
		return method(r, map[string]func() (reply, error){
			http.MethodPost: simple(func(c *simChan) error {
				app := r.get("app")
				if app == "" {
					return errBadRequest("Missing parameter app")
				}
				var args []string
				if a := r.get("appArgs"); a != "" {
					args = strings.Split(a, ",")
				}
				if !s.registered(app) {
					s.emitTo(c.stasisApp, &ari.ApplicationMoveFailed{Timestamp: now(), Channel: c.snapshot(), Destination: app, Args: append([]string{}, args...)})
					return nil
				}
				s.leaveStasis(c)
				s.enterStasis(c, app, args)
				return nil
			}, false),
		})
	case "dial":
		return method(r, map[string]func() (reply, error){
			http.MethodPost: func() (reply, error) {
				c, err := s.control(id)
				if err != nil {
					return reply{}, err
				}
				if c.orig == nil || c.snap.State != ari.ChannelStateDown {
					return reply{}, errConflict("Channel is not in the Down state")
				}
				timeout, err := r.int("timeout", 0)
				if err != nil {
					return reply{}, err
				}
				if timeout == 0 {
					timeout = -1
				}
				s.dial(c, c.orig.dialstring, timeout)
				return noContent()
			},
		})
	case "rtp_statistics":
		return method(r, map[string]func() (reply, error){
			http.MethodGet: func() (reply, error) {
				c := s.channels[id]
				if c == nil {
					return reply{}, errNotFound("Channel not found")
				}
				return ok(ari.RTPstat{ChannelUniqueID: c.snap.ID})
			},
		})
	case "snoop":
		if r.r.Method == http.MethodPost {
			return s.snoop(r, id, r.get("snoopId"))
		}
		return reply{}, errMethod
	case "transfer_progress":
		return method(r, map[string]func() (reply, error){
			http.MethodPost: simple(func(*simChan) error {
				if r.get("states") == "" {
					return errBadRequest("Missing parameter states")
				}
				return nil
			}, false),
		})
	}
	return reply{}, errNoRoute
}

// builtinVar answers the dialplan functions applications commonly read.
func builtinVar(c *simChan, name string) (string, bool) {
	switch name {
	case "CALLERID(num)":
		return c.snap.Caller.Number, true
	case "CALLERID(name)":
		return c.snap.Caller.Name, true
	case "CHANNEL(name)":
		return c.snap.Name, true
	case "UNIQUEID":
		return c.snap.ID, true
	}
	return "", false
}

// originate is POST /channels and POST /channels/{id}.
func (s *Sim) originate(r *req, id string) (reply, error) {
	endpoint := r.get("endpoint")
	if endpoint == "" {
		return reply{}, errBadRequest("Endpoint must be specified")
	}
	if r.get("originator") != "" && r.get("formats") != "" {
		return reply{}, errBadRequest("Originator and formats can't both be specified")
	}
	tech, resource, found := strings.Cut(endpoint, "/")
	if !found || tech == "" || resource == "" {
		return reply{}, errBadRequest("Invalid endpoint specified")
	}
	app, exten := r.get("app"), r.get("extension")
	if app == "" && exten == "" {
		return reply{}, errBadRequest("Application or extension must be specified")
	}
	if o := r.get("originator"); o != "" && s.channels[o] == nil {
		return reply{}, errBadRequest("Provided originator channel was not found")
	}
	timeout, err := r.int("timeout", 30)
	if err != nil {
		return reply{}, err
	}
	vars, err := r.variables()
	if err != nil {
		return reply{}, err
	}
	c, err := s.createChannel(tech, resource, id, r.get("otherChannelId"), parseCallerID(r.get("callerId")))
	if err != nil {
		return reply{}, err
	}
	for k, v := range vars {
		c.vars[k] = v
	}
	var args []string
	if a := r.get("appArgs"); a != "" {
		args = strings.Split(a, ",")
	}
	dialstring := resource
	if strings.EqualFold(tech, "Local") {
		dialstring, _, _ = strings.Cut(resource, "/")
	}
	c.orig = &origination{dialstring: dialstring, app: app, args: args}
	if app != "" {
		c.originated = app
		c.subs[app] = true
		if c.peer != nil {
			c.peer.subs[app] = true
		}
	}
	snap := c.snapshot()
	// Local channels to an extension routed to Stasis: the ";2" half runs
	// the dialplan, and so enters Stasis at once (still ringing).
	if p := c.peer; p != nil {
		exten, ctx := parseLocal(resource)
		if rt, routed := s.routes[exten+"@"+ctx]; routed {
			p.snap.Dialplan.Priority = 1
			if !s.enterStasis(p, rt.app, rt.args) {
				// Stasis() failed: the dialplan ends and the pair hangs up.
				s.hangup(p, 16, 16, false)
				return ok(snap)
			}
		}
	}
	s.dial(c, endpoint, timeout)
	return ok(snap)
}

func (s *Sim) createChannelREST(r *req) (reply, error) {
	endpoint, app := r.get("endpoint"), r.get("app")
	if endpoint == "" {
		return reply{}, errBadRequest("Endpoint must be specified")
	}
	if app == "" {
		return reply{}, errBadRequest("Application must be specified")
	}
	tech, resource, found := strings.Cut(endpoint, "/")
	if !found || tech == "" || resource == "" {
		return reply{}, errBadRequest("Invalid endpoint specified")
	}
	vars, err := r.variables()
	if err != nil {
		return reply{}, err
	}
	c, err := s.createChannel(tech, resource, r.get("channelId"), r.get("otherChannelId"), ari.CallerID{})
	if err != nil {
		return reply{}, err
	}
	for k, v := range vars {
		c.vars[k] = v
	}
	dialstring := resource
	if strings.EqualFold(tech, "Local") {
		dialstring, _, _ = strings.Cut(resource, "/")
	}
	c.orig = &origination{dialstring: dialstring}
	c.originated = app
	c.subs[app] = true
	var args []string
	if a := r.get("appArgs"); a != "" {
		args = strings.Split(a, ",")
	}
	if !s.enterStasis(c, app, args) {
		s.hangup(c, 16, 16, false)
	}
	return ok(c.snapshot())
}

func (s *Sim) externalMedia(r *req) (reply, error) {
	app, format := r.get("app"), r.get("format")
	if app == "" {
		return reply{}, errBadRequest("Missing parameter app")
	}
	if format == "" {
		return reply{}, errBadRequest("Missing parameter format")
	}
	host := r.get("external_host")
	if host == "" && r.get("transport") != "websocket" {
		return reply{}, errBadRequest("external_host is required")
	}
	id := r.get("channelId")
	if id == "" {
		id = s.uniqueID()
	}
	if s.channels[id] != nil {
		return reply{}, errConflict("Channel with given unique ID already exists")
	}
	c := s.newChan(id, "UnicastRTP/"+host+"-"+strconv.FormatInt(int64(s.nextSeq()), 16), ari.ChannelStateUp)
	c.subs[app] = true
	c.originated = app
	if !s.enterStasis(c, app, nil) {
		s.hangup(c, 16, 16, false)
	}
	return ok(c.snapshot())
}

func (s *Sim) hangupREST(r *req, id string) (reply, error) {
	c := s.channels[id]
	if c == nil {
		return reply{}, errNotFound("Channel not found")
	}
	cause := 16
	if code := r.get("reason_code"); code != "" {
		n, err := strconv.Atoi(code)
		if err != nil {
			return reply{}, errBadRequest("Invalid reason_code for hangup provided")
		}
		cause = n
	} else {
		n, known := hangupReasons[r.get("reason")]
		if !known {
			return reply{}, errBadRequest("Invalid reason for hangup reason provided")
		}
		cause = n
	}
	if c.orig != nil {
		s.emit(&ari.ChannelHangupRequest{Timestamp: now(), Cause: softHangupExplicit, Soft: true, Channel: c.snapshot()})
		s.failDial(c, "CANCEL", cause)
		return noContent()
	}
	s.hangup(c, cause, softHangupExplicit, true)
	return noContent()
}

func (s *Sim) playChannel(r *req, id, playbackID string) (reply, error) {
	c, err := s.controlUp(id)
	if err != nil {
		return reply{}, err
	}
	media := r.list("media")
	if len(media) == 0 {
		return reply{}, errBadRequest("Missing parameter media")
	}
	if err := checkPlayParams(r); err != nil {
		return reply{}, err
	}
	lang := r.get("lang")
	if lang == "" {
		lang = c.snap.Language
	}
	p, err := s.startPlayback(playbackID, ari.KindChannel+":"+id, lang, media)
	if err != nil {
		return reply{}, err
	}
	return created(p)
}

func checkPlayParams(r *req) error {
	if n, err := r.int("skipms", 3000); err != nil || n < 0 {
		return errBadRequest("skipms cannot be negative")
	}
	if n, err := r.int("offsetms", 0); err != nil || n < 0 {
		return errBadRequest("offsetms cannot be negative")
	}
	return nil
}

func (s *Sim) snoop(r *req, id, snoopID string) (reply, error) {
	dir := func(k string) (string, error) {
		switch v := r.get(k); v {
		case "", "none":
			return "none", nil
		case "both", "in", "out":
			return v, nil
		}
		return "", errBadRequest("Invalid direction specified for " + k)
	}
	spy, err := dir("spy")
	if err != nil {
		return reply{}, err
	}
	whisper, err := dir("whisper")
	if err != nil {
		return reply{}, err
	}
	if spy == "none" && whisper == "none" {
		return reply{}, errBadRequest("Direction must be specified for at least spy or whisper")
	}
	app := r.get("app")
	if app == "" {
		return reply{}, errBadRequest("Application name is required")
	}
	target := s.channels[id]
	if target == nil {
		return reply{}, errNotFound("Provided channel was not found")
	}
	if snoopID == "" {
		snoopID = s.uniqueID()
	}
	if s.channels[snoopID] != nil {
		// Asterisk 22 answers a reused snoop id so, not with 409 as for
		// originate.
		return reply{}, errInternal("Snoop channel could not be created")
	}
	// Named after the target's unique id and a counter of its own, placed
	// at s@default like every snoop channel of Asterisk; it ends when its
	// target does (its audiohooks stop).
	c := s.newChan(snoopID, fmt.Sprintf("Snoop/%s-%08x", id, s.snoopSeq), ari.ChannelStateUp)
	s.snoopSeq++
	c.snap.Dialplan = ari.DialplanCEP{Context: "default", Exten: "s", Priority: 1}
	c.snoops, c.snoopDirs = target, [2]string{spy, whisper}
	// The application is not subscribed to the snoop channel beyond
	// Stasis: after its StasisEnd it hears nothing more of it (no
	// ChannelDestroyed), unlike an originated channel.
	var args []string
	if a := r.get("appArgs"); a != "" {
		args = strings.Split(a, ",")
	}
	if !s.enterStasis(c, app, args) {
		s.hangup(c, 16, 16, false)
	}
	return ok(c.snapshot())
}

// ---- bridges ----

func (s *Sim) findBridge(id string) (*simBridge, error) {
	b := s.bridges[id]
	if b == nil {
		return nil, errNotFound("Bridge not found")
	}
	return b, nil
}

// bridgeChannels resolves the channel parameter of addChannel and
// removeChannel, with Asterisk's 400/422 distinction.
func (s *Sim) bridgeChannels(r *req) ([]*simChan, error) {
	ids := r.list("channel")
	if len(ids) == 0 {
		return nil, errBadRequest("Missing parameter channel")
	}
	var out []*simChan
	for _, id := range ids {
		c := s.channels[id]
		if c == nil {
			return nil, errBadRequest("Channel not found")
		}
		if c.stasisApp == "" {
			return nil, errUnprocessable("Channel not in Stasis application")
		}
		out = append(out, c)
	}
	return out, nil
}

func (s *Sim) createBridge(r *req, id string) (reply, error) {
	if id == "" {
		id = uuid()
	}
	if s.bridges[id] != nil {
		return reply{}, errConflict("Bridge with id '" + id + "' already exists")
	}
	typ := "mixing"
	for _, t := range r.list("type") {
		switch t {
		case "mixing", "dtmf_events", "proxy_media", "video_sfu", "video_single", "sdp_label":
		case "holding":
			typ = "holding"
		default:
			return reply{}, errBadRequest("Invalid bridge type '" + t + "'")
		}
	}
	b := &simBridge{
		b: ari.Bridge{
			ID:           id,
			Technology:   "simple_bridge",
			BridgeType:   typ,
			BridgeClass:  "stasis",
			Creator:      "Stasis",
			Name:         r.get("name"),
			Channels:     []string{},
			CreationTime: now(),
			VideoMode:    "talker",
		},
		subs: map[string]bool{},
	}
	if typ == "holding" {
		b.b.Technology, b.b.VideoMode = "holding_bridge", "none"
	}
	s.bridges[id] = b
	// No application is subscribed yet: only subscribeAll websockets see
	// BridgeCreated.
	s.emit(&ari.BridgeCreated{Timestamp: now(), Bridge: b.snapshot()})
	return ok(b.snapshot())
}

func (s *Sim) routeBridges(r *req) (reply, error) {
	segs := r.segs
	if len(segs) == 1 {
		return method(r, map[string]func() (reply, error){
			http.MethodGet:  func() (reply, error) { return ok(s.bridgeList()) },
			http.MethodPost: func() (reply, error) { return s.createBridge(r, r.get("bridgeId")) },
		})
	}
	id := segs[1]
	if len(segs) == 2 {
		return method(r, map[string]func() (reply, error){
			http.MethodGet: func() (reply, error) {
				b, err := s.findBridge(id)
				if err != nil {
					return reply{}, err
				}
				return ok(b.snapshot())
			},
			http.MethodPost: func() (reply, error) { return s.createBridge(r, id) },
			http.MethodDelete: func() (reply, error) {
				b, err := s.findBridge(id)
				if err != nil {
					return reply{}, err
				}
				s.destroyBridge(b)
				return noContent()
			},
		})
	}
	b, err := s.findBridge(id)
	if err != nil {
		return reply{}, err
	}
	switch op := segs[2]; {
	case op == "addChannel" && len(segs) == 3:
		return method(r, map[string]func() (reply, error){
			http.MethodPost: func() (reply, error) {
				chans, err := s.bridgeChannels(r)
				if err != nil {
					return reply{}, err
				}
				for _, c := range chans {
					s.joinBridge(c, b)
				}
				return noContent()
			},
		})
	case op == "removeChannel" && len(segs) == 3:
		return method(r, map[string]func() (reply, error){
			http.MethodPost: func() (reply, error) {
				chans, err := s.bridgeChannels(r)
				if err != nil {
					return reply{}, err
				}
				for _, c := range chans {
					if c.bridge != b {
						return reply{}, errUnprocessable("Channel not in this bridge")
					}
				}
				for _, c := range chans {
					s.leaveBridge(c)
				}
				return noContent()
			},
		})
	case op == "moh" && len(segs) == 3:
		return method(r, map[string]func() (reply, error){
			http.MethodPost:   func() (reply, error) { b.moh = true; return noContent() },
			http.MethodDelete: func() (reply, error) { b.moh = false; return noContent() },
		})
	case op == "play" && (len(segs) == 3 || len(segs) == 4):
		if r.r.Method != http.MethodPost {
			return reply{}, errMethod
		}
		pid := r.get("playbackId")
		if len(segs) == 4 {
			pid = segs[3]
		}
		media := r.list("media")
		if len(media) == 0 {
			return reply{}, errBadRequest("Missing parameter media")
		}
		if err := checkPlayParams(r); err != nil {
			return reply{}, err
		}
		p, err := s.startPlayback(pid, ari.KindBridge+":"+id, r.get("lang"), media)
		if err != nil {
			return reply{}, err
		}
		return created(p)
	case op == "record" && len(segs) == 3:
		if r.r.Method != http.MethodPost {
			return reply{}, errMethod
		}
		rec, err := s.startRecording(ari.KindBridge+":"+id, r.q)
		if err != nil {
			return reply{}, err
		}
		return created(rec)
	case op == "videoSource":
		if len(segs) == 4 && r.r.Method == http.MethodPost {
			c := s.channels[segs[3]]
			if c == nil {
				return reply{}, errNotFound("Channel not found")
			}
			if c.bridge != b {
				return reply{}, errUnprocessable("Channel not in this bridge")
			}
			b.b.VideoSourceID = c.snap.ID
			return noContent()
		}
		if len(segs) == 3 && r.r.Method == http.MethodDelete {
			b.b.VideoSourceID = ""
			return noContent()
		}
	}
	return reply{}, errNoRoute
}

// ---- playbacks ----

func (s *Sim) routePlaybacks(r *req) (reply, error) {
	if len(r.segs) < 2 || len(r.segs) > 3 {
		return reply{}, errNoRoute
	}
	p := s.playbacks[r.segs[1]]
	if p == nil {
		return reply{}, errNotFound("Playback not found")
	}
	if len(r.segs) == 3 {
		if r.segs[2] != "control" {
			return reply{}, errNoRoute
		}
		return method(r, map[string]func() (reply, error){
			http.MethodPost: func() (reply, error) {
				switch r.get("operation") {
				case "pause", "unpause", "restart", "reverse", "forward":
					return noContent()
				}
				return reply{}, errBadRequest("Invalid operation")
			},
		})
	}
	return method(r, map[string]func() (reply, error){
		http.MethodGet: func() (reply, error) { return ok(p.p) },
		http.MethodDelete: func() (reply, error) {
			s.finishPlayback(p)
			return noContent()
		},
	})
}

// ---- recordings ----

func (s *Sim) routeRecordings(r *req) (reply, error) {
	segs := r.segs
	if len(segs) < 2 {
		return reply{}, errNoRoute
	}
	switch segs[1] {
	case "stored":
		if len(segs) == 2 {
			return method(r, map[string]func() (reply, error){
				http.MethodGet: func() (reply, error) {
					l := make([]ari.StoredRecording, 0, len(s.stored))
					for _, x := range s.stored {
						l = append(l, x)
					}
					slices.SortFunc(l, func(a, b ari.StoredRecording) int { return strings.Compare(a.Name, b.Name) })
					return ok(l)
				},
			})
		}
		name := segs[2]
		rec, found := s.stored[name]
		if !found {
			return reply{}, errNotFound("Recording not found")
		}
		if len(segs) == 3 {
			return method(r, map[string]func() (reply, error){
				http.MethodGet: func() (reply, error) { return ok(rec) },
				http.MethodDelete: func() (reply, error) {
					delete(s.stored, name)
					return noContent()
				},
			})
		}
		switch segs[3] {
		case "file":
			return method(r, map[string]func() (reply, error){
				http.MethodGet: func() (reply, error) { return reply{http.StatusOK, fakeWAV()}, nil },
			})
		case "copy":
			return method(r, map[string]func() (reply, error){
				http.MethodPost: func() (reply, error) {
					dst := r.get("destinationRecordingName")
					if dst == "" {
						return reply{}, errBadRequest("Missing parameter destinationRecordingName")
					}
					if _, exists := s.stored[dst]; exists {
						return reply{}, errConflict("A recording with the same name already exists on the system")
					}
					cp := ari.StoredRecording{Name: dst, Format: rec.Format}
					s.stored[dst] = cp
					return ok(cp)
				},
			})
		}
	case "live":
		if len(segs) < 3 {
			return reply{}, errNoRoute
		}
		rec := s.live[segs[2]]
		if rec == nil {
			return reply{}, errNotFound("Recording not found")
		}
		if len(segs) == 3 {
			return method(r, map[string]func() (reply, error){
				http.MethodGet: func() (reply, error) { return ok(rec.r) },
				http.MethodDelete: func() (reply, error) {
					s.finishRecording(rec, ari.RecordingStateCanceled)
					return noContent()
				},
			})
		}
		switch segs[3] {
		case "stop":
			return method(r, map[string]func() (reply, error){
				http.MethodPost: func() (reply, error) {
					s.finishRecording(rec, ari.RecordingStateDone)
					return noContent()
				},
			})
		case "pause":
			return method(r, map[string]func() (reply, error){
				http.MethodPost: func() (reply, error) {
					rec.paused = true
					rec.r.State = ari.RecordingStatePaused
					return noContent()
				},
				http.MethodDelete: func() (reply, error) {
					rec.paused = false
					rec.r.State = ari.RecordingStateRecording
					return noContent()
				},
			})
		case "mute":
			return method(r, map[string]func() (reply, error){
				http.MethodPost:   func() (reply, error) { rec.muted = true; return noContent() },
				http.MethodDelete: func() (reply, error) { rec.muted = false; return noContent() },
			})
		}
	}
	return reply{}, errNoRoute
}

// fakeWAV is a valid, empty 8 kHz mono 16-bit WAV file.
func fakeWAV() []byte {
	return []byte("RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00\x40\x1f\x00\x00\x80\x3e\x00\x00\x02\x00\x10\x00data\x00\x00\x00\x00")
}

// ---- applications ----

func (s *Sim) application(name string) ari.Application {
	a := ari.Application{
		Name: name, ChannelIDs: []string{}, BridgeIDs: []string{}, EndpointIDs: []string{},
		DeviceNames: []string{}, EventsAllowed: []json.RawMessage{}, EventsDisallowed: []json.RawMessage{},
	}
	for _, c := range s.channelList() {
		if sc := s.channels[c.ID]; sc.stasisApp == name || sc.subs[name] {
			a.ChannelIDs = append(a.ChannelIDs, c.ID)
		}
	}
	for _, b := range s.bridgeList() {
		if s.bridges[b.ID].subs[name] {
			a.BridgeIDs = append(a.BridgeIDs, b.ID)
		}
	}
	st := s.app(name)
	for e := range st.endpoints {
		a.EndpointIDs = append(a.EndpointIDs, e)
	}
	for d := range st.devices {
		a.DeviceNames = append(a.DeviceNames, d)
	}
	slices.Sort(a.EndpointIDs)
	slices.Sort(a.DeviceNames)
	for _, t := range st.allowed {
		a.EventsAllowed = append(a.EventsAllowed, json.RawMessage(`{"type":`+strconv.Quote(t)+`}`))
	}
	for _, t := range st.disallowed {
		a.EventsDisallowed = append(a.EventsDisallowed, json.RawMessage(`{"type":`+strconv.Quote(t)+`}`))
	}
	return a
}

func (s *Sim) registeredApps() []string {
	s.Server.mu.Lock()
	defer s.Server.mu.Unlock()
	var l []string
	for a := range s.Server.apps {
		l = append(l, a)
	}
	slices.Sort(l)
	return l
}

func (s *Sim) routeApplications(r *req) (reply, error) {
	segs := r.segs
	if len(segs) == 1 {
		return method(r, map[string]func() (reply, error){
			http.MethodGet: func() (reply, error) {
				l := []ari.Application{}
				for _, a := range s.registeredApps() {
					l = append(l, s.application(a))
				}
				return ok(l)
			},
		})
	}
	name := segs[1]
	if !s.registered(name) {
		return reply{}, errNotFound("Application not found")
	}
	if len(segs) == 2 {
		return method(r, map[string]func() (reply, error){
			http.MethodGet: func() (reply, error) { return ok(s.application(name)) },
		})
	}
	switch segs[2] {
	case "subscription":
		sub := func(on bool) func() (reply, error) {
			return func() (reply, error) {
				srcs := r.list("eventSource")
				if len(srcs) == 0 {
					return reply{}, errBadRequest("Missing parameter eventSource")
				}
				st := s.app(name)
				for _, src := range srcs {
					kind, id, _ := strings.Cut(src, ":")
					switch kind {
					case "channel":
						c := s.channels[id]
						if c == nil {
							return reply{}, errUnprocessable("Event source does not exist")
						}
						setSub(c.subs, name, on)
					case "bridge":
						b := s.bridges[id]
						if b == nil {
							return reply{}, errUnprocessable("Event source does not exist")
						}
						setSub(b.subs, name, on)
					case "endpoint":
						setSub(st.endpoints, id, on)
					case "deviceState":
						setSub(st.devices, id, on)
					default:
						return reply{}, errBadRequest("Invalid event source URI scheme '" + kind + "'")
					}
				}
				return ok(s.application(name))
			}
		}
		return method(r, map[string]func() (reply, error){
			http.MethodPost:   sub(true),
			http.MethodDelete: sub(false),
		})
	case "eventFilter":
		return method(r, map[string]func() (reply, error){
			http.MethodPut: func() (reply, error) {
				body, _ := readAll(r.r)
				var f struct {
					Allowed    []struct{ Type string } `json:"allowed"`
					Disallowed []struct{ Type string } `json:"disallowed"`
				}
				if len(body) > 0 {
					if err := json.Unmarshal(body, &f); err != nil {
						return reply{}, errBadRequest("Invalid JSON body")
					}
				}
				st := s.app(name)
				st.allowed, st.disallowed = nil, nil
				for _, t := range f.Allowed {
					st.allowed = append(st.allowed, t.Type)
				}
				for _, t := range f.Disallowed {
					st.disallowed = append(st.disallowed, t.Type)
				}
				return ok(s.application(name))
			},
		})
	}
	return reply{}, errNoRoute
}

func time0(unix int64) time.Time { return time.Unix(unix, 0).UTC() }

func setSub(m map[string]bool, k string, on bool) {
	if on {
		m[k] = true
	} else {
		delete(m, k)
	}
}

// ---- asterisk ----

func (s *Sim) routeAsterisk(r *req) (reply, error) {
	if len(r.segs) != 2 {
		return reply{}, errNoRoute
	}
	switch r.segs[1] {
	case "info":
		return method(r, map[string]func() (reply, error){
			http.MethodGet: func() (reply, error) {
				return ok(ari.AsteriskInfo{
					Build:  &ari.BuildInfo{OS: "Linux", Kernel: "6.1.0", Machine: "x86_64", User: "root", Date: "2026-01-01 00:00:00 UTC"},
					System: &ari.SystemInfo{Version: "22.10.1", EntityID: s.AsteriskID},
					Config: &ari.ConfigInfo{Name: "", DefaultLanguage: "en", SetID: ari.SetId{}},
					Status: &ari.StatusInfo{StartupTime: time0(s.epoch), LastReloadTime: time0(s.epoch)},
				})
			},
		})
	case "ping":
		return method(r, map[string]func() (reply, error){
			http.MethodGet: func() (reply, error) {
				return ok(ari.AsteriskPing{AsteriskID: s.AsteriskID, Ping: "pong", Timestamp: now().Format(ari.TimeLayout)})
			},
		})
	case "variable":
		name := r.get("variable")
		if name == "" {
			return reply{}, errBadRequest("Variable name is required")
		}
		return method(r, map[string]func() (reply, error){
			http.MethodGet: func() (reply, error) { return ok(ari.Variable{Value: s.globals[name]}) },
			http.MethodPost: func() (reply, error) {
				s.globals[name] = r.get("value")
				return noContent()
			},
		})
	}
	return reply{}, errNoRoute
}

// ---- endpoints ----

func (s *Sim) endpointSnapshot(e *ari.Endpoint) ari.Endpoint {
	snap := *e
	snap.ChannelIDs = []string{}
	prefix := e.Technology + "/" + e.Resource + "-"
	for _, c := range s.channelList() {
		if strings.HasPrefix(c.Name, prefix) {
			snap.ChannelIDs = append(snap.ChannelIDs, c.ID)
		}
	}
	return snap
}

func (s *Sim) routeEndpoints(r *req) (reply, error) {
	if r.r.Method != http.MethodGet {
		if len(r.segs) >= 2 && (r.segs[len(r.segs)-1] == "sendMessage" || r.segs[len(r.segs)-1] == "refer") {
			return noContent()
		}
		return reply{}, errMethod
	}
	var keys []string
	for k := range s.endpoints {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	switch len(r.segs) {
	case 1, 2:
		l := []ari.Endpoint{}
		for _, k := range keys {
			e := s.endpoints[k]
			if len(r.segs) == 2 && !strings.EqualFold(e.Technology, r.segs[1]) {
				continue
			}
			l = append(l, s.endpointSnapshot(e))
		}
		if len(r.segs) == 2 && len(l) == 0 {
			return reply{}, errNotFound("No Endpoints found - invalid tech " + r.segs[1])
		}
		return ok(l)
	case 3:
		e := s.endpoints[r.segs[1]+"/"+r.segs[2]]
		if e == nil {
			return reply{}, errNotFound("Endpoint not found")
		}
		return ok(s.endpointSnapshot(e))
	}
	return reply{}, errNoRoute
}

// ---- device states ----

var deviceStates = []string{"UNKNOWN", "NOT_INUSE", "INUSE", "BUSY", "INVALID", "UNAVAILABLE", "RINGING", "RINGINUSE", "ONHOLD"}

func (s *Sim) routeDeviceStates(r *req) (reply, error) {
	if len(r.segs) == 1 {
		return method(r, map[string]func() (reply, error){
			http.MethodGet: func() (reply, error) {
				l := []ari.DeviceState{}
				for n, st := range s.devices {
					l = append(l, ari.DeviceState{Name: n, State: st})
				}
				slices.SortFunc(l, func(a, b ari.DeviceState) int { return strings.Compare(a.Name, b.Name) })
				return ok(l)
			},
		})
	}
	if len(r.segs) != 2 {
		return reply{}, errNoRoute
	}
	name := r.segs[1]
	controlled := strings.HasPrefix(name, "Stasis:")
	return method(r, map[string]func() (reply, error){
		http.MethodGet: func() (reply, error) {
			st, found := s.devices[name]
			if !found {
				st = "UNKNOWN"
			}
			return ok(ari.DeviceState{Name: name, State: st})
		},
		http.MethodPut: func() (reply, error) {
			if !controlled {
				return reply{}, errConflict("Uncontrolled device specified")
			}
			st := r.get("deviceState")
			if !slices.Contains(deviceStates, st) {
				return reply{}, errBadRequest("Invalid device state")
			}
			s.devices[name] = st
			s.emit(&ari.DeviceStateChanged{Timestamp: now(), DeviceState: ari.DeviceState{Name: name, State: st}})
			return noContent()
		},
		http.MethodDelete: func() (reply, error) {
			if !controlled {
				return reply{}, errConflict("Uncontrolled device specified")
			}
			if _, found := s.devices[name]; !found {
				return reply{}, errNotFound("Device not found")
			}
			delete(s.devices, name)
			return noContent()
		},
	})
}

// ---- events ----

func (s *Sim) routeEvents(r *req) (reply, error) {
	if len(r.segs) != 3 || r.segs[1] != "user" {
		return reply{}, errNoRoute
	}
	if r.r.Method != http.MethodPost {
		return reply{}, errMethod
	}
	app := r.get("application")
	if app == "" {
		return reply{}, errBadRequest("Missing parameter application")
	}
	if !s.registered(app) {
		return reply{}, errNotFound("Application not found")
	}
	vars, err := r.variables()
	if err != nil {
		return reply{}, err
	}
	ev := &ari.ChannelUserevent{Timestamp: now(), EventName: r.segs[2]}
	ue, _ := json.Marshal(vars)
	if vars == nil {
		ue = []byte("{}")
	}
	ev.UserEvent = ue
	for _, src := range r.list("source") {
		kind, id, _ := strings.Cut(src, ":")
		switch kind {
		case "channel":
			c := s.channels[id]
			if c == nil {
				return reply{}, errUnprocessable("Event source not found")
			}
			ev.Channel = ptr(c.snapshot())
		case "bridge":
			b := s.bridges[id]
			if b == nil {
				return reply{}, errUnprocessable("Event source not found")
			}
			ev.Bridge = ptr(b.snapshot())
		case "endpoint":
			e := s.endpoints[id]
			if e == nil {
				return reply{}, errUnprocessable("Event source not found")
			}
			ev.Endpoint = ptr(s.endpointSnapshot(e))
		default:
			return reply{}, errBadRequest("Invalid event source URI scheme '" + kind + "'")
		}
	}
	s.emitTo(app, ev)
	return noContent()
}

// ---- mailboxes ----

func (s *Sim) routeMailboxes(r *req) (reply, error) {
	if len(r.segs) == 1 {
		return method(r, map[string]func() (reply, error){
			http.MethodGet: func() (reply, error) {
				l := []ari.Mailbox{}
				for _, m := range s.mailboxes {
					l = append(l, m)
				}
				slices.SortFunc(l, func(a, b ari.Mailbox) int { return strings.Compare(a.Name, b.Name) })
				return ok(l)
			},
		})
	}
	if len(r.segs) != 2 {
		return reply{}, errNoRoute
	}
	name := r.segs[1]
	return method(r, map[string]func() (reply, error){
		http.MethodGet: func() (reply, error) {
			m, found := s.mailboxes[name]
			if !found {
				return reply{}, errNotFound("Mailbox not found")
			}
			return ok(m)
		},
		http.MethodPut: func() (reply, error) {
			o, err := r.int("oldMessages", -1)
			if err != nil || o < 0 {
				return reply{}, errBadRequest("Missing parameter oldMessages")
			}
			n, err := r.int("newMessages", -1)
			if err != nil || n < 0 {
				return reply{}, errBadRequest("Missing parameter newMessages")
			}
			s.mailboxes[name] = ari.Mailbox{Name: name, OldMessages: o, NewMessages: n}
			return noContent()
		},
		http.MethodDelete: func() (reply, error) {
			if _, found := s.mailboxes[name]; !found {
				return reply{}, errNotFound("Mailbox not found")
			}
			delete(s.mailboxes, name)
			return noContent()
		},
	})
}
