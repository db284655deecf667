// Package spy is the "spy" Stasis application: a supervisor listens to,
// whispers to or barges into an agent's call through an ARI snoop channel
// on the agent's channel, bridged with a call to the supervisor's own phone.
//
//	Spy(agent channel, mode, endpoint)
//	  ──▶ mixing bridge spy-<id>
//	  ──▶ POST /channels/<agent>/snoop  spy=both, whisper=none|out|both  Stasis(ccd,spy,<id>)
//	  ──▶ originate the supervisor's endpoint                             Stasis(ccd,spy,<id>)
//	each leg's StasisStart ──▶ into the bridge
//	either leg ends (the agent's call ended: Asterisk ends the snoop; the
//	supervisor hung up) ──▶ the other is hung up, the bridge destroyed
//
// The directions are the agent channel's: "out" is what Asterisk sends to
// the agent's phone, so whisper=out is heard by the agent alone, and
// whisper=both by the agent and the caller (barge); spy=both hears both.
package spy

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/ari"
	"github.com/ccdhq/ccd/dialplan/media"
	"github.com/ccdhq/ccd/dialplan/stasis"
)

// Entry is the Stasis entry of the snoop channels and the supervisors' legs.
const Entry = "spy"

// Modes of Spy.
const (
	Listen  = "listen"  // the supervisor hears both sides, nobody hears the supervisor
	Whisper = "whisper" // ... and the agent hears the supervisor
	Barge   = "barge"   // ... and the agent and the caller hear the supervisor
)

// whisperOf is the snoop's whisper direction of each mode.
var whisperOf = map[string]string{Listen: ari.DirectionNone, Whisper: ari.DirectionOut, Barge: ari.DirectionBoth}

// ValidMode tells whether mode is listen, whisper or barge.
func ValidMode(mode string) bool { _, ok := whisperOf[mode]; return ok }

// Owners is the dispatcher: the application claims the legs it creates.
type Owners interface {
	Handoff(channel string, app stasis.App)
	Release(channel string)
}

// Config is what the application needs.
type Config struct {
	ARI    *ari.Client
	App    string // the Stasis application name
	Owners Owners
	// RingTimeout is how long the supervisor's phone rings [30 s].
	RingTimeout time.Duration
	Log         *slog.Logger
}

// App is the running spy application.
type App struct {
	cfg   Config
	log   *slog.Logger
	media *media.Toolkit

	mu       sync.Mutex
	sessions map[string]*Session // by id
	legs     map[string]*Session // by channel id (snoop and supervisor)
}

// Session is one supervisor on one agent's call.
type Session struct {
	ID         string `json:"id"`
	Mode       string `json:"mode"`
	Target     string `json:"target"`     // the agent's channel
	Endpoint   string `json:"endpoint"`   // the supervisor's phone
	Snoop      string `json:"snoop"`      // the snoop channel
	Supervisor string `json:"supervisor"` // the supervisor's channel
	Bridge     string `json:"bridge"`
	ended      bool
}

// New builds the application.
func New(cfg Config) *App {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.RingTimeout <= 0 {
		cfg.RingTimeout = 30 * time.Second
	}
	return &App{cfg: cfg, log: cfg.Log.With("component", "spy"), media: &media.Toolkit{ARI: cfg.ARI, App: cfg.App},
		sessions: map[string]*Session{}, legs: map[string]*Session{}}
}

// Spy snoops on target (an agent's channel) in mode and rings endpoint (the
// supervisor's phone) to hear it. A target that is gone is ECONFLICT (the
// call ended meanwhile); Asterisk away is EUNAVAILABLE.
func (a *App) Spy(ctx context.Context, target, mode, endpoint string) (Session, error) {
	whisper, ok := whisperOf[mode]
	if !ok {
		return Session{}, ccd.Invalid("mode", "must be listen, whisper or barge")
	}
	id := newID()
	s := &Session{ID: id, Mode: mode, Target: target, Endpoint: endpoint, Snoop: "spy-" + id + "-snoop",
		Supervisor: "spy-" + id + "-supervisor", Bridge: "spy-" + id}
	a.mu.Lock()
	a.sessions[id] = s
	a.legs[s.Snoop], a.legs[s.Supervisor] = s, s
	a.mu.Unlock()
	a.claim(s.Snoop, s.Supervisor)
	if _, err := a.cfg.ARI.Bridge(s.Bridge).Create(ctx, ari.CreateBridgeParams{Type: "mixing", Name: s.Bridge}); err != nil {
		a.end(s)
		return Session{}, asteriskError("create the bridge", err)
	}
	_, err := a.cfg.ARI.Channel(target).Snoop(ctx, ari.SnoopParams{Spy: ari.DirectionBoth, Whisper: whisper, App: a.cfg.App,
		AppArgs: Entry + "," + id, SnoopID: s.Snoop})
	if ari.IsNotFound(err) {
		a.end(s)
		return Session{}, &ccd.Error{Code: ccd.ECONFLICT, Message: "the agent's call has ended"}
	}
	if err != nil {
		a.end(s)
		return Session{}, asteriskError("snoop on the agent's channel", err)
	}
	_, err = a.cfg.ARI.Originate(ctx, ari.OriginateParams{Endpoint: endpoint, App: a.cfg.App, AppArgs: Entry + "," + id,
		ChannelID: s.Supervisor, CallerID: callerID(mode, target), Timeout: int(a.cfg.RingTimeout / time.Second)})
	if err != nil {
		a.end(s)
		return Session{}, asteriskError("call the supervisor's phone "+endpoint, err)
	}
	return *s, nil
}

// Sessions are the sessions going on now.
func (a *App) Sessions() []Session {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]Session, 0, len(a.sessions))
	for _, s := range a.sessions {
		out = append(out, *s)
	}
	return out
}

// Start receives a leg that entered the application: the snoop channel at
// once, the supervisor's when the phone answered. Both go into the bridge.
func (a *App) Start(e *ari.StasisStart, args []string) {
	a.mu.Lock()
	s := a.legs[e.Channel.ID]
	a.mu.Unlock()
	if s == nil {
		a.log.Warn("a channel entered the spy application for no session", "channel", e.Channel.ID, "args", args)
		go func() { _ = a.media.Hangup(context.Background(), e.Channel.ID, "normal") }()
		return
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := a.cfg.ARI.Bridge(s.Bridge).AddChannels(ctx, e.Channel.ID); err != nil {
			a.log.Warn("spy: cannot bridge a leg", "session", s.ID, "channel", e.Channel.ID, "err", err)
			a.end(s)
		}
	}()
}

// Handle ends a session when one of its legs ends.
func (a *App) Handle(e ari.Event) {
	var id string
	switch v := e.(type) {
	case *ari.ChannelDestroyed:
		id = v.Channel.ID
	case *ari.StasisEnd:
		id = v.Channel.ID
	default:
		return
	}
	a.mu.Lock()
	s := a.legs[id]
	a.mu.Unlock()
	if s != nil {
		go a.end(s)
	}
}

// end hangs up both legs and destroys the bridge, once.
func (a *App) end(s *Session) {
	a.mu.Lock()
	if s.ended {
		a.mu.Unlock()
		return
	}
	s.ended = true
	delete(a.sessions, s.ID)
	a.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, ch := range []string{s.Supervisor, s.Snoop} {
		if err := a.media.Hangup(ctx, ch, "normal"); err != nil {
			a.log.Debug("spy: hangup", "channel", ch, "err", err)
		}
	}
	_ = a.media.DestroyBridge(ctx, s.Bridge)
	// The legs' last events may still come: they are forgotten a little
	// later, and released by the dispatcher with their ChannelDestroyed.
	time.AfterFunc(time.Minute, func() {
		a.mu.Lock()
		defer a.mu.Unlock()
		delete(a.legs, s.Snoop)
		delete(a.legs, s.Supervisor)
	})
}

func (a *App) claim(channels ...string) {
	if a.cfg.Owners == nil {
		return
	}
	for _, ch := range channels {
		a.cfg.Owners.Handoff(ch, a)
	}
}

// callerID is what the supervisor's phone shows: the mode and the agent's
// channel.
func callerID(mode, target string) string {
	name := strings.ToUpper(mode[:1]) + mode[1:]
	return `"` + name + `" <` + strings.Map(func(r rune) rune {
		if r == '"' || r == '<' || r == '>' {
			return -1
		}
		return r
	}, target) + `>`
}

func asteriskError(what string, err error) error {
	return &ccd.Error{Code: ccd.EUNAVAILABLE, Message: "Asterisk refused to " + what + ": " + err.Error()}
}

func newID() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
