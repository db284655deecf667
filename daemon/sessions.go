package daemon

import (
	"context"
	"log/slog"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/api"
	"github.com/ccdhq/ccd/store"
)

// dbSessions keeps the agents' sessions in the database once it is
// connected (api.SessionStore): a token survives a restart and any ccd on the
// same database accepts it. Before the database is up, or while it fails, a
// login or a request with an agent's token is a 503 that names the database:
// the token may well be good.
type dbSessions struct {
	db  *databaseLink
	log *slog.Logger
}

var _ api.SessionStore = dbSessions{}

var errSessionsNoDB = &ccd.Error{Code: ccd.EUNAVAILABLE,
	Message: "database not connected yet: agent sessions are kept in the database; retry"}

func (s dbSessions) store() (*store.DB, error) {
	if db, err := s.db.get(); err == nil {
		return db, nil
	}
	return nil, errSessionsNoDB
}

// unavailable turns a database failure into a 503; its detail goes to the
// log only (it names hosts).
func (s dbSessions) unavailable(err error) error {
	s.log.Warn("agent sessions: database failed", "err", err)
	return &ccd.Error{Code: ccd.EUNAVAILABLE, Message: "database unavailable: agent sessions are kept in the database; retry"}
}

func (s dbSessions) OpenAgentSession(ctx context.Context, hash []byte, agent string, created, expires time.Time, perAgent, total int) error {
	db, err := s.store()
	if err != nil {
		return err
	}
	if err := db.OpenAgentSession(ctx, hash, agent, created, expires, perAgent, total); err != nil {
		return s.unavailable(err)
	}
	return nil
}

func (s dbSessions) AgentOfSession(ctx context.Context, hash []byte, now time.Time) (string, bool, error) {
	db, err := s.store()
	if err != nil {
		return "", false, err
	}
	agent, ok, err := db.AgentOfSession(ctx, hash, now)
	if err != nil {
		return "", false, s.unavailable(err)
	}
	return agent, ok, nil
}

func (s dbSessions) RevokeAgentSessions(ctx context.Context, agent string) error {
	db, err := s.store()
	if err != nil {
		return err
	}
	if err := db.RevokeAgentSessions(ctx, agent); err != nil {
		return s.unavailable(err)
	}
	return nil
}
