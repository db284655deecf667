package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/eventlog"
)

// Every format carries the seed's fields with their names, and each
// request's signature verifies by the specification alone.
func TestFormatsAndSignatures(t *testing.T) {
	e := newEnv(t)
	rc := newReceiver(t)
	subs := map[string]Subscription{
		"g": e.subscribe("g", rc.srv.URL+"/hook?src=ccd&kind={event}", "get"),
		"f": e.subscribe("f", rc.srv.URL+"/hook", "form"),
		"j": e.subscribe("j", rc.srv.URL+"/hook", "json"),
	}
	e.start()
	at := e.clock.Now()
	ids := e.appendEvents(eventlog.Event{At: at, Kind: ccd.EventCallAnswered, Source: eventlog.SourceACD, CallID: "c1", Agent: "1001",
		CLID: "+4512345678", Key: "answered-1"})
	waitFor(t, "three deliveries", func() bool { return len(rc.requests()) == 3 })
	want := [][2]string{{"AccountId", "4711"}, {"UniqueCallId", "c1"}, {"EmployeeLocalNumber", "1001"}, {"ANumber", "+4512345678"},
		{"TimeStamp", at.Format(TimeFormat)}}
	for _, r := range rc.requests() {
		if r.id != ids[0] {
			t.Errorf("webhook-id %q, want %q (the event id and the kind)", r.id, ids[0])
		}
		var got [][2]string
		var secret string
		switch r.method + " " + r.contentType {
		case "GET ":
			secret = subs["g"].Secret
			q, _ := url.ParseQuery(r.query)
			if q.Get("src") != "ccd" || q.Get("kind") != Answered {
				t.Errorf("GET query %q lost the URL's own parameters or {event}", r.query)
			}
			got = pairs(t, strings.TrimPrefix(r.query, "src=ccd&kind=answered&"))
			if len(r.body) != 0 {
				t.Errorf("GET with a body %q", r.body)
			}
		case "POST application/x-www-form-urlencoded":
			secret = subs["f"].Secret
			got = pairs(t, string(r.body))
		case "POST application/json":
			secret = subs["j"].Secret
			dec := json.NewDecoder(strings.NewReader(string(r.body)))
			if tok, _ := dec.Token(); tok != json.Delim('{') {
				t.Fatalf("JSON body %s", r.body)
			}
			for dec.More() {
				k, _ := dec.Token()
				v, _ := dec.Token()
				got = append(got, [2]string{k.(string), v.(string)})
			}
		default:
			t.Fatalf("unexpected request %s %q", r.method, r.contentType)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s %s fields %v, want %v", r.method, r.contentType, got, want)
		}
		if err := verify(secret, r); err != nil {
			t.Errorf("%s %s: %v", r.method, r.contentType, err)
		}
		if err := verify(NewSecret(), r); err == nil {
			t.Errorf("%s %s: verifies with another secret", r.method, r.contentType)
		}
	}
}

func pairs(t *testing.T, q string) [][2]string {
	var out [][2]string
	for _, p := range strings.Split(q, "&") {
		k, v, _ := strings.Cut(p, "=")
		k, _ = url.QueryUnescape(k)
		v, _ = url.QueryUnescape(v)
		out = append(out, [2]string{k, v})
	}
	return out
}

// A receiver down for ten minutes loses nothing: the letters wait by the
// schedule (immediately, 5 s, 5 min, 30 min) and arrive, in order, once,
// at the first attempt after it is back.
func TestReceiverDownTenMinutes(t *testing.T) {
	e := newEnv(t)
	rc := newReceiver(t)
	start := e.clock.Now()
	rc.setAnswer(func(w http.ResponseWriter, r received, n int) int {
		if e.clock.Now().Sub(start) < 10*time.Minute {
			return http.StatusServiceUnavailable
		}
		return http.StatusOK
	})
	e.subscribe("crm", rc.srv.URL, "json")
	e.start()
	ids := e.ring(5)
	first := ids[0]
	attempts := func(n int) func() bool {
		return func() bool { return e.letter("crm", first).Attempts == n }
	}
	waitFor(t, "the immediate attempt", attempts(1))
	if l := e.letter("crm", first); !l.NextAt.Equal(start.Add(5*time.Second)) || l.LastStatus != 503 {
		t.Fatalf("after the first failure: next %s status %d, want +5s and 503", l.NextAt.Sub(start), l.LastStatus)
	}
	e.advance(5 * time.Second)
	waitFor(t, "the 5 s retry", attempts(2))
	if l := e.letter("crm", first); !l.NextAt.Equal(start.Add(5*time.Second + 5*time.Minute)) {
		t.Fatalf("after the second failure: next at +%s, want +5m5s", l.NextAt.Sub(start))
	}
	e.advance(5 * time.Minute)
	waitFor(t, "the 5 min retry", attempts(3))
	e.advance(10 * time.Minute) // the receiver is back; the next attempt is at +35m5s
	if got := len(rc.requests()); got != 3 {
		t.Fatalf("%d requests before the 30 min retry is due, want 3", got)
	}
	e.advance(20 * time.Minute)
	waitFor(t, "every letter delivered", func() bool {
		_, count := rc.ids()
		return len(count) == len(ids)
	})
	order, count := rc.ids()
	if !slices.Equal(order, ids) {
		t.Errorf("delivered in the order %v, want %v", order, ids)
	}
	for _, id := range ids[1:] {
		if count[id] != 1 {
			t.Errorf("%s received %d times, want once (it waited behind the first)", id, count[id])
		}
	}
	if count[first] != 4 {
		t.Errorf("the first letter was tried %d times, want 4 (3 failures, 1 success)", count[first])
	}
	if e.del.Stats.Delivered.Load() != 5 || e.del.Stats.Failed.Load() != 3 {
		t.Errorf("stats delivered %d failed %d, want 5 and 3", e.del.Stats.Delivered.Load(), e.del.Stats.Failed.Load())
	}
}

// After the last attempt of the schedule a letter is dead: the next one
// goes, and an admin replays the dead one.
func TestDeadLetterAndReplay(t *testing.T) {
	e := newEnv(t)
	rc := newReceiver(t)
	var failFirst atomic.Bool
	failFirst.Store(true)
	rc.setAnswer(func(w http.ResponseWriter, r received, n int) int {
		if failFirst.Load() && strings.HasSuffix(r.id, "_ringing") && n <= len(Schedule) {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	})
	e.subscribe("crm", rc.srv.URL, "json")
	e.start()
	ids := e.ring(2)
	for i := 1; i < len(Schedule); i++ {
		waitFor(t, "attempt", func() bool { return e.letter("crm", ids[0]).Attempts == i })
		e.advance(Schedule[i])
	}
	waitFor(t, "the dead letter", func() bool { return e.letter("crm", ids[0]).State == "dead" })
	waitFor(t, "the next letter", func() bool { return e.letter("crm", ids[1]).State == "delivered" })
	dead, err := e.st.DeadLetters(context.Background(), "crm", 0, 10)
	if err != nil || len(dead) != 1 || dead[0].MsgID != ids[0] || dead[0].Attempts != len(Schedule) || dead[0].Fields["EmployeeLocalNumber"] != "1002" {
		t.Fatalf("dead letters %+v, %v", dead, err)
	}
	failFirst.Store(false)
	if n, err := e.st.Replay(context.Background(), "crm", nil, e.clock.Now()); err != nil || n != 1 {
		t.Fatalf("replay: %d, %v", n, err)
	}
	e.del.Kick()
	waitFor(t, "the replayed letter", func() bool { return e.letter("crm", ids[0]).State == "delivered" })
	if e.del.Stats.Dead.Load() != 1 {
		t.Errorf("dead count %d", e.del.Stats.Dead.Load())
	}
}

// 410 Gone disables the subscription: nothing more is sent until an admin
// enables it, and then nothing was lost.
func TestGoneDisablesTheSubscription(t *testing.T) {
	e := newEnv(t)
	rc := newReceiver(t)
	var gone atomic.Bool
	gone.Store(true)
	rc.setAnswer(func(w http.ResponseWriter, r received, n int) int {
		if gone.Load() {
			return http.StatusGone
		}
		return http.StatusOK
	})
	sub := e.subscribe("crm", rc.srv.URL, "json")
	e.start()
	ids := e.ring(3)
	waitFor(t, "the subscription disabled", func() bool {
		s, _ := e.st.Subscription(context.Background(), "crm")
		return !s.Enabled
	})
	e.advance(24 * time.Hour)
	more := e.ring(1) // a disabled subscription gets no new letters
	time.Sleep(100 * time.Millisecond)
	if n := len(rc.requests()); n != 1 {
		t.Fatalf("%d requests to a receiver that said 410, want 1", n)
	}
	if s, _ := e.st.Subscription(context.Background(), "crm"); !strings.Contains(s.DisabledReason, "410") {
		t.Errorf("disabled reason %q", s.DisabledReason)
	}
	gone.Store(false)
	if _, _, err := e.st.Put(context.Background(), configOf(sub), true, false); err != nil {
		t.Fatal(err)
	}
	e.del.Kick()
	waitFor(t, "the letters after enabling", func() bool { _, c := rc.ids(); return len(c) == 3 })
	order, _ := rc.ids()
	if !slices.Equal(order, ids) || slices.Contains(order, more[0]) {
		t.Errorf("received %v, want %v", order, ids)
	}
}

// 429 and 503 with Retry-After wait as long as the receiver asks, not by
// the schedule.
func TestRetryAfterIsHonoured(t *testing.T) {
	for _, status := range []int{http.StatusTooManyRequests, http.StatusServiceUnavailable} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			e := newEnv(t)
			rc := newReceiver(t)
			rc.setAnswer(func(w http.ResponseWriter, r received, n int) int {
				if n == 1 {
					w.Header().Set("Retry-After", "120")
					return status
				}
				return http.StatusOK
			})
			e.subscribe("crm", rc.srv.URL, "json")
			e.start()
			ids := e.ring(1)
			waitFor(t, "the first attempt", func() bool { return e.letter("crm", ids[0]).Attempts == 1 })
			if l := e.letter("crm", ids[0]); !l.NextAt.Equal(e.clock.Now().Add(2 * time.Minute)) {
				t.Fatalf("next attempt in %s, want the receiver's 2m", l.NextAt.Sub(e.clock.Now()))
			}
			e.advance(5 * time.Second) // the schedule's second attempt would be now
			time.Sleep(100 * time.Millisecond)
			if n := len(rc.requests()); n != 1 {
				t.Fatalf("%d requests before Retry-After passed", n)
			}
			e.advance(115 * time.Second)
			waitFor(t, "the retry", func() bool { return e.letter("crm", ids[0]).State == "delivered" })
		})
	}
}

// A receiver that never answers holds up its own subscription only.
func TestSlowReceiverDoesNotHoldUpOthers(t *testing.T) {
	e := newEnv(t)
	slow, fast := newReceiver(t), newReceiver(t)
	release := make(chan struct{})
	slow.setAnswer(func(w http.ResponseWriter, r received, n int) int { <-release; return http.StatusOK })
	t.Cleanup(func() { close(release) })
	e.subscribe("slow", slow.srv.URL, "json")
	e.subscribe("fast", fast.srv.URL, "json")
	e.start()
	ids := e.ring(1)
	waitFor(t, "the slow receiver holding the first letter", func() bool { return len(slow.requests()) == 1 })
	ids = append(ids, e.ring(50)...)
	waitFor(t, "the fast receiver's letters", func() bool { _, c := fast.ids(); return len(c) == len(ids) })
	if n := len(slow.requests()); n != 1 {
		t.Errorf("the slow receiver got %d requests, want the first only", n)
	}
}

// Redirects are the receiver's answer, not followed; a huge answer is read
// only up to a bound; the outbox records what happened.
func TestRedirectsAndHugeAnswers(t *testing.T) {
	e := newEnv(t)
	elsewhere := newReceiver(t)
	redirect, huge := newReceiver(t), newReceiver(t)
	redirect.setAnswer(func(w http.ResponseWriter, r received, n int) int {
		w.Header().Set("Location", elsewhere.srv.URL)
		return http.StatusFound
	})
	huge.setAnswer(func(w http.ResponseWriter, r received, n int) int {
		w.WriteHeader(http.StatusOK)
		chunk := []byte(strings.Repeat("x", 64<<10))
		for { // an endless answer: a reader without a bound never finishes
			if _, err := w.Write(chunk); err != nil {
				return 0
			}
		}
	})
	e.subscribe("redirect", redirect.srv.URL, "json")
	e.subscribe("huge", huge.srv.URL, "json")
	e.start()
	ids := e.ring(2)
	waitFor(t, "the redirect recorded", func() bool { return e.letter("redirect", ids[0]).Attempts == 1 })
	if l := e.letter("redirect", ids[0]); l.State != "pending" || l.LastStatus != http.StatusFound {
		t.Errorf("redirected letter %s, status %d; want pending with 302", l.State, l.LastStatus)
	}
	waitFor(t, "the huge answers", func() bool { return e.letter("huge", ids[1]).State == "delivered" })
	if n := len(elsewhere.requests()); n != 0 {
		t.Errorf("the redirect was followed (%d requests)", n)
	}
}

// Loopback, link-local and private targets are refused unless allowed, by
// the URL and at every connection (a name that resolves to one).
func TestInternalTargetsRefused(t *testing.T) {
	p := Policy{}
	for _, u := range []string{"http://127.0.0.1:8080/x", "http://[::1]/x", "http://169.254.169.254/latest/meta-data",
		"http://10.1.2.3/", "http://192.168.0.1/", "http://[fe80::1]/", "http://0.0.0.0/", "http://localhost/", "http://100.64.0.1/",
		"http://[::ffff:127.0.0.1]/"} {
		if err := p.CheckURL(u); !errors.Is(err, ErrForbiddenTarget) {
			t.Errorf("%s: %v, want refused", u, err)
		}
		if err := loopback.CheckURL(u); strings.Contains(u, "127.0.0.1") && err != nil {
			t.Errorf("%s refused although allowed: %v", u, err)
		}
	}
	if err := p.CheckURL("https://crm.example.com/hook"); err != nil {
		t.Errorf("a public name refused: %v", err)
	}
	if err := p.CheckURL("http://93.184.215.14/hook"); err != nil {
		t.Errorf("a public address refused: %v", err)
	}

	// At delivery, the resolved address is checked: the letter is not sent.
	e := newEnv(t)
	rc := newReceiver(t)
	e.del = newDeliverer(e.st, e.clock.Now, Policy{})
	e.feed.Enqueued = e.del.Kick
	port := rc.srv.URL[strings.LastIndex(rc.srv.URL, ":"):]
	e.subscribe("inside", "http://localhost"+port+"/hook", "json")
	e.start()
	ids := e.ring(1)
	waitFor(t, "the refused attempt", func() bool { return e.letter("inside", ids[0]).Attempts == 1 })
	if l := e.letter("inside", ids[0]); !strings.Contains(l.LastError, "not allowed") {
		t.Errorf("last error %q", l.LastError)
	}
	if n := len(rc.requests()); n != 0 {
		t.Errorf("an internal target got %d requests", n)
	}
}
