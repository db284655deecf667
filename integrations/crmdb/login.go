package crmdb

import (
	"context"
	"errors"
	"log/slog"

	"github.com/ccdhq/ccd/api"
)

// LoginDirectory lets agents log in with the CRM's Agent Login hook, the
// alternative to ccd's own passwords: when ccd's check fails, the hook is
// asked with the username (the agent's ccd id) and the password, and a row
// lets the agent in.
type LoginDirectory struct {
	api.AgentDirectory
	Hooks *Hooks
	Log   *slog.Logger
}

// CheckPassword checks ccd's own password first, then the CRM's.
func (d LoginDirectory) CheckPassword(agent, password string) (known, ok bool) {
	if known, ok = d.AgentDirectory.CheckPassword(agent, password); ok {
		return known, ok
	}
	l, err := d.Hooks.AgentLogin(context.Background(), agent, password) // bounded by the hook's timeout
	switch {
	case errors.Is(err, ErrLoginRefused):
		return known, false
	case err != nil:
		d.Log.Error("sql hook failed: agent login refused", "hook", "agent_login", "agent", agent, "err", err)
		return known, false
	}
	for _, p := range l.Problems {
		d.Log.Warn("sql hook agent_login answered oddly", "agent", agent, "problem", p)
	}
	d.Log.Info("agent logged in by the CRM's Agent Login hook", "agent", agent, "crm_agent_id", l.AgentID,
		"extension", l.Extension, "supervisor", l.Supervisor)
	return true, true
}
