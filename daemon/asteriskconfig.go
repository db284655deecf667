package daemon

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"

	"github.com/ccdhq/ccd/config"
	"github.com/ccdhq/ccd/internal/localpg"
	"github.com/ccdhq/ccd/liveconf"
)

// LiveAgents returns the agents of the live configuration in the database,
// for ccd asterisk-config: those an administrator added through the admin
// API need phones too. It reaches the database as ccd serve does (database.url,
// or the private cluster under state_dir). When there is no live
// configuration to read yet, agents are nil and none says why: ccd copies
// the file's agents into the database at its first start, so the file's are
// the ones it will use. An unreachable database is an error naming where it
// was looked for, never the file's agents in silence.
func LiveAgents(ctx context.Context, cfg config.Config, log *slog.Logger) (agents []config.Agent, none string, err error) {
	where := "database.url (env " + config.EnvName("database.url") + ")"
	if cfg.Database.URL == "" {
		dir := filepath.Join(cfg.StateDir, "postgres")
		where = "state_dir (env " + config.EnvName("state_dir") + "): the private PostgreSQL cluster under " + dir + " (no database.url)"
		exists, err := localpg.Exists(dir)
		if err != nil {
			return nil, "", fmt.Errorf("%s: %w", where, err)
		}
		if !exists {
			return nil, "no database.url and no private database under " + dir + " yet", nil
		}
	}
	db, _, stop, err := database(ctx, cfg, log, true)
	if err != nil {
		return nil, "", fmt.Errorf("%s: cannot read the live agents: %w", where, err)
	}
	defer stop()
	items, err := db.ACDConfig(ctx)
	if err != nil {
		return nil, "", fmt.Errorf("%s: cannot read the live agents: %w", where, err)
	}
	if len(items) == 0 {
		return nil, "the database holds no live configuration yet", nil
	}
	live, err := liveconf.FromItems(cfg.ACD, items)
	if err != nil {
		return nil, "", fmt.Errorf("%s: the live configuration: %w", where, err)
	}
	return live.Agents, "", nil
}
