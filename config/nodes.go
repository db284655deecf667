package config

import (
	"fmt"
	"strings"
)

// Node is one Asterisk that ccd drives: its name (what the events of its calls
// carry in their node column) and its two links. The simple case, one
// Asterisk, keeps the top-level ari and ami blocks; the list form is
//
//	nodes:
//	  - name: pbx-a
//	    ari: {url: http://10.0.0.5:8088, username: ccd, password: ...}
//	    ami: {addr: 10.0.0.5:5038, username: ccd, secret: ...}
//
// For now ccd runs with one node: a second one is a configuration error.
type Node struct {
	Name string `yaml:"name"`
	ARI  ARI    `yaml:"ari"`
	AMI  AMI    `yaml:"ami"`
}

// maxNodes is how many nodes the daemon runs with today.
const maxNodes = 1

// NodeName is the configured name of the Asterisk node: "" with the top-level
// ari and ami blocks, whose events then carry what Asterisk calls itself.
func (c *Config) NodeName() string {
	if len(c.Nodes) == 0 {
		return ""
	}
	return c.Nodes[0].Name
}

// resolveNodes checks the nodes list and, when it is used, makes its node the
// ARI and AMI links of c (fields a node leaves empty keep their defaults), so
// that the rest of ccd and of the validation read c.ARI and c.AMI whichever
// form the file uses. It returns the reporter the rest of the validation uses:
// with the list form, a problem of ari.url is one of nodes[0].ari.url, the key
// the user wrote. Without a list it changes nothing.
func (c *Config) resolveNodes(bad func(key, format string, args ...any)) func(key, format string, args ...any) {
	if len(c.Nodes) == 0 {
		return bad
	}
	seen := map[string]int{}
	for i, n := range c.Nodes {
		key := fmt.Sprintf("nodes[%d]", i)
		switch first, dup := seen[n.Name]; {
		case strings.TrimSpace(n.Name) == "":
			bad(key+".name", "is required: the name the node's events carry")
		case dup:
			bad(key+".name", "%q is already the name of nodes[%d]", n.Name, first)
		default:
			seen[n.Name] = i
		}
		if i >= maxNodes {
			bad(key, "more than one node is not supported yet: ccd runs with one Asterisk node for now")
		}
	}
	node := c.Nodes[0]
	ari, ami := mergeARI(c.ARI, node.ARI), mergeAMI(c.AMI, node.AMI)
	// The top-level blocks hold their defaults only, or (validated before)
	// this very node: anything else is a second description of the links.
	if (c.ARI.Username != "" || c.ARI.Password != "") && c.ARI != ari ||
		(c.AMI.Username != "" || c.AMI.Secret != "") && c.AMI != ami {
		bad("nodes", "give the Asterisk links either as nodes or as the ari and ami blocks, not both")
		return bad
	}
	c.ARI, c.AMI = ari, ami
	return nodeKeys(bad)
}

// mergeARI is node over base: the fields the node sets win.
func mergeARI(base, node ARI) ARI {
	if node.URL != "" {
		base.URL = node.URL
	}
	if node.Username != "" {
		base.Username = node.Username
	}
	if node.Password != "" {
		base.Password = node.Password
	}
	if node.Application != "" {
		base.Application = node.Application
	}
	return base
}

// mergeAMI is node over base: the fields the node sets win.
func mergeAMI(base, node AMI) AMI {
	if node.Addr != "" {
		base.Addr = node.Addr
	}
	if node.Username != "" {
		base.Username = node.Username
	}
	if node.Secret != "" {
		base.Secret = node.Secret
	}
	return base
}

// nodeKeys reports a problem of the ari or ami block as one of nodes[0], and
// each problem once: the texts of the list are checked under both names.
func nodeKeys(bad func(key, format string, args ...any)) func(key, format string, args ...any) {
	reported := map[string]bool{}
	return func(key, format string, args ...any) {
		if strings.HasPrefix(key, "ari.") || strings.HasPrefix(key, "ami.") {
			key = "nodes[0]." + key
		}
		msg := fmt.Sprintf(format, args...)
		if reported[key+"\x00"+msg] {
			return
		}
		reported[key+"\x00"+msg] = true
		bad(key, "%s", msg)
	}
}
