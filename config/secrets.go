package config

import (
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"

	"github.com/ccdhq/ccd/internal/textcheck"
)

// MinSecretLength is the one minimum length of every password and token the
// configuration holds: what an attacker must guess is as long everywhere.
// Generated secrets (the starter file, openssl rand -hex 16) are longer.
const MinSecretLength = 16

// secret is one password or token of the configuration, with its key.
type secret struct {
	key, value string
	optional   bool // empty switches the feature off instead of being an error
}

// secrets lists every password and token c holds. Lookup DSNs are left out:
// their passwords belong to the customer database and its rules.
func (c *Config) secrets() []secret {
	s := []secret{
		// Required where the link is used: an instance without the acd
		// role never connects to ARI, one without the observer to AMI.
		{key: "ari.password", value: c.ARI.Password, optional: !c.Runs(RoleACD)},
		{key: "ami.secret", value: c.AMI.Secret, optional: !c.Runs(RoleObserver)},
		{key: "api.token", value: c.API.Token, optional: true},
		{key: "api.admin_token", value: c.API.AdminToken, optional: true},
		{key: "api.supervisor_token", value: c.API.SupervisorToken, optional: true},
		{key: "api.optimus_password", value: c.API.OptimusPassword, optional: true},
		{key: "api.flexfone_hash", value: c.API.FlexfoneHash, optional: true},
		{key: "stats.bi_password", value: c.Stats.BIPassword, optional: true},
		{key: "crm_sql.password", value: c.CRMSQL.Password, optional: true},
	}
	return append(s, c.ACD.secrets()...)
}

// secrets are the agents' passwords and their softphones'.
func (a *ACD) secrets() []secret {
	var s []secret
	for i, ag := range a.Agents {
		s = append(s, secret{key: fmt.Sprintf("acd.agents[%d].password", i), value: ag.Password, optional: true},
			secret{key: fmt.Sprintf("acd.agents[%d].sip_password", i), value: ag.SIPPassword, optional: true})
	}
	return s
}

// validateSecrets reports a missing or a short secret by its key. ari.password
// and ami.secret are required (with the roles that use them); the others
// switch their feature off when empty.
func (c *Config) validateSecrets(bad func(key, format string, args ...any)) {
	checkSecrets(c.secrets(), bad)
}

func checkSecrets(secrets []secret, bad func(key, format string, args ...any)) {
	for _, s := range secrets {
		switch {
		case strings.TrimSpace(s.value) == "" && !s.optional:
			bad(s.key, "is required")
		case s.value != "" && len(s.value) < MinSecretLength:
			bad(s.key, "too short (%d characters): use at least %d random characters, e.g. openssl rand -hex 16",
				len(s.value), MinSecretLength)
		}
	}
}

// ReadableSecrets returns a warning when the configuration file at path holds
// a secret and users other than its owner may read it, "" otherwise (and for a
// file it cannot read: Load reports that).
func ReadableSecrets(path string) string {
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm()&0o077 == 0 {
		return ""
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	c := Config{}
	if decodeFile(path, b, &c) != nil {
		return ""
	}
	var held []string
	for _, s := range c.secrets() {
		if s.value != "" {
			held = append(held, s.key)
		}
	}
	if c.Database.URL != "" {
		held = append(held, "database.url") // may carry the database's password
	}
	if len(held) == 0 {
		return ""
	}
	return fmt.Sprintf("%s holds secrets (%s) and users other than its owner may read it (mode %04o): run chmod 600 %s",
		path, strings.Join(held, ", "), st.Mode().Perm(), path)
}

// validateTexts checks every string of the configuration, list entries and
// map keys included, with the rule the edges apply to texts from outside
// (internal/textcheck): a NUL byte or invalid UTF-8 here would end up in the
// event log and stop it. Fields tagged check:"text" may hold line breaks.
func validateTexts(v reflect.Value, key string, multiline bool, bad func(key, format string, args ...any)) {
	switch v.Kind() {
	case reflect.String:
		problem := textcheck.Problem
		if multiline {
			problem = textcheck.TextProblem
		}
		if p := problem(v.String()); p != "" {
			bad(key, "%s", p)
		}
	case reflect.Pointer:
		if !v.IsNil() {
			validateTexts(v.Elem(), key, multiline, bad)
		}
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			validateTexts(v.Index(i), fmt.Sprintf("%s[%d]", key, i), multiline, bad)
		}
	case reflect.Map:
		keys := v.MapKeys()
		slices.SortFunc(keys, func(a, b reflect.Value) int { return strings.Compare(fmt.Sprint(a), fmt.Sprint(b)) })
		for _, k := range keys {
			name := fmt.Sprint(k.Interface())
			if k.Kind() == reflect.String {
				if p := textcheck.Problem(name); p != "" {
					bad(key, "key %q %s", name, p)
					continue
				}
			}
			validateTexts(v.MapIndex(k), key+"."+name, multiline, bad)
		}
	case reflect.Struct:
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			name, ok := yamlKey(key, f)
			if !ok {
				continue
			}
			validateTexts(v.Field(i), name, f.Tag.Get("check") == "text", bad)
		}
	}
}
