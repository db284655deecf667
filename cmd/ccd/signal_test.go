package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ccdhq/ccd/internal/daemontest"
	"github.com/ccdhq/ccd/internal/pgtest"
)

// asCCD makes the test binary run ccd itself (main's run) when a test starts it
// as a child process with this variable set: the signal test needs a process of
// its own to send signals to.
const asCCD = "CCD_MAIN_TEST_AS_CCD"

func TestMain(m *testing.M) {
	if os.Getenv(asCCD) == "1" {
		os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// Ctrl-C (SIGINT) and SIGTERM stop ccd serve cleanly: it shuts down, says so,
// and exits 0, so that neither make run nor a service manager reports a failure.
func TestServeStopsCleanlyOnSignal(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			addr := daemontest.FreeAddr(t)
			cfgPath := filepath.Join(t.TempDir(), "ccd.yaml")
			// No Asterisk answers on port 1: ccd keeps retrying, as on a first start.
			cfg := fmt.Sprintf("listen: %q\nstate_dir: %q\ndatabase: {url: %q}\n"+
				"ari: {url: 'http://127.0.0.1:1', username: ccd, password: ari-secret-0123456789}\n"+
				"ami: {addr: '127.0.0.1:1', username: ccd, secret: ami-secret-0123456789}\n",
				addr, t.TempDir(), pgtest.NewEmptyDB(t))
			if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(os.Args[0], "serve", "-config", cfgPath)
			cmd.Env = append(os.Environ(), asCCD+"=1", "CCD_CONFIG=")
			var stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stderr, &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			exited := make(chan error, 1)
			go func() { exited <- cmd.Wait() }()
			waitDatabaseReady(t, addr, exited, &stderr)

			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			select {
			case err := <-exited:
				if err != nil {
					t.Fatalf("ccd serve after %s: %v\n%s", sig, err, &stderr)
				}
			case <-time.After(time.Minute):
				cmd.Process.Kill()
				<-exited
				t.Fatalf("ccd serve still running a minute after %s:\n%s", sig, &stderr)
			}
			log := stderr.String()
			if !strings.Contains(log, `msg="ccd stopped cleanly"`) || strings.Contains(log, "level=ERROR") {
				t.Fatalf("ccd serve's log after %s:\n%s", sig, log)
			}
		})
	}
}

// waitDatabaseReady waits until ccd's /readyz reports its database up: the
// shutdown then has a database, an event writer and a server to close.
func waitDatabaseReady(t *testing.T, addr string, exited <-chan error, log *bytes.Buffer) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			t.Fatalf("ccd serve exited before it was ready: %v\n%s", err, log)
		default:
		}
		if databaseReady("http://" + addr + "/readyz") {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("ccd serve's database not ready after a minute")
}

func databaseReady(url string) bool {
	resp, err := http.Get(url)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	var body struct {
		Checks []struct {
			Name string `json:"name"`
			OK   bool   `json:"ok"`
		} `json:"checks"`
	}
	if json.NewDecoder(resp.Body).Decode(&body) != nil {
		return false
	}
	for _, c := range body.Checks {
		if c.Name == "database" {
			return c.OK
		}
	}
	return false
}
