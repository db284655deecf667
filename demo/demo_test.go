package demo_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/ccdhq/ccd/demo"
	"github.com/ccdhq/ccd/internal/daemontest"
	"github.com/ccdhq/ccd/internal/pgtest"
	_ "github.com/lib/pq"
)

// The demo moves by itself: callers arrive and are answered by the
// simulated agents, agents pause with an activity, and the real-time view
// shows it; the dialer campaign calls its numbers; every login is
// generated, none repeats.
func TestDemoRunsACallCenter(t *testing.T) {
	dsn := pgtest.NewEmptyDB(t)
	d, err := demo.Start(context.Background(), demo.Options{Listen: daemontest.FreeAddr(t), DatabaseURL: dsn,
		// Few enough callers and pauses that agents are ready now and then:
		// the generator pauses only a ready agent, and the progressive
		// campaign dials only for one (inbound callers go first). 30 callers
		// a minute and a pause every 300 ms kept all three agents busy on a
		// loaded machine, and the campaign placed one call in a minute.
		Agents: 3, CallsPerMinute: 6, PauseEvery: 3 * time.Second, UserCost: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := d.Stop(); err != nil {
			t.Errorf("stop: %v", err)
		}
	}()
	seen := map[string]bool{d.Token: true}
	for _, c := range d.Users {
		if len(c.Password) < 20 || seen[c.Password] {
			t.Fatalf("password of %s: %q", c.User, c.Password)
		}
		seen[c.Password] = true
	}
	if len(d.Users) != 5 {
		t.Fatalf("%d users, want a supervisor, an admin and 3 agents", len(d.Users))
	}

	get := func(path string, out any) {
		req, _ := http.NewRequest("GET", d.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+d.Token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
	}
	db, err := sql.Open("postgres", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// The campaign dials its generated numbers, one after another, and
	// stores what became of them.
	dialed := func() (placed, ended int) {
		err := db.QueryRow(`SELECT count(*), count(result) FROM dialer.attempt WHERE campaign_id=$1`,
			d.CampaignID).Scan(&placed, &ended)
		if err != nil {
			t.Fatal(err)
		}
		return placed, ended
	}
	var onCall, paused bool
	var placed, ended int
	deadline := time.Now().Add(60 * time.Second)
	for !(onCall && paused && placed >= 2 && ended > 0) {
		if time.Now().After(deadline) {
			t.Fatalf("within 60 s: an agent on a call %v, an agent paused %v (%d calls placed), campaign calls %d, ended %d",
				onCall, paused, d.Load.Calls(), placed, ended)
		}
		placed, ended = dialed()
		var agents []struct{ State, Activity string }
		get("/api/agents", &agents)
		for _, a := range agents {
			onCall = onCall || a.State == "on_call"
			paused = paused || (a.State == "not_ready" && a.Activity != "")
		}
		time.Sleep(100 * time.Millisecond)
	}
}
