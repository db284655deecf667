package config

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ccdhq/ccd/flow"
)

const flowKeys = `switches:
    - {localnumber: "100", name: Night, active: false, active_goto: "queue:sales", inactive_goto: "queue:support"}
  flows:
    - name: main
      start: hours
      nodes:
        - id: hours
          time: {group: {weekly: [{days: mon-fri, from: "08:00", to: "17:00"}], holidays: ["2026-12-25"]}, match: menu, no_match: night}
        - id: night
          switch: {switch: "100"}
        - id: menu
          menu:
            prompt: ["sound:welcome"]
            timeout: 4s
            timeout_dest: "queue:support"
            invalid_dest: hangup
            keys: {"1": "queue:sales:2", "2": crm}
        - id: crm
          http: {url: "https://crm.example/check?i=[callerid]", action: goto, goto: "queue:support", returns: [menu]}`

func TestFlowsLoadFromTheFile(t *testing.T) {
	file := strings.Replace(acdWith(flowKeys), `{dnis: "5551234", queue: support, priority: 3, greeting: "sound:welcome"}`,
		`{dnis: "5551234", flow: main}`, 1)
	c, err := Load(writeFile(t, file), envMap(nil))
	if err != nil {
		t.Fatal(err)
	}
	f := c.ACD.Flows[0]
	if f.Nodes[2].Menu.Timeout != 4*time.Second || f.Nodes[2].Menu.Keys["1"] != "queue:sales:2" || c.ACD.Routes[0].Flow != "main" ||
		c.ACD.Switches[0].InactiveGoto != "queue:support" || f.Nodes[3].HTTP.Returns[0] != "menu" {
		t.Fatalf("flows %+v", c.ACD.Flows)
	}
	compiled, err := c.ACD.CompileFlows(1)
	if err != nil || compiled["main"] == nil {
		t.Fatalf("compile: %v", err)
	}
}

func TestFlowErrorsNameTheNodeAndField(t *testing.T) {
	for name, c := range map[string]struct{ from, to, key, node string }{
		"unknown destination": {`invalid_dest: hangup`, `invalid_dest: nowhere`, "acd.flows[0].nodes[2].menu.invalid_dest", `node "menu"`},
		"unknown queue":       {`"queue:sales:2"`, `"queue:gold"`, "acd.flows[0].nodes[2].menu.keys.1", `node "menu"`},
		"unknown switch":      {`switch: "100"`, `switch: "101"`, "acd.flows[0].nodes[1].switch.switch", `node "night"`},
		"templated host":      {`https://crm.example/check`, `https://[input]/check`, "acd.flows[0].nodes[3].http.url", `node "crm"`},
		"unknown route flow":  {`queue: sales}`, `flow: nope}`, "acd.routes[1].flow", `unknown flow`},
	} {
		t.Run(name, func(t *testing.T) {
			file := strings.Replace(acdWith(flowKeys), c.from, c.to, 1)
			_, err := Load(writeFile(t, file), envMap(nil))
			if err == nil || !strings.Contains(err.Error(), c.key) || !strings.Contains(err.Error(), c.node) {
				t.Fatalf("error %v, want %s and %s", err, c.key, c.node)
			}
		})
	}
}

func TestFlexfoneCredentials(t *testing.T) {
	env := envMap(map[string]string{"CCD_API_FLEXFONE_ACCOUNT": "4711", "CCD_API_FLEXFONE_HASH": "flexfone-hash-0123456789"})
	c, err := Load(writeFile(t, minimal), env)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range c.Keys() {
		if k.Name == "api.flexfone_hash" && k.Value != "(set)" {
			t.Fatalf("the hash is shown: %+v", k)
		}
	}
	for name, vars := range map[string]map[string]string{
		"account without hash": {"CCD_API_FLEXFONE_ACCOUNT": "4711"},
		"short hash":           {"CCD_API_FLEXFONE_ACCOUNT": "4711", "CCD_API_FLEXFONE_HASH": "short"},
	} {
		if _, err := Load(writeFile(t, minimal), envMap(vars)); err == nil || !strings.Contains(err.Error(), "api.flexfone_hash") {
			t.Errorf("%s: %v", name, err)
		}
	}
}

const dbFlowKeys = flowKeys + `
    - name: self
      start: look
      nodes:
        - id: look
          database: {database: crm, query: "select balance from accounts where id = %customer_number%", found: "queue:sales", not_found: "queue:support", error: hangup}
  databases:
    - {name: crm, driver: sqlite, dsn: /var/lib/crm.db, timeout: 1s}`

func TestDatabaseStepsAndTheirDatabases(t *testing.T) {
	c, err := Load(writeFile(t, acdWith(dbFlowKeys)), envMap(nil))
	if err != nil {
		t.Fatal(err)
	}
	if d := c.ACD.Flows[1].Nodes[0].Database; d == nil || d.Database != "crm" || c.ACD.Databases[0].Timeout != time.Second {
		t.Fatalf("flows %+v, databases %+v", c.ACD.Flows[1], c.ACD.Databases)
	}
	// The drivers' rules are checked where the drivers are: a refusal names
	// the node and field.
	_, err = c.ACD.CompileFlowsChecked(1, func(*flow.Database) error { return errors.New("placeholder ? at offset 3") })
	var ce *Error
	if !errors.As(err, &ce) || ce.Key != "acd.flows[1].nodes[0].database.query" || !strings.Contains(ce.Problem, `node "look": placeholder ?`) {
		t.Fatalf("compile: %v", err)
	}
	for name, x := range map[string]struct{ from, to, key string }{
		"unknown database": {`database: crm,`, `database: other,`, "acd.flows[1].nodes[0].database.database"},
		"bad driver":       {`driver: sqlite`, `driver: oracle`, "acd.databases[0].driver"},
		"no dsn":           {`dsn: /var/lib/crm.db,`, ``, "acd.databases[0].dsn"},
		"no error way":     {`, error: hangup`, ``, "acd.flows[1].nodes[0].database.error"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Load(writeFile(t, strings.Replace(acdWith(dbFlowKeys), x.from, x.to, 1)), envMap(nil))
			if err == nil || !strings.Contains(err.Error(), x.key) {
				t.Fatalf("error %v, want %s", err, x.key)
			}
		})
	}
}

// Flows handing the call round without a prompt are refused with the node
// and field of each flow on the way.
func TestLoopsAcrossFlowsAreRefused(t *testing.T) {
	loop := flowKeys + `
    - name: back
      start: hop
      nodes:
        - {id: hop, flow: main}`
	file := strings.Replace(acdWith(loop), `no_match: night}`, `no_match: "flow:back"}`, 1)
	_, err := Load(writeFile(t, file), envMap(nil))
	for _, want := range []string{"acd.flows[0].nodes[0].time.no_match", `node "hours": loop without a prompt across flows: back.hop -> main.hours -> back.hop`,
		"acd.flows[1].nodes[0].flow", `node "hop": loop without a prompt across flows`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("error %v, want %s", err, want)
		}
	}
}
