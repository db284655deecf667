package daemon_test

import (
	"testing"

	"github.com/ccdhq/ccd/ami"
	"github.com/ccdhq/ccd/config"
)

// With the links given as a named node, every event that comes from Asterisk
// carries that name, whichever link produced it: ARI's recorder, the queue application
// and the AMI observer.
func TestEventsCarryTheNodeName(t *testing.T) {
	h := newHarness(t)
	h.cfg.Nodes = []config.Node{{Name: "pbx-a", ARI: h.cfg.ARI, AMI: h.cfg.AMI}}
	h.cfg.ARI, h.cfg.AMI = config.Default().ARI, config.Default().AMI
	if err := h.cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	h.start()
	h.callInbound()
	h.ami.Emit(ami.NewMessage("Event", "Hangup", "Channel", "PJSIP/1001-1", "Uniqueid", "u1", "Linkedid", "x", "Cause", "16"))
	h.waitFor("the caller queued", func() bool { return h.count("call.queued") == 1 })
	h.waitFor("the AMI hangup", func() bool { return h.count("pbx.hangup") == 1 })
	h.waitFor("the StasisStart", func() bool { return h.count("ari.StasisStart") == 1 })
	var bySource []struct {
		Source string `db:"source"`
		Node   string `db:"node"`
	}
	if err := h.db.Select(&bySource, `SELECT DISTINCT source, node FROM call_event ORDER BY 1, 2`); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, r := range bySource {
		seen[r.Source] = true
		// api events (the configuration's audit) come from no Asterisk.
		if r.Source != "api" && r.Node != "pbx-a" {
			t.Errorf("%s events carry node %q", r.Source, r.Node)
		}
	}
	for _, src := range []string{"ami", "ari", "acd"} {
		if !seen[src] {
			t.Errorf("no %s events: %v", src, bySource)
		}
	}
}
