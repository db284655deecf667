package api

import (
	"crypto/rand"
	"encoding/hex"
	"sync"
	"time"
)

// maxSessionsPerAgent bounds the tokens one agent holds at once (a toolbar, a
// CRM tab, a phone app...): a script that logs in again and again replaces
// its own oldest token instead of filling the table.
const maxSessionsPerAgent = 8

// sessionTable holds the agents' bearer tokens from the OMniLeads login. It is
// bounded in time (each token expires), per agent and in all: when full, the
// oldest session goes.
type sessionTable struct {
	mu   sync.Mutex
	ttl  time.Duration
	max  int
	byID map[string]session // token -> session
}

type session struct {
	agent   string
	created time.Time
	expires time.Time
}

func newSessionTable(ttl time.Duration, max int) *sessionTable {
	return &sessionTable{ttl: ttl, max: max, byID: map[string]session{}}
}

// open starts a session for agent and returns its token.
func (t *sessionTable) open(now time.Time, agent string) string {
	token := newToken()
	t.mu.Lock()
	defer t.mu.Unlock()
	t.dropExpired(now)
	if t.count(agent) >= maxSessionsPerAgent {
		t.dropOldest(agent)
	}
	if len(t.byID) >= t.max {
		t.dropOldest("")
	}
	t.byID[token] = session{agent: agent, created: now, expires: now.Add(t.ttl)}
	return token
}

// agent is the agent of a token that is open and not expired.
func (t *sessionTable) agent(now time.Time, token string) (string, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	s, ok := t.byID[token]
	if !ok || !now.Before(s.expires) {
		return "", false
	}
	return s.agent, true
}

// revoke ends every session of agent.
func (t *sessionTable) revoke(agent string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for token, s := range t.byID {
		if s.agent == agent {
			delete(t.byID, token)
		}
	}
}

func (t *sessionTable) dropExpired(now time.Time) {
	for token, s := range t.byID {
		if !now.Before(s.expires) {
			delete(t.byID, token)
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
	for token, s := range t.byID {
		if (agent == "" || s.agent == agent) && (oldest == "" || s.created.Before(at)) {
			oldest, at = token, s.created
		}
	}
	delete(t.byID, oldest)
}

func newToken() string {
	var b [20]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
