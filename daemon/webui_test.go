package daemon_test

import (
	"context"
	"errors"
	"testing"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/config"
	"github.com/ccdhq/ccd/daemon"
	"github.com/ccdhq/ccd/internal/pgtest"
	"github.com/ccdhq/ccd/store"
	"golang.org/x/crypto/bcrypt"
)

// ccd user add stores a supervisor or administrator with a bcrypt hash of
// the password, and refuses a role that may not log in to the web
// interface, naming the flag's field.
func TestAddUser(t *testing.T) {
	dsn := pgtest.NewEmptyDB(t)
	cfg := config.Default()
	cfg.Database.URL = dsn
	ctx := context.Background()
	const pw = "a-long-enough-password"
	if err := daemon.AddUser(ctx, cfg, nil, "sue", "supervisor", pw, "PJSIP/2000"); err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(ctx, dsn, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	u, ok, err := db.UIUserByName(ctx, "sue")
	if err != nil || !ok || u.Role != "supervisor" || u.Endpoint != "PJSIP/2000" {
		t.Fatalf("%+v %v %v", u, ok, err)
	}
	if cost, _ := bcrypt.Cost([]byte(u.PasswordHash)); bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(pw)) != nil || cost < 12 {
		t.Fatalf("stored %q (cost %d)", u.PasswordHash, cost)
	}
	for _, c := range []struct{ name, role, pw, endpoint, field string }{
		{"bi", "bi", pw, "", "role"},
		{"integration", "integration", pw, "", "role"},
		{"sue", "admin", "short", "", "password"},
		{"a b", "admin", pw, "", "name"},
		{"sue", "supervisor", pw, "PJSIP/2000&PJSIP/trunk/900", "endpoint"},
	} {
		err := daemon.AddUser(ctx, cfg, nil, c.name, c.role, c.pw, c.endpoint)
		var ce *ccd.Error
		if !errors.As(err, &ce) || ce.Field != c.field {
			t.Errorf("%s/%s: %v, want an error naming %s", c.name, c.role, err, c.field)
		}
	}
}
