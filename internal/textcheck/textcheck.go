// Package textcheck decides whether a text from outside ccd may enter it. PostgreSQL
// refuses a NUL byte in text and a \u0000 escape in jsonb, and invalid UTF-8 in
// either, so one such value accepted at an edge would later fail the event log's
// whole batch. Edges that can answer (HTTP, configuration) reject with Problem;
// edges that cannot (Asterisk's event streams, CRM lookups) repair with Clean.
package textcheck

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Problem says what is wrong with s as a one-line value (a name, a code, an
// endpoint), or "" when nothing is. Tabs, line breaks and every other control
// character are refused, and so is invalid UTF-8.
func Problem(s string) string { return problem(s, false) }

// TextProblem is Problem for free text, where tabs and line breaks belong.
func TextProblem(s string) string { return problem(s, true) }

func problem(s string, multiline bool) string {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == 0:
				return "contains a NUL byte"
			case multiline && (c == '\t' || c == '\n' || c == '\r'):
			case c < 0x20 || c == 0x7f:
				return fmt.Sprintf("contains the control character %U", rune(c))
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			return "is not valid UTF-8"
		}
		if r >= 0x80 && r < 0xa0 { // C1 controls
			return fmt.Sprintf("contains the control character %U", r)
		}
		i += n
	}
	return ""
}

// Clean returns s with invalid UTF-8 replaced by U+FFFD and NUL bytes removed: what
// PostgreSQL stores, keeping as much of the original as it can. It returns s itself
// when nothing needs repair.
func Clean(s string) string {
	if utf8.ValidString(s) && strings.IndexByte(s, 0) < 0 {
		return s
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "")
}
