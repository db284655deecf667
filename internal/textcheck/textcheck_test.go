package textcheck

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestProblem(t *testing.T) {
	for _, tc := range []struct {
		in        string
		one, text bool // accepted as a one-line value, as free text
	}{
		{"", true, true},
		{"Müller 1001 ☎", true, true},
		{"x\x00y", false, false},
		{"\xff\xfe", false, false},
		{"\xc3\x28", false, false},
		{"a\tb", false, true},
		{"a\r\nb", false, true},
		{"bell\a", false, false},
		{"del\x7f", false, false},
		{"c1\u0085", false, false},
	} {
		if got := Problem(tc.in) == ""; got != tc.one {
			t.Errorf("Problem(%q) accepted=%v, want %v", tc.in, got, tc.one)
		}
		if got := TextProblem(tc.in) == ""; got != tc.text {
			t.Errorf("TextProblem(%q) accepted=%v, want %v", tc.in, got, tc.text)
		}
	}
}

func TestClean(t *testing.T) {
	if got := Clean("ok"); got != "ok" {
		t.Fatalf("Clean(ok) = %q", got)
	}
	if got := Clean("a\x00b\xffc"); got != "ab\uFFFDc" {
		t.Fatalf("Clean = %q", got)
	}
}

func FuzzClean(f *testing.F) {
	f.Add("x\x00y\xff")
	f.Fuzz(func(t *testing.T, s string) {
		c := Clean(s)
		if !utf8.ValidString(c) || strings.IndexByte(c, 0) >= 0 {
			t.Fatalf("Clean(%q) = %q still holds what PostgreSQL refuses", s, c)
		}
		if Problem(s) == "" && c != s {
			t.Fatalf("Clean changed an acceptable value %q to %q", s, c)
		}
	})
}
