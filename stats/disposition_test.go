package stats_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/ccdhq/ccd/stats"
	"github.com/ccdhq/ccd/stats/statstest"
)

// TestDispositionsCountPerCampaignOptionAndQuarterHour: each
// dialer.disposition counts once in its campaign and option's row of the
// quarter-hour it was set; a change counts again under its new option.
func TestDispositionsCountPerCampaignOptionAndQuarterHour(t *testing.T) {
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	rows, _ := foldAll(t, statstest.DispositionLog(start, 1, []statstest.Disposition{
		{Campaign: 7, Option: 1, At: time.Minute},
		{Campaign: 7, Option: 1, At: 2 * time.Minute},
		{Campaign: 7, Option: 2, At: 3 * time.Minute},
		{Campaign: 7, Option: 2, At: 16 * time.Minute, Changed: true},
		{Campaign: 9, Option: 5, At: 14*time.Minute + 59*time.Second},
	}))
	got := map[[3]int64]int64{}
	col := stats.Tables[stats.CampaignDispositionStat].ColumnIndex("dispositions")
	for k, r := range rows {
		if k.Table == stats.CampaignDispositionStat {
			got[[3]int64{int64(k.N1), int64(k.N2), k.Start}] = r[col]
		}
	}
	q0, q1 := start.Unix(), start.Add(15*time.Minute).Unix()
	want := map[[3]int64]int64{{7, 1, q0}: 2, {7, 2, q0}: 1, {7, 2, q1}: 1, {9, 5, q0}: 1}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("campaigndispositionstat rows\n got %v\nwant %v", got, want)
	}
}
