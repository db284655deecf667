package store_test

import (
	"testing"
	"time"

	"github.com/ccdhq/ccd/internal/pgtest"
	"github.com/ccdhq/ccd/store"
)

// One session at a time holds the ACD lock; it is free again once released,
// and a holder whose connection is gone learns it has lost it, and that
// another session holds it now.
func TestSessionLockIsExclusive(t *testing.T) {
	db := pgtest.NewDB(t)
	ctx := ctxT(t)
	take := func(what string) *store.SessionLock {
		t.Helper()
		l, ok, err := db.TryLock(ctx, store.ACDLockID)
		if err != nil || !ok {
			t.Fatalf("TryLock %s: %v %v", what, ok, err)
		}
		return l
	}
	first := take("first")
	if err := first.Held(ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := db.TryLock(ctx, store.ACDLockID); err != nil || ok {
		t.Fatalf("second TryLock while held: %v %v", ok, err)
	}
	if other, err := db.HeldElsewhere(ctx, first); err != nil || other {
		t.Fatalf("HeldElsewhere for the holder: %v %v", other, err)
	}
	first.Release(ctx)
	broken := take("after release")
	var pid int
	if err := db.Get(&pid, `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND objid = $1 AND granted
		AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`, store.ACDLockID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`SELECT pg_terminate_backend($1)`, pid); err != nil {
		t.Fatal(err)
	}
	if err := broken.Held(ctx); err == nil {
		t.Fatal("a lock whose connection was terminated is reported held")
	}
	// The terminated backend lets its lock go as it exits, not at once.
	var next *store.SessionLock
	for deadline := time.Now().Add(10 * time.Second); next == nil; {
		l, ok, err := db.TryLock(ctx, store.ACDLockID)
		switch {
		case err != nil:
			t.Fatal(err)
		case ok:
			next = l
		case time.Now().After(deadline):
			t.Fatal("the lock of a terminated connection is never free")
		default:
			time.Sleep(10 * time.Millisecond)
		}
	}
	if other, err := db.HeldElsewhere(ctx, broken); err != nil || !other {
		t.Fatalf("HeldElsewhere for the broken holder: %v %v", other, err)
	}
	broken.Release(ctx)
	if err := next.Held(ctx); err != nil {
		t.Fatal("releasing a broken lock released the new holder's:", err)
	}
	next.Release(ctx)
}
