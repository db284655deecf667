package daemon

import (
	"github.com/ccdhq/ccd/api"
	"github.com/ccdhq/ccd/config"
	"github.com/ccdhq/ccd/integrations/omnileads"
	"github.com/ccdhq/ccd/integrations/optimus"
)

// mountDialerInterfaces serves the dialer's other CRM interfaces: the Optimus
// Dialer.asmx web service and the OMniLeads campaign and disposition API.
func mountDialerInterfaces(srv *api.Server, agents *api.Agents, db api.DialerDB, cfg config.Config) {
	srv.MountDispositionOptions(db)
	srv.MountAgenda(db, agents)
	omnileads.MountDialer(srv, db)
	optimus.MountDialerService(srv, agents, db, optimus.Credentials{User: cfg.API.OptimusUser, Password: cfg.API.OptimusPassword})
}
