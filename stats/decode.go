package stats

import (
	"encoding/json"
	"errors"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/ccdhq/ccd/acd"
)

// errSlowPath sends a payload to encoding/json.
var errSlowPath = errors.New("stats: payload needs the full decoder")

// unmarshalData reads the fields of an ACD event the statistics use. A rebuild
// reads ten million of them, and reflection-based decoding was two thirds of
// its time; ccd writes these payloads itself (flat objects, no escapes), so a
// scan of exactly that shape reads them, and anything else (a call.ended
// summary, an escaped string, a surprise) goes to encoding/json.
func unmarshalData(b []byte, d *acd.Data) error { return unmarshalDataIn(b, d, nil) }

// unmarshalDataIn is unmarshalData sharing the strings of names (states,
// activities, queues, agents...) through names, which may be nil: a month
// has ten million payloads but a few hundred names.
func unmarshalDataIn(b []byte, d *acd.Data, names map[string]string) error {
	if err := scanData(b, d, names); err != nil {
		*d = acd.Data{}
		return json.Unmarshal(b, d)
	}
	return nil
}

// scanData is the fast path of unmarshalData.
func scanData(b []byte, d *acd.Data, names map[string]string) error {
	s := flatScanner{b: b, names: names}
	if !s.object(func(key []byte) (ok bool) {
		switch string(key) {
		case "state":
			d.State, ok = s.name()
		case "previous":
			d.Previous, ok = s.name()
		case "activity":
			d.Activity, ok = s.name()
		case "endpoint":
			d.Endpoint, ok = s.name()
		case "reason":
			d.Reason, ok = s.name()
		case "previous_ms":
			d.PreviousMS, ok = s.int()
		case "ring_ms":
			d.RingMS, ok = s.int()
		case "waited_ms":
			d.WaitedMS, ok = s.int()
		case "hold_ms":
			d.HoldMS, ok = s.int()
		case "backflow":
			d.Backflow, ok = s.bool()
		case "virtual":
			d.Virtual, ok = s.bool()
		case "queues":
			d.Queues, ok = s.strings()
		case "summary":
			d.Summary = new(acd.Call)
			ok = scanCall(&s, d.Summary)
		default:
			ok = unknownKey(string(key)) && s.skip()
		}
		return ok
	}) {
		return errSlowPath
	}
	return nil
}

// unknownKey reports a key that encoding/json would not match to a field
// either: it matches keys case-insensitively (with Unicode folding), so
// anything but lower-case ASCII is left to it.
func unknownKey(k string) bool {
	for i := 0; i < len(k); i++ {
		if c := k[i]; c >= 0x80 || c >= 'A' && c <= 'Z' {
			return false
		}
	}
	return true
}

// scanCall reads a call.ended summary: the CallsStat row.
func scanCall(s *flatScanner, c *acd.Call) bool {
	return s.object(func(key []byte) (ok bool) {
		var n int64
		switch string(key) {
		case "call_id":
			c.ID, ok = s.str()
		case "clid":
			c.CLID, ok = s.str()
		case "dnis":
			c.DNIS, ok = s.name()
		case "attach_data":
			c.AttachData, ok = s.str()
		case "initial_queue":
			c.InitialQueue, ok = s.name()
		case "queue":
			c.Queue, ok = s.name()
		case "agent":
			c.Agent, ok = s.name()
		case "endpoint":
			c.Endpoint, ok = s.name()
		case "transfer_destination":
			c.TransferTo, ok = s.str()
		case "recording":
			c.Recording, ok = s.str()
		case "priority", "queue_hops", "agent_hops", "end_type", "holds", "hold_ms":
			n, ok = s.int()
			switch string(key) {
			case "priority":
				c.Priority = int(n)
			case "queue_hops":
				c.QueueHops = int(n)
			case "agent_hops":
				c.AgentHops = int(n)
			case "end_type":
				c.EndType = int(n)
			case "holds":
				c.Holds = int(n)
			default:
				c.HoldMS = n
			}
		case "offered_at":
			c.OfferedAt, ok = s.time()
		case "first_queued_at":
			c.QueuedAt, ok = s.time()
		case "answered_at":
			c.AnsweredAt, ok = s.time()
		case "abandoned_at":
			c.AbandonedAt, ok = s.time()
		case "transferred_at":
			c.TransferAt, ok = s.time()
		case "ended_at":
			c.EndedAt, ok = s.time()
		case "backflow":
			c.Backflow, ok = s.bool()
		case "virtual":
			c.Virtual, ok = s.bool()
		default:
			ok = unknownKey(string(key)) && s.skip()
		}
		return ok
	})
}

// object reads a JSON object, handing each key to field, which reads the
// value and says whether it could; false when field or the syntax fails.
func (s *flatScanner) object(field func(key []byte) bool) bool {
	if !s.byte('{') {
		return false
	}
	if s.byte('}') {
		return true
	}
	for {
		key, ok := s.raw()
		if !ok || !s.byte(':') || !field(key) {
			return false
		}
		if s.byte('}') {
			return true
		}
		if !s.byte(',') {
			return false
		}
	}
}

func (s *flatScanner) time() (time.Time, bool) {
	v, ok := s.str()
	if !ok {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	return t, err == nil
}

// flatScanner reads JSON as encoding/json and PostgreSQL write it.
type flatScanner struct {
	b     []byte
	i     int
	names map[string]string // shared strings for name(); nil: none
}

// maxNames bounds the shared names: past it, names are allocated as other
// strings are, so odd data cannot grow the table without end.
const maxNames = 1 << 14

// ws skips whitespace: PostgreSQL prints jsonb as {"a": 1, "b": 2}.
func (s *flatScanner) ws() {
	for s.i < len(s.b) && (s.b[s.i] == ' ' || s.b[s.i] == '\n' || s.b[s.i] == '\t' || s.b[s.i] == '\r') {
		s.i++
	}
}

func (s *flatScanner) peek() byte {
	s.ws()
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

func (s *flatScanner) byte(c byte) bool {
	if s.peek() == c {
		s.i++
		return true
	}
	return false
}

// str reads a string without escapes.
func (s *flatScanner) str() (string, bool) {
	b, ok := s.raw()
	return string(b), ok
}

// name reads a string that is a name: one of few values, shared.
func (s *flatScanner) name() (string, bool) {
	b, ok := s.raw()
	if !ok || s.names == nil {
		return string(b), ok
	}
	if v, found := s.names[string(b)]; found {
		return v, true
	}
	v := string(b)
	if len(s.names) < maxNames {
		s.names[v] = v
	}
	return v, true
}

// raw reads a string without escapes and returns its bytes, which belong to
// the payload.
func (s *flatScanner) raw() ([]byte, bool) {
	if !s.byte('"') {
		return nil, false
	}
	start := s.i
	ascii := true
	for s.i < len(s.b) {
		switch c := s.b[s.i]; {
		case c == '"':
			if !ascii && !utf8.Valid(s.b[start:s.i]) {
				return nil, false // encoding/json would substitute U+FFFD
			}
			s.i++
			return s.b[start : s.i-1], true
		case c >= 0x80:
			ascii = false
		case c == '\\' || c < 0x20:
			return nil, false
		}
		s.i++
	}
	return nil, false
}

func (s *flatScanner) int() (int64, bool) {
	s.ws()
	start := s.i
	for s.i < len(s.b) && (s.b[s.i] == '-' || s.b[s.i] >= '0' && s.b[s.i] <= '9') {
		s.i++
	}
	n, err := strconv.ParseInt(string(s.b[start:s.i]), 10, 64)
	return n, err == nil
}

func (s *flatScanner) bool() (bool, bool) {
	s.ws()
	switch {
	case len(s.b)-s.i >= 4 && string(s.b[s.i:s.i+4]) == "true":
		s.i += 4
		return true, true
	case len(s.b)-s.i >= 5 && string(s.b[s.i:s.i+5]) == "false":
		s.i += 5
		return false, true
	}
	return false, false
}

func (s *flatScanner) strings() ([]string, bool) {
	if !s.byte('[') {
		return nil, false
	}
	out := []string{}
	if s.byte(']') {
		return out, true
	}
	for {
		v, ok := s.name()
		if !ok {
			return nil, false
		}
		out = append(out, v)
		if s.byte(']') {
			return out, true
		}
		if !s.byte(',') {
			return nil, false
		}
	}
}

// skip passes over a value the statistics do not use: a string, number, bool
// or an array of strings. Anything nested sends the payload to the slow path.
func (s *flatScanner) skip() bool {
	switch c := s.peek(); {
	case c == '"':
		_, ok := s.raw()
		return ok
	case c == '-' || c >= '0' && c <= '9':
		for s.i < len(s.b) && (s.b[s.i] == '-' || s.b[s.i] == '+' || s.b[s.i] == '.' || s.b[s.i] == 'e' || s.b[s.i] == 'E' || s.b[s.i] >= '0' && s.b[s.i] <= '9') {
			s.i++
		}
		return true
	case c == 't' || c == 'f':
		_, ok := s.bool()
		return ok
	case c == '[':
		_, ok := s.strings()
		return ok
	}
	return false
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
