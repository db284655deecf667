package config

import (
	"errors"
	"os"
	"strings"
	"testing"
)

// Every password and token the configuration holds has the same minimum
// length, and a short one is reported by its key.
func TestSecretsHaveOneMinimumLength(t *testing.T) {
	short, long := strings.Repeat("x", MinSecretLength-1), strings.Repeat("x", MinSecretLength)
	for _, c := range []struct {
		key  string
		file func(secret string) string // a configuration holding secret at key
	}{
		{"ari.password", func(s string) string {
			return "ari: {username: ccd, password: " + s + "}\nami: {username: ccd, secret: " + long + "}\n"
		}},
		{"ami.secret", func(s string) string {
			return "ari: {username: ccd, password: " + long + "}\nami: {username: ccd, secret: " + s + "}\n"
		}},
		{"api.token", func(s string) string { return minimal + "api: {token: " + s + "}\n" }},
		{"api.optimus_password", func(s string) string { return minimal + "api: {optimus_user: crm, optimus_password: " + s + "}\n" }},
		{"stats.bi_password", func(s string) string { return minimal + "stats: {bi_user: ccd_bi, bi_password: " + s + "}\n" }},
		{"acd.agents[1].password", func(s string) string {
			return minimal + "acd:\n  agents:\n    - {id: a1, password: " + long + "}\n    - {id: a2, password: " + s + "}\n"
		}},
	} {
		_, err := Load(writeFile(t, c.file(short)), envMap(nil))
		var ce *Error
		if !errors.As(err, &ce) || ce.Key != c.key || !strings.Contains(ce.Problem, "at least 16") {
			t.Errorf("%s of %d characters: %v; want an error on %s", c.key, len(short), err, c.key)
		}
		if _, err := Load(writeFile(t, c.file(long)), envMap(nil)); err != nil {
			t.Errorf("%s of %d characters: %v", c.key, len(long), err)
		}
	}
	// From the environment too.
	_, err := Load(writeFile(t, minimal), envMap(map[string]string{"CCD_API_TOKEN": short}))
	if err == nil || !strings.Contains(err.Error(), "api.token (env CCD_API_TOKEN): too short") {
		t.Errorf("short CCD_API_TOKEN: %v", err)
	}
}

// A file that holds secrets and that others may read gets a warning naming the
// file and the fix; a private file, or one without secrets, does not.
func TestReadableSecretsWarns(t *testing.T) {
	withSecrets := writeFile(t, minimal)
	if w := ReadableSecrets(withSecrets); w != "" {
		t.Fatalf("mode 0600: %q", w)
	}
	for _, mode := range []os.FileMode{0o640, 0o604, 0o644} {
		if err := os.Chmod(withSecrets, mode); err != nil {
			t.Fatal(err)
		}
		w := ReadableSecrets(withSecrets)
		if !strings.Contains(w, withSecrets) || !strings.Contains(w, "chmod 600 "+withSecrets) || !strings.Contains(w, "ari.password") {
			t.Errorf("mode %04o: %q", mode, w)
		}
	}
	noSecrets := writeFile(t, "listen: 127.0.0.1:9090\n")
	if err := os.Chmod(noSecrets, 0o644); err != nil {
		t.Fatal(err)
	}
	if w := ReadableSecrets(noSecrets); w != "" {
		t.Fatalf("file without secrets: %q", w)
	}
	if w := ReadableSecrets(""); w != "" {
		t.Fatalf("no file: %q", w)
	}
}

// Every string of the configuration, in lists and map keys too, passes the
// rule the edges apply to texts from outside; the error names the key.
func TestConfigTextsAreChecked(t *testing.T) {
	for _, c := range []struct {
		name, file string
		env        map[string]string
		key        string
	}{
		{"NUL in an agent's name", minimal + "acd:\n  agents:\n    - {id: a1, name: \"Ann\\0\"}\n", nil, "acd.agents[0].name"},
		{"control character in a queue name", minimal + "acd:\n  queues:\n    - {code: q1, name: \"Sales\\x1b[31m\"}\n", nil, "acd.queues[0].name"},
		{"line break in an endpoint", minimal + "acd:\n  agents:\n    - {id: a1, endpoint: \"PJSIP/1001\\nX\"}\n", nil, "acd.agents[0].endpoint"},
		{"skill name", minimal + "acd:\n  agents:\n    - {id: a1, skills: {\"sa\\0les\": 3}}\n", nil, "acd.agents[0].skills"},
		{"invalid UTF-8 from the environment", minimal, map[string]string{"CCD_ARI_USERNAME": "ccd\xff"}, "ari.username"},
		{"NUL in a secret", minimal, map[string]string{"CCD_AMI_SECRET": "ami-secret-4567\x0089"}, "ami.secret"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Load(writeFile(t, c.file), envMap(c.env))
			var found bool
			for _, e := range unwrap(err) {
				var ce *Error
				found = found || errors.As(e, &ce) && ce.Key == c.key && (strings.Contains(ce.Problem, "NUL") ||
					strings.Contains(ce.Problem, "control character") || strings.Contains(ce.Problem, "UTF-8"))
			}
			if !found {
				t.Fatalf("want an error on %s, got %v", c.key, err)
			}
		})
	}
	// SQL may span lines.
	file := minimal + `acd:
  queues: [{code: q1}]
  routes:
    - dnis: "1"
      queue: q1
      lookup: {driver: sqlite, dsn: "file:x.db", query: "SELECT queue\n\tFROM routes WHERE dnis = $DNIS"}
`
	if _, err := Load(writeFile(t, file), envMap(nil)); err != nil {
		t.Fatalf("a multi-line lookup query: %v", err)
	}
}
