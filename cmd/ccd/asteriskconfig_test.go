package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/config"
	"github.com/ccdhq/ccd/internal/pgtest"
	"github.com/ccdhq/ccd/liveconf"
)

const astcfgBase = `ari: {username: acd, password: ari-secret-0123456789}
ami: {username: mon, secret: ami-secret-0123456789}
`

// fileAgentYAML is the one agent of the file: a softphone.
const fileAgentYAML = `acd:
  agents:
    - {id: "1001", endpoint: PJSIP/webrtc-1001, sip_user: webrtc-1001, sip_password: sip-secret-of-1001-0123}
`

func writeYAML(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "ccd.yaml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// pjsipOf is the pjsip.conf part of ccd asterisk-config's output.
func pjsipOf(t *testing.T, out string) string {
	t.Helper()
	_, rest, ok := strings.Cut(out, ";;; ---- /etc/asterisk/pjsip.conf ----\n")
	if !ok {
		t.Fatalf("no pjsip.conf in:\n%s", out)
	}
	body, _, _ := strings.Cut(rest, ";;; ----")
	return body
}

func wantLines(t *testing.T, what, text string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(text, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, text)
		}
	}
}

var admin = ccd.NewPrincipal(ccd.Admin, "admin")

// liveAgents seeds the database at dsn with the acd section of the file at
// p, as ccd does at its first start, and adds agents (id: JSON item)
// through the live configuration, as the admin API does.
func liveAgents(t *testing.T, p, dsn string, agents map[string]string) *liveconf.Manager {
	t.Helper()
	ctx := context.Background()
	cfg, err := config.Load(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	m, err := liveconf.New(cfg.ACD, func(context.Context, config.ACD) error { return nil }, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Load(ctx, pgtest.OpenMigrated(t, dsn)); err != nil {
		t.Fatal(err)
	}
	for id, body := range agents {
		if _, _, err := m.PutConfigItem(ctx, admin, ccd.ConfigAgent, id, []byte(body)); err != nil {
			t.Fatalf("agent %s: %v", id, err)
		}
	}
	return m
}

// An agent an administrator adds to the live configuration gets its phone's
// sections from ccd asterisk-config, a removed one loses them, and -no-db
// prints the file's agents only, saying so.
func TestAsteriskConfigFollowsTheLiveAgents(t *testing.T) {
	dsn := pgtest.NewEmptyDB(t)
	p := writeYAML(t, fmt.Sprintf("database: {url: %q}\n", dsn)+astcfgBase+fileAgentYAML)
	m := liveAgents(t, p, dsn, map[string]string{
		"2001": `{"endpoint":"PJSIP/webrtc-2001","sip_user":"webrtc-2001","sip_password":"sip-secret-of-2001-0123"}`,
		"2002": `{"endpoint":"PJSIP/2002"}`,
		"2003": `{"endpoint":"Local/2003@agents"}`,
	})

	code, out, errs := runCmd(t, "asterisk-config", "-config", p)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	pj := pjsipOf(t, out)
	wantLines(t, "pjsip.conf with the live agents", pj,
		"; Agents of the live configuration in the database",
		"[webrtc-1001]\ntype = endpoint\ntransport = transport-wss",
		"[webrtc-2001]\ntype = endpoint\ntransport = transport-wss\nwebrtc = yes",
		"auth = webrtc-2001\naors = webrtc-2001\n",
		"[webrtc-2001]\ntype = auth\nauth_type = userpass\nusername = webrtc-2001\npassword = sip-secret-of-2001-0123\n",
		"[webrtc-2001]\ntype = aor\n",
		";[2002]\n;type = endpoint\n;transport = transport-udp\n",
		";[2002]\n;type = auth\n;auth_type = userpass\n;username = 2002\n;password =\n",
		";[2002]\n;type = aor\n")
	if strings.Contains(pj, "2003") {
		t.Errorf("sections for an agent without a PJSIP endpoint:\n%s", pj)
	}
	if strings.Contains(errs, "sip-secret") {
		t.Errorf("a SIP password in the log: %s", errs)
	}

	if err := m.DeleteConfigItem(context.Background(), admin, ccd.ConfigAgent, "2001"); err != nil {
		t.Fatal(err)
	}
	if _, out, errs = runCmd(t, "asterisk-config", "-config", p); strings.Contains(out, "webrtc-2001") || !strings.Contains(out, "[webrtc-1001]") {
		t.Errorf("after removing agent 2001 (%s):\n%s", errs, pjsipOf(t, out))
	}

	code, out, errs = runCmd(t, "asterisk-config", "-config", p, "-no-db")
	if code != 0 {
		t.Fatalf("-no-db: exit %d: %s", code, errs)
	}
	pj = pjsipOf(t, out)
	wantLines(t, "pjsip.conf with -no-db", pj, "; Agents of "+p+" only (-no-db)", "[webrtc-1001]\ntype = auth\nauth_type = userpass\nusername = webrtc-1001\n")
	if strings.Contains(pj, "2002") {
		t.Errorf("-no-db printed a live agent:\n%s", pj)
	}
}

// A configured database that cannot be reached is an error naming
// database.url, not the file's agents printed as if they were all.
func TestAsteriskConfigUnreachableDatabaseNamesTheKey(t *testing.T) {
	p := writeYAML(t, "database: {url: 'postgres://ccd@127.0.0.1:1/ccd?sslmode=disable&connect_timeout=1'}\n"+astcfgBase+fileAgentYAML)
	code, out, errs := runCmd(t, "asterisk-config", "-config", p, "-db-timeout", "1s")
	if code != 1 || !strings.Contains(errs, "database.url (env CCD_DATABASE_URL)") {
		t.Fatalf("exit %d, stderr %q", code, errs)
	}
	if strings.Contains(out, "webrtc-1001") {
		t.Errorf("printed the file's agents all the same:\n%s", out)
	}
	if code, out, errs := runCmd(t, "asterisk-config", "-config", p, "-no-db"); code != 0 || !strings.Contains(out, "[webrtc-1001]") {
		t.Errorf("-no-db without the database: exit %d, %s", code, errs)
	}
}

// Without database.url and before ccd ever made its private database,
// there are no live agents yet: the file's are printed, and pjsip.conf
// says why, without creating a cluster to read from.
func TestAsteriskConfigBeforeThePrivateDatabaseExists(t *testing.T) {
	state := t.TempDir()
	p := writeYAML(t, fmt.Sprintf("state_dir: %q\n", state)+astcfgBase+fileAgentYAML)
	code, out, errs := runCmd(t, "asterisk-config", "-config", p)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	wantLines(t, "pjsip.conf", pjsipOf(t, out), "; Agents of "+p+": no database.url and no private database under "+filepath.Join(state, "postgres")+" yet.",
		"[webrtc-1001]\ntype = endpoint")
	if _, err := os.Stat(filepath.Join(state, "postgres", "data")); err == nil {
		t.Error("a private cluster was created just to print the configuration")
	}
}

// Without database.url the live agents are read from ccd's private
// PostgreSQL cluster under state_dir, the one ccd serve runs on.
func TestAsteriskConfigReadsThePrivateDatabase(t *testing.T) {
	c, dsn := pgtest.NewCluster(t)
	state := t.TempDir()
	if err := os.Symlink(c.Dir, filepath.Join(state, "postgres")); err != nil {
		t.Fatal(err)
	}
	p := writeYAML(t, fmt.Sprintf("state_dir: %q\n", state)+astcfgBase+fileAgentYAML)
	liveAgents(t, p, dsn, map[string]string{"2002": `{"endpoint":"PJSIP/2002"}`})
	code, out, errs := runCmd(t, "asterisk-config", "-config", p)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	wantLines(t, "pjsip.conf", pjsipOf(t, out), "; Agents of the live configuration in the database", "[webrtc-1001]\ntype = endpoint", ";[2002]\n;type = endpoint\n")
}
