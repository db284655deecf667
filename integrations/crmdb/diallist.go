package crmdb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/config"
	"github.com/ccdhq/ccd/dialer"
	"github.com/ccdhq/ccd/store"
)

// writeBackVars are the variables of a dial list's write-back statement.
var writeBackVars = []string{"ExternalId", "TargetId", "Status", "StatusCode", "Attempts", "LastCallTS", "Phone"}

// listFields are the target fields a dial list's SELECT may fill.
var listFields = []string{"fName", "lName", "phoneI", "phoneII", "phoneIII", "dataI", "dataII", "dataIII", "priority"}

// DialList is one campaign's dial list in an external SQL table: Import
// reads it into the campaign's targets, WriteBack stores a call's result
// in it.
type DialList struct {
	cfg     config.DialList
	keyName string // the configuration key, for errors: dialer.lists[i]
	db      *sql.DB
	write   hookStatement
}

// OpenDialList checks list i of the configuration and its DSN without
// connecting; errors name the key.
func OpenDialList(cfg config.DialList, i int, env func(string) (string, bool)) (*DialList, error) {
	if env == nil {
		env = os.LookupEnv
	}
	cfg = cfg.WithDefaults()
	l := &DialList{cfg: cfg, keyName: fmt.Sprintf("dialer.lists[%d]", i)}
	d, ok := dialects[cfg.Driver]
	if !ok {
		return nil, &config.Error{Key: l.keyName + ".driver", Problem: "want postgres, mysql, sqlserver or sqlite"}
	}
	for f := range cfg.Columns {
		if !containsFold(listFields, f) {
			return nil, &config.Error{Key: l.keyName + ".columns", Problem: "unknown target field " + f + " (want one of " + strings.Join(listFields, ", ") + ")"}
		}
	}
	if cfg.WriteBack != "" {
		q, vars, err := translateBraces(cfg.WriteBack, d, writeBackVars, false)
		if err != nil {
			return nil, &config.Error{Key: l.keyName + ".write_back", Problem: err.Error()}
		}
		l.write = hookStatement{query: q, vars: vars}
	}
	dsn := cfg.DSN
	if cfg.DSNEnv != "" {
		v, ok := env(cfg.DSNEnv)
		if !ok || v == "" {
			return nil, &config.Error{Key: l.keyName + ".dsn_env", Problem: "environment variable " + cfg.DSNEnv + " is not set"}
		}
		dsn = v
	}
	db, err := openDB(cfg.Driver, dsn)
	if err != nil {
		return nil, &config.Error{Key: l.keyName + ".dsn", Problem: strings.ReplaceAll(err.Error(), dsn, "<dsn>")}
	}
	db.SetMaxOpenConns(2)
	l.db = db
	return l, nil
}

// Close closes the connection to the list's database.
func (l *DialList) Close() error { return l.db.Close() }

// CampaignID is the campaign the list feeds.
func (l *DialList) CampaignID() int { return l.cfg.CampaignID }

// Interval is how often the list is read again.
func (l *DialList) Interval() time.Duration { return l.cfg.Interval }

// ImportResult counts what one Import did with the list's rows.
type ImportResult struct {
	Added, Updated, Unchanged int
	// Problems are rows skipped (a bad phone number...), one line each
	// naming the row's key.
	Problems []string
}

// Import reads the whole list and puts every row into the campaign by its
// key: a new key is a new target, a known one updates an open target and
// leaves a finished one alone, so importing again never duplicates.
func (l *DialList) Import(ctx context.Context, db *store.DB) (ImportResult, error) {
	var res ImportResult
	targets, problems, err := l.read(ctx)
	if err != nil {
		return res, err
	}
	res.Problems = problems
	for _, t := range targets {
		what, _, err := db.PutExternalTarget(ctx, t)
		if err != nil {
			return res, fmt.Errorf("%s: target %d: %w", l.keyName, *t.ExternalTargetID, err)
		}
		switch what {
		case store.ExternalAdded:
			res.Added++
		case store.ExternalUpdated:
			res.Updated++
		default:
			res.Unchanged++
		}
	}
	return res, nil
}

// read runs the SELECT under the timeout and maps its rows to targets. A
// key that is not an integer is an error of the whole list (its mapping is
// wrong); a row whose data does not make a valid target is skipped.
func (l *DialList) read(ctx context.Context) ([]dialer.Target, []string, error) {
	ctx, cancel := context.WithTimeout(ctx, l.cfg.Timeout)
	defer cancel()
	rows, err := l.db.QueryContext(ctx, l.cfg.Select)
	if err != nil {
		return nil, nil, fmt.Errorf("%s.select (%s): %w", l.keyName, l.cfg.Driver, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, nil, err
	}
	index := map[string]int{}
	for i, c := range cols {
		index[strings.ToLower(c)] = i
	}
	keyCol, ok := index[strings.ToLower(l.cfg.Key)]
	if !ok {
		return nil, nil, fmt.Errorf("%s.key: the SELECT has no column %q (it has %s)", l.keyName, l.cfg.Key, strings.Join(cols, ", "))
	}
	var targets []dialer.Target
	var problems []string
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for n := 1; rows.Next(); n++ {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, nil, err
		}
		key, err := integer(vals[keyCol])
		if err != nil {
			return nil, nil, fmt.Errorf("%s.key: column %q of row %d: %v", l.keyName, l.cfg.Key, n, err)
		}
		t, err := l.target(key, vals, index)
		if err == nil {
			err = t.Validate()
		}
		if ce := (*ccd.Error)(nil); errors.As(err, &ce) && ce.Field != "" {
			err = fmt.Errorf("%s %s", ce.Field, ce.Message)
		}
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: %s %d: %v", l.keyName, l.cfg.Key, key, err))
			continue
		}
		targets = append(targets, t)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("%s.select (%s): %w", l.keyName, l.cfg.Driver, err)
	}
	return targets, problems, nil
}

// target maps one row to a target of the campaign.
func (l *DialList) target(key int64, vals []any, index map[string]int) (dialer.Target, error) {
	t := dialer.Target{CampaignID: l.cfg.CampaignID, ExternalTargetID: &key}
	texts := map[string]*string{"fname": &t.FirstName, "lname": &t.LastName, "phonei": &t.PhoneI, "phoneii": &t.PhoneII,
		"phoneiii": &t.PhoneIII, "datai": &t.DataI, "dataii": &t.DataII, "dataiii": &t.DataIII}
	for _, f := range listFields {
		col := f
		for k, v := range l.cfg.Columns {
			if strings.EqualFold(k, f) {
				col = v
			}
		}
		i, ok := index[strings.ToLower(col)]
		if !ok || vals[i] == nil {
			continue
		}
		if f == "priority" {
			p, err := integer(vals[i])
			if err != nil {
				return t, fmt.Errorf("priority (column %q): %v", col, err)
			}
			t.Priority = int(p)
			continue
		}
		*texts[strings.ToLower(f)] = strings.TrimSpace(text(vals[i]))
	}
	return t.WithDefaults(), nil
}

// integer reads an integer column, as drivers return it.
func integer(v any) (int64, error) {
	switch x := v.(type) {
	case int64:
		return x, nil
	case int32:
		return int64(x), nil
	case []byte:
		return strconv.ParseInt(strings.TrimSpace(string(x)), 10, 64)
	case string:
		n, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%q is not an integer", x)
		}
		return n, nil
	case nil:
		return 0, errors.New("is NULL, want an integer")
	}
	return 0, fmt.Errorf("is a %T (%v), want an integer", v, v)
}

// text reads a text column; numbers (a phone stored as a number) become
// their digits.
func text(v any) string {
	switch x := v.(type) {
	case []byte:
		return string(x)
	case string:
		return x
	case time.Time:
		return x.Format(time.RFC3339)
	}
	return fmt.Sprint(v)
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// DialResult is one call's result to write back.
type DialResult struct {
	ExternalID int64
	TargetID   int64
	Status     string
	StatusCode int
	Attempts   int
	LastCallTS time.Time
	Phone      string
}

// HasWriteBack says whether results are written back.
func (l *DialList) HasWriteBack() bool { return l.write.query != "" }

// WriteBack runs the write-back statement for r, each run bounded by the
// timeout, again after a failure up to the retries (RetryDelay apart,
// doubling); it gives up when ctx ends.
func (l *DialList) WriteBack(ctx context.Context, r DialResult) error {
	values := map[string]any{"ExternalId": r.ExternalID, "TargetId": r.TargetID, "Status": r.Status,
		"StatusCode": r.StatusCode, "Attempts": r.Attempts, "LastCallTS": r.LastCallTS.UTC().Format("2006-01-02 15:04:05"), "Phone": r.Phone}
	args := make([]any, len(l.write.vars))
	for i, v := range l.write.vars {
		args[i] = values[v]
	}
	delay := l.cfg.RetryDelay
	var err error
	for attempt := 0; attempt <= l.cfg.Retries; attempt++ {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return errors.Join(err, ctx.Err())
			case <-time.After(delay):
			}
			delay *= 2
		}
		if err = l.exec(ctx, args); err == nil {
			return nil
		}
	}
	return fmt.Errorf("%w (after %d attempts)", err, l.cfg.Retries+1)
}

func (l *DialList) exec(ctx context.Context, args []any) error {
	ctx, cancel := context.WithTimeout(ctx, l.cfg.Timeout)
	defer cancel()
	if _, err := l.db.ExecContext(ctx, l.write.query, args...); err != nil {
		return fmt.Errorf("%s.write_back (%s): %w", l.keyName, l.cfg.Driver, err)
	}
	return nil
}

// RunImports imports the list every Interval until ctx ends, logging what
// it did and what went wrong.
func (l *DialList) RunImports(ctx context.Context, db *store.DB, log *slog.Logger) {
	for {
		res, err := l.Import(ctx, db)
		if err != nil && ctx.Err() == nil {
			log.Warn("dial list import failed: will retry", "campaign", l.cfg.CampaignID, "err", err)
		}
		for _, p := range res.Problems {
			log.Warn("dial list row skipped", "campaign", l.cfg.CampaignID, "problem", p)
		}
		if res.Added+res.Updated > 0 {
			log.Info("dial list imported", "campaign", l.cfg.CampaignID, "added", res.Added, "updated", res.Updated)
		}
		t := time.NewTimer(l.cfg.Interval)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}
