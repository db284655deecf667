package daemon

import (
	"context"
	"log/slog"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/acd/endpoints"
	"github.com/ccdhq/ccd/api"
	"github.com/ccdhq/ccd/config"
	"github.com/ccdhq/ccd/eventlog"
	"github.com/ccdhq/ccd/liveconf"
	"github.com/ccdhq/ccd/store"
	"github.com/ccdhq/ccd/webui"
)

// mountWebUI serves the web interface on srv: its users and sessions in the
// database (once connected), its live views from the event log's fan-out
// and the real-time views, its actions through the agent service. The
// returned function feeds the live views until ctx ends.
func mountWebUI(srv *api.Server, cfg config.Config, agents *api.Agents, rt *api.Realtime, hub *eventlog.Hub,
	live *liveconf.Manager, emit func(eventlog.Event) error, db *databaseLink, log *slog.Logger, spy webui.Spy,
	statsFolded <-chan struct{}) func(context.Context) {
	o := webui.Options{Store: uiStore{db: db}, Agents: agents, Hub: hub, Emit: emit, Log: log, Spy: spy,
		Refresh: cfg.UI.Refresh, Figures: statsFolded,
		SessionTTL: cfg.API.TokenTTL, Location: cfg.Location(), SecureCookie: cfg.API.TLSCertFile != "", SoftphoneURL: cfg.API.SoftphoneURL,
		Activities: func() []config.Activity { return live.Current().Activities },
		Wallboard:  cfg.UI.Wallboard, WaitingCallbacks: uiStore{db: db}.WaitingCallbacks}
	if rt != nil {
		o.Realtime, o.Reports = rt, rt
	}
	ui := webui.Mount(srv, o)
	return ui.Run
}

// uiStore is the database behind the web interface, or a 503 until it is
// connected.
type uiStore struct{ db *databaseLink }

var errUINoDB = &ccd.Error{Code: ccd.EUNAVAILABLE, Message: "database not connected yet: sessions are kept in the database; retry"}

func (s uiStore) get() (*store.DB, error) {
	if db := s.db.load(); db != nil {
		return db, nil
	}
	return nil, errUINoDB
}

func (s uiStore) UIUserByName(ctx context.Context, name string) (store.UIUser, bool, error) {
	db, err := s.get()
	if err != nil {
		return store.UIUser{}, false, err
	}
	return db.UIUserByName(ctx, name)
}

func (s uiStore) OpenUISession(ctx context.Context, hash []byte, kind, name string, created, expires time.Time, total int) error {
	db, err := s.get()
	if err != nil {
		return err
	}
	return db.OpenUISession(ctx, hash, kind, name, created, expires, total)
}

func (s uiStore) UISessionOf(ctx context.Context, hash []byte, now time.Time) (store.UISession, bool, error) {
	db, err := s.get()
	if err != nil {
		return store.UISession{}, false, err
	}
	return db.UISessionOf(ctx, hash, now)
}

func (s uiStore) CloseUISession(ctx context.Context, hash []byte) error {
	db, err := s.get()
	if err != nil {
		return err
	}
	return db.CloseUISession(ctx, hash)
}

// WaitingCallbacks counts the callbacks waiting for an agent, by queue.
func (s uiStore) WaitingCallbacks(ctx context.Context) (map[string]int, error) {
	db, err := s.get()
	if err != nil {
		return nil, err
	}
	return db.WaitingCallbacks(ctx)
}

// CampaignGrid is the supervisor console's campaign grid.
func (s uiStore) CampaignGrid(ctx context.Context, since time.Time) ([]store.CampaignLine, error) {
	db, err := s.get()
	if err != nil {
		return nil, err
	}
	return db.CampaignGrid(ctx, since)
}

// AddUser creates (or replaces the role, password and phone of) a
// supervisor or administrator of the web interface: ccd user add. endpoint
// is the user's phone for listening to calls ("" = none).
func AddUser(ctx context.Context, cfg config.Config, log *slog.Logger, name, role, password, endpoint string) error {
	if err := webui.CheckUser(name, role, password); err != nil {
		return err
	}
	if endpoint != "" {
		if err := endpoints.Check(endpoint); err != nil {
			return ccd.Invalid("endpoint", err.Error())
		}
	}
	hash, err := webui.HashPassword(password)
	if err != nil {
		return err
	}
	db, _, stop, err := database(ctx, cfg, log, true)
	if err != nil {
		return err
	}
	defer stop()
	return db.PutUIUser(ctx, store.UIUser{Username: name, Role: role, PasswordHash: hash, Endpoint: endpoint})
}
