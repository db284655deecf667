package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Schedule is the Standard Webhooks (Svix) retry schedule: the delay before
// each attempt. The first is immediate; after the last fails the letter is
// dead.
var Schedule = []time.Duration{0, 5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour,
	5 * time.Hour, 10 * time.Hour, 10 * time.Hour}

// maxRetryAfter bounds a receiver's Retry-After: the schedule's longest wait.
const maxRetryAfter = 10 * time.Hour

// maxAnswerBytes is what is read of an answer: enough to reuse the
// connection after a short answer, never a receiver's whole huge body.
const maxAnswerBytes = 64 << 10

// Options tune a Deliverer.
type Options struct {
	Client *http.Client     // Policy.Client: the SSRF check at every connection
	Now    func() time.Time // the clock of the schedule; nil is time.Now
	Poll   time.Duration    // how often the outbox is read when nothing wakes the deliverer; default 1s
	Batch  int              // letters read at once per subscription; default 200
	// FlushEvery is how many letters may be sent before they are marked
	// delivered: a crash between the send and the mark sends at most that
	// many again (at least once). Default 32.
	FlushEvery int
	Logger     *slog.Logger
}

// Stats are the deliverer's counters since start.
type Stats struct {
	Delivered, Failed, Dead, Disabled atomic.Uint64
}

// Deliverer sends the outbox's letters: each subscription by a worker of its
// own, in order, so that a slow or dead receiver holds up nobody else.
type Deliverer struct {
	store Store
	opt   Options
	log   *slog.Logger
	Stats Stats

	mu      sync.Mutex
	workers map[string]*worker
	kick    chan struct{}
}

// NewDeliverer returns a deliverer over the outbox.
func NewDeliverer(s Store, opt Options) *Deliverer {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Poll <= 0 {
		opt.Poll = time.Second
	}
	if opt.Batch <= 0 {
		opt.Batch = 200
	}
	if opt.FlushEvery <= 0 {
		opt.FlushEvery = 32
	}
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	if opt.Client == nil {
		opt.Client = Policy{}.Client(10 * time.Second)
	}
	return &Deliverer{store: s, opt: opt, log: opt.Logger.With("part", "webhook"), workers: map[string]*worker{},
		kick: make(chan struct{}, 1)}
}

// Kick makes every worker look at the outbox now (letters were added, the
// clock moved, a subscription changed).
func (d *Deliverer) Kick() {
	select {
	case d.kick <- struct{}{}:
	default:
	}
	d.mu.Lock()
	for _, w := range d.workers {
		w.poke()
	}
	d.mu.Unlock()
}

// Run delivers until ctx ends: it keeps one worker per enabled subscription
// and purges delivered letters older than retention (0: never).
func (d *Deliverer) Run(ctx context.Context, retention time.Duration) {
	var wg sync.WaitGroup
	defer wg.Wait()
	lastPurge := time.Time{}
	for {
		d.sync(ctx, &wg)
		if retention > 0 && time.Since(lastPurge) > time.Hour {
			lastPurge = time.Now()
			if n, err := d.store.purge(ctx, d.opt.Now().Add(-retention)); err != nil {
				d.log.Warn("cannot purge delivered webhooks", "err", err)
			} else if n > 0 {
				d.log.Info("purged delivered webhooks", "count", n)
			}
		}
		t := time.NewTimer(d.opt.Poll)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		case <-d.kick:
			t.Stop()
		}
	}
}

// sync starts a worker for each enabled subscription and stops the workers
// of subscriptions gone or disabled.
func (d *Deliverer) sync(ctx context.Context, wg *sync.WaitGroup) {
	subs, err := d.store.Subscriptions(ctx)
	if err != nil {
		if ctx.Err() == nil {
			d.log.Warn("cannot read the webhook subscriptions", "err", err)
		}
		return
	}
	want := map[string]bool{}
	for _, s := range subs {
		if s.Enabled {
			want[s.ID] = true
		}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	for id, w := range d.workers {
		if !want[id] || w.done.Load() {
			w.cancel()
			delete(d.workers, id)
		}
	}
	for id := range want {
		if d.workers[id] != nil {
			continue
		}
		wctx, cancel := context.WithCancel(ctx)
		w := &worker{d: d, sub: id, cancel: cancel, wake: make(chan struct{}, 1)}
		d.workers[id] = w
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.run(wctx)
		}()
	}
}

// worker delivers one subscription's letters in order.
type worker struct {
	d      *Deliverer
	sub    string
	cancel context.CancelFunc
	wake   chan struct{}
	done   atomic.Bool // stopped by itself (the subscription was disabled)
}

func (w *worker) poke() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

func (w *worker) run(ctx context.Context) {
	defer w.done.Store(true)
	for ctx.Err() == nil {
		wait, stop := w.round(ctx)
		if stop {
			return
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
		case <-t.C:
		case <-w.wake:
		}
		t.Stop()
	}
}

// round sends the pending letters that are due, in order, until one fails
// or is not due yet; it returns how long to wait before the next round, and
// stop when the subscription is off.
func (w *worker) round(ctx context.Context) (wait time.Duration, stop bool) {
	d := w.d
	sub, err := d.store.Subscription(ctx, w.sub)
	if err != nil || !sub.Enabled {
		return 0, true
	}
	letters, err := d.store.pending(ctx, w.sub, d.opt.Batch)
	if err != nil {
		if ctx.Err() == nil {
			d.log.Warn("cannot read the webhook outbox", "subscription", w.sub, "err", err)
		}
		return d.opt.Poll, false
	}
	var okIDs []int64
	var okStatus []int
	flush := func() {
		if len(okIDs) == 0 {
			return
		}
		// Marked with a context of its own: a shutdown after the sends
		// still records them, so they are not sent again.
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := d.store.delivered(fctx, okIDs, okStatus, d.opt.Now()); err != nil {
			d.log.Warn("cannot mark webhooks delivered: they will be sent again", "subscription", w.sub, "count", len(okIDs), "err", err)
		}
		okIDs, okStatus = okIDs[:0], okStatus[:0]
	}
	defer flush()
	for _, l := range letters {
		if due := l.NextAt.Sub(d.opt.Now()); due > 0 {
			return min(due, d.opt.Poll), false
		}
		if ctx.Err() != nil {
			return 0, true
		}
		res := d.send(ctx, sub, l)
		if res.ok() {
			d.Stats.Delivered.Add(1)
			okIDs, okStatus = append(okIDs, l.ID), append(okStatus, res.status)
			if len(okIDs) >= d.opt.FlushEvery {
				flush()
			}
			continue
		}
		flush()
		if ctx.Err() != nil {
			return 0, true // the attempt was cut by the shutdown: not the receiver's failure
		}
		return w.failed(ctx, sub, l, res)
	}
	if len(letters) == d.opt.Batch {
		return 0, false
	}
	return d.opt.Poll, false
}

// failed records a failed attempt: retried by the schedule (or the
// receiver's Retry-After), dead after the last, and the subscription
// disabled when the receiver says 410 Gone.
func (w *worker) failed(ctx context.Context, sub Subscription, l Letter, res result) (time.Duration, bool) {
	d := w.d
	now := d.opt.Now()
	d.Stats.Failed.Add(1)
	log := d.log.With("subscription", sub.ID, "msg_id", l.MsgID, "attempt", l.Attempts+1, "status", res.status, "err", res.problem)
	if res.status == http.StatusGone {
		d.Stats.Disabled.Add(1)
		log.Warn("webhook receiver answered 410 Gone: subscription disabled; its letters wait until an admin enables it")
		if err := d.store.failed(ctx, l.ID, l.Attempts+1, now, false, res.status, res.problem, now); err != nil {
			log.Warn("cannot record the webhook attempt", "err", err)
		}
		if err := d.store.disable(ctx, sub.ID, fmt.Sprintf("receiver answered 410 Gone at %s", now.UTC().Format(time.RFC3339))); err != nil {
			log.Warn("cannot disable the webhook subscription", "err", err)
		}
		return 0, true
	}
	attempts := l.Attempts + 1
	dead := attempts >= len(Schedule)
	next := now
	if !dead {
		next = now.Add(Schedule[attempts])
		if res.retryAfter >= 0 {
			next = now.Add(res.retryAfter)
		}
	}
	if err := d.store.failed(ctx, l.ID, attempts, next, dead, res.status, res.problem, now); err != nil {
		log.Warn("cannot record the webhook attempt", "err", err)
		return d.opt.Poll, false
	}
	if dead {
		d.Stats.Dead.Add(1)
		log.Error("webhook not delivered after the last attempt: dead letter (an admin can replay it)")
		return 0, false // the next letter goes now
	}
	log.Warn("webhook not delivered: will retry", "retry_at", next.UTC().Format(time.RFC3339))
	return min(next.Sub(now), d.opt.Poll), false
}

// result is how one attempt went.
type result struct {
	status     int           // the receiver's status; 0 when there was no answer
	retryAfter time.Duration // the receiver's Retry-After (429, 503); -1 when none
	problem    string
}

func (r result) ok() bool { return r.status >= 200 && r.status < 300 }

// send makes one attempt to deliver l to sub.
func (d *Deliverer) send(ctx context.Context, sub Subscription, l Letter) result {
	fields, err := parseFields(l.FieldsJSON)
	if err != nil {
		return result{retryAfter: -1, problem: "unreadable letter: " + err.Error()}
	}
	req, body, err := buildRequest(ctx, sub, l.Type, fields)
	if err != nil {
		return result{retryAfter: -1, problem: err.Error()}
	}
	ts := d.opt.Now()
	sig, err := Sign(sub.Secret, l.MsgID, ts, body)
	if err != nil {
		return result{retryAfter: -1, problem: err.Error()}
	}
	req.Header.Set("webhook-id", l.MsgID)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(ts.Unix(), 10))
	req.Header.Set("webhook-signature", sig)
	req.Header.Set("User-Agent", "ccd-webhook")
	resp, err := d.opt.Client.Do(req)
	if err != nil {
		return result{retryAfter: -1, problem: cleanError(err.Error())}
	}
	defer resp.Body.Close()
	head, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxAnswerBytes))
	res := result{status: resp.StatusCode, retryAfter: -1}
	if !res.ok() {
		res.problem = cleanError(resp.Status + ": " + string(head))
		if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
			res.retryAfter = retryAfter(resp.Header.Get("Retry-After"), d.opt.Now())
		}
	}
	return res
}

// retryAfter reads a Retry-After header (seconds or an HTTP date), bounded;
// -1 when there is none or it cannot be read.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return -1
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return -1
		}
		return min(time.Duration(min(secs, int64(maxRetryAfter/time.Second)))*time.Second, maxRetryAfter)
	}
	if at, err := http.ParseTime(v); err == nil {
		return min(max(at.Sub(now), 0), maxRetryAfter)
	}
	return -1
}

// buildRequest is the HTTP request of a message in the subscription's
// format, and the body that is signed (empty for GET).
func buildRequest(ctx context.Context, sub Subscription, typ string, fields []Field) (*http.Request, []byte, error) {
	target := strings.ReplaceAll(sub.URL, "{event}", typ)
	switch sub.Format {
	case "get":
		u, err := url.Parse(target)
		if err != nil {
			return nil, nil, err
		}
		q := encodeForm(fields)
		if u.RawQuery != "" {
			u.RawQuery += "&" + q
		} else {
			u.RawQuery = q
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
		return req, nil, err
	case "form":
		body := []byte(encodeForm(fields))
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
		if err == nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		return req, body, err
	default:
		body := encodeJSON(fields)
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
		if err == nil {
			req.Header.Set("Content-Type", "application/json")
		}
		return req, body, err
	}
}

// encodeForm writes the fields as name=value pairs in their order (url.Values
// would sort them).
func encodeForm(fields []Field) string {
	var b strings.Builder
	for i, f := range fields {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(url.QueryEscape(f.Name))
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(f.Value))
	}
	return b.String()
}

// encodeJSON writes the fields as one JSON object of strings, in their order.
func encodeJSON(fields []Field) []byte {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, f := range fields {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(f.Name)
		v, _ := json.Marshal(f.Value)
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes()
}
