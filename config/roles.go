package config

import (
	"fmt"
	"slices"
	"strings"
)

// The roles a ccd instance can play; every one is on unless roles lists
// some. Several instances on one database share the work: one runs the ACD
// (the others wait as standbys when they have the role too), any may serve
// the API, run the statistics or observe the PBX.
const (
	RoleACD      = "acd"      // the queues: ACD election, ARI, Stasis applications
	RoleAPI      = "api"      // the REST interfaces (agents, admin, statistics, OpenAPI)
	RoleStats    = "stats"    // the live statistics aggregator and the BI role
	RoleObserver = "observer" // the AMI observer: every call on the PBX into the event log
)

// AllRoles are the known roles, in the order the documentation lists them.
var AllRoles = []string{RoleACD, RoleAPI, RoleStats, RoleObserver}

// Runs tells whether this instance plays role: every role when the roles
// key is empty.
func (c *Config) Runs(role string) bool {
	return len(c.Roles) == 0 || slices.Contains(c.Roles, role)
}

func (c *Config) validateRoles(bad func(key, format string, args ...any)) {
	for i, r := range c.Roles {
		if !slices.Contains(AllRoles, r) {
			bad(fmt.Sprintf("roles[%d]", i), "unknown role %q: want one of %s", r, strings.Join(AllRoles, ", "))
		}
	}
}
