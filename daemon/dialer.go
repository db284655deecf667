package daemon

import (
	"sync/atomic"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/api"
	"github.com/ccdhq/ccd/config"
	"github.com/ccdhq/ccd/integrations/optimus"
	"github.com/ccdhq/ccd/store"
)

// mountDialer serves the dialer's interfaces: ccd's API and the Optimus REST
// methods. They answer 503 until the database is connected.
func mountDialer(srv *api.Server, agents *api.Agents, db *atomic.Pointer[store.DB], cfg config.Config) {
	get := func() (*store.DB, error) {
		if d := db.Load(); d != nil {
			return d, nil
		}
		return nil, &ccd.Error{Code: ccd.EUNAVAILABLE, Message: "database not connected yet"}
	}
	srv.MountDialer(get)
	optimus.MountDialer(srv, agents, get, optimus.Credentials{User: cfg.API.OptimusUser, Password: cfg.API.OptimusPassword})
}
