package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/ccdhq/ccd/ari"
)

// AgentFaultsDialplan is the dialplan TestAgentOriginateOutcomes needs (also
// in testdata/extensions.conf): agent phones that fail in the ways a real
// one does.
const AgentFaultsDialplan = `[ccd-agent-faults]
; Agent phones that do not answer: busy, congested, rejecting, ringing forever.
exten => busy,1,Busy(10)
exten => congestion,1,Congestion(10)
exten => reject,1,Hangup(21)
exten => noanswer,1,Ringing()
 same => n,Wait(600)
`

// TestAgentOriginateOutcomes records what Asterisk tells a Stasis
// application about an agent channel it originated (as ccd rings an agent:
// ARI originate of a Local channel into the application) when the phone does
// not answer. The queue application decides why an offer failed from these
// events, so this pins down the facts it relies on:
//
//   - the originated channel (the Local channel's ;1 half, the id ccd chose)
//     ends with ChannelDestroyed cause 0 ("Unknown") when the phone is busy
//     or congested; only the Dial event's dialstatus (BUSY, CONGESTION) and
//     the ;2 half's cause (17, 34) say why;
//   - a phone that rejects the call gives its cause (21) on both halves;
//   - a phone that rings until the originate's timeout gives cause 19;
//   - an extension that does not exist is accepted by the originate request
//     (no error), then both halves end at once with cause 0 and no Dial event.
func TestAgentOriginateOutcomes(t *testing.T) {
	e := setup(t)
	e.checkDialplan(t, e.amiClient(t), "ccd-agent-faults")
	ctx := ctxT(t, time.Minute)
	sub := e.ari.Subscribe(ari.EventDial, ari.EventChannelDestroyed)
	defer sub.Close()
	for _, c := range []struct {
		exten      string
		timeout    int
		dialStatus string // the last Dial event's status before the end; "" none, "*" any
		cause1     int    // ChannelDestroyed of the ;1 half
		cause2     int    // and of the ;2 half; -1 when not checked
	}{
		{"busy", 10, "BUSY", 0, 17},
		{"congestion", 10, "CONGESTION", 0, 34},
		{"reject", 10, "NOANSWER", 21, 21},
		{"noanswer", 2, "*", 19, -1}, // RINGING; the NOANSWER Dial may come after the end
		{"nosuchexten", 10, "", 0, 0},
	} {
		t.Run(c.exten, func(t *testing.T) {
			id := uniq("itest-orig-" + c.exten)
			if _, err := e.ari.Originate(ctx, ari.OriginateParams{
				Endpoint: "Local/" + c.exten + "@ccd-agent-faults", App: e.ari.Application(), AppArgs: "agent,x",
				ChannelID: id, CallerID: "5551234", Timeout: c.timeout,
			}); err != nil {
				t.Fatalf("originate: %v", err)
			}
			status, cause1, cause2 := "", -1, -1
			deadline := time.After(time.Duration(c.timeout+10) * time.Second)
			for cause1 < 0 || (c.cause2 >= 0 && cause2 < 0) {
				select {
				case ev := <-sub.C():
					switch v := ev.(type) {
					case *ari.Dial:
						if v.Peer.ID == id && v.DialStatus != "" {
							status = v.DialStatus
						}
					case *ari.ChannelDestroyed:
						switch v.Channel.ID {
						case id:
							cause1 = v.Cause
						case id + ";2":
							cause2 = v.Cause
						}
					}
				case <-deadline:
					_ = e.ari.Channel(id).Hangup(context.Background(), "normal")
					t.Fatalf("channel not destroyed: dialstatus %q, causes %d/%d", status, cause1, cause2)
				}
			}
			if (c.dialStatus != "*" && status != c.dialStatus) || cause1 != c.cause1 || (c.cause2 >= 0 && cause2 != c.cause2) {
				t.Errorf("dialstatus %q, ChannelDestroyed causes %d (;1) %d (;2); want %q, %d, %d",
					status, cause1, cause2, c.dialStatus, c.cause1, c.cause2)
			}
		})
	}
}
