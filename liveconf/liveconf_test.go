package liveconf

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/config"
	"github.com/ccdhq/ccd/eventlog"
	"github.com/ccdhq/ccd/store"
)

// memStore is the database in memory.
type memStore struct {
	mu      sync.Mutex
	items   map[string]store.ConfigItem
	audits  []eventlog.Event // stored with the changes
	failPut bool
}

func (s *memStore) ACDConfig(context.Context) ([]store.ConfigItem, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []store.ConfigItem
	for _, it := range s.items {
		out = append(out, it)
	}
	return out, nil
}

func (s *memStore) SeedACDConfig(_ context.Context, items func() ([]store.ConfigItem, error), audit eventlog.Event) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.items) > 0 {
		return false, nil
	}
	seed, err := items()
	for _, it := range seed {
		s.items[it.Kind+"/"+it.ID] = it
	}
	s.audits = append(s.audits, audit)
	return true, err
}

func (s *memStore) PutACDConfig(_ context.Context, kind, id string, item json.RawMessage, audit eventlog.Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failPut {
		return errors.New("database down")
	}
	s.items[kind+"/"+id] = store.ConfigItem{Kind: kind, ID: id, Position: int64(len(s.items) + 1), Item: item}
	s.audits = append(s.audits, audit)
	return nil
}

func (s *memStore) DeleteACDConfig(_ context.Context, kind, id string, audit eventlog.Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.items, kind+"/"+id)
	s.audits = append(s.audits, audit)
	return nil
}

type fixture struct {
	m       *Manager
	db      *memStore
	applied []config.ACD
}

func newFixture(t *testing.T) *fixture {
	f := &fixture{db: &memStore{items: map[string]store.ConfigItem{}}}
	file := config.ACD{
		Queues: []config.Queue{{Code: "sales"}},
		Routes: []config.Route{{DNIS: "100", Queue: "sales"}},
		Agents: []config.Agent{{ID: "a1", Name: "Ann", Endpoint: "PJSIP/1001", Password: "ann-password-0123456789"}},
	}
	var err error
	f.m, err = New(file, func(_ context.Context, c config.ACD) error { f.applied = append(f.applied, c); return nil }, nil)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

var admin = ccd.NewPrincipal(ccd.Admin, "admin")

// Agents' passwords: the file's before the database is read, the stored
// hash after, and none once the agent is removed.
func TestPasswordsFollowTheLiveConfiguration(t *testing.T) {
	f := newFixture(t)
	if known, ok := f.m.CheckPassword("a1", "ann-password-0123456789"); !known || !ok {
		t.Fatalf("the file's password: known %v ok %v", known, ok)
	}
	if _, _, err := f.m.PutConfigItem(context.Background(), admin, ccd.ConfigQueue, "q", []byte(`{}`)); ccd.ErrorCode(err) != ccd.EUNAVAILABLE {
		t.Fatalf("a change before the database is read: %v", err)
	}
	if err := f.m.Load(context.Background(), f.db); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(f.db.items["agent/a1"].Item), "ann-password") {
		t.Fatalf("stored in clear: %s", f.db.items["agent/a1"].Item)
	}
	if known, ok := f.m.CheckPassword("a1", "ann-password-0123456789"); !known || !ok {
		t.Fatalf("the stored hash: known %v ok %v", known, ok)
	}
	if _, ok := f.m.CheckPassword("a1", "wrong-password-0123456789"); ok {
		t.Fatal("a wrong password passed")
	}
	// A change that does not name the password keeps it.
	if _, _, err := f.m.PutConfigItem(context.Background(), admin, ccd.ConfigAgent, "a1", []byte(`{"name":"Ann B","endpoint":"PJSIP/1001"}`)); err != nil {
		t.Fatal(err)
	}
	if _, ok := f.m.CheckPassword("a1", "ann-password-0123456789"); !ok {
		t.Fatal("an update without a password dropped it")
	}
	if name, _ := f.m.Profile("a1"); name != "Ann B" {
		t.Fatalf("profile name %q", name)
	}
	if err := f.m.DeleteConfigItem(context.Background(), admin, ccd.ConfigAgent, "a1"); err != nil {
		t.Fatal(err)
	}
	if known, _ := f.m.CheckPassword("a1", "ann-password-0123456789"); known {
		t.Fatal("a removed agent still has a password")
	}
}

// Removing a queue a route names is a conflict naming the route; nothing
// is applied, stored or audited.
func TestRemovingAReferencedQueueIsAConflict(t *testing.T) {
	f := newFixture(t)
	if err := f.m.Load(context.Background(), f.db); err != nil {
		t.Fatal(err)
	}
	applied, events := len(f.applied), len(f.db.audits)
	err := f.m.DeleteConfigItem(context.Background(), admin, ccd.ConfigQueue, "sales")
	var e *ccd.Error
	if !errors.As(err, &e) || e.Code != ccd.ECONFLICT || !strings.Contains(e.Message, `route "100": queue`) {
		t.Fatalf("removing the routed queue: %v", err)
	}
	if len(f.applied) != applied || len(f.db.audits) != events || f.db.items["queue/sales"].ID == "" {
		t.Fatal("a refused change was applied, audited or stored")
	}
}

// A change the database does not take is undone on the running side.
func TestAChangeNotStoredIsUndone(t *testing.T) {
	f := newFixture(t)
	if err := f.m.Load(context.Background(), f.db); err != nil {
		t.Fatal(err)
	}
	f.db.failPut = true
	if _, _, err := f.m.PutConfigItem(context.Background(), admin, ccd.ConfigQueue, "vip", []byte(`{}`)); err == nil {
		t.Fatal("no error when the database refused")
	}
	last := f.applied[len(f.applied)-1]
	if len(last.Queues) != 1 || len(f.m.Current().Queues) != 1 {
		t.Fatalf("running %d queues, current %d: the change was not undone", len(last.Queues), len(f.m.Current().Queues))
	}
}
