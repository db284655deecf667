package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"sync"
	"time"
)

// session is one browser tab of the supervisor console or wallboard: a
// login cookie and the live stream (GET /ui/events) they both read.
type session struct {
	client *http.Client
	// arrivals are the snapshots the stream brought, in order.
	mu       sync.Mutex
	arrivals []arrival
}

// arrival is one snapshot as a session received it.
type arrival struct {
	seq int64
	at  time.Time
}

// agentState is what the bench reads of a snapshot: each agent's state
// with its activity.
type agentState map[string]string

// snapshots decodes each snapshot once, whichever of the sessions reads it
// first: the streams carry the same bytes, and 200 decoders would compete
// with ccd for the cores being measured.
type snapshots struct {
	mu    sync.Mutex
	bySeq map[int64]agentState
}

func (s *snapshots) keep(data []byte) (int64, error) {
	var head struct {
		Seq int64 `json:"seq"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return 0, err
	}
	s.mu.Lock()
	_, known := s.bySeq[head.Seq]
	s.mu.Unlock()
	if known {
		return head.Seq, nil
	}
	var full struct {
		Agents []struct{ ID, State, Activity string }
	}
	if err := json.Unmarshal(data, &full); err != nil {
		return 0, err
	}
	st := agentState{}
	for _, a := range full.Agents {
		st[a.ID] = stateValue(a.State, a.Activity)
	}
	s.mu.Lock()
	s.bySeq[head.Seq] = st
	s.mu.Unlock()
	return head.Seq, nil
}

func stateValue(state, activity string) string {
	if activity == "" {
		return state
	}
	return state + ":" + activity
}

// login opens a session for a user of the web interface.
func login(base string, transport http.RoundTripper, user, password string) (*session, error) {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Transport: transport}
	resp, err := c.PostForm(base+"/ui/login", url.Values{"username": {user}, "password": {password}})
	if err != nil {
		return nil, err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("login %s: %s", user, resp.Status)
	}
	return &session{client: c}, nil
}

// open starts the live stream; read then follows it until ctx ends.
func (s *session) open(ctx context.Context, base string) (*http.Response, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/ui/events", nil)
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, fmt.Errorf("GET /ui/events: %s", resp.Status)
	}
	return resp, nil
}

// read records every snapshot of the stream (server-sent events: an
// "event: snapshot" line, then its "data: " line).
func (s *session) read(resp *http.Response, snaps *snapshots) error {
	defer resp.Body.Close()
	r := bufio.NewReaderSize(resp.Body, 64<<10)
	isSnapshot := false
	for {
		line, err := r.ReadBytes('\n')
		if err != nil {
			return err
		}
		line = bytes.TrimRight(line, "\r\n")
		switch {
		case string(line) == "event: snapshot":
			isSnapshot = true
		case isSnapshot && bytes.HasPrefix(line, []byte("data: ")):
			at := time.Now()
			seq, err := snaps.keep(line[len("data: "):])
			if err != nil {
				return fmt.Errorf("snapshot: %w", err)
			}
			s.mu.Lock()
			s.arrivals = append(s.arrivals, arrival{seq: seq, at: at})
			s.mu.Unlock()
			isSnapshot = false
		case strings.HasPrefix(string(line), "event: ended"):
			return fmt.Errorf("the session ended")
		}
	}
}

func (s *session) received() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.arrivals)
}

// shown is, per agent, each state the session showed when it first showed
// it.
func (s *session) shown(snaps *snapshots) map[string][]seen {
	s.mu.Lock()
	defer s.mu.Unlock()
	snaps.mu.Lock()
	defer snaps.mu.Unlock()
	out := map[string][]seen{}
	for _, a := range s.arrivals {
		for agent, value := range snaps.bySeq[a.seq] {
			prev := out[agent]
			if len(prev) == 0 || prev[len(prev)-1].value != value {
				out[agent] = append(prev, seen{value: value, at: a.at})
			}
		}
	}
	return out
}
