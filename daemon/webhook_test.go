package daemon_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"

	"github.com/ccdhq/ccd/ami"
	"github.com/ccdhq/ccd/config"
)

// A direct call to an extension, seen only on the AMI, reaches a webhook
// subscriber of the configuration: ringing, then answered, with the seed's
// fields, signed; the metrics count them.
func TestEmployeeWebhooksFromTheAMI(t *testing.T) {
	h := newHarness(t)
	var mu sync.Mutex
	var got []url.Values
	var ids []string
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		q, _ := url.ParseQuery(string(body))
		mu.Lock()
		got, ids = append(got, q), append(ids, r.Header.Get("webhook-id"))
		mu.Unlock()
	}))
	t.Cleanup(rc.Close)
	h.cfg.Webhooks.AccountID = "4711"
	h.cfg.Webhooks.AllowNetworks = []string{"127.0.0.0/8"}
	h.cfg.Webhooks.Subscriptions = []config.WebhookSubscription{{ID: "crm", URL: rc.URL + "/flexfone", Format: "form"}}
	h.start()
	h.ami.Emit(ami.NewMessage("Event", "DialBegin", "Channel", "PJSIP/trunk-00000001", "Uniqueid", "u1", "Linkedid", "u1",
		"CallerIDNum", "004512345678", "DestChannel", "PJSIP/1002-00000002", "DestUniqueid", "u2", "DestLinkedid", "u1",
		"DialString", "PJSIP/1002", "Timestamp", "1773133200.000000"))
	h.ami.Emit(ami.NewMessage("Event", "DialEnd", "Channel", "PJSIP/trunk-00000001", "Uniqueid", "u1", "Linkedid", "u1",
		"CallerIDNum", "004512345678", "DestChannel", "PJSIP/1002-00000002", "DestUniqueid", "u2", "DestLinkedid", "u1",
		"DialString", "PJSIP/1002", "DialStatus", "ANSWER", "Timestamp", "1773133205.000000"))
	h.waitFor("two webhooks", func() bool { mu.Lock(); defer mu.Unlock(); return len(got) >= 2 })
	mu.Lock()
	defer mu.Unlock()
	ringing, answered := got[0], got[1]
	if ringing.Get("AccountId") != "4711" || ringing.Get("UniqueCallId") != "u1" || ringing.Get("Calledphone") != "1002" ||
		ringing.Get("ANumber") != "004512345678" || ringing.Get("EmployeeLocalNumber") != "1002" || ringing.Get("TimeStamp") == "" {
		t.Errorf("ringing %v", ringing)
	}
	if answered.Get("EmployeeLocalNumber") != "1002" || answered.Get("ANumber") != "004512345678" || answered.Has("Calledphone") {
		t.Errorf("answered %v", answered)
	}
	if ids[0] == "" || ids[0] == ids[1] {
		t.Errorf("webhook-ids %v", ids)
	}
	h.waitFor("the metric", func() bool { return h.metric("ccd_webhook_delivered_total") == "2" })
}
