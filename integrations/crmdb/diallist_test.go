package crmdb

import (
	"bytes"
	"context"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/config"
	"github.com/ccdhq/ccd/dialer"
	"github.com/ccdhq/ccd/eventlog"
	"github.com/ccdhq/ccd/internal/pgtest"
	"github.com/ccdhq/ccd/store"
)

const mitelList = `CREATE TABLE dial_list (cust_id integer, first text, last text, phone1 text, phone2 text, note text,
	status text, attempts integer, last_call text)`

func newDialList(t *testing.T, cfg config.DialList) *DialList {
	t.Helper()
	l, err := OpenDialList(cfg, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func listConfig(dsn string, campaign int) config.DialList {
	return config.DialList{CampaignID: campaign, Driver: "sqlite", DSN: dsn, Key: "cust_id",
		Select:  `SELECT cust_id, first, last, phone1, phone2, note FROM dial_list`,
		Columns: map[string]string{"fName": "first", "lName": "last", "phoneI": "phone1", "phoneII": "phone2", "dataI": "note"},
		WriteBack: `UPDATE dial_list SET status = {Status}, attempts = {Attempts}, last_call = {LastCallTS}
			WHERE cust_id = {ExternalId} AND phone1 = '{Phone}'`,
		Retries: 2, RetryDelay: time.Millisecond}
}

func listCampaign(t *testing.T, db *store.DB) int {
	t.Helper()
	id, err := db.CreateCampaign(context.Background(), dialer.Campaign{Name: "mitel", QueueCode: "sales", IsActive: true, RetryNumber: 3, CallPriority: 2}.WithDefaults())
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func campaignTargets(t *testing.T, db *store.DB, campaign int) map[int64]dialer.Target {
	t.Helper()
	var ids []int64
	if err := db.SelectContext(context.Background(), &ids, `SELECT target_id FROM dialer.target WHERE campaign_id=$1`, campaign); err != nil {
		t.Fatal(err)
	}
	m := map[int64]dialer.Target{}
	for _, id := range ids {
		tg, err := db.Target(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if _, dup := m[*tg.ExternalTargetID]; dup {
			t.Errorf("external id %d imported twice", *tg.ExternalTargetID)
		}
		m[*tg.ExternalTargetID] = tg
	}
	return m
}

// The list's rows become the campaign's targets by their key; importing
// again adds nothing, updates open targets that changed in the list and
// never reopens a finished one.
func TestDialListImportIsIdempotent(t *testing.T) {
	ctx := context.Background()
	db := pgtest.NewDB(t)
	campaign := listCampaign(t, db)
	dsn, crm := sqliteCRM(t)
	execAll(t, crm, mitelList, `INSERT INTO dial_list (cust_id, first, last, phone1, phone2, note) VALUES
		(101, 'Ann', 'Lee', '5551001', NULL, 'gold'), (102, 'Bob', 'Ray', '5551002', '5551012', ''),
		(103, 'Cy', 'Wu', '55510x3', NULL, '')`)
	l := newDialList(t, listConfig(dsn, campaign))

	res, err := l.Import(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if res.Added != 2 || len(res.Problems) != 1 || !strings.Contains(res.Problems[0], "cust_id 103") || !strings.Contains(res.Problems[0], "phoneI") {
		t.Fatalf("first import: %+v", res)
	}
	got := campaignTargets(t, db, campaign)
	if a := got[101]; a.FirstName != "Ann" || a.LastName != "Lee" || a.PhoneI != "5551001" || a.DataI != "gold" || a.Priority != 2 {
		t.Errorf("target 101: %+v", a)
	}
	if b := got[102]; b.PhoneII != "5551012" {
		t.Errorf("target 102: %+v", b)
	}

	// 101 is finished (answered); 102 changes in the list; 103 gets a valid
	// phone; a new row comes.
	if _, err := db.ExecContext(ctx, `UPDATE dialer.target SET status_code=$1 WHERE target_id=$2`, dialer.StatusAnswered, got[101].ID); err != nil {
		t.Fatal(err)
	}
	execAll(t, crm, `UPDATE dial_list SET first='Annie', phone1='5559001'`, `UPDATE dial_list SET note='moved' WHERE cust_id=102`,
		`INSERT INTO dial_list (cust_id, first, last, phone1) VALUES (104, 'Di', 'Ng', '5551004')`)
	for range 2 {
		if res, err = l.Import(ctx, db); err != nil {
			t.Fatal(err)
		}
	}
	if res.Added != 0 || res.Updated != 0 || res.Unchanged != 4 {
		t.Errorf("third import: %+v", res)
	}
	again := campaignTargets(t, db, campaign)
	if len(again) != 4 {
		t.Fatalf("targets after re-import: %d, want 4", len(again))
	}
	if a := again[101]; a.StatusCode != dialer.StatusAnswered || a.FirstName != "Ann" || a.ID != got[101].ID {
		t.Errorf("finished target 101 touched: %+v", a)
	}
	if b := again[102]; b.DataI != "moved" || b.PhoneI != "5559001" || b.StatusCode != dialer.StatusNew || b.ID != got[102].ID {
		t.Errorf("open target 102 not updated: %+v", b)
	}
	if c := again[103]; c.PhoneI != "5559001" {
		t.Errorf("fixed row 103: %+v", c)
	}
	if d := again[104]; d.PhoneI != "5551004" {
		t.Errorf("new row 104: %+v", d)
	}
}

// A key column that is not an integer stops the import with an error that
// names the configuration key and the column; nothing is imported.
func TestDialListWrongKeyType(t *testing.T) {
	db := pgtest.NewDB(t)
	campaign := listCampaign(t, db)
	dsn, crm := sqliteCRM(t)
	execAll(t, crm, `CREATE TABLE dial_list (cust_id text, first text, last text, phone1 text, phone2 text, note text)`,
		`INSERT INTO dial_list VALUES ('A-17', 'Ann', 'Lee', '5551001', NULL, '')`)
	_, err := newDialList(t, listConfig(dsn, campaign)).Import(context.Background(), db)
	if err == nil || !strings.Contains(err.Error(), "dialer.lists[0].key") || !strings.Contains(err.Error(), `"cust_id"`) || !strings.Contains(err.Error(), "integer") {
		t.Fatalf("err = %v", err)
	}
	cfg := listConfig(dsn, campaign)
	cfg.Key = "customer"
	_, err = newDialList(t, cfg).Import(context.Background(), db)
	if err == nil || !strings.Contains(err.Error(), "dialer.lists[0].key") || !strings.Contains(err.Error(), `"customer"`) {
		t.Fatalf("missing key column: err = %v", err)
	}
	if n := len(campaignTargets(t, db, campaign)); n != 0 {
		t.Errorf("%d targets imported", n)
	}
}

// A write-back statement never has a value spliced in: a {Name} inside a
// longer literal is refused at start, naming the key.
func TestDialListWriteBackRefusesSplicing(t *testing.T) {
	cfg := listConfig(t.TempDir()+"/x.db", 1)
	cfg.WriteBack = `UPDATE dial_list SET status = 'done: {Status}' WHERE cust_id = {ExternalId}`
	_, err := OpenDialList(cfg, 0, nil)
	if err == nil || !strings.Contains(err.Error(), "dialer.lists[0].write_back") {
		t.Fatalf("err = %v", err)
	}
}

func resultEvent(campaign int, target int64, phone string, code int, status string) eventlog.Event {
	return eventlog.Event{At: time.Date(2026, 3, 10, 9, 30, 0, 0, time.UTC), Kind: ccd.EventDialerResult, Source: eventlog.SourceACD,
		Key: "result-" + phone + status, Payload: eventlog.Payload(ccd.DialerAttempt{CampaignID: campaign, TargetID: target,
			Phone: phone, Result: code, Status: status})}
}

func drainFeed(t *testing.T, f *DialListFeed) {
	t.Helper()
	for {
		n, err := f.Step(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
}

// A dialer.result of a target from the list is written back to the list
// (bound values, quotes and all); results of other campaigns are not.
func TestDialListWriteBackAfterResult(t *testing.T) {
	ctx := context.Background()
	db := pgtest.NewDB(t)
	campaign := listCampaign(t, db)
	dsn, crm := sqliteCRM(t)
	execAll(t, crm, mitelList, `INSERT INTO dial_list (cust_id, first, last, phone1) VALUES (101, 'Ann', 'Lee', '5551001'), (102, 'O''Hara', 'X', '5551002')`)
	l := newDialList(t, listConfig(dsn, campaign))
	if _, err := l.Import(ctx, db); err != nil {
		t.Fatal(err)
	}
	got := campaignTargets(t, db, campaign)
	if _, err := db.ExecContext(ctx, `UPDATE dialer.target SET total_dials=2 WHERE target_id=$1`, got[101].ID); err != nil {
		t.Fatal(err)
	}
	if err := (store.EventSink{DB: db}).Append(ctx, []eventlog.Event{
		resultEvent(campaign, got[101].ID, "5551001", dialer.StatusBusy, "busy"),
		resultEvent(campaign+1000, got[102].ID, "5551002", dialer.StatusAnswered, "answered"),
	}); err != nil {
		t.Fatal(err)
	}
	drainFeed(t, NewDialListFeed(db, []*DialList{l}, slog.New(slog.DiscardHandler)))

	var status, last string
	var attempts int
	if err := crm.QueryRow(`SELECT status, attempts, last_call FROM dial_list WHERE cust_id=101`).Scan(&status, &attempts, &last); err != nil {
		t.Fatal(err)
	}
	if status != "busy" || attempts != 2 || last != "2026-03-10 09:30:00" {
		t.Errorf("written back: %q %d %q", status, attempts, last)
	}
	var other *string
	if err := crm.QueryRow(`SELECT status FROM dial_list WHERE cust_id=102`).Scan(&other); err != nil || other != nil {
		t.Errorf("another campaign's result written back: %v %v", other, err)
	}
}

// A write-back that keeps failing is retried, then logged with the target
// id, and the feed moves on to the next result.
func TestDialListWriteBackFailureRetriedThenLogged(t *testing.T) {
	ctx := context.Background()
	db := pgtest.NewDB(t)
	campaign := listCampaign(t, db)
	dsn, crm := sqliteCRM(t)
	execAll(t, crm, mitelList, `INSERT INTO dial_list (cust_id, first, last, phone1) VALUES (101, 'Ann', 'Lee', '5551001')`,
		// every write-back is refused
		`CREATE TRIGGER refuse BEFORE UPDATE ON dial_list BEGIN SELECT RAISE(FAIL, 'list locked'); END`)
	cfg := listConfig(dsn, campaign)
	cfg.Retries = 2
	l := newDialList(t, cfg)
	if _, err := l.Import(ctx, db); err != nil {
		t.Fatal(err)
	}
	target := campaignTargets(t, db, campaign)[101]
	if err := (store.EventSink{DB: db}).Append(ctx, []eventlog.Event{resultEvent(campaign, target.ID, "5551001", dialer.StatusNoAnswer, "no_answer")}); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	drainFeed(t, NewDialListFeed(db, []*DialList{l}, slog.New(slog.NewTextHandler(&logs, nil))))

	out := logs.String()
	if !strings.Contains(out, "dial list write-back failed") || !strings.Contains(out, "target_id="+strconv.FormatInt(target.ID, 10)) ||
		!strings.Contains(out, "list locked") || !strings.Contains(out, "after 3 attempts") {
		t.Errorf("log: %s", out)
	}
}
