package crmdb

import (
	"context"
	"errors"
	"log/slog"
	"sync"

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

	mu sync.Mutex
	// sessions: what the hook answered at each agent's last login by it,
	// for the session that login opens (api.SessionProfiles).
	sessions map[string]Login
}

// CheckPassword checks ccd's own password first, then the CRM's.
func (d *LoginDirectory) CheckPassword(agent, password string) (known, ok bool) {
	if known, ok = d.AgentDirectory.CheckPassword(agent, password); ok {
		d.remember(agent, nil) // ccd's own login: the configured extension and skills
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
	d.remember(agent, &l)
	return true, true
}

func (d *LoginDirectory) remember(agent string, l *Login) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if l == nil {
		delete(d.sessions, agent)
		return
	}
	if d.sessions == nil {
		d.sessions = map[string]Login{}
	}
	d.sessions[agent] = *l
}

// SessionProfile implements api.SessionProfiles: the PhoneExtension and
// AgentSkills the hook answered at the agent's last login by it (no skills:
// the configured ones).
func (d *LoginDirectory) SessionProfile(agent string) (extension string, skills map[string]int, found bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	l, found := d.sessions[agent]
	if len(l.Skills) > 0 {
		skills = l.Skills
	}
	return l.Extension, skills, found
}

var _ api.SessionProfiles = (*LoginDirectory)(nil)
