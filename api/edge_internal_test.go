package api

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/ccdhq/ccd/internal/textcheck"
)

// checkJSON accepts a JSON text exactly when every string in it, keys
// included, is one textcheck accepts.
func FuzzCheckJSON(f *testing.F) {
	for _, s := range []string{`{"a":"b"}`, `{"pause_id":"x\u0000y"}`, "[\"\xff\"]", `{"a":{"b":[1,"\u0007"]}}`, `"x"`, `{"\u0085":1}`, `[[],{},""]`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		err := checkJSON([]byte(s))
		var v any
		if json.Unmarshal([]byte(s), &v) != nil {
			return
		}
		if bad := badString(v); (err == nil) != (bad == "" && utf8Valid(s)) {
			t.Fatalf("checkJSON(%q) = %v, but the first bad string is %q", s, err, bad)
		}
	})
}

func utf8Valid(s string) bool { return strings.ToValidUTF8(s, "") == s }

// badString is a string in v (key or value) that textcheck refuses.
func badString(v any) string {
	switch v := v.(type) {
	case string:
		if textcheck.Problem(v) != "" {
			return v
		}
	case []any:
		for _, e := range v {
			if b := badString(e); b != "" {
				return b
			}
		}
	case map[string]any:
		for k, e := range v {
			if textcheck.Problem(k) != "" {
				return k
			}
			if b := badString(e); b != "" {
				return b
			}
		}
	}
	return ""
}
