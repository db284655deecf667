// Package statstest generates event streams for testing the statistics: a real
// acd.Engine driven by random callers and agents (so the events are exactly those
// production writes), mixed with observed PBX calls, with times that cross
// quarter-hours, hours and days.
package statstest

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/ccdhq/ccd/acd"
	"github.com/ccdhq/ccd/config"
	"github.com/ccdhq/ccd/dialplan/queue"
	"github.com/ccdhq/ccd/eventlog"
	"github.com/ccdhq/ccd/pbx"
)

// Config is the ACD the scenarios run: overflow by time (with and without
// search expansion), by position to a number, with no agents to the default
// extension, a full queue, wrap-up, groups and skills.
func Config() config.ACD {
	return config.ACD{
		DefaultExtension: "0",
		Queues: []config.Queue{
			{Code: "sales", Skills: map[string]int{"s1": 2}, WrapUp: 20 * time.Second,
				Overflow: []config.Overflow{{AfterWait: 60 * time.Second, ToQueue: "support", Expand: true}}},
			{Code: "support", Skills: map[string]int{"s2": 1}, MaxWaiting: 6, FullDestination: "backup",
				Overflow: []config.Overflow{{AfterWait: 150 * time.Second, ToQueue: "backup"}}},
			{Code: "backup", Groups: []string{"g"}, RingTimeout: 15 * time.Second,
				Overflow: []config.Overflow{{PositionAbove: 5, ToNumber: "5550100"}, {NoAgentsLoggedIn: true, ToDefault: true}}},
		},
		Groups: []config.AgentGroup{{Name: "g", Agents: []string{"1004", "1005"}}},
		Agents: []config.Agent{
			{ID: "1001", Endpoint: "PJSIP/2001", Skills: map[string]int{"s1": 3}},
			{ID: "1002", Endpoint: "PJSIP/2002", Skills: map[string]int{"s1": 1, "s2": 4}},
			{ID: "1003", Endpoint: "PJSIP/2003", Skills: map[string]int{"s1": 5, "s2": 1}},
			{ID: "1004", Endpoint: "PJSIP/2004", Skills: map[string]int{"s2": 2}},
			{ID: "1005", Endpoint: "PJSIP/2005"},
			{ID: "amy", Endpoint: "PJSIP/2006", Skills: map[string]int{"s1": 1}},
		},
	}
}

// Scenario returns the events of steps random steps starting at start, with
// ids 1, 2, ... in log order.
func Scenario(seed uint64, steps int, start time.Time) []eventlog.Event {
	r := rand.New(rand.NewPCG(seed, 11))
	e, err := acd.New(Config().Spec())
	if err != nil {
		panic(err)
	}
	now := start
	var out []eventlog.Event
	emit := func(ev eventlog.Event) {
		ev.ID = int64(len(out) + 1)
		ev.Key = fmt.Sprintf("scn:%d:%d", seed, ev.ID)
		out = append(out, ev)
	}
	take := func() {
		_, evs := e.Take()
		for _, ev := range evs {
			emit(queue.ToLog(ev))
		}
	}
	agents := []string{"1001", "1002", "1003", "1004", "1005", "amy"}
	queues := []string{"sales", "support", "backup"}
	dnis := []string{"5551000", "5552000", ""}
	exts := []string{"2001", "2002", "2003", "2099"}
	calls := 0
	for step := 0; step < steps; step++ {
		now = now.Add(time.Duration(r.IntN(9000)) * time.Millisecond)
		// Most phones that ring are answered within a few seconds.
		for _, c := range e.Calls() {
			if c.State == acd.Ringing && r.IntN(3) > 0 {
				_ = e.OfferAnswered(now, c.Channel)
			}
		}
		take()
		list := e.Calls()
		pick := func() (acd.Call, bool) {
			if len(list) == 0 {
				return acd.Call{}, false
			}
			return list[r.IntN(len(list))], true
		}
		switch n := r.IntN(100); {
		case n < 22:
			calls++
			id, attach := fmt.Sprintf("c%d-%d", seed, calls), "cust|vip"
			if calls%5 == 0 { // a person the dialer reached, handed to a queue
				id, attach = fmt.Sprintf("dialer-%d%06d", seed, calls), fmt.Sprintf("campaign=%d;target=%d", 1+calls%3, calls)
			}
			_ = e.Arrive(now, acd.Arrival{CallID: id, Queue: queues[r.IntN(3)],
				DNIS: dnis[r.IntN(3)], CLID: fmt.Sprint("0300", r.IntN(50)), Priority: r.IntN(10), AttachData: attach})
		case n < 24:
			calls++
			e.Unrouted(now, acd.Arrival{CallID: fmt.Sprintf("c%d-%d", seed, calls), DNIS: "5559999", CLID: "0400"})
		case n < 32:
			if c, ok := pick(); ok {
				e.Hangup(now, c.ID)
			}
		case n < 48:
			if c, ok := pick(); ok && c.State == acd.Ringing {
				_ = e.OfferAnswered(now, c.Channel)
			}
		case n < 52:
			if c, ok := pick(); ok && c.State == acd.Ringing {
				e.AgentGone(now, c.Channel, []string{acd.Busy, acd.Unavailable, acd.NoAnswer}[r.IntN(3)])
			}
		case n < 60:
			if c, ok := pick(); ok && c.State == acd.Connected {
				e.AgentGone(now, c.Channel, "")
			}
		case n < 68:
			_ = e.Login(now, agents[r.IntN(len(agents))], "")
		case n < 71:
			_ = e.Logout(now, agents[r.IntN(len(agents))])
		case n < 77:
			_ = e.Ready(now, agents[r.IntN(len(agents))])
		case n < 82:
			_ = e.NotReady(now, agents[r.IntN(len(agents))], []string{"", "lunch", "break"}[r.IntN(3)])
		case n < 84:
			if c, ok := pick(); ok {
				if r.IntN(2) == 0 {
					_ = e.Transfer(now, c.ID, queues[r.IntN(3)], "")
				} else {
					_ = e.Transfer(now, c.ID, "", "5550199")
				}
			}
		case n < 88:
			if c, ok := pick(); ok {
				if c.HeldSince.IsZero() {
					_ = e.Hold(now, c.ID)
				} else {
					_ = e.Unhold(now, c.ID)
				}
			}
		case n < 93:
			take()
			emit(observed(r, now, exts))
		default:
			// A quiet spell: states run across quarter-hours and hours.
			now = now.Add(time.Duration(r.IntN(1800)) * time.Second)
		}
		e.Tick(now)
		take()
	}
	return out
}

// observed is a CDR of a call ccd only watched: extension to extension,
// extension to a trunk number, or a trunk number to an extension.
func observed(r *rand.Rand, now time.Time, exts []string) eventlog.Event {
	from, to := exts[r.IntN(len(exts))], exts[r.IntN(len(exts))]
	direction := pbx.Internal
	switch r.IntN(3) {
	case 1:
		to, direction = "0049301234", pbx.Outbound
	case 2:
		from, direction = "0049305678", pbx.Inbound
	}
	duration := r.IntN(300)
	billable, disposition := 0, "NO ANSWER"
	if r.IntN(3) > 0 {
		billable, disposition = r.IntN(duration+1), "ANSWERED"
	}
	dest := "PJSIP/" + to + "-00000001"
	if direction == pbx.Outbound {
		dest = "PJSIP/trunk-00000002"
	}
	p, _ := json.Marshal(map[string]any{
		"source": from, "destination": to, "channel": "PJSIP/" + from + "-00000003", "destinationchannel": dest,
		"disposition": disposition, "duration": fmt.Sprint(duration), "billableseconds": fmt.Sprint(billable),
		"direction": direction, "acd": false, "starttime": now.Add(-time.Duration(duration) * time.Second).Format("2006-01-02 15:04:05"),
	})
	return eventlog.Event{At: now, CallID: fmt.Sprint("pbx-", now.UnixNano()), Kind: pbx.KindCDR, Source: eventlog.SourceAMI, CLID: from, DNIS: to, Payload: p}
}
