package apitest

import (
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/store"
)

// RealtimeFixture is a center at now: today's figures of the queue sales
// and two agents, and the present of two queues, three calls and agents in
// every state (one without a name, one whose clock runs ahead).
func RealtimeFixture(now time.Time) (*FakeStats, *FakeLive) {
	f := &FakeStats{
		QueueDays: map[string]store.QueueDay{
			"sales": {Offered: 15, Inflowed: 4, Answered: 8, Abandoned: 1, AbdRinging: 1, Overflowed: 3, SumAnswerTime: 100, SumAbdTime: 25, AnsweredInSL: 6},
		},
		AgentDays: map[string]store.AgentDay{
			"1002": {Offered: 5, Answered: 4, LoginTime: 3600, ReadyTime: 3000, NotReadyTime: 600, ACDTalkTime: 1200, TalkTime: 1300},
		},
	}
	live := &FakeLive{
		QueueList: []ccd.QueueStatus{
			{Code: "sales", Name: "Sales Line", Waiting: 2, LongestWaitMS: 12500, ExpectedWaitMS: 30000, LoggedIn: 3,
				AgentsByState: map[string]int{"ready": 1, "on_call": 2}},
			{Code: "support"},
		},
		CallList: []ccd.Call{
			{ID: "c0", CLID: "999", Queue: "sales"}, // waiting, no agent
			{ID: "c1", CLID: "6141644", Queue: "sales", Agent: "1002"},
			{ID: "c2", CLID: "0821291", Queue: "support", Agent: "1007"},
		},
		AgentList: []ccd.AgentStatus{
			{ID: "1001", Name: "Elisa Del Rosario", State: "ready", Since: now.Add(-3 * time.Second)},
			{ID: "1002", Name: "Aldana Magali", State: "on_call", Since: now.Add(-65 * time.Second), CallID: "c1"},
			{ID: "1003", Name: "Ana Belen", State: "not_ready", Activity: "Carga_de_Venta", Since: now.Add(-3700 * time.Second)},
			{ID: "1004", State: "not_ready", Since: now.Add(-time.Second)},
			{ID: "1005", State: "wrap_up", Since: now.Add(-20 * time.Second)},
			{ID: "1006", State: "logged_out", Since: now.Add(-100 * time.Hour)},
			{ID: "1007", State: "ringing", Since: now.Add(time.Second)}, // a clock ahead counts as 0
			{ID: "1008", State: "on_direct_call"},
		},
	}
	return f, live
}
