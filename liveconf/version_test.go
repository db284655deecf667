package liveconf

import (
	"context"
	"testing"

	"github.com/ccdhq/ccd"
)

// Two administrators read the same queue; the first one's change goes in,
// the second one's (made from the version both read) is a conflict and
// changes nothing; read again, it goes in. A new password is a new version
// of an agent although the item shows the password only as set.
func TestChangesFromAnOldVersionConflict(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	if err := f.m.Load(ctx, f.db); err != nil {
		t.Fatal(err)
	}
	_, read, err := f.m.ConfigItemVersion(ctx, ccd.ConfigQueue, "sales")
	if err != nil || read == "" {
		t.Fatalf("version %q %v", read, err)
	}
	_, first, _, err := f.m.PutConfigItemIf(ctx, admin, ccd.ConfigQueue, "sales", read, []byte(`{"max_waiting": 10}`))
	if err != nil || first == read {
		t.Fatalf("first change: version %q (read %q) %v", first, read, err)
	}
	audits := len(f.db.audits)
	_, _, _, err = f.m.PutConfigItemIf(ctx, admin, ccd.ConfigQueue, "sales", read, []byte(`{"max_waiting": 20}`))
	if ccd.ErrorCode(err) != ccd.ECONFLICT {
		t.Fatalf("second change from the old version: %v", err)
	}
	item, now, _ := f.m.ConfigItemVersion(ctx, ccd.ConfigQueue, "sales")
	if item["max_waiting"] != 10 && item["max_waiting"] != float64(10) || now != first || len(f.db.audits) != audits {
		t.Fatalf("after the conflict: %v %q, %d audits (were %d)", item["max_waiting"], now, len(f.db.audits), audits)
	}
	if _, _, _, err := f.m.PutConfigItemIf(ctx, admin, ccd.ConfigQueue, "sales", `W/"x", `+now, []byte(`{"max_waiting": 20}`)); err != nil {
		t.Fatalf("change from the current version (in a list, among others): %v", err)
	}
	if err := f.m.DeleteConfigItemIf(ctx, admin, ccd.ConfigQueue, "sales", now); ccd.ErrorCode(err) != ccd.ECONFLICT {
		t.Fatalf("delete from an old version: %v", err)
	}
	if _, _, _, err := f.m.PutConfigItemIf(ctx, admin, ccd.ConfigQueue, "gone", "*", []byte(`{}`)); ccd.ErrorCode(err) != ccd.ECONFLICT {
		t.Fatalf("If-Match * on an item that does not exist: %v", err)
	}

	_, before, _ := f.m.ConfigItemVersion(ctx, ccd.ConfigAgent, "a1")
	_, after, _, err := f.m.PutConfigItemIf(ctx, admin, ccd.ConfigAgent, "a1", before,
		[]byte(`{"name":"Ann","endpoint":"PJSIP/1001","password":"another-password-0123"}`))
	if err != nil || after == before {
		t.Fatalf("new password: version %q (was %q) %v", after, before, err)
	}
}
