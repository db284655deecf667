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
	os.WriteFile(p, []byte("ari: {username: acd, password: pw-ari-0123456789, application: callcenter}\nami: {username: mon, secret: pw-ami-0123456789, addr: '10.0.0.5:5039'}\n"), 0o600)
	code, out, errs := runCmd(t, "asterisk-config", "-config", p, "-no-db")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{"[acd]\ntype = user", "password = pw-ari-0123456789", "[mon]\nsecret = pw-ami-0123456789", "bindaddr = 10.0.0.5\nport = 5039",
		"Stasis(callcenter,inbound,${EXTEN})", "timestampevents = yes", "/etc/asterisk/cdr_manager.conf"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestConfigErrorNamesKey(t *testing.T) {
	p := filepath.Join(t.TempDir(), "ccd.yaml")
	os.WriteFile(p, []byte("ari: {username: acd}\nami: {username: mon, secret: ami-secret-0123456789}\n"), 0o600)
	code, _, errs := runCmd(t, "asterisk-config", "-config", p)
	if code != 1 || !strings.Contains(errs, "ari.password (env CCD_ARI_PASSWORD): is required") {
		t.Fatalf("exit %d, stderr %q", code, errs)
	}
}

// A mistake in the YAML stops ccd serve and ccd config import before they
// start anything, with every problem named by its key and line in the
// user's words, not by ccd's Go types.
func TestYAMLMistakesNameKeyAndLine(t *testing.T) {
	p := filepath.Join(t.TempDir(), "c.yaml")
	body := "acd:\n  queues:\n    - code: sales\n      service_level: lots\napi:\n  listen: [1,2]\n"
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	want := "config: " + p + ` line 4: acd.queues[0].service_level: want a duration like 20s or 1m30s, got "lots"` + "\n" +
		"config: " + p + " line 6: api.listen: unknown key here; did you mean the top-level `listen`?\n"
	for _, args := range [][]string{{"serve", "-config", p}, {"config", "import", "-config", p}} {
		code, out, errs := runCmd(t, args...)
		if code != 1 || out != "" || errs != want {
			t.Errorf("%v: exit %d, stdout %q, stderr\n%s\nwant\n%s", args, code, out, errs, want)
		}
	}
}

// A configuration file with secrets that others may read gets a warning that
// names it and the fix, whatever the command.
func TestReadableConfigWarns(t *testing.T) {
	p := filepath.Join(t.TempDir(), "ccd.yaml")
	if err := os.WriteFile(p, []byte("ari: {username: acd, password: ari-secret-0123456789}\nami: {username: mon, secret: ami-secret-0123456789}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, 0o644); err != nil { // whatever the umask
		t.Fatal(err)
	}
	code, _, errs := runCmd(t, "config", "-config", p)
	if code != 0 || !strings.Contains(errs, "level=WARN") || !strings.Contains(errs, "chmod 600 "+p) {
		t.Fatalf("exit %d, stderr %q", code, errs)
	}
	if err := os.Chmod(p, 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := runCmd(t, "config", "-config", p); code != 0 || strings.Contains(errs, "WARN") {
		t.Fatalf("mode 0600: exit %d, stderr %q", code, errs)
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
	for _, args := range [][]string{{"version"}, {"--version"}, {"-version"}} {
		if code, out, _ := runCmd(t, args...); code != 0 || out != "ccd "+version+"\n" {
			t.Errorf("%v: %d %q", args, code, out)
		}
	}
	if code, _, errs := runCmd(t, "frobnicate"); code != 2 || !strings.Contains(errs, "unknown command") || !strings.Contains(errs, "stats rebuild") {
		t.Fatalf("unknown: %d %q", code, errs)
	}
}

var commandNames = []string{"serve", "migrate", "asterisk-config", "config", "stats rebuild", "version", "help"}

func TestHelpListsCommands(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"-h"}, {"--help"}, {"-help"}} {
		code, out, errs := runCmd(t, args...)
		if code != 0 || errs != "" {
			t.Errorf("%v: exit %d, stderr %q", args, code, errs)
		}
		for _, name := range commandNames {
			if !strings.Contains(out, "\n  "+name+" ") {
				t.Errorf("%v does not list %q:\n%s", args, name, out)
			}
		}
	}
}

// ccd without a command prints the help and starts nothing: a server is asked
// for by name (ccd serve, which make run runs). It exits 2, as for any command
// line that names nothing to do.
func TestNoCommandPrintsHelp(t *testing.T) {
	// Were a server started, this configuration would stop it at once.
	t.Setenv("CCD_CONFIG", filepath.Join(t.TempDir(), "missing.yaml"))
	code, out, errs := runCmd(t)
	if code != 2 || out != "" || !strings.Contains(errs, "usage: ccd <command>") || !strings.Contains(errs, "stats rebuild") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errs)
	}
	// Flags without a command do not start one either.
	if code, _, errs := runCmd(t, "-config", "x.yaml"); code != 2 || !strings.Contains(errs, "ccd serve -config x.yaml") {
		t.Fatalf("flags only: exit %d, stderr %q", code, errs)
	}
}

// Each command has its own flags and help: -h (or ccd help <command>) prints
// them and exits 0; a flag of another command, a wrong flag or a stray argument
// exits 2 with the command's usage.
func TestCommandFlagsAndHelp(t *testing.T) {
	for _, c := range []struct {
		name     string
		flags    []string // its own
		notFlags []string // other commands'
	}{
		{"serve", []string{"-config"}, []string{"-out", "-from"}},
		{"migrate", []string{"-config"}, []string{"-out", "-to"}},
		{"asterisk-config", []string{"-config", "-out", "-db-timeout"}, []string{"-from"}},
		{"config", []string{"-config"}, []string{"-out"}},
		{"stats rebuild", []string{"-config", "-from", "-to"}, []string{"-out"}},
		{"version", nil, []string{"-config"}},
	} {
		words := strings.Fields(c.name)
		usage := "usage: ccd " + c.name
		for _, h := range [][]string{append(words, "-h"), append([]string{"help"}, words...)} {
			code, out, errs := runCmd(t, h...)
			if code != 0 || errs != "" || !strings.HasPrefix(out, usage) {
				t.Errorf("%v: exit %d, stdout %q, stderr %q", h, code, out, errs)
			}
			for _, f := range c.flags {
				if !strings.Contains(out, "\n  "+f+" ") {
					t.Errorf("%v does not describe %s:\n%s", h, f, out)
				}
			}
			for _, f := range c.notFlags {
				if strings.Contains(out, "  "+f+" ") {
					t.Errorf("%v describes %s, a flag of another command:\n%s", h, f, out)
				}
			}
		}
		for _, wrong := range append([]string{"-nope"}, c.notFlags...) {
			code, out, errs := runCmd(t, append(append([]string{}, words...), wrong, "x")...)
			if code != 2 || out != "" || !strings.Contains(errs, "flag provided but not defined: "+wrong) || !strings.Contains(errs, usage) {
				t.Errorf("%s %s: exit %d, stdout %q, stderr %q", c.name, wrong, code, out, errs)
			}
		}
		code, _, errs := runCmd(t, append(append([]string{}, words...), "stray")...)
		if code != 2 || !strings.Contains(errs, `unexpected argument "stray"`) || !strings.Contains(errs, usage) {
			t.Errorf("%s stray: exit %d, stderr %q", c.name, code, errs)
		}
	}
	if code, _, errs := runCmd(t, "help", "frobnicate"); code != 2 || !strings.Contains(errs, "unknown command") {
		t.Errorf("help frobnicate: exit %d, stderr %q", code, errs)
	}
	if code, out, _ := runCmd(t, "help", "stats"); code != 0 || !strings.Contains(out, "ccd stats rebuild -from") {
		t.Errorf("help stats: exit %d, stdout %q", code, out)
	}
}

func TestAsteriskConfigWritesFiles(t *testing.T) {
	p := filepath.Join(t.TempDir(), "ccd.yaml")
	os.WriteFile(p, []byte("ari: {url: 'http://asterisk:8088', username: acd, password: ari-secret-0123456789}\nami: {addr: 'asterisk:5038', username: mon, secret: ami-secret-0123456789}\n"), 0o600)
	out := filepath.Join(t.TempDir(), "asterisk")
	if code, _, errs := runCmd(t, "asterisk-config", "-config", p, "-out", out, "-no-db"); code != 0 {
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
