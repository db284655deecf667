// Package media is the toolkit every Stasis application of ccd uses to act on
// a channel: answer, play, prompt and collect digits, music on hold, ring an
// agent, bridge, record, hang up, send back to the dialplan. It holds no state
// of its own: the application that owns the channel decides, the toolkit
// carries the decision out on Asterisk.
package media

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ccdhq/ccd/ari"
)

// Toolkit carries out the applications' decisions on Asterisk through ARI: the
// decisions themselves stay pure and testable.
type Toolkit struct {
	ARI *ari.Client
	App string // the Stasis application agents' channels are originated into
	// Context is where SendTo sends callers; "" keeps their current context.
	Context string
}

// Wait answers a caller and starts music on hold (mohClass "" is Asterisk's
// default class). Answering an answered channel is not an error.
func (m *Toolkit) Wait(ctx context.Context, caller, mohClass string) error {
	ch := m.ARI.Channel(caller)
	if err := ch.Answer(ctx); err != nil && !ari.IsPreconditionFailed(err) {
		return fmt.Errorf("answer %s: %w", caller, err)
	}
	if err := ch.StartMOH(ctx, mohClass); err != nil {
		return fmt.Errorf("music on hold for %s: %w", caller, err)
	}
	return nil
}

// Answer answers a channel; answering an answered channel is not an error.
func (m *Toolkit) Answer(ctx context.Context, channel string) error {
	if err := m.ARI.Channel(channel).Answer(ctx); err != nil && !ari.IsPreconditionFailed(err) {
		return err
	}
	return nil
}

// StartMOH starts music on hold of class ("" is Asterisk's default class).
func (m *Toolkit) StartMOH(ctx context.Context, channel, class string) error {
	return m.ARI.Channel(channel).StartMOH(ctx, class)
}

// StopMOH stops music on hold; a channel with none is not an error.
func (m *Toolkit) StopMOH(ctx context.Context, channel string) error {
	return m.ARI.Channel(channel).StopMOH(ctx)
}

// StopPlayback stops a playback; one already finished is not an error.
func (m *Toolkit) StopPlayback(ctx context.Context, playbackID string) error {
	if err := m.ARI.Playback(playbackID).Stop(ctx); err != nil && !ari.IsNotFound(err) {
		return err
	}
	return nil
}

// ShowConnected sets what the channel's phone shows as the party it talks
// to (connected line); an empty name is left out.
func (m *Toolkit) ShowConnected(ctx context.Context, channel, number, name string) error {
	if err := m.ARI.Channel(channel).SetVariable(ctx, "CONNECTEDLINE(num)", number); err != nil {
		return err
	}
	if name == "" {
		return nil
	}
	return m.ARI.Channel(channel).SetVariable(ctx, "CONNECTEDLINE(name)", name)
}

// RecordChannel records what a channel hears and says to the file name (wav),
// never overwriting an existing one; the recording ends with the channel, or
// after maxDuration when it is not zero.
func (m *Toolkit) RecordChannel(ctx context.Context, channel, name string, maxDuration time.Duration) error {
	_, err := m.ARI.Channel(channel).Record(ctx, ari.RecordParams{Name: name, Format: "wav", IfExists: "fail",
		MaxDurationSeconds: int(maxDuration / time.Second)})
	return err
}

// Play plays media (ARI media URIs) to a channel; playbackID names the playback
// so that its PlaybackFinished can be recognised.
func (m *Toolkit) Play(ctx context.Context, channel, playbackID string, media ...string) error {
	_, err := m.ARI.Channel(channel).Play(ctx, ari.PlayParams{Media: media, PlaybackID: playbackID})
	return err
}

// Announcement is the media of a position/expected-wait announcement, with
// Asterisk's core queue sounds.
func Announcement(position int, expectedWait time.Duration) []string {
	media := []string{"sound:queue-thereare", "number:" + strconv.Itoa(position), "sound:queue-callswaiting"}
	if mins := int((expectedWait + 30*time.Second) / time.Minute); mins > 0 {
		media = append(media, "sound:queue-holdtime", "number:"+strconv.Itoa(mins), "sound:queue-minutes")
	}
	return media
}

// AgentCall describes the leg that rings an agent.
type AgentCall struct {
	ChannelID string        // id of the agent's channel, chosen by the caller so events can be matched
	CallID    string        // the customer's call, passed to the app as an argument
	Endpoint  string        // e.g. PJSIP/1001
	CallerID  string        // what the agent's phone shows
	Timeout   time.Duration // ring timeout
	// AutoAnswer asks the agent's phone to answer by itself (the agent's
	// auto_answer setting); only a PJSIP endpoint can be asked.
	AutoAnswer bool
}

// RingAgent originates the agent's endpoint into the Stasis application with the
// arguments "agent,<call id>"; the agent's StasisStart means the agent answered.
func (m *Toolkit) RingAgent(ctx context.Context, a AgentCall) error {
	secs := int((a.Timeout + time.Second - 1) / time.Second)
	_, err := m.ARI.Originate(ctx, ari.OriginateParams{
		Endpoint: a.Endpoint, App: m.App, AppArgs: "agent," + a.CallID,
		ChannelID: a.ChannelID, CallerID: a.CallerID, Timeout: secs,
		Variables: AutoAnswerVariables(a.Endpoint, a.AutoAnswer),
	})
	return err
}

// Auto-answer headers of the INVITE: desk phones (Yealink, Polycom,
// Grandstream, Snom) and softphones (baresip, the web softphone) each
// understand one of them; answer-after=0 and delay=0 mean at once.
const (
	AutoAnswerCallInfo  = "<sip:127.0.0.1>;answer-after=0"
	AutoAnswerAlertInfo = "<http://127.0.0.1>;info=alert-autoanswer;delay=0"
)

// AutoAnswerVariables are the channel variables of an originate that make
// Asterisk add the auto-answer headers to a PJSIP endpoint's INVITE; nil
// when auto is off or the endpoint is not PJSIP (a Local channel or
// another technology has no INVITE to carry them).
func AutoAnswerVariables(endpoint string, auto bool) map[string]string {
	tech, _, ok := strings.Cut(endpoint, "/")
	if !auto || !ok || !strings.EqualFold(tech, "PJSIP") {
		return nil
	}
	return map[string]string{
		"PJSIP_HEADER(add,Call-Info)":  AutoAnswerCallInfo,
		"PJSIP_HEADER(add,Alert-Info)": AutoAnswerAlertInfo,
	}
}

// Connect bridges caller and agent in a new mixing bridge named bridgeID, stops the
// caller's music, and starts recording the bridge when recording is not empty.
func (m *Toolkit) Connect(ctx context.Context, bridgeID, caller, agent, recording string) error {
	if _, err := m.ARI.Bridge(bridgeID).Create(ctx, ari.CreateBridgeParams{Type: "mixing", Name: bridgeID}); err != nil {
		return fmt.Errorf("create bridge: %w", err)
	}
	if err := m.ARI.Channel(caller).StopMOH(ctx); err != nil && !ari.IsNotFound(err) {
		return fmt.Errorf("stop music on hold: %w", err)
	}
	if err := m.ARI.Bridge(bridgeID).AddChannels(ctx, caller, agent); err != nil {
		return fmt.Errorf("bridge %s and %s: %w", caller, agent, err)
	}
	if recording != "" {
		return m.RecordBridge(ctx, bridgeID, recording)
	}
	return nil
}

// RecordBridge records what a bridge mixes, to a new file (never
// overwriting one).
func (m *Toolkit) RecordBridge(ctx context.Context, bridgeID, name string) error {
	if _, err := m.ARI.Bridge(bridgeID).Record(ctx, ari.RecordParams{Name: name, Format: "wav", IfExists: "fail"}); err != nil {
		return fmt.Errorf("record: %w", err)
	}
	return nil
}

// Hangup hangs a channel up; a channel already gone is not an error.
func (m *Toolkit) Hangup(ctx context.Context, channel, reason string) error {
	if err := m.ARI.Channel(channel).Hangup(ctx, reason); err != nil && !ari.IsNotFound(err) {
		return err
	}
	return nil
}

// DestroyBridge removes a bridge; one already gone is not an error.
func (m *Toolkit) DestroyBridge(ctx context.Context, bridgeID string) error {
	if err := m.ARI.Bridge(bridgeID).Destroy(ctx); err != nil && !ari.IsNotFound(err) {
		return err
	}
	return nil
}

// SendTo makes the caller leave the application for an extension of its current
// dialplan context (the default extension, an overflow or transfer number), or,
// with no extension, for the priority after its Stasis().
func (m *Toolkit) SendTo(ctx context.Context, caller, extension string) error {
	if extension == "" {
		return m.ARI.Channel(caller).Continue(ctx, ari.ContinueParams{})
	}
	return m.ARI.Channel(caller).Continue(ctx, ari.ContinueParams{Context: m.Context, Extension: extension, Priority: 1})
}
