package ari

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzDecode checks that Decode never panics, only accepts valid JSON, and
// that whatever it accepts survives Marshal/Decode unchanged. Seeds are the
// captured events (whole and truncated) plus testdata/fuzz/FuzzDecode.
//
//	go test -fuzz=FuzzDecode ./ari
func FuzzDecode(f *testing.F) {
	for _, l := range captureLines(f) {
		f.Add(l)
		f.Add(l[:len(l)/2])
		f.Add(l[:len(l)-1])
	}
	f.Add([]byte(`{"type":"NoSuchEvent","application":"ccd","nested":{"a":[1,2.5e3,true,null,"\u00e9"]}}`))
	f.Add([]byte(`{"type":"MissingParams","params":["app"]}`))
	f.Add([]byte(`{"type":"ChannelUserevent","userevent":{"a\u0000":"\ud800x\u0000"},"eventname":"n\u0000"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		ev, err := Decode(data)
		if err != nil {
			if ev != nil {
				t.Fatalf("event returned with error %v", err)
			}
			return
		}
		if !json.Valid(data) {
			t.Fatalf("Decode accepted invalid JSON %q", data)
		}
		out, err := Marshal(ev)
		if err != nil {
			t.Fatalf("Marshal: %v", err)
		}
		if !json.Valid(out) {
			t.Fatalf("Marshal produced invalid JSON %q from %q", out, data)
		}
		if bad := refusedText(out); bad != "" {
			t.Fatalf("event log payload %q from %q holds %s", out, data, bad)
		}
		again, err := Decode(out)
		if err != nil {
			t.Fatalf("Decode(Marshal(ev)): %v\nin:  %q\nout: %q", err, data, out)
		}
		if again.EventType() != ev.EventType() {
			t.Fatalf("type changed %q -> %q", ev.EventType(), again.EventType())
		}
		out2, err := Marshal(again)
		if err != nil || !bytes.Equal(out, out2) {
			t.Fatalf("Marshal not stable (%v):\n%q\n%q", err, out, out2)
		}
		_ = Keys(ev)
	})
}

// refusedText says what in a JSON text PostgreSQL's jsonb would refuse: invalid
// UTF-8, a NUL in any string (the escape \u0000), "" when nothing.
func refusedText(doc []byte) string {
	if !utf8.Valid(doc) {
		return "invalid UTF-8"
	}
	var v any
	if err := json.Unmarshal(doc, &v); err != nil {
		return err.Error()
	}
	var walk func(any) string
	walk = func(v any) string {
		switch v := v.(type) {
		case string:
			if strings.IndexByte(v, 0) >= 0 {
				return "a NUL"
			}
		case []any:
			for _, x := range v {
				if bad := walk(x); bad != "" {
					return bad
				}
			}
		case map[string]any:
			for k, x := range v {
				if bad := walk(k); bad != "" {
					return bad
				}
				if bad := walk(x); bad != "" {
					return bad
				}
			}
		}
		return ""
	}
	return walk(v)
}
