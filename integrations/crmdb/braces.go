package crmdb

import (
	"fmt"
	"slices"
	"strings"
)

// translateBraces rewrites the {Name} variables of a hook statement into the
// dialect's placeholders and returns the variable (its canonical name) bound
// to each placeholder in order. Names are case-insensitive ({USERNAME} is
// {Username}). A variable is always a bound parameter: in code it becomes a
// placeholder; a string literal that is exactly one variable ('{Username}',
// as the customers' examples write it) becomes a placeholder, quotes and
// all, so the value is never spliced into the SQL. A variable inside a
// longer literal or a quoted identifier is refused: binding it would need
// the statement rewritten, and splicing it would be an injection — unless
// keepInLiterals, for Call Start, whose answer is a URL with {…} variables
// of its own that ccd fills in later: there such a literal stays text, as
// written. Comments are left alone.
func translateBraces(q string, d *dialect, names []string, keepInLiterals bool) (string, []string, error) {
	canonical := make(map[string]string, len(names))
	for _, n := range names {
		canonical[strings.ToUpper(n)] = n
	}
	segs, err := d.split(q)
	if err != nil {
		return "", nil, err
	}
	var b strings.Builder
	var vars []string
	offset := 0
	bind := func(name string) {
		vars = append(vars, name)
		b.WriteString(d.placeholder(len(vars)))
	}
	for _, s := range segs {
		t := s.text
		if s.code {
			if err := braceCode(t, offset, d, canonical, &b, bind); err != nil {
				return "", nil, err
			}
			offset += len(t)
			continue
		}
		name, exact, found, err := braceLiteral(t, canonical)
		switch {
		case err != nil:
			return "", nil, fmt.Errorf("%w at offset %d", err, offset)
		case exact && isStringLiteral(t, d):
			dropLiteralPrefix(&b)
			bind(name)
		case found && keepInLiterals && isStringLiteral(t, d):
			b.WriteString(t)
		case found && !isComment(t):
			return "", nil, fmt.Errorf("{%s} inside %s at offset %d: a value is never put into the SQL text; write the literal as '{%s}' alone (it becomes a bound parameter) or build the text in SQL",
				name, describe(t, d), offset, name)
		default:
			b.WriteString(t)
		}
		offset += len(t)
	}
	return b.String(), vars, nil
}

// braceCode translates one code segment.
func braceCode(t string, offset int, d *dialect, canonical map[string]string, b *strings.Builder, bind func(string)) error {
	var prev byte
	for i := 0; i < len(t); {
		if nat, ok := d.native(t, i, d.isIdent(prev)); ok {
			return fmt.Errorf("placeholder %s at offset %d: use the {Name} variables instead of the driver's own placeholders", nat, offset+i)
		}
		if t[i] == '{' {
			if j := strings.IndexByte(t[i:], '}'); j > 1 && isBraceName(t[i+1:i+j]) {
				raw := t[i+1 : i+j]
				name, ok := canonical[strings.ToUpper(raw)]
				if !ok {
					return fmt.Errorf("unknown variable {%s} at offset %d (this hook has %s)", raw, offset+i, braceList(canonical))
				}
				bind(name)
				prev, i = 0, i+j+1
				continue
			}
		}
		prev = t[i]
		b.WriteByte(t[i])
		i++
	}
	return nil
}

// braceLiteral looks for variables in a literal, identifier or comment:
// exact says the text is one quoted variable and nothing else.
func braceLiteral(t string, canonical map[string]string) (name string, exact, found bool, err error) {
	for i := 0; i < len(t); i++ {
		if t[i] != '{' {
			continue
		}
		j := strings.IndexByte(t[i:], '}')
		if j <= 1 || !isBraceName(t[i+1:i+j]) {
			continue
		}
		raw := t[i+1 : i+j]
		exact = i == 1 && i+j+1 == len(t)-1
		n, ok := canonical[strings.ToUpper(raw)]
		switch {
		case ok:
			return n, exact, true, nil
		case exact && !isComment(t):
			// '{Usrname}': a misspelt variable, not a text anyone means.
			return "", false, false, fmt.Errorf("unknown variable {%s} (this hook has %s)", raw, braceList(canonical))
		}
	}
	return "", false, false, nil
}

func isBraceName(s string) bool {
	if s == "" || !isNameStart(s[0]) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isNameChar(s[i]) || s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func isComment(t string) bool {
	return strings.HasPrefix(t, "--") || strings.HasPrefix(t, "#") || strings.HasPrefix(t, "/*")
}

// isStringLiteral: '...' everywhere, "..." in MySQL.
func isStringLiteral(t string, d *dialect) bool {
	return t[0] == '\'' || t[0] == '"' && d.backslash
}

func describe(t string, d *dialect) string {
	if t[0] == '\'' || t[0] == '$' || isStringLiteral(t, d) {
		return "a longer string literal"
	}
	return "a quoted identifier"
}

// dropLiteralPrefix removes a literal's prefix (SQL Server's N'...',
// PostgreSQL's E'...') written just before it: the placeholder replaces the
// whole literal.
func dropLiteralPrefix(b *strings.Builder) {
	s := b.String()
	if n := len(s); n > 0 && strings.ContainsRune("NnEe", rune(s[n-1])) && (n == 1 || !isNameChar(s[n-2])) {
		b.Reset()
		b.WriteString(s[:n-1])
	}
}

func braceList(canonical map[string]string) string {
	var names []string
	for _, n := range canonical {
		names = append(names, "{"+n+"}")
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}
