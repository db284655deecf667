package apitest

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/store"
)

// FakeAgents is a ccd.AgentControl that records calls and keeps a state per
// agent: 1001 (Alice Smith) and 1002 (Bob), logged out.
type FakeAgents struct {
	mu    sync.Mutex
	state map[string]ccd.AgentStatus
	calls []string
}

// NewFakeAgents is Alice and Bob, logged out.
func NewFakeAgents() *FakeAgents {
	return &FakeAgents{state: map[string]ccd.AgentStatus{
		"1001": {ID: "1001", Name: "Alice Smith", State: "logged_out"},
		"1002": {ID: "1002", Name: "Bob", State: "logged_out"},
	}}
}

// Requests are the changes asked for, as "agent:state:detail".
func (f *FakeAgents) Requests() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

func (f *FakeAgents) set(id, state, detail string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	st, ok := f.state[id]
	if !ok {
		return &ccd.Error{Code: ccd.ENOTFOUND, Message: "unknown agent " + id}
	}
	if state != "logged_out" && state != "ready" && st.State == "logged_out" && detail != "login" {
		return &ccd.Error{Code: ccd.ECONFLICT, Message: "agent is logged out"}
	}
	st.State = state
	f.state[id] = st
	f.calls = append(f.calls, id+":"+state+":"+detail)
	return nil
}

func (f *FakeAgents) Login(_ context.Context, id, ep string) error {
	if err := f.set(id, "ready", "login"); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	st := f.state[id]
	st.Endpoint = ep
	f.state[id] = st
	return nil
}

// SetState puts an agent in a state no request of the fake leads to (on
// a call, ringing), as the ACD would.
func (f *FakeAgents) SetState(id, state string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	st := f.state[id]
	st.State = state
	f.state[id] = st
}

func (f *FakeAgents) Logout(_ context.Context, id string) error { return f.set(id, "logged_out", "") }

func (f *FakeAgents) Ready(_ context.Context, id string) error { return f.set(id, "ready", "") }

func (f *FakeAgents) NotReady(_ context.Context, id, act string) error {
	return f.set(id, "not_ready", act)
}

func (f *FakeAgents) Agent(_ context.Context, id string) (ccd.AgentStatus, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	st, ok := f.state[id]
	if !ok {
		return st, &ccd.Error{Code: ccd.ENOTFOUND, Message: "unknown agent " + id}
	}
	return st, nil
}

func (f *FakeAgents) Agents(ctx context.Context) ([]ccd.AgentStatus, error) {
	a, _ := f.Agent(ctx, "1001")
	b, _ := f.Agent(ctx, "1002")
	return []ccd.AgentStatus{a, b}, nil
}

// FakeCalls is a ccd.AgentControl that is also a ccd.CallControl: the
// queues and calls it is given, and the transfers and holds it was asked for.
type FakeCalls struct {
	*FakeAgents
	QueueList []ccd.QueueStatus
	CallList  []ccd.Call

	mu   sync.Mutex
	acts []string // "hold c1", "unhold c1", "transfer c1 sales"
}

// NewFakeCalls is FakeAgents with calls.
func NewFakeCalls(calls []ccd.Call) *FakeCalls {
	return &FakeCalls{FakeAgents: NewFakeAgents(), CallList: calls}
}

func (f *FakeCalls) Queues(context.Context) ([]ccd.QueueStatus, error) { return f.QueueList, nil }
func (f *FakeCalls) Calls(context.Context) ([]ccd.Call, error)         { return f.CallList, nil }

func (f *FakeCalls) Transfer(_ context.Context, callID, toQueue, toNumber string) error {
	return f.act("transfer " + callID + " " + toQueue + toNumber)
}

func (f *FakeCalls) Hold(_ context.Context, callID string, on bool) error {
	if on {
		return f.act("hold " + callID)
	}
	return f.act("unhold " + callID)
}

func (f *FakeCalls) act(a string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.acts = append(f.acts, a)
	return nil
}

// LastAct is the last transfer or hold asked for, "" for none.
func (f *FakeCalls) LastAct() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.acts) == 0 {
		return ""
	}
	return f.acts[len(f.acts)-1]
}

// FakeStats is an api.StatsReader answering canned rows and remembering
// what it was asked.
type FakeStats struct {
	Mu        sync.Mutex
	Q         store.StatQuery
	BIName    string
	BIFrom    time.Time
	BITill    time.Time
	Since     time.Time
	SL        map[string]time.Duration
	Err       error
	FailAfter int
	Cols      []string
	Rows      [][]any
	QueueDays map[string]store.QueueDay
	AgentDays map[string]store.AgentDay
}

func (f *FakeStats) StreamStatRows(_ context.Context, q store.StatQuery, w store.RowWriter) error {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	f.Q = q
	return f.write(w)
}

func (f *FakeStats) StreamBIFunction(_ context.Context, name string, from, till time.Time, w store.RowWriter) error {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	f.BIName, f.BIFrom, f.BITill = name, from, till
	return f.write(w)
}

// write hands the canned rows to w as the store would: each column's kind
// is the type of its first non-nil value; FailAfter > 0 fails after that
// many rows, as a connection lost mid-read does.
func (f *FakeStats) write(w store.RowWriter) error {
	if f.Err != nil && f.FailAfter == 0 {
		return f.Err
	}
	cols := make([]store.Column, len(f.Cols))
	for i, name := range f.Cols {
		cols[i] = store.Column{Name: name, Kind: store.Text}
	kind:
		for _, r := range f.Rows {
			switch r[i].(type) {
			case nil:
				continue
			case int64, int:
				cols[i].Kind = store.Integer
			case float64:
				cols[i].Kind = store.Decimal
			case bool:
				cols[i].Kind = store.Bool
			case time.Time:
				cols[i].Kind = store.Time
			}
			break kind
		}
	}
	if err := w.Columns(cols); err != nil {
		return err
	}
	cells := make([]store.Cell, len(cols))
	for n, r := range f.Rows {
		if f.FailAfter > 0 && n == f.FailAfter {
			return f.Err
		}
		for i, v := range r {
			switch x := v.(type) {
			case nil:
				cells[i] = store.Cell{Null: true}
			case time.Time:
				cells[i] = store.Cell{Time: x}
			case float64:
				cells[i] = store.Cell{Raw: strconv.AppendFloat(nil, x, 'g', -1, 64)}
			case int64:
				cells[i] = store.Cell{Int: x}
			case int:
				cells[i] = store.Cell{Int: int64(x)}
			default:
				cells[i] = store.Cell{Raw: fmt.Append(nil, x)}
			}
		}
		if err := w.Row(cells); err != nil {
			return err
		}
	}
	return nil
}

func (f *FakeStats) QueueToday(_ context.Context, since time.Time, sl map[string]time.Duration) (map[string]store.QueueDay, error) {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	f.Since, f.SL = since, sl
	return f.QueueDays, f.Err
}

func (f *FakeStats) AgentToday(_ context.Context, since time.Time) (map[string]store.AgentDay, error) {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	f.Since = since
	return f.AgentDays, f.Err
}

// FakeLive is an api.LiveSource: the queues, calls and agents it is given.
type FakeLive struct {
	QueueList []ccd.QueueStatus
	CallList  []ccd.Call
	AgentList []ccd.AgentStatus
}

func (f *FakeLive) Queues(context.Context) ([]ccd.QueueStatus, error) { return f.QueueList, nil }
func (f *FakeLive) Calls(context.Context) ([]ccd.Call, error)         { return f.CallList, nil }
func (f *FakeLive) Agents(context.Context) ([]ccd.AgentStatus, error) { return f.AgentList, nil }
