// Package daemontest runs ccd's real wiring (daemon.Run) inside a test.
package daemontest

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/ccdhq/ccd/config"
	"github.com/ccdhq/ccd/daemon"
	"github.com/ccdhq/ccd/internal/loopback"
)

// FreeAddr returns a loopback address with a port nothing listens on.
func FreeAddr(t testing.TB) string {
	t.Helper()
	addr, err := loopback.FreeAddr()
	if err != nil {
		t.Fatal(err)
	}
	return addr
}

// Start runs the daemon with cfg. When waitReady is set it returns once /readyz
// answers 200 (every link up). stop cancels the daemon and returns what Run
// returned; it is also called when the test ends.
func Start(t testing.TB, cfg config.Config, log *slog.Logger, waitReady bool) (stop func() error) {
	t.Helper()
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- daemon.Run(ctx, cfg, log) }()
	var stopped bool
	var result error
	stop = func() error {
		if stopped {
			return result
		}
		stopped = true
		cancel()
		select {
		case result = <-done:
		case <-time.After(30 * time.Second):
			t.Error("daemon did not stop within 30s")
		}
		return result
	}
	t.Cleanup(func() { stop() })
	if !waitReady {
		return stop
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get("http://" + cfg.Listen + "/readyz")
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return stop
			}
			err = &notReady{string(body)}
		}
		if time.Now().After(deadline) {
			t.Fatalf("ccd not ready after 30s: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

type notReady struct{ body string }

func (e *notReady) Error() string { return "readyz: " + e.body }

// Forward listens on addr and relays every connection to target, until the test
// ends: a test starts ccd against an address nothing listens on (Asterisk down)
// and brings the fake Asterisk up there later.
func Forward(t testing.TB, addr, target string) {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu     sync.Mutex
		closed bool
		open   []net.Conn
		relays sync.WaitGroup
	)
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		closed = true
		for _, c := range open {
			c.Close()
		}
		mu.Unlock()
		relays.Wait()
	})
	relay := func(dst, src net.Conn) {
		defer relays.Done()
		_, _ = io.Copy(dst, src)
		// One side ended: end both, as a real peer's close would.
		dst.Close()
		src.Close()
	}
	go func() {
		for {
			in, err := ln.Accept()
			if err != nil {
				return
			}
			out, err := net.Dial("tcp", target)
			if err != nil {
				in.Close()
				continue
			}
			mu.Lock()
			if closed {
				mu.Unlock()
				in.Close()
				out.Close()
				return
			}
			open = append(open, in, out)
			relays.Add(2)
			mu.Unlock()
			go relay(out, in)
			go relay(in, out)
		}
	}()
}
