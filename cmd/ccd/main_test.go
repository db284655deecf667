package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func runCmd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestAsteriskConfigUsesConfiguredNames(t *testing.T) {
	p := filepath.Join(t.TempDir(), "ccd.yaml")
	os.WriteFile(p, []byte("ari: {username: acd, password: pw-ari, application: callcenter}\nami: {username: mon, secret: pw-ami, addr: '10.0.0.5:5039'}\n"), 0o600)
	code, out, errs := runCmd(t, "asterisk-config", "-config", p)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{"[acd]\ntype = user", "password = pw-ari", "[mon]\nsecret = pw-ami", "bindaddr = 10.0.0.5\nport = 5039",
		"Stasis(callcenter,inbound,${EXTEN})", "timestampevents = yes", "/etc/asterisk/cdr_manager.conf"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestConfigErrorNamesKey(t *testing.T) {
	p := filepath.Join(t.TempDir(), "ccd.yaml")
	os.WriteFile(p, []byte("ari: {username: acd}\nami: {username: mon, secret: x}\n"), 0o600)
	code, _, errs := runCmd(t, "asterisk-config", "-config", p)
	if code != 1 || !strings.Contains(errs, "ari.password (env CCD_ARI_PASSWORD): is required") {
		t.Fatalf("exit %d, stderr %q", code, errs)
	}
}

func TestFirstStartWritesStarterConfig(t *testing.T) {
	dir := t.TempDir()
	wd, _ := os.Getwd()
	defer os.Chdir(wd)
	os.Chdir(dir)
	t.Setenv("CCD_CONFIG", "")
	cfg, path, err := loadConfig("", true, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if path != defaultConfigPath || cfg.ARI.Password == "" || cfg.AMI.Secret == "" {
		t.Fatalf("path %q cfg %+v", path, cfg)
	}
	again, _, err := loadConfig("", true, &bytes.Buffer{})
	if err != nil || again.ARI.Password != cfg.ARI.Password {
		t.Fatal("second start did not reuse the written configuration")
	}
}

func TestVersionAndUnknownCommand(t *testing.T) {
	if code, out, _ := runCmd(t, "version"); code != 0 || !strings.HasPrefix(out, "ccd ") {
		t.Fatalf("version: %d %q", code, out)
	}
	if code, _, errs := runCmd(t, "frobnicate"); code != 2 || !strings.Contains(errs, "unknown command") {
		t.Fatalf("unknown: %d %q", code, errs)
	}
}

func TestAsteriskConfigWritesFiles(t *testing.T) {
	p := filepath.Join(t.TempDir(), "ccd.yaml")
	os.WriteFile(p, []byte("ari: {url: 'http://asterisk:8088', username: acd, password: pw}\nami: {addr: 'asterisk:5038', username: mon, secret: s}\n"), 0o600)
	out := filepath.Join(t.TempDir(), "asterisk")
	if code, _, errs := runCmd(t, "asterisk-config", "-config", p, "-out", out); code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, name := range []string{"http.conf", "ari.conf", "manager.conf", "cdr_manager.conf", "extensions.conf"} {
		b, err := os.ReadFile(filepath.Join(out, name))
		if err != nil {
			t.Fatal(err)
		}
		if (name == "http.conf" || name == "manager.conf") && !strings.Contains(string(b), "bindaddr = 0.0.0.0") {
			t.Errorf("%s binds to a service name instead of all addresses:\n%s", name, b)
		}
	}
}

func TestRebuildRange(t *testing.T) {
	loc := time.FixedZone("X", 3600)
	from, to, err := rebuildRange("2026-11-01", "", loc)
	if err != nil || !from.Equal(time.Date(2026, 11, 1, 0, 0, 0, 0, loc)) || !to.Equal(from.AddDate(0, 0, 1)) {
		t.Fatalf("got %v %v %v", from, to, err)
	}
	for _, c := range [][2]string{{"", ""}, {"yesterday", ""}, {"2026-11-02", "2026-11-01"}, {"2026-11-01", "2026-13-01"}} {
		if _, _, err := rebuildRange(c[0], c[1], loc); err == nil {
			t.Errorf("%q..%q accepted", c[0], c[1])
		}
	}
	var out, errOut strings.Builder
	if code := run([]string{"stats"}, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), "ccd stats rebuild") {
		t.Fatalf("ccd stats: exit %d, %q", code, errOut.String())
	}
}
