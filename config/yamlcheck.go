package config

import (
	"encoding"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// checker walks a YAML document alongside the Go type it will be decoded
// into and notes, by key path and line, every value the decoder would
// refuse or silently get wrong.
type checker struct {
	file  string
	root  reflect.Type
	errs  []*FileError
	keyAt map[int]string // line -> the first key on it, for the decoder's own errors
	// budget bounds the values visited: aliases (*name) may expand a small
	// file enormously.
	budget    int
	expanding map[*yaml.Node]bool // aliases being walked, against an anchor holding itself
}

// checkBudget is far above any real configuration (thousands of agents).
const checkBudget = 1_000_000

var (
	yamlUnmarshaler = reflect.TypeOf((*yaml.Unmarshaler)(nil)).Elem()
	textUnmarshaler = reflect.TypeOf((*encoding.TextUnmarshaler)(nil)).Elem()
)

func newChecker(file string, root reflect.Type) *checker {
	return &checker{file: file, root: root, keyAt: map[int]string{}, budget: checkBudget, expanding: map[*yaml.Node]bool{}}
}

// document checks the file's top node, which must hold the top-level keys.
func (k *checker) document(n *yaml.Node) []*FileError {
	if r := resolveAlias(n); r != nil && r.Kind != yaml.MappingNode {
		k.fail(n, "", "the file must hold keys (listen: ..., acd: ...), got "+describeNode(r))
		return k.errs
	}
	k.value(n, k.root, "")
	return k.errs
}

func (k *checker) fail(n *yaml.Node, key, problem string) {
	k.errs = append(k.errs, &FileError{File: k.file, Line: n.Line, Key: key, Problem: problem})
}

// value checks n as a value of type t at key.
func (k *checker) value(n *yaml.Node, t reflect.Type, key string) {
	if k.budget--; k.budget == 0 {
		k.fail(n, key, "the aliases (*name) expand to too many values")
	}
	if k.budget <= 0 {
		return
	}
	if n.Kind == yaml.AliasNode {
		k.alias(n, t, key)
		return
	}
	if isNull(n) {
		return // the decoder keeps the default
	}
	if p := reflect.PointerTo(t); p.Implements(yamlUnmarshaler) || p.Implements(textUnmarshaler) {
		k.leaf(n, t, key)
		return
	}
	switch t.Kind() {
	case reflect.Pointer:
		k.value(n, t.Elem(), key)
	case reflect.Interface:
	case reflect.Struct, reflect.Map:
		k.mapping(n, t, key)
	case reflect.Slice, reflect.Array:
		k.sequence(n, t, key)
	default:
		k.leaf(n, t, key)
	}
}

func (k *checker) alias(n *yaml.Node, t reflect.Type, key string) {
	if n.Alias == nil {
		return // the parser refuses an unknown anchor
	}
	if k.expanding[n] {
		k.fail(n, key, fmt.Sprintf("the anchor &%s holds an alias to itself", n.Value))
		return
	}
	k.expanding[n] = true
	k.value(n.Alias, t, key)
	delete(k.expanding, n)
}

func (k *checker) sequence(n *yaml.Node, t reflect.Type, key string) {
	if n.Kind != yaml.SequenceNode {
		k.fail(n, key, "want "+describeType(t)+", got "+describeNode(n))
		return
	}
	if t.Kind() == reflect.Array && len(n.Content) != t.Len() {
		k.fail(n, key, fmt.Sprintf("want a list of %d, got %d", t.Len(), len(n.Content)))
		return
	}
	for i, item := range n.Content {
		k.value(item, t.Elem(), fmt.Sprintf("%s[%d]", key, i))
	}
}

// mapping checks the keys of a struct (each must be one of its fields) or
// of a map, and their values.
func (k *checker) mapping(n *yaml.Node, t reflect.Type, key string) {
	if n.Kind != yaml.MappingNode {
		k.fail(n, key, "want "+describeType(t)+", got "+describeNode(n))
		return
	}
	var fields map[string]reflect.Type
	if t.Kind() == reflect.Struct {
		fields = yamlFields(t)
	}
	firstAt := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		kn, vn := n.Content[i], n.Content[i+1]
		if isMergeKey(kn) {
			k.merge(vn, t, key)
			continue
		}
		if kn.Kind != yaml.ScalarNode {
			k.fail(kn, key, "a key must be a name, got "+describeNode(kn))
			continue
		}
		sub := joinKey(key, kn.Value)
		if _, seen := k.keyAt[kn.Line]; !seen {
			k.keyAt[kn.Line] = sub
		}
		if line, dup := firstAt[kn.Value]; dup {
			k.fail(kn, sub, fmt.Sprintf("given twice (first at line %d)", line))
			continue
		}
		firstAt[kn.Value] = kn.Line
		if fields == nil {
			k.mapKey(kn, t.Key(), sub)
			k.value(vn, t.Elem(), sub)
			continue
		}
		ft, ok := fields[kn.Value]
		if !ok {
			k.fail(kn, sub, unknownKeyProblem(k.root, t, kn.Value))
			continue
		}
		k.value(vn, ft, sub)
	}
}

// mapKey checks a map's key against the map's key type.
func (k *checker) mapKey(kn *yaml.Node, t reflect.Type, key string) {
	if t.Kind() != reflect.String {
		k.leaf(kn, t, key)
	}
}

// merge checks `<<: *defaults`: the merged mappings are part of this one.
func (k *checker) merge(n *yaml.Node, t reflect.Type, key string) {
	items := []*yaml.Node{n}
	if r := resolveAlias(n); r != nil && r.Kind == yaml.SequenceNode {
		items = r.Content
	}
	for _, item := range items {
		if r := resolveAlias(item); r == nil || r.Kind != yaml.MappingNode {
			k.fail(item, key, "<< merges a mapping or a list of them (<<: *defaults), got "+describeNode(item))
			continue
		}
		k.value(item, t, key)
	}
}

// leaf checks a single value by decoding it as the decoder will, and
// refuses fractions for whole numbers, which the decoder would truncate.
func (k *checker) leaf(n *yaml.Node, t reflect.Type, key string) {
	if n.Kind != yaml.ScalarNode {
		k.fail(n, key, "want "+describeType(t)+", got "+describeNode(n))
		return
	}
	if err := n.Decode(reflect.New(t).Interface()); err != nil {
		k.fail(n, key, scalarProblem(n, t))
		return
	}
	if isWholeNumber(t) {
		var f float64
		if n.Decode(&f) == nil && f != math.Trunc(f) {
			k.fail(n, key, scalarProblem(n, t))
		}
	}
}

// scalarProblem says what t wants, with a hint for a duration written
// without its unit.
func scalarProblem(n *yaml.Node, t reflect.Type) string {
	return "want " + describeType(t) + ", got " + describeNode(n) + unitHint(n.Value, t)
}

// unitHint suggests seconds for a duration written as a bare number, the
// commonest mistake with durations ("30" for 30s).
func unitHint(value string, t reflect.Type) string {
	if t == durationType {
		if _, err := strconv.ParseFloat(value, 64); err == nil {
			return "; add a unit: " + value + "s"
		}
	}
	return ""
}

func isWholeNumber(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return t != durationType
	}
	return false
}

// describeType is what a value of t looks like, in the words of a user.
func describeType(t reflect.Type) string {
	if t == durationType {
		return "a duration like 20s or 1m30s"
	}
	switch t.Kind() {
	case reflect.Pointer:
		return describeType(t.Elem())
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "a whole number" + rangeOf(t)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number, 0 or more" + rangeOf(t)
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "a text"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Struct:
		return "a mapping of keys (key: value)"
	case reflect.Map:
		return "a mapping (name: value)"
	}
	return "a value"
}

// rangeOf names the bound of a narrow integer, which a big number passes.
func rangeOf(t reflect.Type) string {
	if t.Bits() >= 64 {
		return ""
	}
	if t.Kind() >= reflect.Uint {
		return fmt.Sprintf(" up to %d", uint64(1)<<t.Bits()-1)
	}
	return fmt.Sprintf(" from %d to %d", -(int64(1) << (t.Bits() - 1)), int64(1)<<(t.Bits()-1)-1)
}

// describeNode is what the file holds, quoted and cut short.
func describeNode(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping (key: value)"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		if n.Alias != nil {
			return describeNode(n.Alias)
		}
		return "an alias *" + n.Value
	}
	v := n.Value
	if utf8.RuneCountInString(v) > 40 {
		v = string([]rune(v)[:37]) + "..."
	}
	return strconv.Quote(v)
}

func resolveAlias(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 100; i++ {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// isMergeKey is the decoder's test for `<<`.
func isMergeKey(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Value == "<<" && (n.Tag == "" || n.Tag == "!" || n.ShortTag() == "!!merge")
}

func joinKey(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "." + name
}

// yamlFields are the keys of struct t by the decoder's rules: the yaml tag's
// name, else the lower-cased field name; inline structs lend theirs.
func yamlFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("yaml")
		name, opts, _ := strings.Cut(tag, ",")
		if !f.IsExported() || name == "-" {
			continue
		}
		if strings.Contains(opts, "inline") && f.Type.Kind() == reflect.Struct {
			for k, v := range yamlFields(f.Type) {
				out[k] = v
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		out[name] = f.Type
	}
	return out
}
