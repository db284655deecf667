package config

import (
	"errors"
	"strings"
	"testing"
)

// keyErrors maps the keys an error names to their problems.
func keyErrors(err error) map[string]string {
	out := map[string]string{}
	for _, e := range unwrap(err) {
		var ce *Error
		if errors.As(e, &ce) {
			out[ce.Key] = ce.Problem
		}
	}
	return out
}

func TestOneNodeInTheListIsTheLinks(t *testing.T) {
	c, err := Load(writeFile(t, `
nodes:
  - name: pbx-a
    ari: {url: "http://10.0.0.5:8088", username: ccd, password: ari-password-0123}
    ami: {addr: "10.0.0.5:5038", username: ccd, secret: ami-secret-456789}
`), envMap(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.NodeName() != "pbx-a" || c.ARI.URL != "http://10.0.0.5:8088" || c.ARI.Password != "ari-password-0123" ||
		c.ARI.Application != "ccd" || c.AMI.Addr != "10.0.0.5:5038" || c.AMI.Secret != "ami-secret-456789" {
		t.Fatalf("links %+v %+v node %q", c.ARI, c.AMI, c.NodeName())
	}
	// Validating again (the daemon's tests do) keeps it valid.
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestTopLevelBlocksStayOneUnnamedNode(t *testing.T) {
	c, err := Load(writeFile(t, minimal), envMap(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.NodeName() != "" || c.ARI.Username != "ccd" {
		t.Fatalf("node %q ari %+v", c.NodeName(), c.ARI)
	}
}

func TestNodeProblemsNameTheNodeKey(t *testing.T) {
	_, err := Load(writeFile(t, `
nodes:
  - name: pbx-a
    ari: {url: "ftp://x", username: ccd}
    ami: {username: ccd, secret: short}
`), envMap(nil))
	got := keyErrors(err)
	for _, key := range []string{"nodes[0].ari.url", "nodes[0].ari.password", "nodes[0].ami.secret"} {
		if got[key] == "" {
			t.Errorf("no error for %s in %v", key, err)
		}
	}
	for key := range got {
		if strings.HasPrefix(key, "ari.") || strings.HasPrefix(key, "ami.") {
			t.Errorf("error names %s, a key the file does not have: %v", key, err)
		}
	}
}

func TestSecondNodeIsNotSupportedYet(t *testing.T) {
	_, err := Load(writeFile(t, `
nodes:
  - name: pbx-a
    ari: {username: ccd, password: ari-password-0123}
    ami: {username: ccd, secret: ami-secret-456789}
  - name: pbx-a
    ari: {url: "http://10.0.0.6:8088", username: ccd, password: ari-password-0123}
    ami: {addr: "10.0.0.6:5038", username: ccd, secret: ami-secret-456789}
  - ari: {username: ccd, password: ari-password-0123}
`), envMap(nil))
	got := keyErrors(err)
	if !strings.Contains(got["nodes[1]"], "more than one node is not supported yet") {
		t.Fatalf("nodes[1]: %q in %v", got["nodes[1]"], err)
	}
	if !strings.Contains(got["nodes[1].name"], "nodes[0]") || got["nodes[2].name"] == "" {
		t.Fatalf("names not checked: %v", err)
	}
}

func TestNodesAndTopLevelBlocksTogetherAreRefused(t *testing.T) {
	_, err := Load(writeFile(t, minimal+`
nodes:
  - name: pbx-a
    ari: {username: other, password: ari-password-0123}
    ami: {username: ccd, secret: ami-secret-456789}
`), envMap(nil))
	if got := keyErrors(err); !strings.Contains(got["nodes"], "not both") {
		t.Fatalf("got %v", err)
	}
}
