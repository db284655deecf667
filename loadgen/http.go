package loadgen

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// HTTPAgents changes agents' states through ccd's REST API with a token
// that may act for any agent (api.token).
type HTTPAgents struct {
	URL    string // http://127.0.0.1:8080
	Token  string
	Client *http.Client
}

func (h HTTPAgents) do(ctx context.Context, method, path string, body map[string]string, out any) error {
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = strings.NewReader(string(b))
	}
	req, err := http.NewRequestWithContext(ctx, method, h.URL+path, r)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+h.Token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	c := h.Client
	if c == nil {
		c = http.DefaultClient
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, msg)
	}
	if out != nil {
		return json.NewDecoder(resp.Body).Decode(out)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	return nil
}

func agentPath(agent, action string) string {
	return "/api/agents/" + url.PathEscape(agent) + "/" + action
}

func (h HTTPAgents) Login(ctx context.Context, agent string) error {
	return h.do(ctx, "POST", agentPath(agent, "login"), map[string]string{}, nil)
}

func (h HTTPAgents) Ready(ctx context.Context, agent string) error {
	return h.do(ctx, "POST", agentPath(agent, "ready"), map[string]string{}, nil)
}

func (h HTTPAgents) NotReady(ctx context.Context, agent, activity string) error {
	return h.do(ctx, "POST", agentPath(agent, "not_ready"), map[string]string{"activity": activity}, nil)
}

func (h HTTPAgents) States(ctx context.Context) (map[string]string, error) {
	var all []struct{ ID, State string }
	if err := h.do(ctx, "GET", "/api/agents", nil, &all); err != nil {
		return nil, err
	}
	out := make(map[string]string, len(all))
	for _, a := range all {
		out[a.ID] = a.State
	}
	return out, nil
}
