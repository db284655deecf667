package config

import (
	"strings"
	"testing"
)

func TestWebhookErrorsNameTheKey(t *testing.T) {
	sub := func(s string) string { return minimal + "webhooks:\n  subscriptions:\n    - " + s + "\n" }
	cases := []struct{ name, file, want string }{
		{"network", minimal + "webhooks: {allow_networks: [10.0.0.0]}\n", "webhooks.allow_networks[0]"},
		{"timeout", minimal + "webhooks: {timeout: 0s}\n", "webhooks.timeout"},
		{"retention", minimal + "webhooks: {retention: 1m}\n", "webhooks.retention"},
		{"id", sub(`{id: "a b", url: "https://crm.example.com/", format: json}`), "webhooks.subscriptions[0].id"},
		{"url", sub(`{id: crm, url: "ftp://crm.example.com/", format: json}`), "webhooks.subscriptions[0].url"},
		{"credentials in the url", sub(`{id: crm, url: "https://u:p@crm.example.com/", format: json}`), "webhooks.subscriptions[0].url"},
		{"format", sub(`{id: crm, url: "https://crm.example.com/", format: xml}`), "webhooks.subscriptions[0].format"},
		{"secret", sub(`{id: crm, url: "https://crm.example.com/", format: json, secret: hunter2}`), "webhooks.subscriptions[0].secret"},
		{"events", sub(`{id: crm, url: "https://crm.example.com/", format: json, events: [hangup]}`), "webhooks.subscriptions[0].events"},
		{"twice", minimal + "webhooks:\n  subscriptions:\n    - {id: crm, url: \"https://a.example.com/\", format: json}\n    - {id: crm, url: \"https://b.example.com/\", format: get}\n",
			"webhooks.subscriptions[1].id"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(writeFile(t, tc.file), envMap(nil))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("want error naming %q, got %v", tc.want, err)
			}
		})
	}
	good := sub(`{id: crm, url: "https://crm.example.com/{event}", format: get, secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", events: [ringing, ended]}`)
	c, err := Load(writeFile(t, good), envMap(nil))
	if err != nil {
		t.Fatal(err)
	}
	if s := c.Webhooks.Subscriptions[0]; s.Format != "get" || len(s.Events) != 2 {
		t.Errorf("loaded %+v", s)
	}
}
