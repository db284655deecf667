package jsontext

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

// AppendString must give what encoding/json gives, read back.
func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "plain", "quote\"back\\slash", "\x00\x1f\x7f", "\u2028\u2029", "bad\xff\xfe", "Zoë 東京 🎧", "\n\r\t"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := AppendString(nil, s)
		if !utf8.Valid(out) || strings.ContainsRune(string(out), '\u2028') || strings.ContainsRune(string(out), '\u2029') {
			t.Fatalf("%q encoded as %q: not plain valid text", s, out)
		}
		var got string
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatalf("%q encoded as %s: %v", s, out, err)
		}
		ref, _ := json.Marshal(s) // encoding/json replaces each invalid byte
		var want string
		if err := json.Unmarshal(ref, &want); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Fatalf("%q read back as %q, want %q", s, got, want)
		}
	})
}
