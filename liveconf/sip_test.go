package liveconf

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/ccdhq/ccd"
)

// An agent's softphone credentials: the admin API and its audit show the
// password only as set, a change that does not name it keeps it, and the
// agent's own credentials are read back in clear for its phone.
func TestSIPCredentialsAreKeptAndMasked(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	if err := f.m.Load(ctx, f.db); err != nil {
		t.Fatal(err)
	}
	const secret = "sip-secret-of-a1-0123456"
	item, _, err := f.m.PutConfigItem(ctx, admin, ccd.ConfigAgent, "a1",
		[]byte(`{"name":"Ann","endpoint":"PJSIP/1001","sip_user":"webrtc-a1","sip_password":"`+secret+`"}`))
	if err != nil || item["sip_password"] != secretMask || item["sip_user"] != "webrtc-a1" {
		t.Fatalf("put: %v %v", item, err)
	}
	if _, _, err := f.m.PutConfigItem(ctx, admin, ccd.ConfigAgent, "a1", []byte(`{"name":"Ann B","endpoint":"PJSIP/1001","sip_user":"webrtc-a1"}`)); err != nil {
		t.Fatal(err)
	}
	if user, pw, ok := f.m.SIPCredentials("a1"); !ok || user != "webrtc-a1" || pw != secret {
		t.Fatalf("credentials after a change without the password: %q %q %v", user, pw, ok)
	}
	for _, ev := range f.db.audits {
		if strings.Contains(string(ev.Payload), secret) {
			t.Fatalf("the audit holds the SIP password: %s", ev.Payload)
		}
	}
	if _, _, err := f.m.PutConfigItem(ctx, admin, ccd.ConfigAgent, "a2", []byte(`{"endpoint":"PJSIP/1002","sip_user":"webrtc-a2"}`)); !isField(err, "sip_password") {
		t.Fatalf("a SIP user without a password: %v", err)
	}
	if _, _, ok := f.m.SIPCredentials("nobody"); ok {
		t.Fatal("credentials of an unknown agent")
	}
}

func isField(err error, field string) bool {
	var e *ccd.Error
	return errors.As(err, &e) && e.Code == ccd.EINVALID && e.Field == field
}

// An agent serves the queues whose skills it has at their levels and,
// when a queue names groups, that have one of its groups (its own list or
// the group's).
func TestAgentQueuesFollowSkillsAndGroups(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	if err := f.m.Load(ctx, f.db); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ kind, id, body string }{
		{ccd.ConfigQueue, "vip", `{"skills":{"vip":3}}`},
		{ccd.ConfigGroup, "team", `{"agents":["a1"]}`},
		{ccd.ConfigQueue, "teamq", `{"groups":["team"]}`},
		{ccd.ConfigGroup, "other", `{}`},
		{ccd.ConfigQueue, "otherq", `{"groups":["other"]}`},
	} {
		if _, _, err := f.m.PutConfigItem(ctx, admin, c.kind, c.id, []byte(c.body)); err != nil {
			t.Fatalf("%s %s: %v", c.kind, c.id, err)
		}
	}
	if got := strings.Join(f.m.AgentQueues("a1"), ","); got != "sales,teamq" {
		t.Fatalf("without the skill: %s", got)
	}
	if _, err := f.m.SetSkill(ctx, admin, "a1", "vip", 3); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(f.m.AgentQueues("a1"), ","); got != "sales,vip,teamq" {
		t.Fatalf("with the skill: %s", got)
	}
	if got := f.m.AgentQueues("nobody"); got != nil {
		t.Fatalf("unknown agent: %v", got)
	}
}
