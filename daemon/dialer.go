package daemon

import (
	"github.com/ccdhq/ccd/api"
	"github.com/ccdhq/ccd/config"
	"github.com/ccdhq/ccd/integrations/optimus"
)

// mountDialer serves the dialer's interfaces: ccd's API and the Optimus REST
// methods. They answer 503 until the database is connected.
func mountDialer(srv *api.Server, agents *api.Agents, db *databaseLink, cfg config.Config) {
	get := db.get
	srv.MountDialer(get)
	optimus.MountDialer(srv, agents, get, optimus.Credentials{User: cfg.API.OptimusUser, Password: cfg.API.OptimusPassword})
	mountDialerInterfaces(srv, agents, get, cfg)
}
