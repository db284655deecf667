package store_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ccdhq/ccd/internal/pgtest"
	"github.com/ccdhq/ccd/store"
)

// Users of the web interface: created, replaced, read back; a role other
// than supervisor or admin is refused by the table itself.
func TestUIUsers(t *testing.T) {
	db := pgtest.NewDB(t)
	ctx := ctxT(t)
	if _, ok, err := db.UIUserByName(ctx, "sue"); err != nil || ok {
		t.Fatalf("unknown user: ok %v, %v", ok, err)
	}
	if err := db.PutUIUser(ctx, store.UIUser{Username: "sue", Role: "supervisor", PasswordHash: "h1"}); err != nil {
		t.Fatal(err)
	}
	if err := db.PutUIUser(ctx, store.UIUser{Username: "sue", Role: "admin", PasswordHash: "h2", Endpoint: "PJSIP/2000"}); err != nil {
		t.Fatal(err)
	}
	u, ok, err := db.UIUserByName(ctx, "sue")
	if err != nil || !ok || u.Role != "admin" || u.PasswordHash != "h2" || u.Endpoint != "PJSIP/2000" {
		t.Fatalf("%+v %v %v", u, ok, err)
	}
	err = db.PutUIUser(ctx, store.UIUser{Username: "bi", Role: "bi", PasswordHash: "h"})
	if err == nil || !strings.Contains(err.Error(), "check") {
		t.Fatalf("role bi stored: %v", err)
	}
}

// Sessions of the web interface expire, end at logout and stay bounded in
// number (the oldest go); only the token's hash is kept.
func TestUISessions(t *testing.T) {
	db := pgtest.NewDB(t)
	ctx := ctxT(t)
	now := time.Date(2026, 3, 10, 8, 0, 0, 0, time.UTC)
	open := func(token string) {
		t.Helper()
		now = now.Add(time.Second)
		if err := db.OpenUISession(ctx, tokenHash(token), "supervisor", "sue", now, now.Add(time.Hour), 3); err != nil {
			t.Fatal(err)
		}
	}
	holds := func(token string, at time.Time) bool {
		t.Helper()
		s, ok, err := db.UISessionOf(ctx, tokenHash(token), at)
		if err != nil {
			t.Fatal(err)
		}
		if ok && (s.Kind != "supervisor" || s.Name != "sue") {
			t.Fatalf("session %+v", s)
		}
		return ok
	}
	for i := range 4 {
		open(fmt.Sprint("t", i))
	}
	if holds("t0", now) || !holds("t1", now) || !holds("t3", now) {
		t.Fatal("the oldest session was not the one dropped")
	}
	if holds("t3", now.Add(time.Hour)) {
		t.Fatal("a session outlived its expiry")
	}
	if err := db.CloseUISession(ctx, tokenHash("t3")); err != nil {
		t.Fatal(err)
	}
	if holds("t3", now) || !holds("t2", now) {
		t.Fatal("logout ended the wrong session")
	}
	var clear int
	if err := db.Get(&clear, `SELECT count(*) FROM ui_session WHERE token_hash = $1`, []byte("t2")); err != nil || clear != 0 {
		t.Fatalf("a token stored as it is (%v)", err)
	}
}
