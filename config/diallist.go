package config

import (
	"fmt"
	"time"
)

// DialList is a campaign's dial list kept in an external SQL table (Mitel
// dial lists): ccd imports its rows as the campaign's targets and writes
// each call's result back.
type DialList struct {
	CampaignID int    `yaml:"campaign_id"`
	Driver     string `yaml:"driver"` // postgres, mysql, sqlserver, sqlite
	DSN        string `yaml:"dsn"`
	DSNEnv     string `yaml:"dsn_env"`
	// Select returns the list, one row per target; Key names its column
	// holding the target's id in the list (an integer: the target's
	// external target id). Columns maps target fields (fName, lName,
	// phoneI, phoneII, phoneIII, dataI, dataII, dataIII, priority) to the
	// SELECT's columns; a field not mapped is read from the column of its
	// own name, if there is one.
	Select  string            `yaml:"select" check:"text"`
	Key     string            `yaml:"key"`
	Columns map[string]string `yaml:"columns"`
	// WriteBack runs once per call result with {ExternalId}, {TargetId},
	// {Status}, {StatusCode}, {Attempts}, {LastCallTS} and {Phone}, always
	// bound as parameters. Empty: results are not written back.
	WriteBack string `yaml:"write_back" check:"text"`
	// Interval is how often the list is read again.
	Interval   time.Duration `yaml:"interval"`
	Timeout    time.Duration `yaml:"timeout"`
	Retries    int           `yaml:"retries"`
	RetryDelay time.Duration `yaml:"retry_delay"`
}

// WithDefaults fills what a list left out.
func (l DialList) WithDefaults() DialList {
	if l.Interval == 0 {
		l.Interval = time.Minute
	}
	if l.Timeout == 0 {
		l.Timeout = 10 * time.Second
	}
	if l.RetryDelay == 0 {
		l.RetryDelay = time.Second
	}
	return l
}

func validateDialLists(lists []DialList, bad func(key, format string, args ...any)) {
	seen := map[int]bool{}
	for i, l := range lists {
		key := func(f string) string { return fmt.Sprintf("dialer.lists[%d].%s", i, f) }
		l = l.WithDefaults()
		switch {
		case l.CampaignID <= 0:
			bad(key("campaign_id"), "want a campaign id, got %d", l.CampaignID)
		case seen[l.CampaignID]:
			bad(key("campaign_id"), "campaign %d has a dial list already", l.CampaignID)
		}
		seen[l.CampaignID] = true
		switch l.Driver {
		case "postgres", "mysql", "sqlserver", "sqlite":
		default:
			bad(key("driver"), "want postgres, mysql, sqlserver or sqlite, got %q", l.Driver)
		}
		if (l.DSN == "") == (l.DSNEnv == "") {
			bad(key("dsn"), "set either dsn or dsn_env")
		}
		if l.Select == "" {
			bad(key("select"), "is empty")
		}
		if l.Key == "" {
			bad(key("key"), "name the column holding the list's id of the target")
		}
		if l.Interval < time.Second || l.Timeout <= 0 || l.RetryDelay <= 0 {
			bad(key("interval"), "interval must be at least 1s, timeout and retry_delay above 0")
		}
		if l.Retries < 0 || l.Retries > 10 {
			bad(key("retries"), "must be 0 to 10, got %d", l.Retries)
		}
	}
}
