package config

import (
	"strings"
	"testing"
)

func TestCRMSQLRole(t *testing.T) {
	env := envMap(map[string]string{"CCD_CRM_SQL_USER": "crm_dialer", "CCD_CRM_SQL_PASSWORD": "crm-password-0123456789"})
	c, err := Load(writeFile(t, minimal), env)
	if err != nil {
		t.Fatal(err)
	}
	if c.CRMSQL.User != "crm_dialer" || c.CRMSQL.ConnectionLimit != 5 {
		t.Fatalf("crm_sql %+v", c.CRMSQL)
	}
	for _, k := range c.Keys() {
		if k.Name == "crm_sql.password" && k.Value != "(set)" {
			t.Fatalf("the password is shown: %+v", k)
		}
	}
	if d, err := Load(writeFile(t, minimal), envMap(nil)); err != nil || d.CRMSQL.User != "" || d.CRMSQL.Password != "" {
		t.Fatalf("default crm_sql %+v, %v: want no role", d.CRMSQL, err)
	}
	for name, c := range map[string]struct {
		vars map[string]string
		key  string
	}{
		"user without password": {map[string]string{"CCD_CRM_SQL_USER": "crm"}, "crm_sql.password"},
		"password without user": {map[string]string{"CCD_CRM_SQL_PASSWORD": "crm-password-0123456789"}, "crm_sql.user"},
		"short password":        {map[string]string{"CCD_CRM_SQL_USER": "crm", "CCD_CRM_SQL_PASSWORD": "short"}, "crm_sql.password"},
		"bad role name":         {map[string]string{"CCD_CRM_SQL_USER": "Crm; DROP", "CCD_CRM_SQL_PASSWORD": "crm-password-0123456789"}, "crm_sql.user"},
		"the BI role": {map[string]string{"CCD_CRM_SQL_USER": "bi", "CCD_CRM_SQL_PASSWORD": "crm-password-0123456789",
			"CCD_STATS_BI_USER": "bi", "CCD_STATS_BI_PASSWORD": "bi-password-0123456789"}, "crm_sql.user"},
		"no connection": {map[string]string{"CCD_CRM_SQL_CONNECTION_LIMIT": "0"}, "crm_sql.connection_limit"},
	} {
		if _, err := Load(writeFile(t, minimal), envMap(c.vars)); err == nil || !strings.Contains(err.Error(), c.key) {
			t.Errorf("%s: %v, want an error naming %s", name, err, c.key)
		}
	}
}
