package daemon

import (
	"context"

	"github.com/ccdhq/ccd/store"
)

// crmRole is the component that sets up the CRM's database role for the
// dialer's SQL interface (crm_sql.user), once the database is up.
type crmRole struct {
	w     *wiring
	tasks tasks
}

func newCRMRole(w *wiring) component { return &crmRole{w: w} }

func (r *crmRole) Name() string { return "crm sql role" }

func (r *crmRole) Start(ctx context.Context) error {
	cfg := r.w.cfg.CRMSQL
	if cfg.User == "" {
		return nil
	}
	r.tasks.goRun(ctx, func(ctx context.Context) {
		db, ok := r.w.db.wait(ctx)
		if !ok {
			return
		}
		role := store.CRMRole{User: cfg.User, Password: cfg.Password, TimeZone: r.w.cfg.PBX.TimeZone,
			StatementTimeout: cfg.StatementTimeout, ConnectionLimit: cfg.ConnectionLimit}
		if err := db.EnsureCRMRole(ctx, role); err != nil {
			r.w.log.Error("cannot set up the CRM's database role", "role", cfg.User, "err", err)
			return
		}
		r.w.log.Info("CRM role ready: it runs the dialer's SQL interface functions and nothing else", "role", cfg.User)
	})
	return nil
}

func (r *crmRole) Close(context.Context) error {
	r.tasks.stop()
	return nil
}
