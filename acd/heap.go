package acd

import "time"

// waitHeap orders a queue's waiting calls: priority 1 before 9, then arrival in
// ccd (a call that overflowed or came back from an agent keeps its place).
type waitHeap struct{ items []*member }

func before(a, b *member) bool {
	if a.c.Priority != b.c.Priority {
		return a.c.Priority < b.c.Priority
	}
	// A callback's place is the time its caller entered ccd, earlier than
	// the calls that came after that caller (and before it in seq).
	if (a.c.Virtual || b.c.Virtual) && !a.c.OfferedAt.Equal(b.c.OfferedAt) {
		return a.c.OfferedAt.Before(b.c.OfferedAt)
	}
	return a.c.seq < b.c.seq
}

func (h *waitHeap) Len() int { return len(h.items) }

func (h *waitHeap) peek() *member {
	if len(h.items) == 0 {
		return nil
	}
	return h.items[0]
}

// first is the first member in the queue's order that ok accepts: the head
// when it does (the common case, O(1)), else the best of the others.
func (h *waitHeap) first(ok func(*member) bool) *member {
	if len(h.items) == 0 || ok(h.items[0]) {
		return h.peek()
	}
	var best *member
	for _, m := range h.items[1:] {
		if ok(m) && (best == nil || before(m, best)) {
			best = m
		}
	}
	return best
}

func (h *waitHeap) push(m *member) {
	if m.idx >= 0 {
		return
	}
	m.idx = len(h.items)
	h.items = append(h.items, m)
	h.up(m.idx)
}

// remove takes m out wherever it is; a member not in the heap is left alone.
func (h *waitHeap) remove(m *member) {
	i := m.idx
	if i < 0 || i >= len(h.items) || h.items[i] != m {
		return
	}
	last := len(h.items) - 1
	if i != last {
		h.swap(i, last)
	}
	h.items[last] = nil
	h.items = h.items[:last]
	m.idx = -1
	if i != last {
		h.down(i)
		h.up(i)
	}
}

// position is m's 1-based place in the queue.
func (h *waitHeap) position(m *member) int {
	n := 1
	for _, x := range h.items {
		if x != m && before(x, m) {
			n++
		}
	}
	return n
}

func (h *waitHeap) swap(i, j int) {
	h.items[i], h.items[j] = h.items[j], h.items[i]
	h.items[i].idx, h.items[j].idx = i, j
}

func (h *waitHeap) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !before(h.items[i], h.items[p]) {
			return
		}
		h.swap(i, p)
		i = p
	}
}

func (h *waitHeap) down(i int) {
	n := len(h.items)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		m := l
		if r := l + 1; r < n && before(h.items[r], h.items[l]) {
			m = r
		}
		if !before(h.items[m], h.items[i]) {
			return
		}
		h.swap(i, m)
		i = m
	}
}

// Timers: ring timeouts, wrap-up ends, overflow by waiting time, announcements.
// Stale timers are not removed; they are recognised when they fire.
type timerKind uint8

const (
	tRing timerKind = iota + 1
	tWrapUp
	tOverflow
	tAnnounce
)

type timer struct {
	at   time.Time
	kind timerKind
	o    *offer
	a    *agent
	m    *member
	c    *call
	rule int
	gen  int
}

type timerHeap []timer

func (h *timerHeap) add(t timer) {
	*h = append(*h, t)
	s := *h
	for i := len(s) - 1; i > 0; {
		p := (i - 1) / 2
		if !s[i].at.Before(s[p].at) {
			break
		}
		s[i], s[p] = s[p], s[i]
		i = p
	}
}

func (h *timerHeap) pop() timer {
	s := *h
	t := s[0]
	last := len(s) - 1
	s[0] = s[last]
	s[last] = timer{}
	s = s[:last]
	for i := 0; ; {
		l := 2*i + 1
		if l >= len(s) {
			break
		}
		m := l
		if r := l + 1; r < len(s) && s[r].at.Before(s[l].at) {
			m = r
		}
		if !s[m].at.Before(s[i].at) {
			break
		}
		s[i], s[m] = s[m], s[i]
		i = m
	}
	*h = s
	return t
}

// NextDeadline is when Tick next has something to do; false when nothing is
// scheduled.
func (e *Engine) NextDeadline() (time.Time, bool) {
	if len(e.timers) == 0 {
		return time.Time{}, false
	}
	return e.timers[0].at, true
}

// Tick fires every timer due at now.
func (e *Engine) Tick(now time.Time) {
	for len(e.timers) > 0 && !e.timers[0].at.After(now) {
		t := e.timers.pop()
		switch t.kind {
		case tRing:
			if e.offers[t.o.channel] == t.o {
				e.offerFailed(now, t.o, NoAnswer)
			}
		case tWrapUp:
			if t.a.State == WrapUp && t.a.gen == t.gen {
				e.afterCall(now, t.a)
				if t.a.State == Ready {
					e.findCall(now, t.a)
				}
			}
		case tOverflow:
			if !t.m.gone && t.m.c.State == Waiting {
				e.overflow(now, t.m, t.rule, ReasonTime)
			}
			// a call ringing now is checked again if it comes back (requeue)
		case tAnnounce:
			e.announce(now, t.c, t.gen)
		}
	}
}

func (e *Engine) announce(now time.Time, c *call, gen int) {
	if c.annGen != gen || c.State == "ended" || c.State == Connected || len(c.members) == 0 {
		return
	}
	m := c.members[0]
	q := m.q
	if c.State == Waiting {
		pos := q.waiting.position(m)
		staff := max(q.loggedIn, 1)
		e.act(Action{Kind: Announce, CallID: c.ID, Queue: q.cfg.Code, Position: pos, Expected: q.aht * time.Duration(pos) / time.Duration(staff)})
	}
	e.timers.add(timer{at: now.Add(q.cfg.AnnounceEvery), kind: tAnnounce, c: c, gen: gen})
}
