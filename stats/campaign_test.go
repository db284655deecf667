package stats_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/ccdhq/ccd/acd"
	"github.com/ccdhq/ccd/stats"
	"github.com/ccdhq/ccd/stats/statstest"
)

// campaignScript is a morning of two campaigns: every result status, an
// abandoned call flagged both ways the dialer can, and a call placed in
// one quarter-hour that ends in the next.
var campaignScript = []statstest.DialerCall{
	{Campaign: 7, Placed: 1 * time.Minute, Ended: 1*time.Minute + 20*time.Second, Status: "answered"},
	{Campaign: 7, Placed: 2 * time.Minute, Ended: 2*time.Minute + 30*time.Second, Status: "no_answer"},
	{Campaign: 7, Placed: 3 * time.Minute, Ended: 3*time.Minute + 5*time.Second, Status: "busy"},
	{Campaign: 7, Placed: 4 * time.Minute, Ended: 4*time.Minute + 2*time.Second, Status: "congestion"},
	{Campaign: 7, Placed: 5 * time.Minute, Ended: 5*time.Minute + 1*time.Second, Status: "rejected"},
	{Campaign: 7, Placed: 6 * time.Minute, Ended: 6*time.Minute + 1*time.Second, Status: "invalid_number"},
	{Campaign: 7, Placed: 7 * time.Minute, Ended: 7*time.Minute + 25*time.Second, Status: "machine"},
	{Campaign: 7, Placed: 8 * time.Minute, Ended: 8*time.Minute + 12*time.Second, Status: "abandoned", Abandoned: true},
	{Campaign: 7, Placed: 14*time.Minute + 50*time.Second, Ended: 15*time.Minute + 20*time.Second, Status: "answered"},
	{Campaign: 9, Placed: 16 * time.Minute, Ended: 16*time.Minute + 10*time.Second, Status: "abandoned"},
	{Campaign: 9, Placed: 17 * time.Minute, Ended: 17*time.Minute + 30*time.Second, Status: "machine"},
	{Campaign: 9, Placed: 18 * time.Minute, Ended: 18*time.Minute + 40*time.Second, Status: "some_future_status"},
}

// campaignRows are the CampaignStat rows of rows, by campaign and start, as
// column name -> value.
func campaignRows(rows map[stats.RowKey]stats.Row) map[[2]int64]map[string]int64 {
	t := &stats.Tables[stats.CampaignStat]
	out := map[[2]int64]map[string]int64{}
	for k, r := range rows {
		if k.Table != stats.CampaignStat {
			continue
		}
		m := map[string]int64{}
		for i, c := range t.Cols {
			if r[i] != 0 {
				m[c.Name] = r[i]
			}
		}
		out[[2]int64{int64(k.N1), k.Start}] = m
	}
	return out
}

// TestCampaignStatCountsDialerResults: attempts count in the quarter-hour
// of the placement, results in that of the end; rejected and invalid
// numbers are failed; an abandoned call is one a person answered
// (answered_human, the abandon rate's denominator) and is abandoned too; a
// status ccd does not know is an attempt and nothing else.
func TestCampaignStatCountsDialerResults(t *testing.T) {
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	rows, _ := foldAll(t, statstest.DialerLog(start, campaignScript))
	q0, q1 := start.Unix(), start.Add(15*time.Minute).Unix()
	want := map[[2]int64]map[string]int64{
		{7, q0}: {"attempts": 9, "answered_human": 2, "no_answer": 1, "busy": 1, "congestion": 1, "failed": 2,
			"answered_machine": 1, "abandoned": 1},
		{7, q1}: {"answered_human": 1},
		{9, q1}: {"attempts": 3, "answered_human": 1, "abandoned": 1, "answered_machine": 1},
	}
	if got := campaignRows(rows); !reflect.DeepEqual(got, want) {
		t.Fatalf("campaignstat\n got %v\nwant %v", got, want)
	}
}

// TestCampaignStatTalkTime: a dialer call the ACD connected adds its
// connected time (answer to hang-up) to its campaign's talktime, in the
// quarter-hour it ended; an inbound call with the same attach data does
// not, nor does a dialer call nobody answered.
func TestCampaignStatTalkTime(t *testing.T) {
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	c := newOverflowCenter(t, start)
	at := start.Add(14 * time.Minute)
	for _, id := range []string{"dialer-1", "inbound-1"} {
		c.do(at, func(now time.Time) error {
			return c.e.Arrive(now, acd.Arrival{CallID: id, Queue: "second", DNIS: "5550100", AttachData: "campaign=7;target=70"})
		})
		call, _ := c.e.Call(id)
		c.do(at.Add(time.Second), func(now time.Time) error { return c.e.OfferAnswered(now, call.Channel) })
		c.do(at.Add(91*time.Second), func(now time.Time) error { c.e.Hangup(now, id); return nil })
		at = at.Add(2 * time.Minute)
	}
	c.do(at, func(now time.Time) error {
		return c.e.Arrive(now, acd.Arrival{CallID: "dialer-2", Queue: "first", AttachData: "campaign=7;target=71"})
	})
	c.do(at.Add(3*time.Second), func(now time.Time) error { c.e.Hangup(now, "dialer-2"); return nil })
	rows, _ := foldAll(t, c.evs)
	want := map[[2]int64]map[string]int64{{7, start.Add(15 * time.Minute).Unix()}: {"talktime": 90}}
	if got := campaignRows(rows); !reflect.DeepEqual(got, want) {
		t.Fatalf("campaignstat\n got %v\nwant %v", got, want)
	}
}
