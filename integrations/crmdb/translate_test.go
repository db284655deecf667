package crmdb

import (
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestTranslate(t *testing.T) {
	const (
		C = varCLID
		D = varDNIS
		A = varAttachData
	)
	tests := []struct {
		driver, in, want string
		vars             []variable
	}{
		// The Optimus example, in each dialect.
		{"postgres", "select QUEUE_CODE, PRIORITY, ATTACHDATA from Customers where phone_number=$CLID",
			"select QUEUE_CODE, PRIORITY, ATTACHDATA from Customers where phone_number=$1", []variable{C}},
		{"mysql", "select q, p, a from c where phone=$CLID", "select q, p, a from c where phone=?", []variable{C}},
		{"sqlite", "select q, p, a from c where phone=$CLID", "select q, p, a from c where phone=?", []variable{C}},
		{"sqlserver", "select q, p, a from c where phone=$CLID", "select q, p, a from c where phone=@p1", []variable{C}},

		// All three, repeated, any case: one placeholder per occurrence.
		{"postgres", "select $dnis, $Clid, $ATTACHDATA, $clid", "select $1, $2, $3, $4", []variable{D, C, A, C}},
		{"mysql", "select $dnis,$CLID,$clid", "select ?,?,?", []variable{D, C, C}},
		{"sqlserver", "f($DNIS,$CLID)", "f(@p1,@p2)", []variable{D, C}},
		{"postgres", "select 1", "select 1", nil},
		{"postgres", "$CLID", "$1", []variable{C}},

		// Literals, quoted identifiers and comments are left alone.
		{"postgres", "select '$CLID', $CLID", "select '$CLID', $1", []variable{C}},
		{"postgres", "select 'it''s $DNIS', $CLID", "select 'it''s $DNIS', $1", []variable{C}},
		{"postgres", `select "$CLID" from t where a=$CLID`, `select "$CLID" from t where a=$1`, []variable{C}},
		{"postgres", "select 1 -- $CLID\n, $DNIS", "select 1 -- $CLID\n, $1", []variable{D}},
		{"postgres", "select /* $CLID /* nested $DNIS */ $X */ $CLID", "select /* $CLID /* nested $DNIS */ $X */ $1", []variable{C}},
		{"postgres", "select $$ $CLID $$, $body$ $DNIS $body$, $CLID", "select $$ $CLID $$, $body$ $DNIS $body$, $1", []variable{C}},
		{"postgres", `select E'\' $CLID', $DNIS`, `select E'\' $CLID', $1`, []variable{D}},
		{"postgres", `select '\', $DNIS`, `select '\', $1`, []variable{D}},
		{"mysql", `select '\' $CLID', $DNIS`, `select '\' $CLID', ?`, []variable{D}},
		{"mysql", `select "a\" $CLID", $DNIS`, `select "a\" $CLID", ?`, []variable{D}},
		{"mysql", "select `$CLID` # $DNIS\n, $CLID", "select `$CLID` # $DNIS\n, ?", []variable{C}},
		{"mysql", "select 1 -- $CLID\n, 2--$DNIS", "select 1 -- $CLID\n, 2--?", []variable{D}},
		{"mysql", "select /*!50000 $CLID */ 1", "select /*!50000 ? */ 1", []variable{C}},
		{"sqlserver", "select [$CLID], N'$DNIS', $CLID", "select [$CLID], N'$DNIS', @p1", []variable{C}},
		{"sqlite", "select [$CLID], `$DNIS`, $CLID", "select [$CLID], `$DNIS`, ?", []variable{C}},
		{"sqlite", "select '?', ':x', $CLID", "select '?', ':x', ?", []variable{C}},

		// $ after an identifier character belongs to the identifier.
		{"mysql", "select price$usd from t where a=$CLID", "select price$usd from t where a=?", []variable{C}},
		{"postgres", "select a$CLID, a$$b, $CLID", "select a$CLID, a$$b, $1", []variable{C}},
		{"sqlserver", "select @$CLID, #t$DNIS, $IDENTITY, $CLID", "select @$CLID, #t$DNIS, $IDENTITY, @p1", []variable{C}},

		// Things that look like placeholders but are not.
		{"postgres", "select data ? 'key', x::text from t where a=$CLID", "select data ? 'key', x::text from t where a=$1", []variable{C}},
		{"sqlserver", "select $5.25 where a=$CLID", "select $5.25 where a=@p1", []variable{C}},
		{"postgres", "select 'é' || $CLID", "select 'é' || $1", []variable{C}},
	}
	for _, tt := range tests {
		got, vars, err := translate(tt.in, dialects[tt.driver])
		if err != nil {
			t.Errorf("%s %q: %v", tt.driver, tt.in, err)
			continue
		}
		if got != tt.want || !slices.Equal(vars, tt.vars) {
			t.Errorf("%s %q:\n got  %q %v\n want %q %v", tt.driver, tt.in, got, vars, tt.want, tt.vars)
		}
	}
}

func TestTranslateErrors(t *testing.T) {
	tests := []struct{ driver, in, want string }{
		{"postgres", "select * from t where a=$PHONE", "unknown variable $PHONE at offset 24"},
		{"postgres", "select $CLIDX", "unknown variable $CLIDX"},
		{"postgres", "select $clid$x", `variable $clid at offset 7 is followed by '$'`},
		{"sqlserver", "select $CLID#t", `is followed by '#'`},
		{"postgres", "select * from t where a=$1", "placeholder $1 at offset 24"},
		{"mysql", "select * from t where a=?", "placeholder ?"},
		{"mysql", "select * from t where a=x?", "placeholder ?"},
		{"sqlite", "select * from t where a=:phone", "placeholder :p"},
		{"sqlite", "select * from t where a=@phone", "placeholder @p"},
		{"sqlite", "select * from t where a=$1", "placeholder $1"},
		{"sqlserver", "select * from t where a=@p1", "placeholder @p1"},
		{"postgres", "select 'abc", "unterminated '...' at offset 7"},
		{"postgres", `select "abc`, `unterminated "..." at offset 7`},
		{"postgres", "select /* /* */", "unterminated /* comment"},
		{"postgres", "select $x$ abc", "unterminated dollar-quoted string $x$"},
		{"mysql", `select 'abc\'`, "unterminated"},
		{"sqlserver", "select [abc", "unterminated [...]"},
	}
	for _, tt := range tests {
		_, _, err := translate(tt.in, dialects[tt.driver])
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s %q: got error %v, want one containing %q", tt.driver, tt.in, err, tt.want)
		}
	}
}

// FuzzTranslate checks, for any query and dialect: no panic; literals, quoted
// identifiers and comments come out byte for byte; no variable is left in the
// code; and the placeholders are exactly one per bound variable, numbered in order.
func FuzzTranslate(f *testing.F) {
	for _, q := range []string{
		"select q, p, a from c where phone=$CLID",
		"select $dnis, $Clid, $ATTACHDATA, $clid",
		"select '$CLID', \"$DNIS\", `$X`, [$Y] -- $Z\n /* $W */ # $V\n $CLID",
		"select $$ $CLID $$, $t$ $DNIS $t$, E'\\' $CLID', $CLID",
		"select '1'' OR ''1''=''1', $CLID; DROP TABLE x; --",
		"select price$usd, @$CLID, $IDENTITY, /*!50000 $CLID */ ?",
		"select $1, @p1, :x, a$$b, $CLID$",
	} {
		for drv := range 4 {
			f.Add(q, uint8(drv))
		}
	}
	drivers := []string{"postgres", "mysql", "sqlite", "sqlserver"}
	f.Fuzz(func(t *testing.T, q string, drv uint8) {
		name := drivers[int(drv)%len(drivers)]
		d := dialects[name]
		out, vars, err := translate(q, d)
		if err != nil {
			return
		}
		inSegs, err := d.split(q)
		if err != nil {
			t.Fatalf("translate accepted what split rejects: %v", err)
		}
		outSegs, err := d.split(out)
		if err != nil {
			t.Fatalf("%s: output %q does not split: %v", name, out, err)
		}
		if in, o := nonCode(inSegs), nonCode(outSegs); !slices.Equal(in, o) {
			t.Fatalf("%s: literals changed: %q -> %q", name, in, o)
		}
		var code strings.Builder
		for _, s := range outSegs {
			if s.code {
				code.WriteString(s.text)
			} else {
				code.WriteByte(' ') // stands for the literal: a token of its own
			}
		}
		left, nums := scanOutput(code.String(), d, name)
		for _, n := range left {
			if !d.passthrough[n] {
				t.Fatalf("%s: %q -> %q leaves variable $%s in code", name, q, out, n)
			}
		}
		if len(nums) != len(vars) {
			t.Fatalf("%s: %q -> %q has %d placeholders for %d values", name, q, out, len(nums), len(vars))
		}
		for i, n := range nums {
			if n != 0 && n != i+1 {
				t.Fatalf("%s: %q -> %q: placeholder %d is numbered %d", name, q, out, i+1, n)
			}
		}
	})
}

// scanOutput reads translated code byte by byte, as the databases would: it
// returns the $NAMEs still there (not glued to an identifier) and the number of
// each placeholder (0 for ?).
func scanOutput(c string, d *dialect, driver string) (left []string, nums []int) {
	num := func(i int) int {
		n, _ := strconv.Atoi(digitsAt(c, i))
		return n
	}
	for i := 0; i < len(c); i++ {
		if i > 0 && d.isIdent(c[i-1]) {
			if c[i] == '?' && (driver == "mysql" || driver == "sqlite") {
				nums = append(nums, 0)
			}
			continue
		}
		switch {
		case c[i] == '?' && (driver == "mysql" || driver == "sqlite"):
			nums = append(nums, 0)
		case c[i] == '$' && i+1 < len(c) && isNameStart(c[i+1]):
			j := i + 1
			for j < len(c) && isNameChar(c[j]) {
				j++
			}
			left = append(left, strings.ToUpper(c[i+1:j]))
		case driver == "postgres" && c[i] == '$' && i+1 < len(c) && isDigit(c[i+1]):
			nums = append(nums, num(i+1))
		case driver == "sqlserver" && strings.HasPrefix(c[i:], "@p") && i+2 < len(c) && isDigit(c[i+2]):
			nums = append(nums, num(i+2))
		}
	}
	return left, nums
}

func nonCode(segs []segment) []string {
	var s []string
	for _, g := range segs {
		if !g.code {
			s = append(s, g.text)
		}
	}
	return s
}

func TestTruncate(t *testing.T) {
	for _, tt := range []struct {
		in   string
		n    int
		want string
	}{
		{"5551234", 20, "5551234"},
		{"123456789012345678901234", 20, "12345678901234567890"},
		{"ééééé", 3, "ééé"},       // characters, not bytes
		{"ab\xffcd", 3, "ab\xff"}, // invalid UTF-8: a byte is a character
		{"", 20, ""},
	} {
		if got := truncate(tt.in, tt.n); got != tt.want {
			t.Errorf("truncate(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}
