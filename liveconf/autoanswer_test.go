package liveconf

import (
	"context"
	"testing"

	"github.com/ccdhq/ccd"
)

// auto_answer is part of the admin API's agent object: set live, shown
// back, off when a change leaves it out (a PUT is the whole agent), and a
// value that is not a boolean is refused naming the field.
func TestAutoAnswerIsAnAgentSetting(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	if err := f.m.Load(ctx, f.db); err != nil {
		t.Fatal(err)
	}
	item, _, err := f.m.PutConfigItem(ctx, admin, ccd.ConfigAgent, "a1", []byte(`{"name":"Ann","endpoint":"PJSIP/1001","auto_answer":true}`))
	if err != nil || item["auto_answer"] != true {
		t.Fatalf("put: %v %v", item, err)
	}
	if !f.m.AutoAnswer("a1") {
		t.Fatal("a1 has auto_answer, yet AutoAnswer says no")
	}
	if _, _, err := f.m.PutConfigItem(ctx, admin, ccd.ConfigAgent, "a1", []byte(`{"name":"Ann","endpoint":"PJSIP/1001"}`)); err != nil {
		t.Fatal(err)
	}
	if f.m.AutoAnswer("a1") {
		t.Fatal("auto_answer left out of a change is still on")
	}
	if _, _, err := f.m.PutConfigItem(ctx, admin, ccd.ConfigAgent, "a1", []byte(`{"endpoint":"PJSIP/1001","auto_answer":"yes"}`)); !isField(err, "auto_answer") {
		t.Fatalf("auto_answer \"yes\": %v", err)
	}
	if f.m.AutoAnswer("nobody") {
		t.Fatal("auto_answer of an unknown agent")
	}
}
