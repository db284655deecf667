package config

import (
	"errors"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// Every mistake in the file is reported at once, each by the key as the
// documentation writes it, its line, and the kind of value wanted.
func TestFileErrorsNameKeyPathAndLine(t *testing.T) {
	cases := []struct {
		name, file string
		want       []string // each error after "config: <file> "
	}{
		{"type mistake and key in the wrong block", "acd:\n  queues:\n    - code: sales\n      service_level: lots\napi:\n  listen: [1,2]\n", []string{
			`line 4: acd.queues[0].service_level: want a duration like 20s or 1m30s, got "lots"`,
			"line 6: api.listen: unknown key here; did you mean the top-level `listen`?",
		}},
		{"duration without unit", "eventlog:\n  flush_interval: 30\n", []string{
			`line 2: eventlog.flush_interval: want a duration like 20s or 1m30s, got "30"; add a unit: 30s`,
		}},
		{"quoted duration without unit", "eventlog:\n  unready_after: \"1.5\"\n", []string{
			`line 2: eventlog.unready_after: want a duration like 20s or 1m30s, got "1.5"; add a unit: 1.5s`,
		}},
		{"word for a whole number", "eventlog: {batch_size: ten}\n", []string{
			`line 1: eventlog.batch_size: want a whole number, got "ten"`,
		}},
		{"fraction for a whole number", "\neventlog:\n  max_event_bytes: 1.5\n", []string{
			`line 3: eventlog.max_event_bytes: want a whole number, got "1.5"`,
		}},
		{"word for true or false", "dialer:\n  inbound_first: maybe\n", []string{
			`line 2: dialer.inbound_first: want true or false, got "maybe"`,
		}},
		{"mapping where a list is wanted", "acd:\n  queues: {code: sales}\n", []string{
			"line 2: acd.queues: want a list, got a mapping (key: value)",
		}},
		{"text where a list is wanted", "roles: api\n", []string{
			`line 1: roles: want a list, got "api"`,
		}},
		{"list where a text is wanted", "log:\n  level:\n    - debug\n", []string{
			"line 3: log.level: want a text, got a list",
		}},
		{"text where a block of keys is wanted", "api: open\n", []string{
			`line 1: api: want a mapping of keys (key: value), got "open"`,
		}},
		{"map value of the wrong type", "acd:\n  agents:\n    - id: \"1\"\n      skills: {french: fluent}\n", []string{
			`line 4: acd.agents[0].skills.french: want a whole number, got "fluent"`,
		}},
		{"later list item", "acd:\n  queues:\n    - code: a\n    - code: b\n      max_waiting: lots\n", []string{
			`line 5: acd.queues[1].max_waiting: want a whole number, got "lots"`,
		}},
		{"typo", "api:\n  tokn: x\n", []string{
			"line 2: api.tokn: unknown key; did you mean `token`?",
		}},
		{"typo in capitals", "LISTEN: x\n", []string{
			"line 1: LISTEN: unknown key; did you mean `listen`?",
		}},
		{"list key in the block above", "acd:\n  service_level: 20s\n", []string{
			"line 2: acd.service_level: unknown key here; did you mean `acd.queues[].service_level`?",
		}},
		{"unknown key with nothing near", "colour: red\n", []string{
			"line 1: colour: unknown key",
		}},
		{"key given twice", "api:\n  token: a\n  token: b\n", []string{
			"line 3: api.token: given twice (first at line 2)",
		}},
		{"all at once, in the order of the file", "log: {level: [x]}\neventlog: {batch_size: x}\nnope: 1\n", []string{
			"line 1: log.level: want a text, got a list",
			`line 2: eventlog.batch_size: want a whole number, got "x"`,
			"line 3: nope: unknown key",
		}},
		{"mistake in a merged anchor", "acd:\n  queues:\n    - &q {code: a, servce_level: 5s}\n    - {<<: *q, code: b}\n", []string{
			"line 3: acd.queues[0].servce_level: unknown key; did you mean `service_level`?",
			"line 3: acd.queues[1].servce_level: unknown key; did you mean `service_level`?",
		}},
		{"merge of a text", "acd:\n  queues:\n    - {<<: x, code: b}\n", []string{
			`line 3: acd.queues[0]: << merges a mapping or a list of them (<<: *defaults), got "x"`,
		}},
		{"alias to a list where a text is wanted", "roles: &r [*r]\n", []string{
			"line 1: roles[0]: want a text, got a list",
		}},
		{"a list for the whole file", "- listen: x\n", []string{
			"line 1: the file must hold keys (listen: ..., acd: ...), got a list",
		}},
		{"a key that is a list", "[a]: x\n", []string{
			"line 1: a key must be a name, got a list",
		}},
		{"syntax error", "listen: a\nlog:\n  level: x\n   format: y\n", []string{
			"line 4: syntax error: mapping values are not allowed in this context",
		}},
		{"syntax error in a flow list", "listen: a\nroles: [api, stats\nui: {}\n", []string{
			"line 2: syntax error: did not find expected ',' or ']'",
		}},
		{"tab on the first line", "\tlisten: x\n", []string{
			"line 1: syntax error: found character that cannot start any token",
		}},
		{"bytes that are not text", "listen: a\nlog: {level: \"\xff\"}\n", []string{
			"line 2: syntax error: invalid leading UTF-8 octet",
		}},
		{"alias without its anchor", "listen: a\nroles: [api, *extra]\n", []string{
			"line 2: syntax error: unknown anchor 'extra' referenced",
		}},
		{"second document", "listen: a\n---\nlisten: b\n", []string{
			"line 2: a second YAML document (after ---): ccd reads one; put all keys in the first",
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := writeFile(t, tc.file)
			_, err := Load(p, envMap(nil))
			want := "config: " + p + " " + strings.Join(tc.want, "\nconfig: "+p+" ")
			if err == nil || err.Error() != want {
				t.Fatalf("got\n%v\nwant\n%s", err, want)
			}
			var fe *FileError
			if !errors.As(err, &fe) || fe.File != p || fe.Line == 0 {
				t.Fatalf("not a *FileError with file and line: %#v", err)
			}
		})
	}
}

// A file without any key (empty, comments only, a lone null) leaves every
// key to its default and the environment; what is missing is then named
// by Validate, not by the YAML reader.
func TestFileWithoutKeysSetsNone(t *testing.T) {
	for _, body := range []string{"", "\n  \n", "# nothing yet\n", "~\n", "---\n"} {
		_, err := Load(writeFile(t, body), envMap(nil))
		var fe *FileError
		if errors.As(err, &fe) || err == nil || !strings.Contains(err.Error(), "ari.username (env CCD_ARI_USERNAME): is required") {
			t.Errorf("%q: %v", body, err)
		}
		c, err := Load(writeFile(t, body), envMap(map[string]string{"CCD_ARI_USERNAME": "a", "CCD_ARI_PASSWORD": "ari-password-0123",
			"CCD_AMI_USERNAME": "b", "CCD_AMI_SECRET": "ami-secret-456789"}))
		if err != nil || c.Listen != Default().Listen {
			t.Errorf("%q with the credentials in the environment: %v, listen %q", body, err, c.Listen)
		}
	}
}

// The check before decoding refuses nothing the decoder takes: anchors,
// merges, yes/no for booleans and nulls still load as before.
func TestValidFileStillLoads(t *testing.T) {
	c, err := Load(writeFile(t, minimal+`
api: {token_ttl: 1h}
dialer: {inbound_first: yes}
stats: {interval: ~}
acd:
  queues:
    - &base {code: sales, service_level: 15s, max_waiting: 4.0, skills: {french: 2}}
    - {<<: *base, code: support}
`), envMap(nil))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.ACD.Queues) != 2 || c.ACD.Queues[1].Code != "support" || c.ACD.Queues[1].ServiceLevel != 15*time.Second ||
		c.ACD.Queues[1].MaxWaiting != 4 || c.ACD.Queues[1].Skills["french"] != 2 {
		t.Fatalf("queues %+v", c.ACD.Queues)
	}
	if !c.Dialer.InboundFirst || c.API.TokenTTL != time.Hour || c.Stats.Interval != Default().Stats.Interval {
		t.Fatalf("dialer %+v api ttl %v stats %+v", c.Dialer, c.API.TokenTTL, c.Stats)
	}
}

// An error of the decoder itself, which the check did not foresee, still
// gets the key seen at its line instead of a Go type name alone.
func TestDecoderErrorsGetTheKeyOfTheirLine(t *testing.T) {
	k := newChecker("c.yaml", nil)
	k.keyAt[3] = "api.token"
	got := k.translate(&yaml.TypeError{Errors: []string{"line 3: cannot unmarshal !!map into string", "line 9: something else"}})
	want := []string{"config: c.yaml line 3: api.token: cannot unmarshal !!map into string", "config: c.yaml line 9: something else"}
	if len(got) != 2 || got[0].Error() != want[0] || got[1].Error() != want[1] {
		t.Fatalf("got %v, want %v", got, want)
	}
}
