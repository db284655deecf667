package webhook

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/config"
	"github.com/ccdhq/ccd/eventlog"
	"github.com/ccdhq/ccd/internal/apitest"
	"github.com/ccdhq/ccd/internal/pgtest"
	"github.com/ccdhq/ccd/store"
)

// loopback lets the tests' receivers, on 127.0.0.1, be reached.
var loopback = Policy{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}}

// received is one request a receiver got.
type received struct {
	method, contentType, query string
	id, timestamp, signature   string
	body                       []byte
}

// receiver is a local HTTP receiver of webhooks; answer decides each
// answer's status (nil: 204).
type receiver struct {
	srv *httptest.Server

	mu     sync.Mutex
	got    []received
	answer func(w http.ResponseWriter, r received, n int) int
}

func newReceiver(t testing.TB) *receiver {
	rc := &receiver{}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		in := received{method: r.Method, contentType: r.Header.Get("Content-Type"), query: r.URL.RawQuery,
			id: r.Header.Get("webhook-id"), timestamp: r.Header.Get("webhook-timestamp"), signature: r.Header.Get("webhook-signature"), body: body}
		rc.mu.Lock()
		rc.got = append(rc.got, in)
		n, answer := len(rc.got), rc.answer
		rc.mu.Unlock()
		status := http.StatusNoContent
		if answer != nil {
			status = answer(w, in, n)
		}
		if status != 0 {
			w.WriteHeader(status)
		}
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) setAnswer(f func(w http.ResponseWriter, r received, n int) int) {
	rc.mu.Lock()
	rc.answer = f
	rc.mu.Unlock()
}

func (rc *receiver) requests() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.got...)
}

// ids are the webhook-ids received, in order, and how often each came.
func (rc *receiver) ids() (order []string, count map[string]int) {
	count = map[string]int{}
	for _, r := range rc.requests() {
		if count[r.id] == 0 {
			order = append(order, r.id)
		}
		count[r.id]++
	}
	return order, count
}

// env is a database with the webhook tables, a feeder and a deliverer on a
// clock the test moves.
type env struct {
	t     testing.TB
	db    *store.DB
	st    Store
	clock *apitest.Clock
	feed  *Feeder
	del   *Deliverer
	next  int
}

func newEnv(t testing.TB) *env {
	db := pgtest.NewDB(t)
	e := &env{t: t, db: db, st: Store{db}, clock: apitest.NewClock()}
	e.feed = NewFeeder(db, Translator{AccountID: "4711", Loc: time.UTC}, e.clock.Now)
	e.del = newDeliverer(e.st, e.clock.Now, loopback)
	e.feed.Enqueued = e.del.Kick
	return e
}

func newDeliverer(st Store, now func() time.Time, p Policy) *Deliverer {
	return NewDeliverer(st, Options{Client: p.Client(5 * time.Second), Now: now, Poll: 20 * time.Millisecond,
		Logger: slog.New(slog.DiscardHandler)})
}

// start runs the deliverer until the test ends (or stop is called).
func (e *env) start() (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		e.del.Run(ctx, 0)
	}()
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); <-done }) }
	e.t.Cleanup(stop)
	return stop
}

func (e *env) subscribe(id, url, format string, events ...string) Subscription {
	e.t.Helper()
	sub, _, err := e.st.Put(context.Background(), config.WebhookSubscription{ID: id, URL: url, Format: format, Events: events}, true, false)
	if err != nil {
		e.t.Fatal(err)
	}
	return sub
}

// ring appends n inbound direct calls ringing extension 1002 and moves them
// into the outbox; it returns their msg_ids in order.
func (e *env) ring(n int) []string {
	e.t.Helper()
	evs := make([]eventlog.Event, n)
	for i := range evs {
		e.next++
		evs[i] = eventlog.Event{At: e.clock.Now(), Kind: ccd.EventPBXDial, Source: eventlog.SourceAMI, CallID: fmt.Sprintf("call-%d", e.next),
			Key: fmt.Sprintf("test-%d", e.next), Payload: eventlog.Payload(map[string]any{"from": "004512345678", "to": "1002",
				"dest_channel": "PJSIP/1002-0001", "direction": "inbound", "acd": false})}
	}
	return e.appendEvents(evs...)
}

// appendEvents writes events into the log and feeds the outbox; it returns
// the msg_ids of the messages they make, in order.
func (e *env) appendEvents(evs ...eventlog.Event) []string {
	e.t.Helper()
	ctx := context.Background()
	ids, err := store.EventSink{DB: e.db}.AppendIDs(ctx, evs)
	if err != nil {
		e.t.Fatal(err)
	}
	var msgIDs []string
	for i, ev := range evs {
		ev.ID = ids[i]
		for _, m := range e.feed.tr.Messages(ev) {
			msgIDs = append(msgIDs, fmt.Sprintf("msg_%d_%s", ev.ID, m.Type))
		}
	}
	e.drain()
	return msgIDs
}

// drain feeds the outbox until the feeder has read the whole log.
func (e *env) drain() {
	e.t.Helper()
	for {
		n, err := e.feed.Step(context.Background())
		if err != nil {
			e.t.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
}

func (e *env) letter(sub, msgID string) Letter {
	e.t.Helper()
	var l Letter
	if err := e.db.Get(&l, `SELECT `+letterColumns+` FROM webhook_outbox WHERE subscription = $1 AND msg_id = $2`, sub, msgID); err != nil {
		e.t.Fatal(err)
	}
	return l
}

// advance moves the clock and wakes the deliverer.
func (e *env) advance(d time.Duration) {
	e.clock.Add(d)
	e.del.Kick()
}

// waitFor polls cond until it holds; the test fails after a generous limit.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	limit := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(limit) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// verify checks a request's signature as a receiver would, by the Standard
// Webhooks specification alone: the key is the base64 after "whsec_", the
// signed content "<id>.<timestamp>.<body>", the header one or more
// space-separated "v1,<base64 HMAC-SHA256>".
func verify(secret string, r received) error {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return err
	}
	if _, err := strconv.ParseInt(r.timestamp, 10, 64); err != nil || r.id == "" {
		return fmt.Errorf("missing webhook-id or webhook-timestamp: %q %q", r.id, r.timestamp)
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(r.id + "." + r.timestamp + "." + string(r.body)))
	want := mac.Sum(nil)
	for _, s := range strings.Fields(r.signature) {
		v, sig, ok := strings.Cut(s, ",")
		if !ok || v != "v1" {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(sig)
		if err == nil && hmac.Equal(got, want) {
			return nil
		}
	}
	return fmt.Errorf("no valid v1 signature in %q", r.signature)
}

func configOf(s Subscription) config.WebhookSubscription {
	return config.WebhookSubscription{ID: s.ID, URL: s.URL, Format: s.Format, Secret: s.Secret, Events: s.Events}
}
