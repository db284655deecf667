package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/ccdhq/ccd/ami"
	"github.com/ccdhq/ccd/config"
	"github.com/ccdhq/ccd/dialer"
)

// DialerDialplan is the test dialplan of TestDialerCampaign: the numbers
// the dialer calls (Local/<number>@ccd-dialer-test) answer as a person, a
// machine, busy, not at all or congested by their first digit, and the
// campaign's agents (Local/<id>@ccd-dialer-agents) answer at once. A test
// Asterisk has no sound files: the "voices" are tones AMD() hears as words.
// [ccd-dialer-amd] is what `ccd asterisk-config` prints with the dialer on.
const DialerDialplan = `[ccd-dialer-test]
; A person: a short "hello" (one 400 ms word), then silence.
exten => _1XXXX,1,Answer()
 same => n,PlayTones(!0/300,!440/400,0/1000)
 same => n,Wait(60)
 same => n,Hangup()
; A machine: a greeting of four words, a beep, then silence (recording).
exten => _2XXXX,1,Answer()
 same => n,PlayTones(!0/200,!440/500,!0/100,!480/500,!0/100,!520/500,!0/100,!440/500,!0/300,!1000/400,0/1000)
 same => n,Wait(30)
 same => n,Hangup()
exten => _3XXXX,1,Busy(10)
exten => _4XXXX,1,Ringing()
 same => n,Wait(600)
exten => _5XXXX,1,Congestion(10)

[ccd-dialer-agents]
; The campaign's agents: answer at once, talk 2 to 4 s.
exten => _8XXX,1,Answer()
 same => n,PlayTones(0/1000)
 same => n,Wait(${RAND(2,4)})
 same => n,Hangup()

[ccd-dialer-amd]
exten => s,1,AMD(${CCD_AMD})
 same => n,GotoIf($["${AMDSTATUS}" != "MACHINE"]?back)
 same => n,GotoIf($["${CCD_MACHINE}" != "message"]?back)
 same => n,WaitForSilence(1000,1,20)
 same => n(back),Stasis(ccd,dialer,amd)
 same => n,Hangup()
`

// dialerKinds are the answers of the test numbers by first digit, and the
// status each target must end with (every result is retried only after
// the test).
var dialerKinds = []struct {
	digit  string
	name   string
	status int
}{
	{"1", "human", dialer.StatusAnswered},
	{"2", "machine", dialer.StatusMachine},
	{"3", "busy", dialer.StatusBusy},
	{"4", "no answer", dialer.StatusNoAnswer},
	{"5", "congestion", dialer.StatusCongestion},
}

// TestDialerCampaign runs a progressive campaign over 200 targets, 40 of every
// kind, with 10 Local-channel agents: every target ends with its status
// after one attempt, machines are detected by AMD(), people reach an
// agent, no number is dialled twice at once, and the abandon rate is
// reported.
func TestDialerCampaign(t *testing.T) {
	e := setup(t)
	e.checkDialplanText(t, DialerDialplan, "ccd-dialer-test", "ccd-dialer-agents", "ccd-dialer-amd")
	const perKind = 40 // 200 targets
	var agents []config.Agent
	for i := range 10 {
		id := fmt.Sprintf("80%02d", i)
		agents = append(agents, config.Agent{ID: id, Endpoint: "Local/" + id + "@ccd-dialer-agents"})
	}
	e.cfg.ACD = config.ACD{Queues: []config.Queue{{Code: "outbound", RingTimeout: 10 * time.Second}}, Agents: agents}
	e.cfg.API.Token = randomHex(16)
	e.cfg.Dialer.DialEndpoint = "Local/{number}@ccd-dialer-test"
	stop := e.startDaemon(t)
	defer func() { _ = stop() }()
	ctx := ctxT(t, 6*time.Minute)
	for _, a := range agents {
		e.agentRequest(t, ctx, a.ID, "login")
	}
	c := dialer.Campaign{Name: "e2e", QueueCode: "outbound", IsActive: true, RetryNumber: 5, NoAnswerDuration: 15,
		WindowStart: "00:00", WindowEnd: "23:59:59"}.WithDefaults()
	for _, k := range dialerKinds[1:] {
		c.RetryRules = append(c.RetryRules, dialer.RetryRule{StatusCode: k.status, DelayMinutes: 600})
	}
	id, err := e.db.CreateCampaign(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	want := map[int64]int{}
	for _, k := range dialerKinds {
		for i := range perKind {
			tg, err := e.db.AddTarget(ctx, dialer.Target{CampaignID: id, PhoneI: fmt.Sprintf("%s%04d", k.digit, i)}.WithDefaults())
			if err != nil {
				t.Fatal(err)
			}
			want[tg] = k.status
		}
	}
	waitFor(t, 5*time.Minute, "every target dialled once and finished", func() bool {
		var left int
		if err := e.db.GetContext(ctx, &left, `SELECT count(*) FROM dialer.target WHERE campaign_id = $1
			AND (status_code IN (0, 1) OR dialing_since IS NOT NULL)`, id); err != nil {
			t.Fatal(err)
		}
		return left == 0
	})
	var got []struct {
		ID     int64  `db:"target_id"`
		Phone  string `db:"phone_i"`
		Status int    `db:"status_code"`
		Dials  int    `db:"total_dials"`
		AMD    string `db:"amd_status"`
	}
	if err := e.db.SelectContext(ctx, &got, `SELECT t.target_id, t.phone_i, t.status_code, t.total_dials,
		coalesce(max(a.amd_status), '') AS amd_status
		FROM dialer.target t LEFT JOIN dialer.attempt a USING (target_id) WHERE t.campaign_id = $1
		GROUP BY t.target_id ORDER BY t.target_id`, id); err != nil {
		t.Fatal(err)
	}
	for _, g := range got {
		if g.Dials != 1 || g.Status != want[g.ID] {
			t.Errorf("target %s: status %d after %d dials, want %d after 1", g.Phone, g.Status, g.Dials, want[g.ID])
		}
		if g.Phone[0] == '2' && g.AMD != "MACHINE" || g.Phone[0] == '1' && g.AMD != "HUMAN" && g.AMD != "NOTSURE" {
			t.Errorf("target %s: AMD said %q", g.Phone, g.AMD)
		}
	}
	var overlaps int
	if err := e.db.GetContext(ctx, &overlaps, `SELECT count(*) FROM dialer.attempt a JOIN dialer.attempt b
		ON a.phone = b.phone AND a.attempt_id < b.attempt_id AND b.started_at < a.ended_at`); err != nil || overlaps != 0 {
		t.Errorf("numbers dialled twice at once: %d (%v)", overlaps, err)
	}
	resp := e.api(t, ctx, http.MethodGet, fmt.Sprintf("/api/dialer/campaigns/%d/abandon", id))
	defer resp.Body.Close()
	var rate struct {
		Windows []struct {
			Window              string
			Answered, Abandoned int
			Rate                float64
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&rate); err != nil || resp.StatusCode != http.StatusOK || len(rate.Windows) != 3 {
		t.Fatalf("abandon rate: %s %+v %v", resp.Status, rate, err)
	}
	t.Logf("abandon rate: %+v", rate.Windows)
	if w := rate.Windows[1]; w.Answered != perKind || w.Abandoned != 0 {
		t.Errorf("24 h window %+v: want %d people answered, none abandoned (an agent per call)", w, perKind)
	}
}

// checkDialplanText is checkDialplan naming the text to add.
func (e *env) checkDialplanText(t *testing.T, text string, contexts ...string) {
	t.Helper()
	mc := e.amiClient(t)
	for _, c := range contexts {
		if !e.hasContext(t, mc, c) {
			t.Fatalf("Asterisk has no dialplan context %s; add this to extensions.conf and run `asterisk -rx 'dialplan reload'`:\n%s", c, text)
		}
	}
}

func (e *env) hasContext(t *testing.T, mc *ami.Client, context string) bool {
	t.Helper()
	_, _, err := mc.ListAction(ctxT(t, 10*time.Second), ami.Action{Name: "ShowDialPlan", Fields: []ami.Field{{Key: "Context", Value: context}}})
	return err == nil
}
