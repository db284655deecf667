package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// FileError is a problem at one place of the configuration file, named by
// the key as the documentation and `ccd config` write it
// (acd.queues[0].service_level) and by its line, so that a user finds it
// without knowing ccd's Go types.
type FileError struct {
	File    string
	Line    int    // 0: the file as a whole
	Key     string // "": not one key (a syntax error, the file itself)
	Problem string
}

func (e *FileError) Error() string {
	where := e.File
	if e.Line > 0 {
		where += " line " + strconv.Itoa(e.Line)
	}
	if e.Key == "" {
		return fmt.Sprintf("config: %s: %s", where, e.Problem)
	}
	return fmt.Sprintf("config: %s: %s: %s", where, e.Key, e.Problem)
}

// decodeFile fills c from the YAML b read from file. The document is first
// checked against c's type so that every mistake is reported at once with
// its key and line; only a document without mistakes is decoded.
func decodeFile(file string, b []byte, c *Config) error {
	root, err := parseDocument(file, b)
	if err != nil || root == nil {
		return err
	}
	chk := newChecker(file, reflect.TypeOf(c).Elem())
	if errs := chk.document(root); len(errs) > 0 {
		return joinFileErrors(errs)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true) // a second guard: the check above already refused unknown keys
	if err := dec.Decode(c); err != nil {
		return joinFileErrors(chk.translate(err))
	}
	return nil
}

// parseDocument is the file's one YAML document; nil for a file without
// any (empty, comments only, or a lone null), which sets no key.
func parseDocument(file string, b []byte) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, syntaxError(file, b, err)
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case errors.Is(err, io.EOF):
	case err != nil:
		return nil, syntaxError(file, b, err)
	default:
		// A second document would be ignored: its keys would silently not apply.
		return nil, &FileError{File: file, Line: next.Line,
			Problem: "a second YAML document (after ---): ccd reads one; put all keys in the first"}
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	root := doc.Content[0]
	if isNull(root) {
		return nil, nil
	}
	return root, nil
}

var yamlLine = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)

// parserProblems are the messages of the YAML parser proper, whose lines
// yaml.v3 reports counted from 0; its scanner counts from 1.
var parserProblems = []string{
	"did not find expected ',' or ']'", "did not find expected ',' or '}'", "did not find expected '-' indicator",
	"did not find expected <document start>", "did not find expected <stream-start>", "did not find expected key",
	"did not find expected node content", "found duplicate %TAG directive", "found duplicate %YAML directive",
	"found incompatible YAML document", "found undefined tag handle",
}

// readerProblems are the messages about bytes that are not text, which
// yaml.v3 reports without a line.
var readerProblems = []string{
	"control characters are not allowed", "incomplete UTF-8 octet sequence", "invalid Unicode character",
	"invalid leading UTF-8 octet", "invalid length of a UTF-8 sequence", "invalid trailing UTF-8 octet",
}

// syntaxError says that the file is not YAML, at the line of the problem
// (or of the block it breaks).
func syntaxError(file string, b []byte, err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
	}
	switch {
	case slices.Contains(readerProblems, msg):
		line = badTextLine(b)
	case slices.Contains(parserProblems, msg):
		line++ // the first line is the one reported without a number
	case strings.HasPrefix(msg, "unknown anchor "):
		line = aliasLine(b, msg)
	case line == 0:
		line = 1
	}
	return &FileError{File: file, Line: line, Problem: "syntax error: " + msg}
}

var unknownAnchor = regexp.MustCompile(`^unknown anchor '(.*)' referenced$`)

// aliasLine is the line of the first alias (*name) to the anchor that
// yaml.v3 reports unknown without a line; 0 if not found.
func aliasLine(b []byte, msg string) int {
	m := unknownAnchor.FindStringSubmatch(msg)
	if m == nil {
		return 0
	}
	alias := regexp.MustCompile(`\*` + regexp.QuoteMeta(m[1]) + `(?:$|[\s,\]}])`)
	for i, l := range strings.Split(string(b), "\n") {
		if alias.MatchString(l) {
			return i + 1
		}
	}
	return 0
}

// badTextLine is the line of the first byte that is not YAML text: invalid
// UTF-8 or a control character other than tab and line breaks.
func badTextLine(b []byte) int {
	line := 1
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		switch {
		case r == utf8.RuneError && size <= 1, r < 0x20 && r != '\t' && r != '\n' && r != '\r', r == 0x7f:
			return line
		case r == '\n':
			line++
		}
		b = b[size:]
	}
	return line
}

// translate names the keys in an error of the decoder itself, by the lines
// the check saw them at. The check refuses what the decoder would, so this
// is for what it cannot foresee (a document that expands too much through
// aliases).
func (k *checker) translate(err error) []*FileError {
	var lines []string
	var te *yaml.TypeError
	if errors.As(err, &te) {
		lines = te.Errors
	} else {
		lines = []string{strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	out := make([]*FileError, 0, len(lines))
	for _, l := range lines {
		fe := &FileError{File: k.file, Problem: l}
		if m := yamlLine.FindStringSubmatch(l); m != nil {
			fe.Line, _ = strconv.Atoi(m[1])
			fe.Key, fe.Problem = k.keyAt[fe.Line], m[2]
		}
		out = append(out, fe)
	}
	return out
}

// joinFileErrors lists the problems in the order of the file.
func joinFileErrors(errs []*FileError) error {
	slices.SortStableFunc(errs, func(a, b *FileError) int { return a.Line - b.Line })
	out := make([]error, len(errs))
	for i, e := range errs {
		out[i] = e
	}
	return errors.Join(out...)
}
