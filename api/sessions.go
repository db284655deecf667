package api

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"sync"
	"time"
)

// maxSessionsPerAgent bounds the tokens one agent holds at once (a toolbar, a
// CRM tab, a phone app...): a script that logs in again and again replaces
// its own oldest token instead of filling the table.
const maxSessionsPerAgent = 8

// SessionStore keeps the agents' login sessions (the OMniLeads bearer
// tokens). The daemon keeps them in the database (store.DB), so that they
// survive a restart and every ccd instance on it accepts them; without one
// (tests, a server mounted alone) they live in memory. A store sees only the
// SHA-256 of a token, never the token.
type SessionStore interface {
	// OpenAgentSession stores a session that ends at expires. Before it,
	// expired sessions go, and the oldest ones beyond perAgent for the agent
	// and beyond total in all.
	OpenAgentSession(ctx context.Context, hash []byte, agent string, created, expires time.Time, perAgent, total int) error
	// AgentOfSession is the agent of a session that is open at now.
	AgentOfSession(ctx context.Context, hash []byte, now time.Time) (agent string, ok bool, err error)
	// RevokeAgentSessions ends every session of agent.
	RevokeAgentSessions(ctx context.Context, agent string) error
}

// hashToken is what a session store keeps of a token.
func hashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// sessionTable is the SessionStore in memory. It is bounded in time (each
// token expires), per agent and in all: when full, the oldest session goes.
type sessionTable struct {
	mu   sync.Mutex
	ttl  time.Duration
	max  int
	byID map[string]session // token hash -> session
}

type session struct {
	agent   string
	created time.Time
	expires time.Time
}

func newSessionTable(ttl time.Duration, max int) *sessionTable {
	return &sessionTable{ttl: ttl, max: max, byID: map[string]session{}}
}

// OpenAgentSession implements SessionStore.
func (t *sessionTable) OpenAgentSession(_ context.Context, hash []byte, agent string, created, expires time.Time, perAgent, total int) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.dropExpired(created)
	if t.count(agent) >= perAgent {
		t.dropOldest(agent)
	}
	if len(t.byID) >= total {
		t.dropOldest("")
	}
	t.byID[string(hash)] = session{agent: agent, created: created, expires: expires}
	return nil
}

// AgentOfSession implements SessionStore.
func (t *sessionTable) AgentOfSession(_ context.Context, hash []byte, now time.Time) (string, bool, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	s, ok := t.byID[string(hash)]
	if !ok || !now.Before(s.expires) {
		return "", false, nil
	}
	return s.agent, true, nil
}

// RevokeAgentSessions implements SessionStore.
func (t *sessionTable) RevokeAgentSessions(_ context.Context, agent string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	for hash, s := range t.byID {
		if s.agent == agent {
			delete(t.byID, hash)
		}
	}
	return nil
}

// open starts a session for agent and returns its token.
func (t *sessionTable) open(now time.Time, agent string) string {
	token := newToken()
	_ = t.OpenAgentSession(context.Background(), hashToken(token), agent, now, now.Add(t.ttl), maxSessionsPerAgent, t.max)
	return token
}

// agent is the agent of a token that is open and not expired.
func (t *sessionTable) agent(now time.Time, token string) (string, bool) {
	a, ok, _ := t.AgentOfSession(context.Background(), hashToken(token), now)
	return a, ok
}

func (t *sessionTable) dropExpired(now time.Time) {
	for hash, s := range t.byID {
		if !now.Before(s.expires) {
			delete(t.byID, hash)
		}
	}
}

func (t *sessionTable) count(agent string) int {
	n := 0
	for _, s := range t.byID {
		if s.agent == agent {
			n++
		}
	}
	return n
}

// dropOldest removes the oldest session of agent, or of all when agent is "".
func (t *sessionTable) dropOldest(agent string) {
	var oldest string
	var at time.Time
	found := false
	for hash, s := range t.byID {
		if (agent == "" || s.agent == agent) && (!found || s.created.Before(at)) {
			oldest, at, found = hash, s.created, true
		}
	}
	delete(t.byID, oldest)
}

func newToken() string {
	var b [20]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
