package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ccdhq/ccd/internal/pgtest"
	"github.com/ccdhq/ccd/store"
)

// ccd config import replaces the database's live configuration by the
// file's acd section, keeping only the hashes of the agents' passwords.
func TestConfigImportReplacesTheLiveConfiguration(t *testing.T) {
	dsn := pgtest.NewEmptyDB(t)
	p := filepath.Join(t.TempDir(), "ccd.yaml")
	write := func(queues string) {
		yaml := fmt.Sprintf(`database: {url: %q}
ari: {username: acd, password: ari-secret-0123456789}
ami: {username: mon, secret: ami-secret-0123456789}
acd:
  queues: [%s]
  agents: [{id: "1001", endpoint: PJSIP/1001, password: agent-password-0123456789}]
`, dsn, queues)
		if err := os.WriteFile(p, []byte(yaml), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("{code: sales}, {code: support}")
	code, out, errs := runCmd(t, "config", "import", "-config", p)
	if code != 0 || !strings.Contains(out, "imported 3 items") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errs)
	}
	write("{code: billing}")
	if code, out, errs = runCmd(t, "config", "import", "-config", p); code != 0 {
		t.Fatalf("second import: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	db, err := store.Open(context.Background(), dsn, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	items, err := db.ACDConfig(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, it := range items {
		got = append(got, it.Kind+":"+it.ID)
		if strings.Contains(string(it.Item), "agent-password") {
			t.Errorf("the password is stored: %s", it.Item)
		}
	}
	if strings.Join(got, " ") != "agent:1001 queue:billing" {
		t.Fatalf("items after the second import: %v", got)
	}
	var audits int
	if err := db.Get(&audits, `SELECT count(*) FROM call_event WHERE kind = 'config.changed' AND payload->>'action' = 'imported'`); err != nil || audits != 2 {
		t.Fatalf("%d import audits (%v)", audits, err)
	}
}
