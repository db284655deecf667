package config

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ccdhq/ccd/acd/endpoints"
)

const acdFile = minimal + `
acd:
  default_extension: "9000"
  routes:
    - {dnis: "5551234", queue: support, priority: 3, greeting: "sound:welcome"}
    - {dnis: "^555[0-9]+$", queue: sales}
  groups:
    - {name: tier1, agents: ["1001"]}
  agents:
    - {id: "1001", name: Alice, endpoint: PJSIP/1001, skills: {support: 7}, groups: [tier1]}
    - {id: "1002", name: Bob, endpoint: PJSIP/1002, skills: {sales: 4}}
  queues:
    - code: support
      skills: {support: 3}
      ring_timeout: 15s
      wrap_up: 10s
      overflow:
        - {after_wait: 60s, to_queue: sales, expand: true}
        - {no_agents_logged_in: true, to_default: true}
    - code: sales
      groups: [tier1]
      strategy: skill_level
`

func TestACDConfigLoads(t *testing.T) {
	c, err := Load(writeFile(t, acdFile), envMap(nil))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.ACD.Queues) != 2 || c.ACD.Queues[0].Overflow[0].ToQueue != "sales" || !c.ACD.Queues[0].Overflow[0].Expand ||
		c.ACD.Agents[0].Skills["support"] != 7 || c.ACD.Routes[0].Priority != 3 || c.ACD.RecordingName == "" {
		t.Fatalf("acd %+v", c.ACD)
	}
}

// acdWith is acdFile with more acd keys.
func acdWith(keys string) string {
	return strings.Replace(acdFile, "\nacd:\n", "\nacd:\n  "+keys+"\n", 1)
}

func TestACDConfigErrorsNameTheKey(t *testing.T) {
	cases := map[string]string{
		"overflow to unknown queue": strings.Replace(acdFile, "to_queue: sales, expand", "to_queue: nowhere, expand", 1),
		"route to unknown queue":    strings.Replace(acdFile, "queue: sales}", "queue: nope}", 1),
		"two triggers":              strings.Replace(acdFile, "{after_wait: 60s, to_queue", "{after_wait: 60s, position_above: 3, to_queue", 1),
		"bad skill level":           strings.Replace(acdFile, "support: 7", "support: 11", 1),
		"unknown group":             strings.Replace(acdFile, "groups: [tier1]}", "groups: [tier9]}", 1),
		"bad strategy":              strings.Replace(acdFile, "strategy: skill_level", "strategy: random", 1),
		"duplicate agent":           strings.Replace(acdFile, `id: "1002"`, `id: "1001"`, 1),
		"bad route regexp":          strings.Replace(acdFile, `^555[0-9]+$`, `^555[0-9+$`, 1),
		"bad agent endpoint":        strings.Replace(acdFile, "endpoint: PJSIP/1002", "endpoint: PJSIP/1002&PJSIP/1003", 1),
		"bad agent endpoints entry": strings.Replace(acdFile, "endpoint: PJSIP/1002", `endpoints: [PJSIP/1002, "../../etc/passwd"]`, 1),
		"bad extensions":            acdWith(`extensions: "1000-19x9"`),
		"backward extensions":       acdWith(`extensions: "1999-1000"`),
		"bad extension endpoint":    acdWith(`extension_endpoint: "PJSIP/1001"`),
	}
	want := map[string]string{
		"overflow to unknown queue": `acd.queues[0].overflow[0].to_queue`,
		"route to unknown queue":    `acd.routes[1].queue`,
		"two triggers":              `acd.queues[0].overflow[0] `,
		"bad skill level":           `acd.agents[0].skills.support`,
		"unknown group":             `acd.agents[0].groups`,
		"bad strategy":              `acd.queues[1].strategy`,
		"duplicate agent":           `acd.agents[1].id`,
		"bad route regexp":          `acd.routes[1].dnis`,
		"bad agent endpoint":        `acd.agents[1].endpoint`,
		"bad agent endpoints entry": `acd.agents[1].endpoints[1]`,
		"bad extensions":            `acd.extensions`,
		"backward extensions":       `acd.extensions`,
		"bad extension endpoint":    `acd.extension_endpoint`,
	}
	for name, body := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Load(writeFile(t, body), envMap(nil))
			if err == nil || !strings.Contains(err.Error(), want[name]) {
				t.Fatalf("want an error naming %q, got %v", want[name], err)
			}
		})
	}
}

func TestAgentEndpointsLoad(t *testing.T) {
	body := acdWith(`extensions: "1000-1999, 2100"
  extension_endpoint: "Local/{extension}@agents"`)
	body = strings.Replace(body, "endpoint: PJSIP/1002", "endpoints: [Local/1002@agents, PJSIP/1002]", 1)
	c, err := Load(writeFile(t, body), envMap(nil))
	if err != nil {
		t.Fatal(err)
	}
	bob := c.ACD.Agents[1]
	if bob.DefaultEndpoint() != "Local/1002@agents" || len(bob.AllowedEndpoints()) != 2 {
		t.Fatalf("bob %+v", bob)
	}
	alice := c.ACD.Agents[0]
	if alice.DefaultEndpoint() != "PJSIP/1001" || len(alice.AllowedEndpoints()) != 1 {
		t.Fatalf("alice %+v", alice)
	}
	p, err := c.ACD.EndpointPolicy()
	if err != nil {
		t.Fatal(err)
	}
	if ep, err := p.Resolve(endpoints.Agent, "1001", "2100"); err != nil || ep != "Local/2100@agents" {
		t.Fatalf("extension 2100: %q %v", ep, err)
	}
}

// An agent configured with endpoints only is logged in at the first of them
// when the login names none: the engine's spec carries it as the default.
func TestSpecDefaultsToFirstConfiguredEndpoint(t *testing.T) {
	a := ACD{Agents: []Agent{{ID: "a1", Endpoints: []string{"Local/1001@agents", "PJSIP/1001"}}}}
	if got := a.Spec().Agents[0].Endpoint; got != "Local/1001@agents" {
		t.Fatalf("default endpoint %q", got)
	}
}

// An item of the admin API is the file's entry as JSON: the same keys,
// durations as texts; a mistake names its key within the item.
func TestDecodeItemNamesTheKey(t *testing.T) {
	var q Queue
	if err := DecodeItem([]byte(`{"code":"sales","skills":{"sales":3},"ring_timeout":"15s","overflow":[{"after_wait":"1m30s","to_queue":"support"}]}`), &q); err != nil {
		t.Fatal(err)
	}
	if q.Code != "sales" || q.Skills["sales"] != 3 || q.RingTimeout != 15*time.Second || q.Overflow[0].AfterWait != 90*time.Second {
		t.Fatalf("decoded %+v", q)
	}
	back := EncodeItem(q)
	if back["ring_timeout"] != "15s" || back["overflow"].([]any)[0].(map[string]any)["to_queue"] != "support" {
		t.Fatalf("encoded %v", back)
	}
	for body, key := range map[string]string{
		`{"ring_timeout":15}`:                  "ring_timeout",
		`{"overflow":[{"after_wait":"soon"}]}`: "overflow[0].after_wait",
		`{"skills":{"sales":"high"}}`:          "skills.sales",
		`{"max_waiting":"5"}`:                  "max_waiting",
		`{"colour":"red"}`:                     "colour",
		`[1]`:                                  "body",
	} {
		var q Queue
		var ce *Error
		if err := DecodeItem([]byte(body), &q); !errors.As(err, &ce) || ce.Key != key {
			t.Errorf("%s: %v, want an error naming %s", body, err, key)
		}
	}
}

// Agents' passwords: bcrypt takes 72 bytes at most, a hash must be one,
// and an agent has a password or its hash.
func TestAgentPasswordRules(t *testing.T) {
	hash := "$2a$10$" + strings.Repeat("x", 53)
	for _, c := range []struct {
		agent Agent
		key   string
	}{
		{Agent{ID: "a", Password: strings.Repeat("p", 73)}, "acd.agents[0].password"},
		{Agent{ID: "a", PasswordHash: "plain-text-not-a-hash"}, "acd.agents[0].password_hash"},
		{Agent{ID: "a", Password: strings.Repeat("p", 20), PasswordHash: hash}, "acd.agents[0].password_hash"},
	} {
		a := ACD{Agents: []Agent{c.agent}}
		var ce *Error
		if err := a.Validate(); !errors.As(err, &ce) || ce.Key != c.key {
			t.Errorf("%+v: %v, want an error naming %s", c.agent, err, c.key)
		}
	}
	a := ACD{Agents: []Agent{{ID: "a", PasswordHash: hash}}}
	if err := a.Validate(); err != nil {
		t.Fatal(err)
	}
}

// auto_answer is a per-agent switch, off unless the file or the admin API
// turns it on; the admin API names the key of a value that is not a
// boolean.
func TestAgentAutoAnswer(t *testing.T) {
	body := strings.Replace(acdFile, "endpoint: PJSIP/1002,", "endpoint: PJSIP/1002, auto_answer: true,", 1)
	c, err := Load(writeFile(t, body), envMap(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.ACD.Agents[0].AutoAnswer || !c.ACD.Agents[1].AutoAnswer {
		t.Fatalf("auto_answer of 1001 %v, of 1002 %v; want false, true", c.ACD.Agents[0].AutoAnswer, c.ACD.Agents[1].AutoAnswer)
	}
	bad := strings.Replace(acdFile, "endpoint: PJSIP/1002,", "endpoint: PJSIP/1002, auto_answer: sometimes,", 1)
	// YAML type mistakes are reported by the decoder with their line.
	if _, err := Load(writeFile(t, bad), envMap(nil)); err == nil || !strings.Contains(err.Error(), "sometimes") {
		t.Fatalf("want an error about auto_answer: sometimes, got %v", err)
	}
	var ag Agent
	if err := DecodeItem([]byte(`{"endpoint":"PJSIP/1001","auto_answer":true}`), &ag); err != nil || !ag.AutoAnswer {
		t.Fatalf("decoded %+v %v", ag, err)
	}
	if EncodeItem(ag)["auto_answer"] != true {
		t.Fatalf("encoded %v", EncodeItem(ag))
	}
	var ce *Error
	if err := DecodeItem([]byte(`{"auto_answer":"yes"}`), &ag); !errors.As(err, &ce) || ce.Key != "auto_answer" {
		t.Fatalf("%v, want an error naming auto_answer", err)
	}
}
