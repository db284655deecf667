package job_test

import (
	"sort"

	"github.com/ccdhq/ccd/eventlog"
)

func sortedKeys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func sortStrings(s []string) { sort.Strings(s) }

// sortByTime merges several scenarios into one log order; equal times keep
// their order.
func sortByTime(evs []eventlog.Event) {
	sort.SliceStable(evs, func(i, j int) bool { return evs[i].At.Before(evs[j].At) })
}
