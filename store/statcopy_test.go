package store_test

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/ccdhq/ccd/internal/pgtest"
	"github.com/ccdhq/ccd/stats"
	"github.com/ccdhq/ccd/store"
)

// A rebuild formats rows into COPY's text format itself; what it stores must
// be exactly what the live path's upsert stores for the same rows and records,
// awkward text included (tabs, backslashes, newlines, "\N", non-ASCII). Names
// are numeric so that both databases give them the same codes.
func TestRebuildCopyStoresWhatUpsertStores(t *testing.T) {
	ctx := context.Background()
	loc, err := time.LoadLocation("America/Sao_Paulo")
	if err != nil {
		t.Fatal(err)
	}
	clock := stats.Clock{Loc: loc}
	start := time.Date(2026, 3, 10, 9, 15, 0, 0, loc)
	rowsOf := func() map[stats.RowKey]stats.Row {
		m := map[stats.RowKey]stats.Row{}
		for id := range stats.Tables {
			tb := &stats.Tables[id]
			r := make(stats.Row, len(tb.Cols))
			for i, c := range tb.Cols {
				r[i] = int64(i + 1)
				if c.Op != stats.Sum && i%2 == 0 {
					r[i] = stats.None // "no value" must stay NULL
				}
			}
			k := stats.RowKey{Table: stats.TableID(id), Start: start.Unix(), Name: "7001", Name2: "5001", Type: stats.DevQueue, N1: 3, N2: 7}
			if k.Table == stats.ExtensionStat || k.Table == stats.DeviceStat || k.Table == stats.DeviceTimes {
				k.Name2 = ""
			}
			if k.Table == stats.RouterStat {
				k.Type = stats.DevRouterBlock // a flow's node
			}
			m[k] = r
		}
		return m
	}
	rec := stats.CallRecord{
		CallID: 42, UCID: "1790812894.1", CallType: 1, DNIS: "80030", CLID: "+33 6\t58\\60\n57",
		OfferedTS: start.Add(time.Minute + 123456*time.Microsecond), AnsweredTS: start.Add(2 * time.Minute),
		EndedTS: start.Add(5 * time.Minute), InitialQueue: "5001", QueueHops: 2, Agent: "7001",
		HandledOnQueue: "5001", Router: "main", EndType: 102, AgentHops: 1, Adata1: `\N`, Adata2: "Zoë, 東京", Priority: 3,
		Recording: "/var/spool/rec\r.wav", HoldCount: 1, HoldSeconds: 40000, LastTS: start.Add(5 * time.Minute),
	}

	live := pgtest.NewDB(t)
	codes := store.NewStatCodes(live)
	tx, err := live.BeginTxx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := codes.AddStats(ctx, tx, clock, rowsOf(), []stats.CallRecord{rec}); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}

	rebuilt := pgtest.NewDB(t)
	rb, err := store.NewStatCodes(rebuilt).BeginRebuild(ctx, clock, start.Add(-time.Hour), start.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	defer rb.Rollback()
	if err := rb.Copy(ctx, rowsOf(), []stats.CallRecord{rec}); err != nil {
		t.Fatal(err)
	}
	n, calls, err := rb.Commit()
	if err != nil || n != int64(len(stats.Tables)) || calls != 1 {
		t.Fatalf("commit: %d rows, %d calls, %v", n, calls, err)
	}

	want, got := pgtest.StatRows(t, live), pgtest.StatRows(t, rebuilt)
	if len(want["callsstat"]) != 1 || len(want["devicetimes"]) != 1 {
		t.Fatalf("the upsert path stored %v", want)
	}
	if fmt.Sprintf("%s", want["callsstat"][0]["clid"]) != rec.CLID {
		t.Fatalf("clid stored as %q", want["callsstat"][0]["clid"])
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("rebuild stored\n%v\nupsert stored\n%v", got, want)
	}
}
