package webhook

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/ccdhq/ccd/api"
	"github.com/ccdhq/ccd/internal/apitest"
	"github.com/ccdhq/ccd/store"
)

const adminToken = "admin-token-0123456789"

func adminServer(t *testing.T, e *env, p Policy) *api.Server {
	s := api.NewServer(nil, nil, api.Options{Token: apitest.IntegrationToken, AdminToken: adminToken})
	Mount(s, &Admin{DB: func() *store.DB { return e.db }, Policy: p, Now: e.clock.Now, Kick: e.del.Kick})
	return s
}

// An admin creates, reads, changes and removes subscriptions; others may
// not; bad values are refused naming their field.
func TestAdminSubscriptions(t *testing.T) {
	e := newEnv(t)
	s := adminServer(t, e, Policy{})
	const path = "/api/admin/webhooks/crm"
	body := `{"url": "https://crm.example.com/flexfone/{event}", "format": "get", "events": ["answered", "ended"]}`
	code, m, raw := apitest.Do(t, s, "PUT", path, adminToken, "application/json", body)
	if code != http.StatusCreated || m["format"] != "get" || !strings.HasPrefix(fmt.Sprint(m["secret"]), "whsec_") || m["enabled"] != true {
		t.Fatalf("PUT: %d %s", code, raw)
	}
	secret := m["secret"]
	code, m, raw = apitest.Do(t, s, "PUT", path, adminToken, "application/json", `{"url": "https://crm.example.com/x", "format": "json"}`)
	if code != http.StatusOK || m["secret"] != secret || m["url"] != "https://crm.example.com/x" {
		t.Fatalf("replace keeps the secret: %d %s", code, raw)
	}
	if code, v, _ := apitest.Get(t, s, "/api/admin/webhooks", adminToken); code != 200 || len(v.([]any)) != 1 {
		t.Errorf("list: %d %v", code, v)
	}
	apitest.CheckErrors(t, s, []apitest.ErrorCase{
		{Name: "integration token", Method: "GET", Path: "/api/admin/webhooks", Token: apitest.IntegrationToken, Code: 403},
		{Name: "no token", Method: "PUT", Path: path, ContentType: "application/json", Body: body, Code: 401},
		{Name: "loopback target", Method: "PUT", Path: path, Token: adminToken, ContentType: "application/json",
			Body: `{"url": "http://127.0.0.1:9000/hook"}`, Code: 400, Field: "url"},
		{Name: "metadata service", Method: "PUT", Path: path, Token: adminToken, ContentType: "application/json",
			Body: `{"url": "http://169.254.169.254/latest"}`, Code: 400, Field: "url"},
		{Name: "not http", Method: "PUT", Path: path, Token: adminToken, ContentType: "application/json",
			Body: `{"url": "file:///etc/passwd"}`, Code: 400, Field: "url"},
		{Name: "format", Method: "PUT", Path: path, Token: adminToken, ContentType: "application/json",
			Body: `{"url": "https://crm.example.com/", "format": "xml"}`, Code: 400, Field: "format"},
		{Name: "event", Method: "PUT", Path: path, Token: adminToken, ContentType: "application/json",
			Body: `{"url": "https://crm.example.com/", "events": ["hangup"]}`, Code: 400, Field: "events"},
		{Name: "secret", Method: "PUT", Path: path, Token: adminToken, ContentType: "application/json",
			Body: `{"url": "https://crm.example.com/", "secret": "hunter2"}`, Code: 400, Field: "secret"},
		{Name: "events not a list", Method: "PUT", Path: path, Token: adminToken, ContentType: "application/json",
			Body: `{"url": "https://crm.example.com/", "events": "ended"}`, Code: 400, Field: "events"},
		{Name: "id", Method: "PUT", Path: "/api/admin/webhooks/a%20b", Token: adminToken, ContentType: "application/json",
			Body: body, Code: 400, Field: "id"},
		{Name: "unknown", Method: "GET", Path: "/api/admin/webhooks/nope", Token: adminToken, Code: 404},
		{Name: "dead letters of unknown", Method: "GET", Path: "/api/admin/webhooks/nope/dead_letters", Token: adminToken, Code: 404},
		{Name: "limit", Method: "GET", Path: path + "/dead_letters?limit=0", Token: adminToken, Code: 400, Field: "limit"},
		{Name: "unknown parameter", Method: "GET", Path: path + "/dead_letters?page=2", Token: adminToken, Code: 400, Field: "page"},
		{Name: "replay body", Method: "POST", Path: path + "/dead_letters/replay", Token: adminToken, ContentType: "application/json",
			Body: `{"msg_ids": "all"}`, Code: 400, Field: "msg_ids"},
	})
	if code, _, raw := apitest.Do(t, s, "DELETE", path, adminToken, "", ""); code != http.StatusNoContent {
		t.Errorf("DELETE: %d %s", code, raw)
	}
	if code, _, _ := apitest.Do(t, s, "DELETE", path, adminToken, "", ""); code != http.StatusNotFound {
		t.Errorf("DELETE again: %d", code)
	}
}

// The dead letters of a subscription are listed with their fields and
// replayed over REST.
func TestAdminDeadLetters(t *testing.T) {
	e := newEnv(t)
	rc := newReceiver(t)
	s := adminServer(t, e, loopback)
	code, _, raw := apitest.Do(t, s, "PUT", "/api/admin/webhooks/crm", adminToken, "application/json",
		`{"url": "`+rc.srv.URL+`", "format": "form"}`)
	if code != http.StatusCreated {
		t.Fatalf("PUT: %d %s", code, raw)
	}
	ids := e.ring(2)
	if _, err := e.db.Exec(`UPDATE webhook_outbox SET state = 'dead', attempts = 8, last_status = 500`); err != nil {
		t.Fatal(err)
	}
	code, v, rec := apitest.Get(t, s, "/api/admin/webhooks/crm/dead_letters?limit=1", adminToken)
	list, _ := v.([]any)
	if code != 200 || len(list) != 1 {
		t.Fatalf("dead letters: %d %s", code, rec.Body)
	}
	l := list[0].(map[string]any)
	if l["msg_id"] != ids[0] || l["type"] != Ringing || l["fields"].(map[string]any)["Calledphone"] != "1002" || l["attempts"] != 8.0 {
		t.Errorf("dead letter %v", l)
	}
	code, m, raw := apitest.Do(t, s, "POST", "/api/admin/webhooks/crm/dead_letters/replay", adminToken, "application/json",
		`{"msg_ids": ["`+ids[1]+`"]}`)
	if code != 200 || m["replayed"] != 1.0 {
		t.Fatalf("replay one: %d %s", code, raw)
	}
	e.start()
	waitFor(t, "the replayed letter", func() bool { return e.letter("crm", ids[1]).State == "delivered" })
	if got := e.letter("crm", ids[0]).State; got != "dead" {
		t.Errorf("the other letter is %s, want still dead", got)
	}
	code, m, raw = apitest.Do(t, s, "POST", "/api/admin/webhooks/crm/dead_letters/replay", adminToken, "", "")
	if code != 200 || m["replayed"] != 1.0 {
		t.Fatalf("replay all: %d %s", code, raw)
	}
	waitFor(t, "every letter", func() bool { return e.letter("crm", ids[0]).State == "delivered" })
}
