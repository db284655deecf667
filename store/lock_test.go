package store_test

import (
	"testing"

	"github.com/ccdhq/ccd/internal/pgtest"
	"github.com/ccdhq/ccd/store"
)

// One session at a time holds the ACD lock; it is free again once released,
// and a holder whose connection is gone learns it has lost it.
func TestSessionLockIsExclusive(t *testing.T) {
	db := pgtest.NewDB(t)
	ctx := ctxT(t)
	first, ok, err := db.TryLock(ctx, store.ACDLockID)
	if err != nil || !ok {
		t.Fatalf("first TryLock: %v %v", ok, err)
	}
	if err := first.Held(ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := db.TryLock(ctx, store.ACDLockID); err != nil || ok {
		t.Fatalf("second TryLock while held: %v %v", ok, err)
	}
	first.Release(ctx)
	second, ok, err := db.TryLock(ctx, store.ACDLockID)
	if err != nil || !ok {
		t.Fatalf("TryLock after release: %v %v", ok, err)
	}
	var pid int
	if err := db.Get(&pid, `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND objid = $1 AND granted`, store.ACDLockID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`SELECT pg_terminate_backend($1)`, pid); err != nil {
		t.Fatal(err)
	}
	if err := second.Held(ctx); err == nil {
		t.Fatal("a lock whose connection was terminated is reported held")
	}
	second.Release(ctx)
	if third, ok, err := db.TryLock(ctx, store.ACDLockID); err != nil || !ok {
		t.Fatalf("TryLock after the holder's connection ended: %v %v", ok, err)
	} else {
		third.Release(ctx)
	}
}
