package crmdb

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ccdhq/ccd/api"
	"github.com/ccdhq/ccd/config"
)

// {Name} variables are bound, never spliced: in code, and as a whole quoted
// literal the way the seed's examples write them.
func TestBracesAreAlwaysBound(t *testing.T) {
	login := hookVars["agent_login"]
	cases := []struct {
		driver, q, want string
		vars            []string
		err             string
	}{
		{"postgres", "select AgentId from users where Username = '{USERNAME}' and Password = '{PASSWORD}'",
			"select AgentId from users where Username = $1 and Password = $2", []string{"Username", "Password"}, ""},
		{"sqlite", "select AgentId from users where Username = {Username} and lower(x) = lower({username})",
			"select AgentId from users where Username = ? and lower(x) = lower(?)", []string{"Username", "Username"}, ""},
		{"sqlserver", "select AgentId from [user] where Username = N'{Username}' and Password = '{Password}'",
			"select AgentId from [user] where Username = @p1 and Password = @p2", []string{"Username", "Password"}, ""},
		{"mysql", `select 1 from u where name = "{Username}" -- {Password} stays in the comment`,
			`select 1 from u where name = ? -- {Password} stays in the comment`, []string{"Username"}, ""},
		{"postgres", "select '{not a variable}', '{}' from u where n = {Username}",
			"select '{not a variable}', '{}' from u where n = $1", []string{"Username"}, ""},
		{"postgres", "select 1 from u where n like '{Username}%'", "", nil, "inside a longer string literal"},
		{"postgres", `select "{Username}" from u`, "", nil, "inside a quoted identifier"},
		{"postgres", "select 1 from u where n = {AgentId}", "", nil, "unknown variable {AgentId}"},
		{"postgres", "select 1 from u where n = '{Agent}'", "", nil, "unknown variable {Agent}"},
		{"postgres", "select '/pop?id={CallId}' from u where n = {Username}", "select '/pop?id={CallId}' from u where n = $1", []string{"Username"}, ""},
		{"sqlite", "select 1 from u where n = ?", "", nil, "placeholder ?"},
		{"postgres", "select 1 from u where n = $1", "", nil, "placeholder $1"},
		{"postgres", "select 1 from u where n = 'unterminated", "", nil, "unterminated"},
	}
	// Call Start's URL keeps its own variables as written.
	if got, vars, err := translateBraces("select '/pop?ani={Ani}' as Url where d = '{Dnis}'", dialects["postgres"], hookVars["call_start"], true); err != nil ||
		got != "select '/pop?ani={Ani}' as Url where d = $1" || !slices.Equal(vars, []string{"Dnis"}) {
		t.Errorf("call start URL literal: %q %v %v", got, vars, err)
	}
	for _, tc := range cases {
		got, vars, err := translateBraces(tc.q, dialects[tc.driver], login, false)
		switch {
		case tc.err != "":
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s %q: %v, want an error with %q", tc.driver, tc.q, err, tc.err)
			}
		case err != nil:
			t.Errorf("%s %q: %v", tc.driver, tc.q, err)
		case got != tc.want || !slices.Equal(vars, tc.vars):
			t.Errorf("%s %q:\n got  %q %v\n want %q %v", tc.driver, tc.q, got, vars, tc.want, tc.vars)
		}
	}
}

const (
	crmUsers = `CREATE TABLE crm_user (Username varchar(50), Password varchar(50), AgentId int, CallerId varchar(20),
		CallerIdName varchar(60), AgentSkills varchar(200), PhoneExtension varchar(10), UserLevel varchar(10))`
	crmCallLog = `CREATE TABLE CallLog (Segment int, TalkTime int, HoldTime int, CallType int, StartDateTime timestamp,
		ConnectDateTime timestamp, EndDateTime timestamp, AgentId int, TrueDuration int, ANI varchar(40), DNIS varchar(40), CallId varchar(60))`
	crmAgentStats = `CREATE TABLE AgentStats (LoginDateTime timestamp, LogoutDateTime timestamp, AwayTime int, IdleTime int,
		OnPhoneTime int, ReadyTime int, AgentId int)`
	crmCallStart = `CREATE TABLE CallStart (Dnis varchar(40), Ani varchar(40), CallerIdName varchar(60), CallType int, AgentId int)`
)

var crmRows = []string{
	`INSERT INTO crm_user VALUES ('joe', 'smith', 7, '+4570000000', 'Joe Smith', 'sales, support:5', '2001', '1')`,
	`INSERT INTO crm_user VALUES ('ann', 'pw', 8, '+4570000001', 'Ann With A Very Long Display Name', 'support', '2002', '2')`,
	`INSERT INTO crm_user VALUES ('twin', 'pw', 9, '', 'Twin One', '', '2003', '1')`,
	`INSERT INTO crm_user VALUES ('twin', 'pw', 10, '', 'Twin Two', '', '2004', '1')`,
	`INSERT INTO crm_user VALUES ('noid', 'pw', NULL, '', '', '', '', '1')`,
	`INSERT INTO crm_user VALUES ('boss', 'pw', 11, '', '', '', '', 'chief')`,
	`INSERT INTO crm_user VALUES ('badskill', 'pw', 12, '', '', 'sales:99', '', '1')`,
}

// The seed's statements, as a customer would paste them (with straight quotes).
func seedHooks(driver, dsn string) config.SQLHooks {
	return config.SQLHooks{Driver: driver, DSN: dsn, Timeout: 5 * time.Second, Retries: 2, RetryDelay: 10 * time.Millisecond,
		AgentLogin: config.SQLHook{Statement: `select AgentId, CallerId, CallerIdName, AgentSkills, PhoneExtension, UserLevel
			FROM crm_user where Username = '{USERNAME}' and Password = '{PASSWORD}'`},
		AgentLogout: config.SQLHook{Statement: `INSERT INTO AgentStats (LoginDateTime, LogoutDateTime, AwayTime, IdleTime, OnPhoneTime, ReadyTime, AgentId)
			VALUES ('{LoginDateTime}', '{LogoutDateTime}', {AwayTime}, {BusyTime}, {OnPhoneTime}, {ReadyTime}, {AgentId})`},
		CallStart: config.SQLHook{Statement: `INSERT INTO CallStart (Dnis, Ani, CallerIdName, CallType, AgentId)
			VALUES ('{Dnis}', '{Ani}', '{CallerIdName}', '{CallType}', {AgentId})`},
		CallEnd: config.SQLHook{Statement: `INSERT INTO CallLog (Segment, TalkTime, HoldTime, CallType, StartDateTime, ConnectDateTime, EndDateTime, AgentId, TrueDuration, ANI, DNIS, CallId)
			VALUES ({SEGMENT}, {TALKTIME}, {HOLDTIME}, {CALLTYPE}, {STARTDATETIME}, {ConnectDateTime}, {ENDDATETIME}, {AGENTID}, {TRUEDURATION}, {ANI}, {DNIS}, {CALLID})`},
	}
}

func mustHooks(t testing.TB, cfg config.SQLHooks) *Hooks {
	t.Helper()
	h, err := OpenHooks(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return h
}

func sqliteCRM(t *testing.T) (string, *sql.DB) {
	path := filepath.Join(t.TempDir(), "crm.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return path, db
}

func TestHooksSQLite(t *testing.T) {
	dsn, db := sqliteCRM(t)
	execAll(t, db, crmUsers, crmCallLog, crmAgentStats, crmCallStart)
	execAll(t, db, crmRows...)
	checkHooks(t, mustHooks(t, seedHooks("sqlite", dsn)), db)
}

func TestHooksPostgres(t *testing.T) {
	dsn, db := pgDB(t)
	execAll(t, db, crmUsers, crmCallLog, crmAgentStats, crmCallStart)
	execAll(t, db, crmRows...)
	checkHooks(t, mustHooks(t, seedHooks("postgres", dsn)), db)
}

// checkHooks runs the four hooks as the seed describes them, and the bad
// answers a CRM may give.
func checkHooks(t *testing.T, h *Hooks, db *sql.DB) {
	ctx := context.Background()
	got, err := h.AgentLogin(ctx, "joe", "smith")
	want := Login{AgentID: "7", CallerID: "+4570000000", CallerIDName: "Joe Smith", Skills: map[string]int{"sales": 1, "support": 5}, Extension: "2001"}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("login joe: %+v, %v; want %+v", got, err, want)
	}
	for _, user := range []string{"joe' OR '1'='1", "joe' --", "joe"} {
		if _, err := h.AgentLogin(ctx, user, "' OR '1'='1"); !errors.Is(err, ErrLoginRefused) {
			t.Errorf("login %q with an injection as password: %v, want refused", user, err)
		}
	}
	if got, err := h.AgentLogin(ctx, "ann", "pw"); err != nil || got.CallerIDName != "Ann With A Very" || !got.Supervisor || len(got.Problems) != 1 {
		t.Errorf("long CallerIDName: %+v, %v", got, err)
	}
	if got, err := h.AgentLogin(ctx, "twin", "pw"); err != nil || len(got.Problems) != 1 {
		t.Errorf("two rows: %+v, %v", got, err)
	}
	for user, problem := range map[string]string{"noid": "AgentId is missing or NULL", "boss": `UserLevel "chief"`, "badskill": "sales:99"} {
		if _, err := h.AgentLogin(ctx, user, "pw"); err == nil || !strings.Contains(err.Error(), problem) {
			t.Errorf("login %s: %v, want %q", user, err, problem)
		}
	}

	at := time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
	if err := h.AgentLogout(ctx, Logout{AgentID: "7", LoginAt: at, LogoutAt: at.Add(8 * time.Hour), Away: 600, Busy: 300, OnPhone: 20000, Ready: 7900}); err != nil {
		t.Fatal(err)
	}
	var away, idle, phone, ready, agent int
	var login, logout string
	if err := db.QueryRow(`SELECT AwayTime, IdleTime, OnPhoneTime, ReadyTime, AgentId, LoginDateTime, LogoutDateTime FROM AgentStats`).
		Scan(&away, &idle, &phone, &ready, &agent, &login, &logout); err != nil {
		t.Fatal(err)
	}
	if away != 600 || idle != 300 || phone != 20000 || ready != 7900 || agent != 7 || !strings.HasPrefix(login, "2026-03-10") || !strings.Contains(logout, "17:00:00") {
		t.Errorf("AgentStats row %d %d %d %d %d %s %s", away, idle, phone, ready, agent, login, logout)
	}

	data, err := h.CallStart(ctx, CallStart{Dnis: "5551000", Ani: "+4512345678", CallerIDName: "O'Brien", CallType: CallInbound}, "c1")
	if err != nil || !reflect.DeepEqual(data, CallData{}) {
		t.Errorf("call start (an INSERT answers nothing): %+v, %v", data, err)
	}
	var name string
	var agentID, callType int
	if err := db.QueryRow(`SELECT CallerIdName, AgentId, CallType FROM CallStart`).Scan(&name, &agentID, &callType); err != nil || name != "O'Brien" || agentID != 0 || callType != 1 {
		t.Errorf("CallStart row %q %d %d, %v", name, agentID, callType, err)
	}

	end := CallEnd{Segment: 1, TalkTime: 95, HoldTime: 10, TrueDuration: 130, CallType: CallInbound, StartAt: at, EndAt: at.Add(130 * time.Second),
		AgentID: "7", Ani: "+4512345678", Dnis: "5551000", CallID: "c1'); DROP TABLE CallLog; --"}
	if err := h.CallEnd(ctx, end); err != nil {
		t.Fatal(err)
	}
	var callID string
	var connect sql.NullString
	var talk int
	if err := db.QueryRow(`SELECT CallId, ConnectDateTime, TalkTime FROM CallLog`).Scan(&callID, &connect, &talk); err != nil {
		t.Fatal(err)
	}
	if callID != end.CallID || connect.Valid || talk != 95 {
		t.Errorf("CallLog row %q %v %d", callID, connect, talk)
	}
}

// Call Start's answer drives the call: the URL's own variables are filled
// in (URL-encoded), Record=Y, the skills and the transfer number.
func TestCallStartAnswer(t *testing.T) {
	dsn, db := sqliteCRM(t)
	execAll(t, db, `CREATE TABLE routing (dnis text, url text, crm_id int, rec text, transfer text, skills text, custom text)`,
		`INSERT INTO routing VALUES ('5551000', 'https://crm.example.com/pop?ani={Ani}&id={CALLID}&t={CallType}', 4711, 'Y', '5559999', 'sales, french', 'app=1')`,
		`INSERT INTO routing VALUES ('5551000', 'https://second.example.com/', 1, 'N', '', '', '')`)
	cfg := seedHooks("sqlite", dsn)
	cfg.CallStart.Statement = `SELECT url AS Url, crm_id AS CallId, rec AS Record, transfer AS DefaultTransferNumber, skills AS Skills,
		custom AS CustomData FROM routing WHERE dnis = '{Dnis}' ORDER BY crm_id DESC`
	h := mustHooks(t, cfg)
	got, err := h.CallStart(context.Background(), CallStart{Dnis: "5551000", Ani: "+45 1234&5", CallType: CallInbound}, "c1")
	want := CallData{URL: "https://crm.example.com/pop?ani=%2B45+1234%265&id=4711&t=1", CallID: "4711", Record: true,
		DefaultTransferNumber: "5559999", Skills: []string{"sales", "french"}, CustomData: "app=1", Problems: []string{"more than one row: the first is used"}}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("call start:\n got  %+v %v\n want %+v", got, err, want)
	}
}

// A write hook that fails is tried again; one that keeps failing reports
// the last error after every attempt.
func TestWriteHooksRetry(t *testing.T) {
	dsn, db := pgDB(t)
	execAll(t, db, `CREATE SEQUENCE attempts`, `CREATE TABLE CallLog (CallId text)`,
		`CREATE FUNCTION flaky_insert(id text) RETURNS void LANGUAGE plpgsql AS $$
		BEGIN
			IF nextval('attempts') < 3 THEN RAISE EXCEPTION 'CRM busy'; END IF;
			INSERT INTO CallLog VALUES (id);
		END $$`)
	cfg := seedHooks("postgres", dsn)
	cfg.CallEnd.Statement = `SELECT flaky_insert({CallId})`
	h := mustHooks(t, cfg)
	if err := h.CallEnd(context.Background(), CallEnd{CallID: "c9"}); err != nil {
		t.Fatalf("third attempt should succeed: %v", err)
	}
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM CallLog WHERE CallId = 'c9'`).Scan(&n); err != nil || n != 1 {
		t.Errorf("%d rows, %v", n, err)
	}
	cfg.CallEnd.Statement = `SELECT flaky_insert({CallId}) FROM no_such_table`
	h = mustHooks(t, cfg)
	if err := h.CallEnd(context.Background(), CallEnd{CallID: "c10"}); err == nil || !strings.Contains(err.Error(), "after 3 attempts") {
		t.Errorf("got %v, want a failure after 3 attempts", err)
	}
}

// A CRM that hangs is given up on at the timeout.
func TestHookTimeout(t *testing.T) {
	dsn, _ := pgDB(t)
	cfg := seedHooks("postgres", dsn)
	cfg.Timeout, cfg.Retries = 100*time.Millisecond, 0
	cfg.AgentLogin.Statement = `SELECT pg_sleep(30), {Username}::text AS AgentId, {Password}::text AS x`
	h := mustHooks(t, cfg)
	if _, err := h.AgentLogin(context.Background(), "joe", "pw"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("got %v, want a timeout", err)
	}
}

func TestOpenHooksNamesTheKey(t *testing.T) {
	cases := []struct {
		cfg  config.SQLHooks
		want string
	}{
		{config.SQLHooks{Driver: "sqlite", DSN: "x", CallEnd: config.SQLHook{Statement: "insert into t values ({Nope})"}}, "sql_hooks.call_end.statement"},
		{config.SQLHooks{Driver: "sqlite", DSN: "x", AgentLogin: config.SQLHook{Statement: "select 1 where u like '{Username}%'"}}, "sql_hooks.agent_login.statement"},
		{config.SQLHooks{Driver: "postgres", DSN: "::bad", CallEnd: config.SQLHook{Procedure: "usp_CallEnd"}}, "sql_hooks.dsn"},
		{config.SQLHooks{Driver: "sqlite", DSNEnv: "CCD_NO_SUCH_VARIABLE_EVER", CallEnd: config.SQLHook{Statement: "select 1"}}, "sql_hooks.dsn_env"},
	}
	for _, tc := range cases {
		_, err := OpenHooks(tc.cfg, func(string) (string, bool) { return "", false })
		var ce *config.Error
		if !errors.As(err, &ce) || ce.Key != tc.want {
			t.Errorf("%+v: %v, want an error naming %s", tc.cfg, err, tc.want)
		}
	}
}

// A stored procedure gets the seed's variables in order (PostgreSQL: a
// function).
func TestHookProcedurePostgres(t *testing.T) {
	dsn, db := pgDB(t)
	execAll(t, db, crmUsers)
	execAll(t, db, crmRows...)
	execAll(t, db, `CREATE FUNCTION usp_AgentLogin(u text, p text)
		RETURNS TABLE (AgentId int, CallerId varchar, CallerIdName varchar, AgentSkills varchar, PhoneExtension varchar, UserLevel varchar)
		LANGUAGE sql AS $$ SELECT AgentId, CallerId, CallerIdName, AgentSkills, PhoneExtension, UserLevel FROM crm_user WHERE Username = u AND Password = p $$`)
	cfg := seedHooks("postgres", dsn)
	cfg.AgentLogin = config.SQLHook{Procedure: "usp_AgentLogin"}
	h := mustHooks(t, cfg)
	if got, err := h.AgentLogin(context.Background(), "joe", "smith"); err != nil || got.AgentID != "7" || got.Extension != "2001" {
		t.Errorf("procedure login: %+v, %v", got, err)
	}
}

type noPasswords struct{ api.AgentDirectory }

func (noPasswords) CheckPassword(agent, password string) (bool, bool) { return agent == "joe", false }

// The Agent Login hook is the other way in: ccd's own check first, then the
// CRM's statement.
func TestLoginDirectory(t *testing.T) {
	dsn, db := sqliteCRM(t)
	execAll(t, db, crmUsers)
	execAll(t, db, crmRows...)
	d := &LoginDirectory{AgentDirectory: noPasswords{}, Hooks: mustHooks(t, seedHooks("sqlite", dsn)), Log: slog.New(slog.DiscardHandler)}
	if known, ok := d.CheckPassword("joe", "smith"); !known || !ok {
		t.Errorf("joe with the CRM's password: known %v ok %v", known, ok)
	}
	// The session joe opens gets the CRM's extension and skills.
	if ext, skills, found := d.SessionProfile("joe"); !found || ext != "2001" || len(skills) != 2 || skills["support"] != 5 || skills["sales"] != 1 {
		t.Errorf("joe's session: %q %v %v", ext, skills, found)
	}
	if _, _, found := d.SessionProfile("ann"); found {
		t.Error("a session profile for an agent the CRM did not log in")
	}
	if _, ok := d.CheckPassword("joe", "' OR '1'='1"); ok {
		t.Error("an injection logged in")
	}
	if _, ok := d.CheckPassword("noid", "pw"); ok {
		t.Error("a row without AgentId logged in")
	}
}
