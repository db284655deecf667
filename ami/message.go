package ami

import (
	"strings"
)

// Field is one "Key: Value" line of an AMI frame.
type Field struct {
	Key   string
	Value string
}

// Message is one AMI frame: a response, an event or an action. Fields are
// kept in wire order and repeated keys are preserved, because AMI uses them
// for lists (ChanVariable, Variable, Output...).
//
// Messages produced by a Reader or delivered by a Client may be shared between
// several subscribers and must be treated as read-only; use Clone to get a
// copy that can be modified.
type Message struct {
	Fields []Field
}

// NewMessage builds a message from alternating keys and values:
//
//	ami.NewMessage("Event", "Hangup", "Channel", "PJSIP/1001-00000001", "Cause", "16")
//
// It panics if kv has an odd length, like strings.NewReplacer.
func NewMessage(kv ...string) *Message {
	if len(kv)%2 != 0 {
		panic("ami: NewMessage: odd argument count")
	}
	m := &Message{Fields: make([]Field, 0, len(kv)/2)}
	for i := 0; i < len(kv); i += 2 {
		m.Fields = append(m.Fields, Field{Key: kv[i], Value: kv[i+1]})
	}
	return m
}

// equalFoldASCII reports whether a and b are equal under ASCII case folding.
// AMI keys are ASCII; this avoids the Unicode machinery of strings.EqualFold on
// the hot path (every Get on every event).
func equalFoldASCII(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		ca, cb := a[i], b[i]
		if ca == cb {
			continue
		}
		if 'A' <= ca && ca <= 'Z' {
			ca += 'a' - 'A'
		}
		if 'A' <= cb && cb <= 'Z' {
			cb += 'a' - 'A'
		}
		if ca != cb {
			return false
		}
	}
	return true
}

// Get returns the value of the first field whose key matches key, ignoring
// ASCII case. It returns "" if there is no such field; use Has to tell an
// absent key from an empty value.
func (m *Message) Get(key string) string {
	if m == nil {
		return ""
	}
	for i := range m.Fields {
		if equalFoldASCII(m.Fields[i].Key, key) {
			return m.Fields[i].Value
		}
	}
	return ""
}

// Lookup is like Get but also reports whether the key is present.
func (m *Message) Lookup(key string) (string, bool) {
	if m == nil {
		return "", false
	}
	for i := range m.Fields {
		if equalFoldASCII(m.Fields[i].Key, key) {
			return m.Fields[i].Value, true
		}
	}
	return "", false
}

// Values returns the values of all fields whose key matches key, ignoring
// ASCII case, in wire order. It returns nil if there is none.
func (m *Message) Values(key string) []string {
	if m == nil {
		return nil
	}
	var vs []string
	for i := range m.Fields {
		if equalFoldASCII(m.Fields[i].Key, key) {
			vs = append(vs, m.Fields[i].Value)
		}
	}
	return vs
}

// Has reports whether the message has a field with the given key, ignoring
// ASCII case.
func (m *Message) Has(key string) bool {
	_, ok := m.Lookup(key)
	return ok
}

// Event returns the event name ("Hangup", "DialBegin"...), or "" if the
// message is not an event (for example a response).
func (m *Message) Event() string { return m.Get("Event") }

// ActionID returns the value of the ActionID field, or "".
func (m *Message) ActionID() string { return m.Get("ActionID") }

// Response returns the value of the Response field ("Success", "Error",
// "Goodbye"...), or "" if the message is not a response.
func (m *Message) Response() string { return m.Get("Response") }

// Add appends a field, keeping any existing field with the same key.
func (m *Message) Add(key, value string) {
	m.Fields = append(m.Fields, Field{Key: key, Value: value})
}

// Set sets the value of key: the first matching field is updated in place,
// other matching fields are removed, and the field is appended if absent.
func (m *Message) Set(key, value string) {
	found := false
	out := m.Fields[:0]
	for _, f := range m.Fields {
		if equalFoldASCII(f.Key, key) {
			if found {
				continue
			}
			found = true
			f.Value = value
		}
		out = append(out, f)
	}
	// Clear the tail so removed fields do not keep their strings alive.
	clear(m.Fields[len(out):])
	m.Fields = out
	if !found {
		m.Add(key, value)
	}
}

// Del removes every field whose key matches key, ignoring ASCII case.
func (m *Message) Del(key string) {
	out := m.Fields[:0]
	for _, f := range m.Fields {
		if !equalFoldASCII(f.Key, key) {
			out = append(out, f)
		}
	}
	clear(m.Fields[len(out):])
	m.Fields = out
}

// Clone returns a copy of m whose Fields slice can be modified without
// affecting m.
func (m *Message) Clone() *Message {
	if m == nil {
		return nil
	}
	return &Message{Fields: append([]Field(nil), m.Fields...)}
}

// AppendWire appends the wire form of m (CRLF line endings, terminated by an
// empty line) to b and returns the extended buffer.
func (m *Message) AppendWire(b []byte) []byte {
	for _, f := range m.Fields {
		b = append(b, f.Key...)
		b = append(b, ": "...)
		b = append(b, f.Value...)
		b = append(b, "\r\n"...)
	}
	return append(b, "\r\n"...)
}

// String returns the wire form of m: "Key: Value\r\n" lines followed by an
// empty line.
func (m *Message) String() string {
	if m == nil {
		return "\r\n"
	}
	n := 2
	for _, f := range m.Fields {
		n += len(f.Key) + len(f.Value) + 4
	}
	var sb strings.Builder
	sb.Grow(n)
	for _, f := range m.Fields {
		sb.WriteString(f.Key)
		sb.WriteString(": ")
		sb.WriteString(f.Value)
		sb.WriteString("\r\n")
	}
	sb.WriteString("\r\n")
	return sb.String()
}
