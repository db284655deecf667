package crmdb

import (
	"fmt"
	"strconv"
	"strings"
)

// variable is one of the Optimus query variables; its value is always sent as a
// bound parameter.
type variable uint8

const (
	varCLID variable = iota
	varDNIS
	varAttachData
)

// variableNames maps the upper-cased name (after the $) to the variable. Names are
// case-insensitive, like the SQL around them: $clid and $CLID are the same.
var variableNames = map[string]variable{
	"CLID":       varCLID,
	"DNIS":       varDNIS,
	"ATTACHDATA": varAttachData,
}

func (v variable) value(r Request) string {
	switch v {
	case varCLID:
		return r.CLID
	case varDNIS:
		return r.DNIS
	default:
		return r.AttachData
	}
}

// dialect is what the translator must know of a driver's SQL: how to write a
// placeholder, and which text is not code (string literals, quoted identifiers,
// comments), so that a $CLID there is left alone.
type dialect struct {
	// placeholder returns the n-th (1-based) bound parameter's marker.
	placeholder func(n int) string
	// native reports whether code at q[i] is the driver's own placeholder, which
	// would shift the parameters; it returns the text to name in the error.
	// afterIdent: q[i] continues an identifier (a$1 is a name, not $1).
	native func(q string, i int, afterIdent bool) (string, bool)
	// identExtra are characters besides letters, digits, _ and $ that may continue
	// an identifier (SQL Server: @ and #).
	identExtra string
	// passthrough are $NAMEs that belong to the dialect itself (SQL Server's
	// $IDENTITY, $ACTION, ...) and are not variables.
	passthrough map[string]bool

	backslash      bool // \ escapes in '...' and "..." (MySQL)
	eStrings       bool // E'...' has \ escapes (PostgreSQL)
	dollarQuotes   bool // $$...$$ and $tag$...$tag$ strings (PostgreSQL)
	backticks      bool // `identifier` (MySQL, SQLite)
	brackets       bool // [identifier] (SQL Server, SQLite)
	hashComments   bool // # comment (MySQL)
	dashNeedsSpace bool // "-- " needs a blank after it (MySQL)
	nestedComments bool // /* /* */ */ nests (PostgreSQL)
	execComments   bool // /*! ... */ is code (MySQL, MariaDB)
}

var dialects = map[string]*dialect{
	"postgres": {
		placeholder:    func(n int) string { return "$" + strconv.Itoa(n) },
		native:         dollarDigit,
		eStrings:       true,
		dollarQuotes:   true,
		nestedComments: true,
	},
	"mysql": {
		placeholder:    func(int) string { return "?" },
		native:         question,
		backslash:      true,
		backticks:      true,
		hashComments:   true,
		dashNeedsSpace: true,
		execComments:   true,
	},
	"sqlite": {
		placeholder: func(int) string { return "?" },
		native:      sqliteNative,
		backticks:   true,
		brackets:    true,
	},
	"sqlserver": {
		placeholder: func(n int) string { return "@p" + strconv.Itoa(n) },
		native:      atPDigit,
		identExtra:  "@#",
		passthrough: map[string]bool{
			"ACTION": true, "IDENTITY": true, "ROWGUID": true, "PARTITION": true,
			"NODE_ID": true, "EDGE_ID": true, "FROM_ID": true, "TO_ID": true,
		},
		brackets: true,
	},
}

func dollarDigit(q string, i int, afterIdent bool) (string, bool) {
	if !afterIdent && q[i] == '$' && i+1 < len(q) && isDigit(q[i+1]) {
		return "$" + digitsAt(q, i+1), true
	}
	return "", false
}

// question: MySQL reads ? as a placeholder wherever it stands outside literals.
func question(q string, i int, _ bool) (string, bool) { return "?", q[i] == '?' }

// sqliteNative: SQLite takes ?, ?NNN, :name, @name and $name as parameters; $
// followed by a letter is ours, and after an identifier $ belongs to it.
func sqliteNative(q string, i int, afterIdent bool) (string, bool) {
	switch c := q[i]; {
	case c == '?':
		return "?", true
	case (c == ':' || c == '@') && i+1 < len(q) && isNameChar(q[i+1]):
		return q[i : i+2], true
	case c == '$' && !afterIdent && i+1 < len(q) && isDigit(q[i+1]):
		return "$" + digitsAt(q, i+1), true
	}
	return "", false
}

// atPDigit: go-mssqldb names positional parameters @p1, @p2...; a query's own
// @p1 would collide with ours. After an identifier character @ is part of a name.
func atPDigit(q string, i int, afterIdent bool) (string, bool) {
	if !afterIdent && q[i] == '@' && i+2 < len(q) && (q[i+1] == 'p' || q[i+1] == 'P') && isDigit(q[i+2]) {
		return q[i:i+2] + digitsAt(q, i+2), true
	}
	return "", false
}

func digitsAt(q string, i int) string {
	j := i
	for j < len(q) && isDigit(q[j]) {
		j++
	}
	return q[i:j]
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// isNameChar: what may follow the $ of a variable. Bytes of multi-byte UTF-8
// characters count, as they do in identifiers, so $CLIDé is one (unknown) name.
func isNameChar(c byte) bool {
	return c == '_' || isDigit(c) || 'a' <= c|0x20 && c|0x20 <= 'z' || c >= 0x80
}

func isNameStart(c byte) bool { return isNameChar(c) && !isDigit(c) }

// isIdent reports whether c continues an identifier. A $ right after one is part
// of it (MySQL's price$usd, Oracle-style V$SESSION), not a variable, exactly as
// PostgreSQL's lexer does not start a parameter or dollar quote there.
func (d *dialect) isIdent(c byte) bool {
	return isNameChar(c) || c == '$' || strings.IndexByte(d.identExtra, c) >= 0
}

// segment is a piece of a query: code, or text the translator must not touch
// (string literal, quoted identifier, comment, dollar-quoted string).
type segment struct {
	text string
	code bool
}

// split cuts q into segments. An unterminated literal or comment is an error: the
// database would reject it anyway, and guessing where it ends could turn a
// variable meant as data into code or the other way round.
func (d *dialect) split(q string) ([]segment, error) {
	var segs []segment
	start := 0 // of the current code segment
	other := func(i, j int) {
		if start < i {
			segs = append(segs, segment{q[start:i], true})
		}
		segs = append(segs, segment{q[i:j], false})
		start = j
	}
	for i := 0; i < len(q); {
		c := q[i]
		// A literal or comment is a whole token: what follows it starts afresh.
		prevIdent := i > start && d.isIdent(q[i-1])
		var j int
		var err error
		switch {
		case c == '\'':
			esc := d.backslash || d.eStrings && i > 0 && q[i-1]|0x20 == 'e' && (i < 2 || !d.isIdent(q[i-2]))
			j, err = closeQuote(q, i, '\'', esc)
		case c == '"':
			j, err = closeQuote(q, i, '"', d.backslash)
		case c == '`' && d.backticks:
			j, err = closeQuote(q, i, '`', false)
		case c == '[' && d.brackets:
			j, err = closeQuote(q, i, ']', false)
		case c == '-' && strings.HasPrefix(q[i:], "--") &&
			(!d.dashNeedsSpace || i+2 < len(q) && q[i+2] <= ' '):
			j = lineEnd(q, i)
		case c == '#' && d.hashComments:
			j = lineEnd(q, i)
		case c == '/' && strings.HasPrefix(q[i:], "/*"):
			if d.execComments && (strings.HasPrefix(q[i:], "/*!") || strings.HasPrefix(q[i:], "/*M!")) {
				i += 3 // executable comment: its body is code; its */ is harmless
				continue
			}
			j, err = d.closeComment(q, i)
		case c == '$' && d.dollarQuotes && !prevIdent:
			tag, ok := d.dollarTag(q, i)
			if !ok {
				i++
				continue
			}
			end := strings.Index(q[i+len(tag):], tag)
			if end < 0 {
				return nil, fmt.Errorf("unterminated dollar-quoted string %s at offset %d", tag, i)
			}
			j = i + len(tag) + end + len(tag)
		default:
			i++
			continue
		}
		if err != nil {
			return nil, err
		}
		other(i, j)
		i = j
	}
	if start < len(q) {
		segs = append(segs, segment{q[start:], true})
	}
	return segs, nil
}

// dollarTag returns the opening delimiter of a PostgreSQL dollar-quoted string at
// q[i] ($$ or $tag$), or false. $CLID$ is not a tag but a variable (followed by
// an error), so that a variable is never silently swallowed into a string.
func (d *dialect) dollarTag(q string, i int) (string, bool) {
	j := i + 1
	if j < len(q) && q[j] == '$' {
		return "$$", true
	}
	if j >= len(q) || !isNameStart(q[j]) {
		return "", false
	}
	for j < len(q) && isNameChar(q[j]) {
		j++
	}
	if j >= len(q) || q[j] != '$' {
		return "", false
	}
	if _, isVar := variableNames[strings.ToUpper(q[i+1:j])]; isVar {
		return "", false
	}
	return q[i : j+1], true
}

// closeQuote returns the end of the quoted text starting at q[i]; a doubled
// closing character stands for itself, and with esc a backslash escapes the next
// byte.
func closeQuote(q string, i int, end byte, esc bool) (int, error) {
	for j := i + 1; j < len(q); j++ {
		switch q[j] {
		case '\\':
			if esc {
				j++
			}
		case end:
			if j+1 < len(q) && q[j+1] == end {
				j++
				continue
			}
			return j + 1, nil
		}
	}
	return 0, fmt.Errorf("unterminated %c...%c at offset %d", q[i], end, i)
}

func lineEnd(q string, i int) int {
	if n := strings.IndexByte(q[i:], '\n'); n >= 0 {
		return i + n + 1
	}
	return len(q)
}

func (d *dialect) closeComment(q string, i int) (int, error) {
	depth := 0
	for j := i; j+1 < len(q); {
		switch {
		case q[j] == '/' && q[j+1] == '*' && (depth == 0 || d.nestedComments):
			depth++
			j += 2
		case q[j] == '*' && q[j+1] == '/':
			depth--
			j += 2
			if depth == 0 {
				return j, nil
			}
		default:
			j++
		}
	}
	return 0, fmt.Errorf("unterminated /* comment at offset %d", i)
}

// translate rewrites the Optimus variables of q ($CLID, $DNIS, $ATTACHDATA, in any
// case) into d's placeholders and returns the variable bound to each placeholder
// in order. Every occurrence gets its own placeholder, even a repeated variable:
// PostgreSQL then infers each one's type from its own context (phone=$1 and
// id=$2 may differ), and ? dialects need it anyway. Values are never put into the
// text.
func translate(q string, d *dialect) (string, []variable, error) {
	segs, err := d.split(q)
	if err != nil {
		return "", nil, err
	}
	var b strings.Builder
	b.Grow(len(q) + 8)
	var vars []variable
	var prev byte // last byte written, for the identifier rule
	offset := 0   // of the segment in q, for error messages
	for _, s := range segs {
		t := s.text
		if !s.code {
			b.WriteString(t)
			prev, offset = 0, offset+len(t) // as in split
			continue
		}
		for i := 0; i < len(t); {
			afterIdent := d.isIdent(prev)
			if nat, ok := d.native(t, i, afterIdent); ok {
				return "", nil, fmt.Errorf("placeholder %s at offset %d: use $CLID, $DNIS or $ATTACHDATA instead of the driver's own placeholders", nat, offset+i)
			}
			if afterIdent || t[i] != '$' || i+1 == len(t) || !isNameStart(t[i+1]) {
				prev = t[i]
				b.WriteByte(t[i])
				i++
				continue
			}
			j := i + 1
			for j < len(t) && isNameChar(t[j]) {
				j++
			}
			name := strings.ToUpper(t[i+1 : j])
			v, known := variableNames[name]
			switch {
			case !known && d.passthrough[name]:
				b.WriteString(t[i:j])
				prev, i = t[j-1], j
				continue
			case !known:
				return "", nil, fmt.Errorf("unknown variable %s at offset %d (want $CLID, $DNIS or $ATTACHDATA)", t[i:j], offset+i)
			case j < len(t) && d.isIdent(t[j]):
				// $CLID$x or (SQL Server) $CLID#x would glue the placeholder to
				// an identifier.
				return "", nil, fmt.Errorf("variable %s at offset %d is followed by %q; separate them", t[i:j], offset+i, t[j])
			}
			vars = append(vars, v)
			b.WriteString(d.placeholder(len(vars)))
			// What follows is not an identifier character (checked above), so
			// the placeholder's last byte cannot change how it is read.
			prev, i = 0, j
		}
		offset += len(t)
	}
	return b.String(), vars, nil
}
