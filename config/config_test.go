package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func envMap(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

const minimal = `
ari: {username: ccd, password: ari-password-0123}
ami: {username: ccd, secret: ami-secret-456789}
`

func writeFile(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "ccd.yaml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadMinimalFileGetsDefaults(t *testing.T) {
	c, err := Load(writeFile(t, minimal), envMap(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.ARI.Password != "ari-password-0123" || c.AMI.Secret != "ami-secret-456789" || c.ARI.Application != "ccd" || c.AMI.Addr != "127.0.0.1:5038" {
		t.Fatalf("unexpected config %+v", c)
	}
}

func TestNoDefaultSecrets(t *testing.T) {
	_, err := Load("", envMap(nil))
	for _, key := range []string{"ari.username", "ari.password", "ami.username", "ami.secret"} {
		var found bool
		for _, e := range unwrap(err) {
			var ce *Error
			if errors.As(e, &ce) && ce.Key == key && ce.Problem == "is required" {
				found = true
			}
		}
		if !found {
			t.Errorf("missing error for %s in %v", key, err)
		}
	}
}

func unwrap(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

func TestEnvOverridesEveryKind(t *testing.T) {
	c, err := Load(writeFile(t, minimal), envMap(map[string]string{
		"CCD_ARI_PASSWORD":            "fromenv-0123456789",
		"CCD_EVENTLOG_BATCH_SIZE":     "50",
		"CCD_EVENTLOG_FLUSH_INTERVAL": "2s",
		"CCD_DATABASE_URL":            "postgres://u@h/db",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.ARI.Password != "fromenv-0123456789" || c.EventLog.BatchSize != 50 || c.EventLog.FlushInterval != 2*time.Second || c.Database.URL != "postgres://u@h/db" {
		t.Fatalf("env not applied: %+v", c)
	}
}

func TestErrorsNameTheKey(t *testing.T) {
	cases := []struct {
		name, file string
		env        map[string]string
		want       string
	}{
		{"bad int env", minimal, map[string]string{"CCD_EVENTLOG_BATCH_SIZE": "many"}, "eventlog.batch_size (env CCD_EVENTLOG_BATCH_SIZE): want a whole number, got \"many\""},
		{"duration env without unit", minimal, map[string]string{"CCD_EVENTLOG_FLUSH_INTERVAL": "30"},
			"eventlog.flush_interval (env CCD_EVENTLOG_FLUSH_INTERVAL): want a duration like 20s or 1m30s, got \"30\"; add a unit: 30s"},
		{"bad duration", minimal + "eventlog: {flush_interval: -1s}\n", nil, "eventlog.flush_interval"},
		{"bad url", minimal, map[string]string{"CCD_ARI_URL": "ftp://x"}, "ari.url"},
		{"bad addr", minimal, map[string]string{"CCD_AMI_ADDR": "nohostport"}, "ami.addr"},
		{"bad regexp", minimal, map[string]string{"CCD_PBX_INTERNAL_NUMBERS": "([0-9"}, "pbx.internal_numbers"},
		{"bad zone", minimal, map[string]string{"CCD_PBX_TIME_ZONE": "Mars/Olympus"}, "pbx.time_zone"},
		{"bad level", minimal + "log: {level: loud}\n", nil, "log.level"},
		{"memory below batch", minimal + "eventlog: {batch_size: 10, memory_limit: 5}\n", nil, "eventlog.memory_limit"},
		{"event limit too small", minimal + "eventlog: {max_event_bytes: 100}\n", nil, "must be between 4096 and 67108864, got 100"},
		{"event limit too large", minimal, map[string]string{"CCD_EVENTLOG_MAX_EVENT_BYTES": "1000000000"}, "eventlog.max_event_bytes"},
		{"unready after zero", minimal + "eventlog: {unready_after: 0s}\n", nil, "eventlog.unready_after"},
		{"unknown key", minimal + "ari2: {}\n", nil, "ccd.yaml line 4: ari2: unknown key; did you mean `ari`?"},
		{"BI timeout", minimal, map[string]string{"CCD_STATS_BI_STATEMENT_TIMEOUT": "0s"}, "stats.bi_statement_timeout (env CCD_STATS_BI_STATEMENT_TIMEOUT): must be at least 1ms"},
		{"unknown role", minimal + "roles: [api, dialler]\n", nil, `roles[1] (env CCD_ROLES[1]): unknown role "dialler": want one of acd, api, stats, observer`},
		{"BI connections", minimal + "stats: {bi_connection_limit: 0}\n", nil, "stats.bi_connection_limit (env CCD_STATS_BI_CONNECTION_LIMIT): must be at least 1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(writeFile(t, tc.file), envMap(tc.env))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("want error containing %q, got %v", tc.want, err)
			}
		})
	}
}

func TestStarterConfigLoadsAndHasFreshSecrets(t *testing.T) {
	dir := t.TempDir()
	p1, p2 := filepath.Join(dir, "a.yaml"), filepath.Join(dir, "b.yaml")
	if err := WriteStarter(p1); err != nil {
		t.Fatal(err)
	}
	if err := WriteStarter(p2); err != nil {
		t.Fatal(err)
	}
	if err := WriteStarter(p1); err == nil {
		t.Fatal("WriteStarter overwrote an existing file")
	}
	a, err := Load(p1, envMap(nil))
	if err != nil {
		t.Fatal(err)
	}
	b, err := Load(p2, envMap(nil))
	if err != nil {
		t.Fatal(err)
	}
	if a.ARI.Password == b.ARI.Password || a.AMI.Secret == b.AMI.Secret || len(a.ARI.Password) < 20 {
		t.Fatalf("secrets not fresh: %q %q", a.ARI.Password, b.ARI.Password)
	}
	if st, _ := os.Stat(p1); st.Mode().Perm() != 0o600 {
		t.Fatalf("starter config mode %v, want 0600", st.Mode().Perm())
	}
}

func TestKeysMaskSecrets(t *testing.T) {
	c, err := Load(writeFile(t, minimal), envMap(nil))
	if err != nil {
		t.Fatal(err)
	}
	var seen bool
	for _, k := range c.Keys() {
		if k.Name == "ari.password" {
			seen = true
			if k.Value != "(set)" || k.Env != "CCD_ARI_PASSWORD" {
				t.Fatalf("got %+v", k)
			}
		}
	}
	if !seen {
		t.Fatal("ari.password not listed")
	}
}

// Every role runs unless roles lists some; then only those.
func TestRolesSwitchParts(t *testing.T) {
	all, err := Load(writeFile(t, minimal), envMap(nil))
	if err != nil {
		t.Fatal(err)
	}
	some, err := Load(writeFile(t, minimal+"roles: [api, stats]\n"), envMap(nil))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range AllRoles {
		want := r == RoleAPI || r == RoleStats
		if !all.Runs(r) || some.Runs(r) != want {
			t.Errorf("role %s: runs by default %v, with [api, stats] %v (want true, %v)", r, all.Runs(r), some.Runs(r), want)
		}
	}
}

// An instance without the acd role needs no ARI credentials, one without
// the observer none for AMI; with those roles they stay required.
func TestAsteriskCredentialsRequiredByTheirRoles(t *testing.T) {
	if _, err := Load(writeFile(t, "roles: [api, stats]\n"), envMap(nil)); err != nil {
		t.Fatalf("an API and statistics instance without Asterisk credentials: %v", err)
	}
	_, err := Load(writeFile(t, "roles: [acd]\n"), envMap(nil))
	for _, key := range []string{"ari.username", "ari.password"} {
		if err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("roles [acd] without %s: %v", key, err)
		}
	}
	if err != nil && strings.Contains(err.Error(), "ami.") {
		t.Errorf("roles [acd] asked for AMI credentials: %v", err)
	}
}
