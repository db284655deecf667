package store_test

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ccdhq/ccd/dialer"
	"github.com/ccdhq/ccd/internal/pgtest"
	"github.com/ccdhq/ccd/store"
	"github.com/lib/pq"
)

func crmRole(user, password string) store.CRMRole {
	return store.CRMRole{User: user, Password: password, TimeZone: "Europe/Paris", StatementTimeout: time.Minute, ConnectionLimit: 3}
}

// loginAs opens a connection logging in as role: the functions are called
// over it, as a CRM calls them.
func loginAs(t *testing.T, ctx context.Context, dsn, role, password string) *sql.DB {
	t.Helper()
	c, err := sql.Open("postgres", withUser(dsn, role, password))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.PingContext(ctx); err != nil {
		t.Fatalf("log in as %s: %v", role, err)
	}
	return c
}

func scalar(ctx context.Context, c *sql.DB, q string, args ...any) (string, error) {
	var out sql.NullString
	err := c.QueryRowContext(ctx, q, args...).Scan(&out)
	return out.String, err
}

func sqlState(err error) string {
	var pe *pq.Error
	if errors.As(err, &pe) {
		return string(pe.Code)
	}
	return ""
}

func TestCRMRoleRunsTheOptimusDialerFunctions(t *testing.T) {
	dsn := pgtest.NewEmptyDB(t)
	db := pgtest.OpenMigrated(t, dsn)
	ctx := ctxT(t)
	campaign, err := db.CreateCampaign(ctx, dialer.Campaign{Name: "Renewals", QueueCode: "sales"}.WithDefaults())
	if err != nil {
		t.Fatal(err)
	}
	role := randomRole("ccd_crm_")
	dropRoleAtEnd(t, db, role)
	const pw = `crm-pass'word-1234`
	for range 2 { // idempotent
		if err := db.EnsureCRMRole(ctx, crmRole(role, pw)); err != nil {
			t.Fatal(err)
		}
	}
	crm := loginAs(t, ctx, dsn, role, pw)
	c := strconv.Itoa(campaign)

	id, err := scalar(ctx, crm, `SELECT dialer.inserttargettocampaign($1, 'Tami', 'Cohen', '0536608810', NULL, NULL,
		'Tami', NULL, NULL, 7, NULL, 42)`, campaign)
	if err != nil || id == "" {
		t.Fatalf("inserttargettocampaign: %q, %v", id, err)
	}
	// named notation, with the seed's parameter names in lower case
	id2, err := scalar(ctx, crm, `SELECT dialer.inserttargettocampaign(campaigncode => $1, name => 'Ann', lastname => NULL,
		phonei => '+33100000001', phoneii => '0100000002', phoneiii => NULL, datai => NULL, dataii => NULL, dataiii => NULL,
		filenumber => NULL, priority => 1, external_target_id => NULL)`, campaign)
	if err != nil {
		t.Fatalf("named inserttargettocampaign: %v", err)
	}
	target, err := db.Target(ctx, mustInt64(t, id))
	if err != nil || target.FirstName != "Tami" || target.PhoneI != "0536608810" || target.Priority != 2 ||
		target.ExternalTargetID == nil || *target.ExternalTargetID != 42 || target.FileNumber == nil || *target.FileNumber != 7 {
		t.Fatalf("stored target %+v, %v", target, err)
	}
	for _, bad := range []struct{ args, state, field string }{
		{c + `, 'x', 'y', '05366 08810', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL`, "22023", "phonei"},
		{c + `, 'x', 'y', '0536608810', '05a', NULL, NULL, NULL, NULL, NULL, NULL, NULL`, "22023", "phoneii"},
		{c + `, 'x', 'y', '0536608810', NULL, NULL, NULL, NULL, NULL, NULL, 4, NULL`, "22023", "priority"},
		{`999999, 'x', 'y', '0536608810', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL`, "P0002", "campaigncode"},
	} {
		_, err := scalar(ctx, crm, `SELECT dialer.inserttargettocampaign(`+bad.args+`)`)
		if sqlState(err) != bad.state || !strings.Contains(err.Error(), bad.field+":") {
			t.Errorf("inserttargettocampaign(%s): %v (state %s), want %s naming %s", bad.args, err, sqlState(err), bad.state, bad.field)
		}
	}

	// a dial attempt, as the dialer records it, then the reads
	if _, err := db.Exec(`UPDATE dialer.target SET status_code=3, last_call_ts=now(), total_dials=1, phone_i_counter=1
		WHERE target_id=$1`, mustInt64(t, id)); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	for _, q := range []struct {
		query string
		args  []any
		want  string
	}{
		{`SELECT current_user`, nil, role},
		{`SELECT dialer.gettargetslaststatus($1, '0536608810')`, []any{campaign}, "3"},
		{`SELECT dialer.gettargetslaststatus($1, '0100000002')`, []any{campaign}, "0"},
		{`SELECT dialer.gettargetslaststatus($1, '0999')`, []any{campaign}, ""},
		{`SELECT dialer.getcallstatusdescription(3, 1)`, nil, "No answer"},
		{`SELECT string_agg(target_id || ':' || phone_i_counter, ',') FROM bi.getdialertargetsbystatus($1, $2, $3, 3)`,
			[]any{campaign, now.Add(-time.Hour), now.Add(time.Hour)}, id + ":1"},
		{`SELECT string_agg(targetid || ':' || campaignname || ':' || currentstatus || ':' || curreststatuscode || ':' ||
			firstname || ':' || totaldials, ',') FROM bi.dialertargetsdata($1)`, []any{id + ", nonsense,999999," + id2},
			id + ":Renewals:No answer:3:Tami:1," + id2 + ":Renewals:Not dialled yet:0:Ann:0"},
		{`SELECT dialer.deletetarget($1)::text`, []any{id}, "true"},
		{`SELECT dialer.deletetarget(999999)::text`, nil, "false"},
		{`SELECT dialer.gettargetslaststatus($1, '0536608810')`, []any{campaign}, "13"},
		{`SELECT current_setting('TimeZone')`, nil, "Europe/Paris"},
	} {
		got, err := scalar(ctx, crm, q.query, q.args...)
		if err != nil || got != q.want {
			t.Errorf("as the CRM role, %s: %q, %v; want %q", q.query, got, err, q.want)
		}
	}
	// Nothing but the functions.
	for _, q := range []string{
		`SELECT count(*)::text FROM dialer.target`,
		`INSERT INTO dialer.target (campaign_id, phone_i) VALUES (` + c + `, '1') RETURNING 'inserted'`,
		`UPDATE dialer.campaign SET is_active = true RETURNING 'updated'`,
		`SELECT count(*)::text FROM dialer.claim_targets(` + c + `, now(), 10)`,
		`SELECT count(*)::text FROM stat.callsstat`,
		`SELECT count(*)::text FROM call_event`,
		`SELECT count(*)::text FROM bi.getallqueues()`,
		`CREATE TABLE public.crm_was_here (x int); SELECT 'created'`,
		`CREATE TEMP TABLE crm_was_here (x int); SELECT 'created'`,
	} {
		if got, err := scalar(ctx, crm, q); err == nil {
			t.Errorf("the CRM role ran %s: %q", q, got)
		}
	}
}

func TestBIRoleRunsTheDialerBIFunctionsOnly(t *testing.T) {
	dsn := pgtest.NewEmptyDB(t)
	db := pgtest.OpenMigrated(t, dsn)
	ctx := ctxT(t)
	campaign, err := db.CreateCampaign(ctx, dialer.Campaign{Name: "Renewals", QueueCode: "sales"}.WithDefaults())
	if err != nil {
		t.Fatal(err)
	}
	id, err := db.AddTarget(ctx, dialer.Target{CampaignID: campaign, PhoneI: "0536608810", FirstName: "Tami"}.WithDefaults())
	if err != nil {
		t.Fatal(err)
	}
	role := randomRole("ccd_bi_")
	dropRoleAtEnd(t, db, role)
	const pw = "bi-password-1234"
	if err := db.EnsureBIRole(ctx, biRole(role, pw, "UTC")); err != nil {
		t.Fatal(err)
	}
	bi := loginAs(t, ctx, dsn, role, pw)
	now := time.Now()
	if got, err := scalar(ctx, bi, `SELECT string_agg(firstname || ':' || phonei, ',') FROM bi.dialertargetsdata($1)`, strconv.FormatInt(id, 10)); err != nil || got != "Tami:0536608810" {
		t.Errorf("bi.dialertargetsdata as the BI role: %q, %v", got, err)
	}
	if got, err := scalar(ctx, bi, `SELECT count(*)::text FROM bi.getdialertargetsbystatus($1, $2, $3, NULL)`, campaign, now.Add(-time.Hour), now); err != nil || got != "0" {
		t.Errorf("bi.getdialertargetsbystatus as the BI role: %q, %v", got, err)
	}
	for _, q := range []string{
		`SELECT count(*)::text FROM dialer.target`,
		`SELECT dialer.inserttargettocampaign(1, 'x', 'y', '1', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)::text`,
		`SELECT dialer.deletetarget(1)::text`,
	} {
		if got, err := scalar(ctx, bi, q); err == nil {
			t.Errorf("the BI role ran %s: %q", q, got)
		}
	}
}

func mustInt64(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// Two agents disposing the same contact at once: one disposition, the other
// refused as a duplicate, whatever the timing.
func TestConcurrentDispositionsOfAContact(t *testing.T) {
	db := pgtest.OpenMigrated(t, pgtest.NewEmptyDB(t))
	ctx := ctxT(t)
	campaign, err := db.CreateCampaign(ctx, dialer.Campaign{Name: "Renewals", QueueCode: "sales"}.WithDefaults())
	if err != nil {
		t.Fatal(err)
	}
	target, err := db.AddTarget(ctx, dialer.Target{CampaignID: campaign, PhoneI: "0536608810"}.WithDefaults())
	if err != nil {
		t.Fatal(err)
	}
	opt, err := db.AddDispositionOption(ctx, store.DispositionOption{CampaignID: campaign, Name: "Success", Kind: store.DispositionEngaged})
	if err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 8)
	for i := range 8 {
		go func() {
			_, err := db.CreateDisposition(ctx, store.ContactRef{ID: target}, store.Disposition{DispositionOptionID: opt, Agent: strconv.Itoa(1000 + i)})
			errs <- err
		}()
	}
	created, duplicates := 0, 0
	for range 8 {
		switch err := <-errs; {
		case err == nil:
			created++
		case errors.Is(err, store.ErrDuplicateDisposition):
			duplicates++
		default:
			t.Fatal(err)
		}
	}
	if created != 1 || duplicates != 7 {
		t.Fatalf("%d created, %d duplicates", created, duplicates)
	}
}
