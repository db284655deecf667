// Package callback keeps ccd's callbacks (call-me-back): the requests of
// callers who hung up keeping their place in a queue and of web forms and
// CRMs, their attempts and how they end. A callback is a row in PostgreSQL
// and events in the log, never a channel, so it outlives ccd and Asterisk
// restarts. The Manager decides; a Placer (the queue application) keeps
// each due callback's place in its queue as a call without a channel, and
// reports how each attempt ended (AttemptEnded).
package callback

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"regexp"
	"strconv"
	"sync"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/config"
	"github.com/ccdhq/ccd/eventlog"
	"github.com/ccdhq/ccd/internal/textcheck"
	"github.com/ccdhq/ccd/store"
)

// Attempt results (Callback.LastResult).
const (
	Answered      = "answered"        // the customer answered: the callback is done
	Busy          = "busy"            // the customer's line was busy
	NoAnswer      = "no_answer"       // the customer did not answer
	DialFailed    = "failed"          // the customer's number could not be dialled
	AgentNoAnswer = "agent_no_answer" // the agent did not take it: no attempt counted
	Interrupted   = "interrupted"     // ccd or Asterisk stopped during the attempt: no attempt counted
)

// Store keeps the callbacks; *store.DB implements it.
type Store interface {
	PutCallback(ctx context.Context, r store.CallbackRow) error
	CallbackByID(ctx context.Context, id string) (store.CallbackRow, bool, error)
	CallbacksIn(ctx context.Context, states []string) ([]store.CallbackRow, error)
	MoveCallback(ctx context.Context, r store.CallbackRow, from string) error
}

// Placer keeps a callback's place in its queue: Place puts it there as a
// call without a channel, whose id is callID; Withdraw takes it out again
// (a cancel, an expiry). The queue application implements it.
type Placer interface {
	Place(ctx context.Context, cb ccd.Callback, callID string) error
	Withdraw(ctx context.Context, callID string) error
}

// Manager is the callbacks of one ccd.
type Manager struct {
	db      Store
	cfg     config.Callbacks
	numbers *regexp.Regexp
	emit    func(eventlog.Event) error
	log     *slog.Logger
	now     func() time.Time

	mu     sync.Mutex
	placer Placer
	placed map[string]string // callback id -> the id of its call in the queue
	// queueGone is when each callback's queue was first found missing from
	// the running configuration.
	queueGone map[string]time.Time
}

// QueueGoneAfter is how long a callback's queue may be missing from the
// configuration before the callback fails ("queue removed"): a queue
// renamed or re-created, or a configuration not loaded yet at start, comes
// back within it.
const QueueGoneAfter = time.Minute

// ReasonQueueRemoved ends a callback whose queue left the configuration.
const ReasonQueueRemoved = "queue removed"

// New is a manager of the callbacks of db under cfg (validated).
func New(db Store, cfg config.Callbacks, emit func(eventlog.Event) error, log *slog.Logger) *Manager {
	if log == nil {
		log = slog.Default()
	}
	return &Manager{db: db, cfg: cfg, numbers: regexp.MustCompile(cfg.Numbers), emit: emit, log: log,
		now: time.Now, placed: map[string]string{}, queueGone: map[string]time.Time{}}
}

// SetClock replaces time.Now (tests).
func (m *Manager) SetClock(now func() time.Time) { m.now = now }

// SetPlacer connects the queue application; until then callbacks wait.
func (m *Manager) SetPlacer(p Placer) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.placer = p
}

// Offered says whether queue offers callbacks, and how.
func (m *Manager) Offered(queue string) (config.CallbackQueue, bool) { return m.cfg.Queue(queue) }

// CheckNumber refuses a number that may not be called back.
func (m *Manager) CheckNumber(number string) error {
	if p := textcheck.Problem(number); p != "" {
		return ccd.Invalid("number", p)
	}
	if !m.numbers.MatchString(number) {
		return ccd.Invalid("number", "this number may not be called back (callbacks.numbers)")
	}
	return nil
}

// RequestCallback takes a web form's or a CRM's request: the queue must
// offer callbacks and the number be one that may be called.
func (m *Manager) RequestCallback(ctx context.Context, who ccd.Principal, r ccd.CallbackRequest) (ccd.Callback, error) {
	now := m.now()
	cb := ccd.Callback{Queue: r.Queue, Number: r.Number, Origin: ccd.CallbackFromWeb, Priority: r.Priority,
		PlaceAt: now, NotBefore: r.NotBefore, NotAfter: r.NotAfter, By: string(who.Kind) + ":" + who.Name}
	return m.create(ctx, cb, r.AttachData)
}

// CallerAccepted takes the request of a caller waiting in a queue who
// accepted the offer and confirmed (or keyed) number: the callback keeps
// the place the call had (placeAt, its entry into ccd).
func (m *Manager) CallerAccepted(ctx context.Context, call ccd.Call, queue, number string, placeAt time.Time) (ccd.Callback, error) {
	cb := ccd.Callback{Queue: queue, Number: number, Origin: ccd.CallbackFromQueue, CallID: call.ID, CLID: call.CLID,
		DNIS: call.DNIS, Priority: call.Priority, PlaceAt: placeAt, By: "caller"}
	return m.create(ctx, cb, call.AttachData)
}

func (m *Manager) create(ctx context.Context, cb ccd.Callback, attach string) (ccd.Callback, error) {
	q, ok := m.cfg.Queue(cb.Queue)
	switch {
	case cb.Queue == "":
		return cb, ccd.Invalid("queue", "is required")
	case !ok:
		return cb, ccd.Invalid("queue", "queue "+strconv.Quote(cb.Queue)+" does not offer callbacks (callbacks.queues)")
	case cb.Priority < 0 || cb.Priority > 9:
		return cb, ccd.Invalid("priority", "want 1 (highest) .. 9")
	}
	if err := m.CheckNumber(cb.Number); err != nil {
		return cb, err
	}
	if p := textcheck.Problem(attach); p != "" {
		return cb, ccd.Invalid("attach_data", p)
	}
	now := m.now()
	switch {
	case !cb.NotAfter.IsZero() && !cb.NotAfter.After(now):
		return cb, ccd.Invalid("not_after", "the last time to call back has passed")
	case !cb.NotAfter.IsZero() && !cb.NotBefore.IsZero() && !cb.NotAfter.After(cb.NotBefore):
		return cb, ccd.Invalid("not_after", "must be after not_before")
	}
	if cb.Priority == 0 {
		cb.Priority = 5
	}
	cb.ID = newID()
	cb.State = ccd.CallbackWaiting
	cb.MaxAttempts, cb.RetryInterval = q.MaxAttempts, ccd.Duration(q.RetryInterval)
	cb.NextAttemptAt = now
	if cb.NotBefore.After(now) {
		cb.NextAttemptAt = cb.NotBefore
	}
	cb.CreatedAt, cb.UpdatedAt = now, now
	if err := m.db.PutCallback(ctx, toRow(cb, attach)); err != nil {
		return cb, err
	}
	m.event(ccd.EventCallbackRequested, cb)
	m.Tick(ctx)
	return cb, nil
}

// Callbacks lists the callbacks in states (all when empty).
func (m *Manager) Callbacks(ctx context.Context, states []string) ([]ccd.Callback, error) {
	rows, err := m.db.CallbacksIn(ctx, states)
	if err != nil {
		return nil, err
	}
	out := make([]ccd.Callback, len(rows))
	for i, r := range rows {
		out[i] = fromRow(r)
	}
	return out, nil
}

// Callback is one callback.
func (m *Manager) Callback(ctx context.Context, id string) (ccd.Callback, error) {
	r, ok, err := m.db.CallbackByID(ctx, id)
	if err != nil {
		return ccd.Callback{}, err
	}
	if !ok {
		return ccd.Callback{}, &ccd.Error{Code: ccd.ENOTFOUND, Field: "id", Message: "no callback " + strconv.Quote(id)}
	}
	return fromRow(r), nil
}

// CancelCallback ends a waiting callback (and takes its place out of the
// queue). One being called is ECONFLICT: the agent is already on it.
func (m *Manager) CancelCallback(ctx context.Context, who ccd.Principal, id string) (ccd.Callback, error) {
	cb, err := m.Callback(ctx, id)
	if err != nil {
		return cb, err
	}
	if cb.State != ccd.CallbackWaiting {
		return cb, &ccd.Error{Code: ccd.ECONFLICT, Message: "callback " + id + " is " + cb.State + ": only a waiting callback can be cancelled"}
	}
	cb, err = m.finish(ctx, cb, ccd.CallbackCancelled, "cancelled by "+string(who.Kind)+":"+who.Name)
	if err != nil {
		return cb, err
	}
	m.withdraw(ctx, cb.ID)
	return cb, nil
}

// AttemptStarted notes that an agent took the callback of the queue call
// callID and the customer is being called.
func (m *Manager) AttemptStarted(ctx context.Context, callID, agent string) error {
	id := CallbackOf(callID)
	cb, err := m.Callback(ctx, id)
	if err != nil {
		return err
	}
	if cb.State != ccd.CallbackWaiting {
		return &ccd.Error{Code: ccd.ECONFLICT, Message: "callback " + id + " is " + cb.State}
	}
	cb.State, cb.Agent, cb.UpdatedAt = ccd.CallbackCalling, agent, m.now()
	return m.move(ctx, cb, ccd.CallbackWaiting)
}

// AttemptEnded takes the result of an attempt of the queue call callID:
// answered ends the callback done; busy, no answer or a failed dial count
// an attempt and try again after the queue's interval, up to its maximum,
// then the callback fails with that result as its reason; an agent who did
// not answer, and an attempt cut by a restart, count nothing and the
// callback goes back to waiting at once.
func (m *Manager) AttemptEnded(ctx context.Context, callID, result string) (ccd.Callback, error) {
	id := CallbackOf(callID)
	m.mu.Lock()
	if m.placed[id] == callID {
		delete(m.placed, id)
	}
	m.mu.Unlock()
	cb, err := m.Callback(ctx, id)
	if err != nil {
		return cb, err
	}
	if cb.State != ccd.CallbackCalling && cb.State != ccd.CallbackWaiting {
		return cb, nil // ended meanwhile (cancelled, expired)
	}
	from, now := cb.State, m.now()
	cb.LastResult, cb.UpdatedAt = result, now
	switch result {
	case Answered:
		cb.Attempts++
		return m.finish(ctx, cb, ccd.CallbackDone, Answered)
	case AgentNoAnswer, Interrupted:
		cb.State, cb.NextAttemptAt = ccd.CallbackWaiting, now
	default:
		cb.Attempts++
		if cb.Attempts >= cb.MaxAttempts {
			m.event(ccd.EventCallbackAttempt, cb)
			return m.finish(ctx, cb, ccd.CallbackFailed, result)
		}
		cb.State, cb.NextAttemptAt = ccd.CallbackWaiting, now.Add(time.Duration(cb.RetryInterval))
	}
	if err := m.move(ctx, cb, from); err != nil {
		return cb, err
	}
	m.event(ccd.EventCallbackAttempt, cb)
	return cb, nil
}

// finish ends a callback in state with reason.
func (m *Manager) finish(ctx context.Context, cb ccd.Callback, state, reason string) (ccd.Callback, error) {
	from := cb.State
	cb.State, cb.EndReason, cb.UpdatedAt = state, reason, m.now()
	if err := m.move(ctx, cb, from); err != nil {
		return cb, err
	}
	m.mu.Lock()
	delete(m.queueGone, cb.ID)
	m.mu.Unlock()
	m.event(ccd.EventCallbackEnded, cb)
	return cb, nil
}

func (m *Manager) move(ctx context.Context, cb ccd.Callback, from string) error {
	err := m.db.MoveCallback(ctx, toRow(cb, ""), from)
	if errors.Is(err, store.ErrCallbackChanged) {
		return &ccd.Error{Code: ccd.ECONFLICT, Message: "callback " + cb.ID + " changed meanwhile; read it again"}
	}
	return err
}

// Recover makes the callbacks that were being called when ccd stopped wait
// again (the attempt did not finish: it counts nothing). Run it once at
// start, before Tick.
func (m *Manager) Recover(ctx context.Context) error {
	rows, err := m.db.CallbacksIn(ctx, []string{ccd.CallbackCalling})
	if err != nil {
		return err
	}
	for _, r := range rows {
		cb := fromRow(r)
		cb.State, cb.LastResult, cb.NextAttemptAt, cb.UpdatedAt = ccd.CallbackWaiting, Interrupted, m.now(), m.now()
		if err := m.move(ctx, cb, ccd.CallbackCalling); err != nil {
			return err
		}
		m.event(ccd.EventCallbackAttempt, cb)
	}
	return nil
}

// Tick places the callbacks that are due in their queues and expires those
// whose last time to initiate has passed. The daemon runs it every second;
// a request runs it at once.
func (m *Manager) Tick(ctx context.Context) {
	rows, err := m.db.CallbacksIn(ctx, []string{ccd.CallbackWaiting})
	if err != nil {
		m.log.Warn("callbacks: cannot read the waiting callbacks", "err", err)
		return
	}
	now := m.now()
	for _, r := range rows {
		cb := fromRow(r)
		switch {
		case !cb.NotAfter.IsZero() && !now.Before(cb.NotAfter):
			if _, err := m.finish(ctx, cb, ccd.CallbackExpired, "not_after"); err != nil {
				m.log.Warn("callbacks: cannot expire", "callback", cb.ID, "err", err)
				continue
			}
			m.withdraw(ctx, cb.ID)
		case !now.Before(cb.NextAttemptAt):
			m.place(ctx, cb)
		}
	}
}

// place puts a due callback in its queue once.
func (m *Manager) place(ctx context.Context, cb ccd.Callback) {
	m.mu.Lock()
	p, placed := m.placer, m.placed[cb.ID] != ""
	callID := cb.ID + "-" + strconv.Itoa(cb.Attempts+1)
	if p != nil && !placed {
		m.placed[cb.ID] = callID
	}
	m.mu.Unlock()
	if p == nil || placed {
		return
	}
	err := p.Place(ctx, cb, callID)
	m.mu.Lock()
	if err != nil {
		delete(m.placed, cb.ID)
	}
	since, gone := m.queueGone[cb.ID]
	if !(ccd.ErrorCode(err) == ccd.ENOTFOUND) {
		delete(m.queueGone, cb.ID)
	} else if !gone {
		m.queueGone[cb.ID], since = m.now(), m.now()
	}
	m.mu.Unlock()
	switch {
	case err == nil:
	case !(ccd.ErrorCode(err) == ccd.ENOTFOUND):
		m.log.Warn("callbacks: cannot place in its queue; retrying", "callback", cb.ID, "queue", cb.Queue, "err", err)
	case !gone:
		m.log.Warn("callbacks: its queue is not in the configuration; the callback fails if it stays so",
			"callback", cb.ID, "queue", cb.Queue, "after", QueueGoneAfter)
	case m.now().Sub(since) >= QueueGoneAfter:
		m.queueRemoved(ctx, cb)
	}
}

// queueRemoved ends a callback whose queue stayed out of the
// configuration: no agent will ever take it.
func (m *Manager) queueRemoved(ctx context.Context, cb ccd.Callback) {
	if _, err := m.finish(ctx, cb, ccd.CallbackFailed, ReasonQueueRemoved); err != nil {
		m.log.Warn("callbacks: cannot end a callback whose queue was removed", "callback", cb.ID, "err", err)
		return
	}
	m.log.Warn("callbacks: its queue was removed from the configuration: the callback failed", "callback", cb.ID, "queue", cb.Queue)
}

func (m *Manager) withdraw(ctx context.Context, id string) {
	m.mu.Lock()
	callID, p := m.placed[id], m.placer
	delete(m.placed, id)
	m.mu.Unlock()
	if callID != "" && p != nil {
		if err := p.Withdraw(ctx, callID); err != nil {
			m.log.Warn("callbacks: cannot take out of its queue", "callback", id, "err", err)
		}
	}
}

// Forget drops what the manager placed (the queue application lost its
// calls: an ACD restart); the next Tick places the waiting ones again.
func (m *Manager) Forget() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.placed = map[string]string{}
}

// Run ticks every interval until ctx ends.
func (m *Manager) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		m.Tick(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (m *Manager) event(kind ccd.EventKind, cb ccd.Callback) {
	ev := eventlog.Event{At: m.now(), Kind: kind, Source: eventlog.SourceACD, Key: eventlog.NewKey(), CallID: cb.CallID,
		Queue: cb.Queue, CLID: cb.CLID, DNIS: cb.DNIS, Agent: cb.Agent, Payload: eventlog.Payload(cb)}
	if err := m.emit(ev); err != nil {
		m.log.Error("event log refused a callback event", "kind", kind, "callback", cb.ID, "err", err)
	}
}

// IsCallbackCall tells a queue call that is a callback's place (its id is
// the callback's, a dash and the attempt) from a caller's.
func IsCallbackCall(callID string) bool { return len(callID) > 3 && callID[:3] == "cb-" }

// CallbackOf is the callback id of a callback's queue call.
func CallbackOf(callID string) string {
	for i := len(callID) - 1; i > 0; i-- {
		if callID[i] == '-' {
			return callID[:i]
		}
	}
	return callID
}

func newID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return "cb-" + hex.EncodeToString(b)
}

func toRow(cb ccd.Callback, attach string) store.CallbackRow {
	return store.CallbackRow{ID: cb.ID, Queue: cb.Queue, Number: cb.Number, Origin: cb.Origin, CallID: cb.CallID, CLID: cb.CLID,
		DNIS: cb.DNIS, Priority: cb.Priority, AttachData: attach, State: cb.State, PlaceAt: cb.PlaceAt, NotBefore: cb.NotBefore,
		NotAfter: cb.NotAfter, Attempts: cb.Attempts, MaxAttempts: cb.MaxAttempts, RetryInterval: time.Duration(cb.RetryInterval),
		NextAttemptAt: cb.NextAttemptAt, LastResult: cb.LastResult, EndReason: cb.EndReason, Agent: cb.Agent,
		RequestedBy: cb.By, CreatedAt: cb.CreatedAt, UpdatedAt: cb.UpdatedAt}
}

func fromRow(r store.CallbackRow) ccd.Callback {
	return ccd.Callback{ID: r.ID, Queue: r.Queue, Number: r.Number, Origin: r.Origin, CallID: r.CallID, CLID: r.CLID, DNIS: r.DNIS,
		Priority: r.Priority, State: r.State, PlaceAt: r.PlaceAt, NotBefore: r.NotBefore, NotAfter: r.NotAfter,
		Attempts: r.Attempts, MaxAttempts: r.MaxAttempts, RetryInterval: ccd.Duration(r.RetryInterval),
		NextAttemptAt: r.NextAttemptAt, LastResult: r.LastResult, EndReason: r.EndReason, Agent: r.Agent, By: r.RequestedBy,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}
