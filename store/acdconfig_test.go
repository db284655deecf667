package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/ccdhq/ccd/eventlog"
	"github.com/ccdhq/ccd/internal/pgtest"
)

func configAudit(key, agent string) eventlog.Event {
	return eventlog.Event{At: time.Now(), Kind: "config.changed", Source: eventlog.SourceAPI, Key: key, Agent: agent}
}

// A configuration change and its audit event are one transaction: both are
// committed, or, when the event log refuses the audit, neither.
func TestConfigChangeAndAuditCommitTogether(t *testing.T) {
	db := pgtest.NewDB(t)
	ctx := context.Background()
	count := func(q string, args ...any) int {
		t.Helper()
		var n int
		if err := db.Get(&n, q, args...); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if err := db.PutACDConfig(ctx, "queue", "sales", []byte(`{"code":"sales"}`), configAudit("put-sales", "")); err != nil {
		t.Fatal(err)
	}
	if count(`SELECT count(*) FROM call_event WHERE key = 'put-sales'`) != 1 || count(`SELECT count(*) FROM acd_config WHERE id = 'sales'`) != 1 {
		t.Fatal("the change or its audit is missing")
	}
	// PostgreSQL refuses a NUL in a text: the audit cannot be written.
	if err := db.PutACDConfig(ctx, "queue", "vip", []byte(`{"code":"vip"}`), configAudit("put-vip", "x\x00y")); err == nil {
		t.Fatal("no error when the audit was refused")
	}
	if err := db.DeleteACDConfig(ctx, "queue", "sales", configAudit("delete-sales", "x\x00y")); err == nil {
		t.Fatal("no error when the audit was refused")
	}
	if count(`SELECT count(*) FROM acd_config WHERE id = 'vip'`) != 0 || count(`SELECT count(*) FROM acd_config WHERE id = 'sales'`) != 1 {
		t.Fatal("a change whose audit was refused was committed")
	}
}
