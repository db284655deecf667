package config

import (
	"strings"
	"testing"
	"time"
)

// A dial list is loaded with its defaults; a wrong one is refused naming
// the key of the list and field.
func TestDialListsConfig(t *testing.T) {
	good := minimal + `
dialer:
  lists:
    - campaign_id: 7
      driver: sqlite
      dsn: /srv/mitel.db
      select: SELECT cust_id, phone1 AS phoneI FROM dial_list
      key: cust_id
      write_back: UPDATE dial_list SET status = {Status} WHERE cust_id = {ExternalId}
`
	c, err := Load(writeFile(t, good), envMap(nil))
	if err != nil {
		t.Fatal(err)
	}
	if l := c.Dialer.Lists[0].WithDefaults(); l.CampaignID != 7 || l.Key != "cust_id" || l.Interval != time.Minute || l.Timeout != 10*time.Second {
		t.Fatalf("loaded %+v", l)
	}
	for _, tc := range []struct{ from, to, key string }{
		{"campaign_id: 7", "campaign_id: 0", "dialer.lists[0].campaign_id"},
		{"driver: sqlite", "driver: odbc", "dialer.lists[0].driver"},
		{"      key: cust_id\n", "", "dialer.lists[0].key"},
		{"dsn: /srv/mitel.db", "dsn_env: X\n      dsn: /srv/mitel.db", "dialer.lists[0].dsn"},
	} {
		_, err := Load(writeFile(t, strings.Replace(good, tc.from, tc.to, 1)), envMap(nil))
		if err == nil || !strings.Contains(err.Error(), tc.key) {
			t.Errorf("%q -> %q: got %v, want an error naming %s", tc.from, tc.to, err, tc.key)
		}
	}
}
