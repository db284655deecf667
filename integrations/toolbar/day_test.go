package toolbar

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/acd"
	"github.com/ccdhq/ccd/config"
	"github.com/ccdhq/ccd/dialplan/queue"
	"github.com/ccdhq/ccd/eventlog"
	"github.com/ccdhq/ccd/internal/pgtest"
	"github.com/ccdhq/ccd/pbx"
	"github.com/ccdhq/ccd/stats"
	"github.com/ccdhq/ccd/stats/job"
	"github.com/ccdhq/ccd/store"
)

// engineLive is the ACD's present read from an engine, as the queue
// application gives it.
type engineLive struct {
	e   *acd.Engine
	now time.Time
}

func (l engineLive) Agent(_ context.Context, id string) (ccd.AgentStatus, error) {
	a, err := l.e.Agent(id)
	return ccd.AgentStatus{ID: a.ID, State: a.State, CallID: a.CallID, Endpoint: a.Endpoint}, err
}

func (l engineLive) Agents(context.Context) ([]ccd.AgentStatus, error) { return nil, nil }

func (l engineLive) Calls(context.Context) ([]ccd.Call, error) { return l.e.Calls(), nil }

func (l engineLive) Queues(context.Context) ([]ccd.QueueStatus, error) { return l.e.Queues(l.now), nil }

// dayConfig: agent 1001 serves sales and support, 1002 support and backup;
// sales overflows to support after a minute, backup to the default number
// when nobody who serves it is logged in.
func dayConfig() config.ACD {
	return config.ACD{
		DefaultExtension: "0",
		Queues: []config.Queue{
			{Code: "sales", Name: "Sales Line", Skills: map[string]int{"s": 1},
				Overflow: []config.Overflow{{AfterWait: time.Minute, ToQueue: "support"}}},
			{Code: "support", Skills: map[string]int{"t": 1}},
			{Code: "backup", Name: "Backup|Desk", Skills: map[string]int{"b": 1},
				Overflow: []config.Overflow{{NoAgentsLoggedIn: true, ToDefault: true}}},
		},
		Agents: []config.Agent{
			{ID: "1001", Endpoint: "PJSIP/2001", Skills: map[string]int{"s": 1, "t": 1}},
			{ID: "1002", Endpoint: "PJSIP/2002", Skills: map[string]int{"t": 1, "b": 1}},
		},
	}
}

// script drives a real engine through a day (and the evening before) and
// returns its events, with the PBX calls it only observes.
type script struct {
	t   *testing.T
	e   *acd.Engine
	loc *time.Location
	day time.Time
	evs []eventlog.Event
}

func (s *script) at(hhmmss string) time.Time {
	d, err := time.ParseInLocation("2006-01-02 15:04:05", s.day.Format("2006-01-02 ")+hhmmss, s.loc)
	if err != nil {
		s.t.Fatal(err)
	}
	return d
}

func (s *script) take(err error) {
	s.t.Helper()
	if err != nil {
		s.t.Fatal(err)
	}
	_, evs := s.e.Take()
	for _, ev := range evs {
		s.evs = append(s.evs, queue.ToLog(ev))
	}
}

// ringing is the channel ringing for a call.
func (s *script) ringing(callID string) string {
	s.t.Helper()
	c, ok := s.e.Call(callID)
	if !ok || c.State != acd.Ringing {
		s.t.Fatalf("call %s is not ringing: %+v", callID, c)
	}
	return c.Channel
}

func (s *script) arrive(at time.Time, id, q string) {
	s.take(s.e.Arrive(at, acd.Arrival{CallID: id, Queue: q, DNIS: "5551000", CLID: "0611"}))
}

func (s *script) answer(at time.Time, id string) { s.take(s.e.OfferAnswered(at, s.ringing(id))) }

func (s *script) hangup(at time.Time, id string) {
	s.e.Hangup(at, id)
	s.take(nil)
}

// cdr is a call the PBX reports and ccd only observed.
func (s *script) cdr(at time.Time, from, to, direction string) {
	p, _ := json.Marshal(map[string]any{"source": from, "destination": to, "channel": "PJSIP/" + from + "-00000003",
		"destinationchannel": "PJSIP/" + to + "-00000004", "disposition": "ANSWERED", "duration": "60", "billableseconds": "50",
		"direction": direction, "acd": false, "starttime": at.Add(-time.Minute).In(s.loc).Format("2006-01-02 15:04:05")})
	s.evs = append(s.evs, eventlog.Event{At: at, CallID: fmt.Sprint("pbx-", at.Unix()), Kind: pbx.KindCDR, Key: eventlog.NewKey(),
		Source: eventlog.SourceAMI, CLID: from, DNIS: to, Payload: p})
}

// The toolbar strings of a scripted day, against figures worked out by
// hand from the script: the statistics are rebuilt from its events in
// PostgreSQL, "today" starts at midnight in the center's zone (the evening
// before, in the same UTC day, does not count), Offered excludes inflow,
// Returned adds returned-from-agent and inflowed.
func TestToolbarStringsOfAScriptedDay(t *testing.T) {
	loc, err := time.LoadLocation("Europe/Copenhagen")
	if err != nil {
		t.Fatal(err)
	}
	cfg := dayConfig()
	eng, err := acd.New(cfg.Spec())
	if err != nil {
		t.Fatal(err)
	}
	s := &script{t: t, e: eng, loc: loc, day: time.Date(2026, 3, 10, 0, 0, 0, 0, loc)}
	s.day = s.day.AddDate(0, 0, -1)
	// The evening before (22:xx UTC, the same UTC day as today's morning).
	s.take(eng.Login(s.at("23:00:00"), "1001", ""))
	s.arrive(s.at("23:10:00"), "y1", "sales")
	s.answer(s.at("23:10:03"), "y1")
	s.hangup(s.at("23:15:00"), "y1")
	s.take(eng.Logout(s.at("23:20:00"), "1001"))
	s.day = s.day.AddDate(0, 0, 1)

	s.take(eng.Login(s.at("08:00:00"), "1001", ""))
	s.take(eng.Login(s.at("08:00:00"), "1002", ""))
	s.cdr(s.at("08:05:00"), "2001", "0049301234", pbx.Outbound) // 1001 ExtOut
	s.cdr(s.at("08:06:00"), "2001", "2002", pbx.Internal)       // 1001 IntOut, 1002 DirectIn
	s.cdr(s.at("08:07:00"), "0049305678", "2001", pbx.Inbound)  // 1001 DirectIn
	s.arrive(s.at("08:10:00"), "c1", "sales")                   // answered after 5 s
	s.answer(s.at("08:10:05"), "c1")
	s.hangup(s.at("08:12:00"), "c1")
	s.arrive(s.at("08:20:00"), "c2", "sales") // 1001 does not answer: returned
	eng.AgentGone(s.at("08:20:15"), s.ringing("c2"), acd.NoAnswer)
	s.take(nil)
	s.take(eng.Ready(s.at("08:20:50"), "1001")) // 35 s not ready; offered again
	s.answer(s.at("08:20:54"), "c2")            // waited 54 s
	s.hangup(s.at("08:25:00"), "c2")
	s.take(eng.NotReady(s.at("08:29:00"), "1001", "lunch"))
	s.arrive(s.at("08:30:00"), "c3", "sales") // overflows to support, inflowed there
	eng.Tick(s.at("08:31:00"))
	s.take(nil)
	s.answer(s.at("08:31:10"), "c3") // by 1002, 10 s in support
	s.hangup(s.at("08:33:00"), "c3")
	s.arrive(s.at("08:40:00"), "c4", "support")
	s.answer(s.at("08:40:02"), "c4")
	s.hangup(s.at("08:41:00"), "c4")
	s.arrive(s.at("08:50:00"), "c5", "sales") // abandoned in the queue
	s.hangup(s.at("08:50:30"), "c5")
	s.take(eng.Ready(s.at("09:00:00"), "1001")) // 1,860 s at lunch
	s.take(eng.Logout(s.at("09:03:00"), "1002"))
	s.arrive(s.at("09:04:00"), "c8", "backup") // nobody serves it: to the default number
	s.arrive(s.at("09:05:00"), "c6", "sales")
	s.answer(s.at("09:05:01"), "c6")          // 1001 stays on it
	s.arrive(s.at("09:06:00"), "c7", "sales") // waits
	now := s.at("09:06:30")

	db := pgtest.NewDB(t)
	ctx := context.Background()
	if err := (store.EventSink{DB: db}).Append(ctx, s.evs); err != nil {
		t.Fatal(err)
	}
	if _, err := job.Rebuild(ctx, db, stats.Clock{Loc: loc}, s.at("00:00:00").AddDate(0, 0, -1), s.at("00:00:00").AddDate(0, 0, 1), nil); err != nil {
		t.Fatal(err)
	}
	svc := New(Options{Live: engineLive{eng, now}, Figures: db, ACD: func() config.ACD { return cfg }, Loc: loc,
		Now: func() time.Time { return now }})
	snap, err := svc.compute(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ agent, view, want string }{
		// sales: offered c1 c2 c3 c5 c6 c7, answered c1 c2 c6 after 5, 54
		// and 1 s, c2 returned once, c5 abandoned, c7 waiting; support:
		// offered c4, inflowed c3, answered c3 c4 after 10 and 2 s.
		{"1001", ViewQueues, "3|sales|Sales Line|20|54|1|6|3|1|1|0|support|support|6|10|0|1|2|1|0|0|"},
		// backup: c8 offered and sent to the default number.
		{"1002", ViewQueues, "3|support|support|6|10|0|1|2|1|0|0|backup|Backup Desk|0|0|0|1|0|0|0|1|"},
		// 1001: offered c1, c2 twice, c6; returned c2; answered c1 c2 c6;
		// one direct call in, one external and one internal out; c7
		// waiting in sales; not ready 35 + 1,860 s.
		{"1001", ViewAgent, "4|1001|4|1|3|1|1|1|1|1895|"},
		{"1002", ViewAgent, "4|1002|2|0|2|1|0|0|0|0|"},
	} {
		var got QueuesInfo
		if err := json.Unmarshal(svc.queuesInfo(snap, c.agent, c.view), &got); err != nil {
			t.Fatal(err)
		}
		if got.Event != EventQueuesInfo || got.Data != c.want {
			t.Errorf("%s %s:\n got %s\nwant %s", c.agent, c.view, got.Data, c.want)
		}
	}
}
