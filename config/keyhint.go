package config

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"sync"

	"github.com/agnivade/levenshtein"
)

// unknownKeyProblem says that name is no key of struct t and suggests the
// key meant: a close one of t's own (a typo), else one of that name at
// another place of the file (a key written in the wrong block).
func unknownKeyProblem(root, t reflect.Type, name string) string {
	if near := closestKey(name, slices.Sorted(maps.Keys(yamlFields(t)))); near != "" {
		return fmt.Sprintf("unknown key; did you mean `%s`?", near)
	}
	paths := keyPaths(root)[normalizeKey(name)]
	switch {
	case len(paths) == 0:
		return "unknown key"
	case !strings.ContainsAny(paths[0], ".["):
		return fmt.Sprintf("unknown key here; did you mean the top-level `%s`?", paths[0])
	}
	if len(paths) > 3 {
		paths = paths[:3]
	}
	return fmt.Sprintf("unknown key here; did you mean `%s`?", strings.Join(paths, "` or `"))
}

// closestKey is the candidate nearest to name by edit distance, if near
// enough to be a typo: a third of the name's letters may differ.
func closestKey(name string, candidates []string) string {
	want := normalizeKey(name)
	best, bestDist := "", max(1, len(want)/3)+1
	for _, c := range candidates {
		if d := levenshtein.ComputeDistance(want, normalizeKey(c)); d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

// normalizeKey forgives case and - for _ before comparing keys.
func normalizeKey(s string) string {
	return strings.NewReplacer("-", "_", " ", "_").Replace(strings.ToLower(s))
}

var keyPathCache sync.Map // reflect.Type -> map[string][]string

// keyPaths indexes every key below root by its last name, with the path
// as the documentation writes it (acd.queues[].service_level).
func keyPaths(root reflect.Type) map[string][]string {
	if m, ok := keyPathCache.Load(root); ok {
		return m.(map[string][]string)
	}
	m := map[string][]string{}
	collectKeyPaths(root, "", m, map[reflect.Type]bool{})
	for _, paths := range m {
		// The shallowest first: a key of the top level is the likeliest meant.
		slices.SortStableFunc(paths, func(a, b string) int { return depth(a) - depth(b) })
	}
	keyPathCache.Store(root, m)
	return m
}

func collectKeyPaths(t reflect.Type, prefix string, into map[string][]string, onPath map[reflect.Type]bool) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Slice, reflect.Array:
		collectKeyPaths(t.Elem(), prefix+"[]", into, onPath)
		return
	case reflect.Struct:
	default:
		return
	}
	if onPath[t] || t == durationType {
		return // a type holding itself
	}
	onPath[t] = true
	defer delete(onPath, t)
	fields := yamlFields(t)
	for _, name := range slices.Sorted(maps.Keys(fields)) {
		path := joinKey(prefix, name)
		into[normalizeKey(name)] = append(into[normalizeKey(name)], path)
		collectKeyPaths(fields[name], path, into, onPath)
	}
}

func depth(path string) int { return strings.Count(path, ".") + strings.Count(path, "[") }
