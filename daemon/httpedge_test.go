package daemon_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// The api.* limits and the agents' emails reach the HTTP server.
func TestHTTPEdgeFollowsTheConfiguration(t *testing.T) {
	h := newHarness(t)
	h.cfg.API.MaxBodyBytes = 2048
	h.cfg.API.LoginMaxFailures = 2
	h.cfg.ACD.Agents[0].Password = "agent-password-1"
	h.cfg.ACD.Agents[0].Name = "Ada Lovelace"
	h.cfg.ACD.Agents[0].Email = "ada@example.com"
	h.start()
	login := func(body string) (int, string, http.Header) {
		t.Helper()
		resp, err := http.Post("http://"+h.cfg.Listen+"/api/v1/login", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), resp.Header
	}
	if code, body, _ := login(`{"username":"a1","password":"` + strings.Repeat("x", 4096) + `"}`); code != 413 {
		t.Fatalf("body over api.max_body_bytes: %d %s", code, body)
	}
	code, body, hdr := login(`{"username":"a1","password":"agent-password-1"}`)
	var ok struct {
		User map[string]string `json:"user"`
	}
	if err := json.Unmarshal([]byte(body), &ok); code != 200 || err != nil || ok.User["email"] != "ada@example.com" || hdr.Get("Cache-Control") != "no-store" {
		t.Fatalf("login: %d %s", code, body)
	}
	for range 2 {
		if code, body, _ := login(`{"username":"a1","password":"wrong"}`); code != 404 {
			t.Fatalf("wrong password: %d %s", code, body)
		}
	}
	if code, body, hdr := login(`{"username":"a1","password":"agent-password-1"}`); code != 429 || hdr.Get("Retry-After") == "" {
		t.Fatalf("after api.login_max_failures failures: %d %s", code, body)
	}
}
