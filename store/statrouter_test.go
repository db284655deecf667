package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/ccdhq/ccd/internal/pgtest"
	"github.com/ccdhq/ccd/stats"
	"github.com/ccdhq/ccd/store"
)

// RouterStat rows are keyed as the seed says (a flow's row DeviceType 11 and
// BlockID -1, its nodes' rows DeviceType 12 with the flow's DeviceCode and
// their own BlockID) and read back with the flow's and the node's names; a
// CallsStat row names the flow the call went through.
func TestRouterStatKeysAndNames(t *testing.T) {
	ctx := context.Background()
	db := pgtest.NewDB(t)
	clock := stats.Clock{Loc: time.UTC}
	at := time.Date(2026, 3, 10, 9, 15, 0, 0, time.UTC)
	row := func(blockType int64) stats.Row {
		r := make(stats.Row, len(stats.Tables[stats.RouterStat].Cols))
		for i, c := range stats.Tables[stats.RouterStat].Cols {
			if c.Op != stats.Sum {
				r[i] = stats.None
			}
		}
		r[0] = blockType
		r[stats.Tables[stats.RouterStat].ColumnIndex("offered")] = 3
		return r
	}
	rows := map[stats.RowKey]stats.Row{
		{Table: stats.RouterStat, Start: at.Unix(), Name: "main", Type: stats.DevRouter}:                     row(stats.None),
		{Table: stats.RouterStat, Start: at.Unix(), Name: "main", Name2: "menu", Type: stats.DevRouterBlock}: row(stats.BlockType("menu")),
	}
	rec := stats.CallRecord{CallID: 7, UCID: "c7", CallType: stats.CallACD, DNIS: "5551000", EndType: 108, Router: "main",
		OfferedTS: at, LastTS: at.Add(time.Minute)}
	codes := store.NewStatCodes(db)
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := codes.AddStats(ctx, tx, clock, rows, []stats.CallRecord{rec}); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	flowCode := codes.Code(store.CodeRouter, "main")
	blockCode := codes.Code(store.CodeBlock, store.BlockName("main", "menu"))
	if flowCode == 0 || blockCode == 0 {
		t.Fatalf("codes %d %d", flowCode, blockCode)
	}

	names, vals, err := db.StatRows(ctx, store.StatQuery{Table: "routerstat", From: at.Add(-time.Hour), To: at.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if len(vals) != 2 {
		t.Fatalf("rows %v", vals)
	}
	got := func(r []any, col string) any {
		for i, n := range names {
			if n == col {
				return r[i]
			}
		}
		t.Fatalf("no column %s in %v", col, names)
		return nil
	}
	for _, r := range vals {
		if got(r, "extension") != int64(flowCode) || got(r, "devicecode") != int64(flowCode) || got(r, "device") != "main" {
			t.Errorf("row %v: want the flow's code %d as extension and device, named main", r, flowCode)
		}
		switch got(r, "devicetype") {
		case int64(stats.DevRouter):
			if got(r, "blockid") != int64(stats.FlowBlockID) || got(r, "blocktype") != nil || got(r, "block") != nil {
				t.Errorf("flow row %v", r)
			}
		case int64(stats.DevRouterBlock):
			if got(r, "blockid") != int64(blockCode) || got(r, "blocktype") != stats.BlockType("menu") || got(r, "block") != "main/menu" {
				t.Errorf("node row %v", r)
			}
		default:
			t.Errorf("row %v", r)
		}
	}

	names, vals, err = db.StatRows(ctx, store.StatQuery{Table: store.CallsStat, From: at.Add(-time.Hour), To: at.Add(time.Hour)})
	if err != nil || len(vals) != 1 {
		t.Fatalf("callsstat %v, %v", vals, err)
	}
	for i, n := range names {
		if (n == "router" && vals[0][i] != int64(flowCode)) || (n == "router_flow" && vals[0][i] != "main") {
			t.Errorf("callsstat %s = %v", n, vals[0][i])
		}
	}
}
