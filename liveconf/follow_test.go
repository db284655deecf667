package liveconf

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/config"
	"github.com/ccdhq/ccd/eventlog"
	"github.com/ccdhq/ccd/internal/pgtest"
	"github.com/ccdhq/ccd/store"
)

// instance is one ccd's Manager; applied hears every configuration it
// makes the running one.
type instance struct {
	m       *Manager
	applied chan config.ACD
}

func newInstance(t testing.TB, db Store) *instance {
	t.Helper()
	file := config.ACD{
		Queues: []config.Queue{{Code: "sales"}},
		Routes: []config.Route{{DNIS: "100", Queue: "sales"}},
		Agents: []config.Agent{{ID: "a1", Name: "Ann", Endpoint: "PJSIP/1001"}},
	}
	in := &instance{applied: make(chan config.ACD, 64)}
	var err error
	in.m, err = New(file, func(_ context.Context, c config.ACD) error { in.applied <- c; return nil }, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := in.m.Load(t.Context(), db); err != nil {
		t.Fatal(err)
	}
	<-in.applied // the database's, at Load
	return in
}

// waitApplied waits until the instance applies a configuration for which
// ok holds, and returns it.
func (in *instance) waitApplied(t testing.TB, what string, ok func(config.ACD) bool) config.ACD {
	t.Helper()
	timeout := time.After(20 * time.Second)
	for {
		select {
		case c := <-in.applied:
			if ok(c) {
				return c
			}
		case <-timeout:
			t.Fatalf("timed out waiting for %s", what)
			return config.ACD{}
		}
	}
}

func hasQueue(code string) func(config.ACD) bool {
	return func(c config.ACD) bool {
		return slices.ContainsFunc(c.Queues, func(q config.Queue) bool { return q.Code == code })
	}
}

// Two ccd on one database: a change made through the first is applied by
// the second, which hears of it by LISTEN/NOTIFY, including after its
// listening connection was cut (the reconnection reads again what it may
// have missed). The periodic reload is an hour away: it plays no part.
func TestAChangeReachesAnotherInstance(t *testing.T) {
	db := pgtest.NewDB(t)
	ctx := t.Context()
	first, second := newInstance(t, db), newInstance(t, db)
	go second.m.Follow(ctx, db.Listen(ctx, store.ConfigChannel), time.Hour)

	if _, _, err := first.m.PutConfigItem(ctx, admin, ccd.ConfigQueue, "support", []byte(`{"skills":{"support":1}}`)); err != nil {
		t.Fatal(err)
	}
	if got := second.waitApplied(t, "queue support on the second instance", hasQueue("support")).Queues; len(got) != 2 || got[1].Skills["support"] != 1 {
		t.Fatalf("second instance's queues %+v", got)
	}

	var cut int
	if err := db.Get(&cut, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE datname = current_database() AND query LIKE 'LISTEN %'`); err != nil || cut != 1 {
		t.Fatalf("cutting the listening connection: %d cut, %v", cut, err)
	}
	if err := first.m.DeleteConfigItem(ctx, admin, ccd.ConfigQueue, "support"); err != nil {
		t.Fatal(err)
	}
	second.waitApplied(t, "queue support removed on the second instance", func(c config.ACD) bool { return !hasQueue("support")(c) })
	if _, _, err := first.m.PutConfigItem(ctx, admin, ccd.ConfigQueue, "billing", []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	second.waitApplied(t, "queue billing on the second instance", hasQueue("billing"))
}

// A change the instance does not hear of (no listener here: as when a
// notification is lost) is applied by the periodic reload.
func TestPeriodicReloadCatchesAMissedChange(t *testing.T) {
	db := pgtest.NewDB(t)
	ctx := t.Context()
	in := newInstance(t, db)
	go in.m.Follow(ctx, nil, 20*time.Millisecond)
	audit := eventlog.Event{At: time.Now(), Kind: ccd.EventConfigChanged, Source: eventlog.SourceAPI, Key: "unheard"}
	if err := db.PutACDConfig(ctx, ccd.ConfigQueue, "unheard", []byte(`{"code":"unheard"}`), audit); err != nil {
		t.Fatal(err)
	}
	in.waitApplied(t, "the unheard queue", hasQueue("unheard"))
}

// An instance's own change, heard back from the database, is not applied
// a second time.
func TestOwnChangeIsNotAppliedTwice(t *testing.T) {
	db := pgtest.NewDB(t)
	ctx := t.Context()
	in := newInstance(t, db)
	if _, _, err := in.m.PutConfigItem(ctx, admin, ccd.ConfigAgent, "a2", []byte(`{"name":"Bob","endpoint":"PJSIP/1002","skills":{"sales":3}}`)); err != nil {
		t.Fatal(err)
	}
	<-in.applied // the change itself
	if changed, err := in.m.Reload(ctx); err != nil || changed {
		t.Fatalf("reload after the instance's own change: changed %v, %v", changed, err)
	}
}

// BenchmarkChangeReachesAnotherInstance measures a change made through one
// Manager until another on the same database has applied it: the write and
// its audit, the commit, the notification, the second's read of the whole
// configuration and its apply. Reported: p50 and p99.
//
//	go run ./internal/tools/withpg -- go test -run '^$' -bench ChangeReachesAnotherInstance -benchtime 300x ./liveconf/
func BenchmarkChangeReachesAnotherInstance(b *testing.B) {
	db := pgtest.NewDB(b)
	ctx := b.Context()
	first, second := newInstance(b, db), newInstance(b, db)
	go func() { // the first's own applies are not measured
		for range first.applied {
		}
	}()
	go second.m.Follow(ctx, db.Listen(ctx, store.ConfigChannel), time.Hour)
	// Listening once the second has taken a change made for it.
	if _, _, err := first.m.PutConfigItem(ctx, admin, ccd.ConfigQueue, "warmup", []byte(`{}`)); err != nil {
		b.Fatal(err)
	}
	second.waitApplied(b, "the warm-up change", hasQueue("warmup"))
	took := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		level := i%10 + 1
		start := time.Now()
		if _, err := first.m.SetSkill(ctx, admin, "a1", "sales", level); err != nil {
			b.Fatal(err)
		}
		second.waitApplied(b, "the skill change", func(c config.ACD) bool { return c.Agents[0].Skills["sales"] == level })
		took = append(took, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(took[len(took)*99/100].Microseconds())/1000, "p99-ms")
}
