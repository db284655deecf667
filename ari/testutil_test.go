package ari_test

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ccdhq/ccd/ari"
)

const captures = "../testdata/captures/"

// eventLog records everything a subscription delivers.
type eventLog struct {
	mu     sync.Mutex
	events []ari.Event
	wake   chan struct{}
	done   chan struct{}
}

func record(sub *ari.Subscription) *eventLog {
	l := &eventLog{wake: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(l.done)
		for ev := range sub.C() {
			l.mu.Lock()
			l.events = append(l.events, ev)
			close(l.wake)
			l.wake = make(chan struct{})
			l.mu.Unlock()
		}
	}()
	return l
}

func (l *eventLog) all() []ari.Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]ari.Event(nil), l.events...)
}

// wait returns the first recorded event matching pred, waiting up to 5s.
func (l *eventLog) wait(t testing.TB, what string, pred func(ari.Event) bool) ari.Event {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		l.mu.Lock()
		for _, ev := range l.events {
			if pred(ev) {
				l.mu.Unlock()
				return ev
			}
		}
		wake := l.wake
		l.mu.Unlock()
		select {
		case <-wake:
		case <-deadline:
			t.Fatalf("timed out waiting for %s; got %s", what, summary(l.all()))
			return nil
		}
	}
}

// waitN waits until n events are recorded.
func (l *eventLog) waitN(t testing.TB, n int) []ari.Event {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		l.mu.Lock()
		got, wake := len(l.events), l.wake
		l.mu.Unlock()
		if got >= n {
			return l.all()
		}
		select {
		case <-wake:
		case <-deadline:
			t.Fatalf("timed out: %d of %d events", got, n)
		}
	}
}

func summary(evs []ari.Event) string {
	var b strings.Builder
	for _, ev := range evs {
		b.WriteString("\n  ")
		b.WriteString(describe(ev))
	}
	return b.String()
}

// describe is a compact, id-level description of an event, used to
// compare event sequences.
func describe(ev ari.Event) string {
	switch e := ev.(type) {
	case *ari.StasisStart:
		return fmt.Sprintf("StasisStart %s %s args=%v app_data=%s", e.Channel.ID, e.Channel.State, e.Args, e.Channel.Dialplan.AppData)
	case *ari.StasisEnd:
		return "StasisEnd " + e.Channel.ID
	case *ari.ChannelStateChange:
		return "ChannelStateChange " + e.Channel.ID + " " + e.Channel.State
	case *ari.Dial:
		return fmt.Sprintf("Dial %s %q %s", e.Peer.ID, e.DialStatus, e.DialString)
	case *ari.ChannelEnteredBridge:
		return "ChannelEnteredBridge " + e.Channel.ID
	case *ari.ChannelLeftBridge:
		return "ChannelLeftBridge " + e.Channel.ID
	case *ari.ChannelHangupRequest:
		return fmt.Sprintf("ChannelHangupRequest %s cause=%d soft=%v", e.Channel.ID, e.Cause, e.Soft)
	case *ari.ChannelDestroyed:
		return fmt.Sprintf("ChannelDestroyed %s cause=%d %s", e.Channel.ID, e.Cause, e.CauseTxt)
	case *ari.RecordingStarted:
		return "RecordingStarted " + e.Recording.Name + " " + e.Recording.State
	case *ari.RecordingFinished:
		return "RecordingFinished " + e.Recording.Name + " " + e.Recording.State
	case *ari.ChannelVarset:
		id := ""
		if e.Channel != nil {
			id = e.Channel.ID
		}
		return fmt.Sprintf("ChannelVarset %s %s=%q", id, e.Variable, e.Value)
	}
	return ev.EventType()
}

// checkGoroutines fails if more goroutines than base are still running
// after a grace period.
func checkGoroutines(t *testing.T, base int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		n := runtime.NumGoroutine()
		if n <= base {
			return
		}
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			buf = buf[:runtime.Stack(buf, true)]
			t.Fatalf("%d goroutines still running (started with %d):\n%s", n, base, buf)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}
