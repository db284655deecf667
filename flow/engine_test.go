package flow

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// caller drives one call through the engine as the Stasis application
// would, remembering what it was asked to do.
type caller struct {
	t       testing.TB
	c       *Call
	env     Env
	play    int // the playback in progress (0 none)
	timer   int
	request *Action
	actions []Action
}

func compile(t testing.TB, f Flow, refs Refs) *Compiled {
	t.Helper()
	c, problems := Compile(f, 1, refs)
	if len(problems) > 0 {
		t.Fatalf("flow does not validate: %v", problems)
	}
	return c
}

func start(t testing.TB, f *Compiled, env Env, initial map[string]string) *caller {
	t.Helper()
	k := &caller{t: t, c: NewCall(f, NewProfile(initial)), env: env}
	k.feed(Input{Kind: InStart})
	return k
}

func (k *caller) feed(in Input) []Action {
	out := k.c.Step(k.env, in)
	for _, a := range out {
		switch a.Kind {
		case ActPlay:
			k.play = a.ID
		case ActStopPlay:
			k.play = 0
		case ActTimer:
			k.timer = a.ID
		case ActHTTP:
			a := a
			k.request = &a
		}
	}
	k.actions = append(k.actions, out...)
	return out
}

func (k *caller) press(keys string) {
	for _, d := range keys {
		k.feed(Input{Kind: InDigit, Digit: string(d)})
	}
}

// promptEnds ends the playback in progress.
func (k *caller) promptEnds() {
	k.t.Helper()
	if k.play == 0 {
		k.t.Fatalf("no playback in progress; actions %v", kinds(k.actions))
	}
	id := k.play
	k.play = 0
	k.feed(Input{Kind: InPlayDone, ID: id})
}

func (k *caller) timeout() {
	k.feed(Input{Kind: InTimer, ID: k.timer})
}

func (k *caller) answer(status int, body string) {
	k.t.Helper()
	if k.request == nil {
		k.t.Fatalf("no request made; actions %v", kinds(k.actions))
	}
	id := k.request.ID
	k.request = nil
	k.feed(Input{Kind: InHTTP, ID: id, HTTP: HTTPResult{Status: status, Body: []byte(body)}})
}

// ended is where the call left the flow.
func (k *caller) ended() string {
	k.t.Helper()
	for _, a := range k.actions {
		if a.Kind == ActEnd {
			return a.Terminal.String()
		}
	}
	k.t.Fatalf("the call has not left the flow; actions %v", kinds(k.actions))
	return ""
}

func (k *caller) failures() []string {
	var out []string
	for _, a := range k.actions {
		if a.Kind == ActFailed {
			out = append(out, a.Reason)
		}
	}
	return out
}

func kinds(as []Action) []string {
	names := []string{"play", "stop", "timer", "http", "callerid", "callername", "enter", "leave", "failed", "end", "query"}
	var out []string
	for _, a := range as {
		s := names[a.Kind]
		if a.Node != "" {
			s += ":" + a.Node
		}
		out = append(out, s)
	}
	return out
}

func menuFlow() Flow {
	return Flow{Name: "main", Start: "menu", Nodes: []Node{
		{ID: "menu", Menu: &Menu{Prompt: []string{"sound:menu"}, Invalid: []string{"sound:invalid"},
			TimeoutRetries: 2, TimeoutDest: "queue:support", InvalidRetries: 1, InvalidDest: "hangup",
			Keys: map[string]string{"1": "queue:sales:2", "2": "sub", "0": "operator"}}},
		{ID: "sub", Menu: &Menu{Prompt: []string{"sound:sub"}, TimeoutDest: "menu", InvalidDest: "menu",
			Keys: map[string]string{"9": "menu", "1": "voicemail:1001"}}},
		{ID: "operator", Number: "100"},
	}}
}

func TestMenuKeysTimeoutsAndInvalidKeys(t *testing.T) {
	f := compile(t, menuFlow(), Refs{})
	cases := []struct {
		name  string
		drive func(k *caller)
		want  string
	}{
		{"key during the prompt", func(k *caller) { k.press("1") }, "queue:sales"},
		{"key after the prompt", func(k *caller) { k.promptEnds(); k.press("0") }, "number:100"},
		{"nested menu", func(k *caller) { k.press("2"); k.promptEnds(); k.press("1") }, "voicemail:1001"},
		{"back up from the nested menu", func(k *caller) { k.press("29"); k.press("1") }, "queue:sales"},
		{"timeouts", func(k *caller) {
			for range 3 {
				k.promptEnds()
				k.timeout()
			}
		}, "queue:support"},
		{"invalid keys", func(k *caller) { k.press("7"); k.promptEnds(); k.press("#") }, "hangup"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			k := start(t, f, Env{}, nil)
			c.drive(k)
			if got := k.ended(); got != c.want {
				t.Fatalf("ended at %s, want %s; actions %v", got, c.want, kinds(k.actions))
			}
		})
	}
}

func TestMenuDigitInterruptsThePromptAndInvalidReplaysIt(t *testing.T) {
	f := compile(t, menuFlow(), Refs{})
	k := start(t, f, Env{}, nil)
	first := k.play
	out := k.feed(Input{Kind: InDigit, Digit: "7"})
	if len(out) < 2 || out[0].Kind != ActStopPlay || out[0].ID != first {
		t.Fatalf("a digit during the prompt must stop it first; got %v", kinds(out))
	}
	if p := out[len(out)-1]; p.Kind != ActPlay || !slices.Equal(p.Media, []string{"sound:invalid", "sound:menu"}) || !p.Interruptible {
		t.Fatalf("an invalid key replays the invalid sound then the prompt; got %+v", p)
	}
	// The first prompt's end, arriving late, is stale.
	if out := k.feed(Input{Kind: InPlayDone, ID: first}); len(out) != 0 {
		t.Fatalf("a stale playback end did something: %v", kinds(out))
	}
}

func TestMenuRetryCountsAreExact(t *testing.T) {
	f := compile(t, menuFlow(), Refs{})
	k := start(t, f, Env{}, nil)
	prompts := 0
	for !k.c.Done() {
		prompts++
		k.promptEnds()
		k.timeout()
	}
	if prompts != 3 { // the prompt and timeout_retries (2) replays
		t.Fatalf("prompt played %d times, want 3", prompts)
	}
}

func TestDirectDialInAMenu(t *testing.T) {
	fl := menuFlow()
	fl.Nodes[0].Menu.DirectDial = 4
	f := compile(t, fl, Refs{})
	k := start(t, f, Env{}, nil)
	k.press("2")
	if k.c.NodeID() != "sub" {
		t.Fatalf("an option key must win over direct dialling; in %q", k.c.NodeID())
	}
	k = start(t, f, Env{}, nil)
	k.press("4711")
	if got := k.ended(); got != "number:4711" {
		t.Fatalf("ended at %s, want number:4711", got)
	}
	k = start(t, f, Env{}, nil)
	k.press("47")
	k.timeout() // too short: invalid
	if k.c.Done() || k.play == 0 {
		t.Fatalf("a short extension is an invalid key: the prompt plays again; actions %v", kinds(k.actions))
	}
}

func TestTimeConditionAndSwitch(t *testing.T) {
	fl := Flow{Name: "hours", Start: "open", Nodes: []Node{
		{ID: "open", Time: &TimeCond{Group: TimeGroup{Weekly: []Weekly{{Days: "mon-fri", From: "08:00", To: "17:00"}}},
			Match: "day", NoMatch: "queue:night"}},
		{ID: "day", Switch: &SwitchNode{Switch: "100", Active: "queue:emergency"}},
	}}
	sw := Switch{Localnumber: "100", InactiveGoto: "queue:sales"}
	refs := Refs{Switch: func(n string) (Switch, bool) { return sw, n == "100" }}
	f := compile(t, fl, refs)
	loc := time.UTC
	monday10 := time.Date(2026, 11, 30, 10, 0, 0, 0, loc)
	env := Env{Now: monday10, Location: loc, Switch: refs.Switch}
	if got := start(t, f, env, nil).ended(); got != "queue:sales" {
		t.Fatalf("open hours, switch inactive: %s", got)
	}
	sw.Active = true
	if got := start(t, f, env, nil).ended(); got != "queue:emergency" {
		t.Fatalf("open hours, switch active: %s", got)
	}
	env.Now = monday10.Add(8 * time.Hour)
	if got := start(t, f, env, nil).ended(); got != "queue:night" {
		t.Fatalf("after hours: %s", got)
	}
}

func TestPlaySaySetBranch(t *testing.T) {
	fl := Flow{Name: "misc", Start: "set", Nodes: []Node{
		{ID: "set", Set: &Set{Field: "greeted", Value: "yes:[callerid]", Next: "hello"}},
		{ID: "hello", Play: &Play{Sounds: []string{"sound:hello"}, Next: "say"}},
		{ID: "say", Say: &Say{Field: FieldANI, Next: "branch"}},
		{ID: "branch", Branch: &Branch{Field: "greeted", Cases: map[string]string{"yes:555": "queue:vip"}, Default: "queue:sales"}},
	}}
	f := compile(t, fl, Refs{})
	k := start(t, f, Env{}, map[string]string{FieldANI: "555"})
	k.press("1") // a playback that is not a prompt ignores keys
	if k.c.NodeID() != "hello" {
		t.Fatalf("in %q, want hello", k.c.NodeID())
	}
	k.promptEnds()
	var said []string
	for _, a := range k.actions {
		if a.Kind == ActPlay {
			said = append(said, a.Media...)
		}
	}
	if !slices.Contains(said, "digits:555") {
		t.Fatalf("say did not say the caller's digits: %v", said)
	}
	k.promptEnds()
	if got := k.ended(); got != "queue:vip" {
		t.Fatalf("ended at %s", got)
	}
	if ch := k.c.Profile.TakeChanges(); len(ch) == 0 || ch[0].Field != "greeted" || ch[0].New != "yes:555" {
		t.Fatalf("profile changes %v", ch)
	}
}

func TestQueueTakesTheProfilesPriority(t *testing.T) {
	fl := Flow{Name: "q", Start: "q", Nodes: []Node{{ID: "q", Queue: &QueueDest{Code: "sales"}}}}
	f := compile(t, fl, Refs{})
	k := start(t, f, Env{}, map[string]string{FieldPriority: "3"})
	for _, a := range k.actions {
		if a.Kind == ActEnd && a.Terminal.Priority != 3 {
			t.Fatalf("priority %d, want the profile's 3", a.Terminal.Priority)
		}
	}
	if k.c.Profile.Get(FieldQueue) != "sales" {
		t.Fatal("the profile's queue is not set")
	}
}

func identifyFlow(mode string) Flow {
	f := Flow{Name: "id", Start: "ask", Nodes: []Node{
		{ID: "ask", Identify: &Identify{Prompt: []string{"sound:enter-id"}, Length: 4, Attempts: 2, Mode: mode,
			URL: "http://crm.local/identify", Found: "queue:gold", NotFound: "queue:bronze"}},
	}}
	if mode == "destination" {
		f.Nodes = append(f.Nodes, Node{ID: "silver", Queue: &QueueDest{Code: "silver"}})
	}
	return f
}

func TestIdentification(t *testing.T) {
	t.Run("no interaction", func(t *testing.T) {
		f := compile(t, identifyFlow(""), Refs{})
		k := start(t, f, Env{}, nil)
		k.press("1234")
		if got := k.ended(); got != "queue:gold" || k.c.Profile.Get(FieldCustomerNumber) != "1234" {
			t.Fatalf("ended at %s with customer %q", got, k.c.Profile.Get(FieldCustomerNumber))
		}
		k = start(t, f, Env{}, nil)
		k.promptEnds()
		k.press("12")
		k.timeout() // attempt 1: too short
		k.promptEnds()
		k.timeout() // attempt 2: nothing
		if got := k.ended(); got != "queue:bronze" {
			t.Fatalf("ended at %s", got)
		}
	})
	t.Run("true/false", func(t *testing.T) {
		f := compile(t, identifyFlow("bool"), Refs{})
		for body, want := range map[string]string{
			`{"status":"ok","destination":"true"}`:  "queue:gold",
			`{"status":"ok","destination":"false"}`: "queue:bronze",
			`{"status":"fail"}`:                     "queue:bronze",
			`not json`:                              "queue:bronze",
		} {
			k := start(t, f, Env{}, nil)
			k.press("1234")
			r := k.request.Request
			if r.Method != "POST" || r.UserAgent != "OMniLeads" || r.Body != "idContact=1234" {
				t.Fatalf("request %+v", r)
			}
			k.answer(200, body)
			if got := k.ended(); got != want {
				t.Errorf("%s: ended at %s, want %s", body, got, want)
			}
		}
	})
	t.Run("destination", func(t *testing.T) {
		f := compile(t, identifyFlow("destination"), Refs{})
		for body, want := range map[string]string{
			`{"status":"ok","destination":"1,silver"}`:  "queue:silver",
			`{"status":"ok","destination":"silver"}`:    "queue:silver",
			`{"status":"ok","destination":"1,nowhere"}`: "queue:bronze",
		} {
			k := start(t, f, Env{}, nil)
			k.press("1234")
			k.answer(200, body)
			if got := k.ended(); got != want {
				t.Errorf("%s: ended at %s, want %s", body, got, want)
			}
		}
	})
}

func TestCallsFinishOnTheVersionTheyStartedWith(t *testing.T) {
	v1 := compile(t, menuFlow(), Refs{})
	k := start(t, v1, Env{}, nil)
	edited := menuFlow()
	edited.Nodes[0].Menu.Keys["1"] = "queue:other"
	v2, problems := Compile(edited, 2, Refs{})
	if problems != nil {
		t.Fatal(problems)
	}
	k.press("1")
	if got := k.ended(); got != "queue:sales" {
		t.Fatalf("a call in version 1 ended at %s", got)
	}
	if got := start(t, v2, Env{}, nil); func() string { got.press("1"); return got.ended() }() != "queue:other" {
		t.Fatal("a new call does not run the edited flow")
	}
}

func TestHangupLeavesTheNodeAbandoned(t *testing.T) {
	f := compile(t, menuFlow(), Refs{})
	k := start(t, f, Env{}, nil)
	out := k.feed(Input{Kind: InHangup})
	if len(out) != 1 || out[0].Kind != ActLeave || out[0].Reason != "abandoned" || out[0].Node != "menu" || !k.c.Done() {
		t.Fatalf("hangup: %+v", out)
	}
	if out := k.feed(Input{Kind: InDigit, Digit: "1"}); out != nil {
		t.Fatalf("input after the end did something: %v", kinds(out))
	}
}

func TestRuntimeGuardAgainstRemoteLoops(t *testing.T) {
	// A module whose service always names itself, with no prompt: validation
	// cannot see the loop (the service chooses), the engine stops it.
	fl := Flow{Name: "loop", Start: "h", Nodes: []Node{
		{ID: "h", HTTP: &HTTP{URL: "http://crm.local/x", Action: "goto", Goto: "hangup"}},
	}}
	f := compile(t, fl, Refs{})
	k := start(t, f, Env{}, nil)
	for i := 0; i < 2*MaxImmediateSteps && !k.c.Done(); i++ {
		k.answer(200, "h")
	}
	if !k.c.Done() {
		t.Fatal("the call circles forever")
	}
	if got := k.ended(); got != "hangup" {
		t.Fatalf("ended at %s", got)
	}
	if f := k.failures(); len(f) == 0 || !strings.Contains(f[len(f)-1], "without waiting for the caller") {
		t.Fatalf("no failure logged: %v", f)
	}
}
