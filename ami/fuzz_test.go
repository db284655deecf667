package ami

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzReader feeds arbitrary bytes to the Reader. It must never panic, must
// always make progress, must report only *ParseError or io.EOF for in-memory
// input, and every message it returns must survive a round trip through its
// wire form unchanged.
func FuzzReader(f *testing.F) {
	for _, c := range loadCaptures(f) {
		// Whole captures are large for a fuzzer; their first frames carry
		// the banner, a response and typical events.
		f.Add(c.data[:min(len(c.data), 1500)])
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r := NewReader(bytes.NewReader(data))
		r.SetMaxFrameSize(4096)
		for i := 0; ; i++ {
			if i > len(data)+1 {
				t.Fatal("Reader returns more results than there are input bytes")
			}
			m, err := r.ReadMessage()
			if err == io.EOF {
				break
			}
			if err != nil {
				var perr *ParseError
				if !errors.As(err, &perr) {
					t.Fatalf("unexpected error type %T: %v", err, err)
				}
				continue
			}
			if len(m.Fields) == 0 {
				t.Fatal("empty message returned")
			}
			for _, f := range m.Fields { // what PostgreSQL would refuse
				if !utf8.ValidString(f.Key+f.Value) || strings.IndexByte(f.Key+f.Value, 0) >= 0 {
					t.Fatalf("field %q: %q holds invalid UTF-8 or NUL", f.Key, f.Value)
				}
			}
			wire := m.String()
			m2, err := NewReader(bytes.NewReader([]byte(wire))).ReadMessage()
			if err != nil {
				t.Fatalf("re-parsing %q: %v", wire, err)
			}
			if !sameFields(m.Fields, m2.Fields) {
				t.Fatalf("round trip changed the message:\n%q\n%q", m.Fields, m2.Fields)
			}
		}

		// The event filter must see the same event names the parser does.
		r = NewReader(bytes.NewReader(data))
		r.SetEventFilter(func(ev []byte) bool { return len(ev)%2 == 0 })
		for i := 0; i <= len(data)+1; i++ {
			m, err := r.ReadMessage()
			if err == io.EOF {
				return
			}
			if err == nil && m.Has("Event") && len(m.Event())%2 != 0 {
				t.Fatalf("filter let through event %q", m.Event())
			}
		}
		t.Fatal("filtered Reader did not reach EOF")
	})
}
