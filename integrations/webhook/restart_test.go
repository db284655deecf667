package webhook

import (
	"context"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/eventlog"
	"github.com/ccdhq/ccd/internal/pgtest"
	"github.com/ccdhq/ccd/store"
)

// childDSN, in the environment, makes TestChildProcess a feeder and
// deliverer on that database until it is killed.
const childDSN = "CCD_WEBHOOK_TEST_CHILD_DSN"

func TestChildProcess(t *testing.T) {
	dsn := os.Getenv(childDSN)
	if dsn == "" {
		t.Skip("the process the restart test starts and kills")
	}
	ctx := context.Background()
	db, err := store.Open(ctx, dsn, 4, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	st := Store{db}
	del := newDeliverer(st, time.Now, loopback)
	feed := NewFeeder(db, Translator{AccountID: "4711"}, time.Now)
	feed.Enqueued = del.Kick
	go feed.Run(ctx, nil, 10*time.Millisecond, slog.New(slog.DiscardHandler))
	del.Run(ctx, 0)
}

// startChild runs the feeder and deliverer in a process of their own.
func startChild(t *testing.T, dsn string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^TestChildProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), childDSN+"="+dsn)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	return cmd
}

// ccd killed (SIGKILL) in the middle of a delivery and started again: every
// message arrives, in order; the ones the outbox had marked delivered never
// again; repeats only among those sent and not yet marked (at least once).
func TestKilledMidDeliveryLosesNothing(t *testing.T) {
	dsn := pgtest.NewEmptyDB(t)
	db := pgtest.OpenMigrated(t, dsn)
	e := &env{t: t, db: db, st: Store{db}}
	rc := newReceiver(t)
	const total, killAt = 300, 100
	kill := make(chan struct{})
	killed := make(chan struct{})
	var once sync.Once
	rc.setAnswer(func(w http.ResponseWriter, r received, n int) int {
		if n == killAt {
			once.Do(func() { close(kill) })
			<-killed // the process dies while this delivery is in flight
		}
		return http.StatusOK
	})
	e.subscribe("crm", rc.srv.URL, "form")
	var want []string
	evs := make([]eventlog.Event, total)
	for i := range evs {
		evs[i] = eventlog.Event{At: time.Now(), Kind: ccd.EventCallAnswered, Source: eventlog.SourceACD, CallID: "c",
			Agent: "1001", Key: "kill-" + itoa(int64(i))}
	}
	ids, err := store.EventSink{DB: db}.AppendIDs(context.Background(), evs)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		want = append(want, "msg_"+itoa(id)+"_answered")
	}

	first := startChild(t, dsn)
	select {
	case <-kill:
	case <-time.After(60 * time.Second):
		t.Fatal("the first process delivered nothing")
	}
	_ = first.Process.Kill()
	_ = first.Wait()
	close(killed)
	var acknowledged []string
	if err := db.Select(&acknowledged, `SELECT msg_id FROM webhook_outbox WHERE state = 'delivered'`); err != nil {
		t.Fatal(err)
	}
	if len(acknowledged) == 0 || len(acknowledged) >= killAt {
		t.Fatalf("%d letters marked delivered at the kill, want some and fewer than the %d sent", len(acknowledged), killAt)
	}

	startChild(t, dsn)
	waitFor(t, "every message after the restart", func() bool { _, c := rc.ids(); return len(c) == total })
	order, count := rc.ids()
	if !slices.Equal(order, want) {
		t.Errorf("first arrivals out of order")
	}
	for _, id := range acknowledged {
		if count[id] != 1 {
			t.Errorf("%s was acknowledged before the kill and arrived %d times", id, count[id])
		}
	}
	repeats := 0
	for _, c := range count {
		repeats += c - 1
	}
	if repeats > 32+1 { // FlushEvery letters sent and not yet marked, and the one in flight
		t.Errorf("%d repeats, more than the letters in flight at the kill", repeats)
	}
	var pending int
	waitFor(t, "the outbox marked", func() bool {
		_ = db.Get(&pending, `SELECT count(*) FROM webhook_outbox WHERE state <> 'delivered'`)
		return pending == 0
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// Two feeders on one log (two ccd on one database) put each message into
// the outbox once: letters and cursor commit together, and the one whose
// cursor moved meanwhile writes nothing.
func TestFeedersWriteEachLetterOnce(t *testing.T) {
	e := newEnv(t)
	e.subscribe("a", "http://crm.example.com/a", "json")
	e.subscribe("b", "http://crm.example.com/b", "json", Ringing)
	const n = 400
	evs := make([]eventlog.Event, n)
	for i := range evs {
		evs[i] = eventlog.Event{At: e.clock.Now(), Kind: ccd.EventPBXDial, Source: eventlog.SourceAMI, CallID: "l" + itoa(int64(i)),
			Key: "dial-" + itoa(int64(i)), Payload: eventlog.Payload(map[string]any{"from": "1003", "to": "1004", "direction": "internal"})}
	}
	if _, err := (store.EventSink{DB: e.db}).AppendIDs(context.Background(), evs); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 2 {
		f := NewFeeder(e.db, Translator{AccountID: "4711"}, e.clock.Now)
		f.Batch = 7
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				k, err := f.Step(context.Background())
				if err != nil {
					continue // the other moved the cursor: read again
				}
				if k == 0 {
					return
				}
			}
		}()
	}
	wg.Wait()
	var rows []struct {
		Subscription string `db:"subscription"`
		Type         string `db:"type"`
		N            int    `db:"n"`
	}
	if err := e.db.Select(&rows, `SELECT subscription, type, count(*) AS n FROM webhook_outbox GROUP BY 1, 2 ORDER BY 1, 2`); err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"a/outgoing": n, "a/ringing": n, "b/ringing": n}
	if len(rows) != len(want) {
		t.Fatalf("outbox %+v, want %v", rows, want)
	}
	for _, r := range rows {
		if want[r.Subscription+"/"+r.Type] != r.N {
			t.Errorf("%s/%s: %d letters, want %d", r.Subscription, r.Type, r.N, want[r.Subscription+"/"+r.Type])
		}
	}
	pos, _, err := e.db.Consumer(context.Background(), ConsumerName)
	if err != nil || pos.LastID == 0 {
		t.Errorf("cursor %+v, %v", pos, err)
	}
}
