package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"gopkg.in/yaml.v3"
)

// ccdProcess is the real ccd binary running as a process of its own, so
// that its CPU and memory can be read apart from the bench's clients and
// the simulated Asterisk.
type ccdProcess struct {
	cmd     *exec.Cmd
	url     string
	logPath string
	exited  chan error
}

// buildCCD compiles ./cmd/ccd into dir.
func buildCCD(dir string) (string, error) {
	bin := filepath.Join(dir, "ccd")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/ccd")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build ./cmd/ccd (run the bench from the repository's root): %w", err)
	}
	return bin, nil
}

// setup is what the config file of the measured ccd is made from.
type setup struct {
	listen, stateDir, dsn      string
	ariURL, amiAddr            string
	ariSecret, amiSecret, auth string
	agents                     []string
	activities                 []string
}

// writeConfig writes ccd.yaml for s (mode 0600: it holds secrets).
func writeConfig(path string, s setup) error {
	agents := make([]map[string]any, len(s.agents))
	for i, id := range s.agents {
		agents[i] = map[string]any{"id": id, "name": "Agent " + id, "endpoint": "PJSIP/" + id}
	}
	var activities []map[string]any
	for _, a := range s.activities {
		activities = append(activities, map[string]any{"code": a, "name": a})
	}
	doc := map[string]any{
		"listen":    s.listen,
		"state_dir": s.stateDir,
		"log":       map[string]any{"level": "warn"},
		"database":  map[string]any{"url": s.dsn},
		"ari":       map[string]any{"url": s.ariURL, "username": "ccd", "password": s.ariSecret},
		"ami":       map[string]any{"addr": s.amiAddr, "username": "ccd", "secret": s.amiSecret},
		"api":       map[string]any{"token": s.auth},
		"acd": map[string]any{
			"queues":     []map[string]any{{"code": "bench", "name": "Bench"}},
			"agents":     agents,
			"activities": activities,
		},
	}
	b, err := yaml.Marshal(doc)
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o600)
}

// startCCD runs `ccd serve` with the config file and waits until /readyz
// answers 200.
func startCCD(ctx context.Context, bin, config, listen, logPath string) (*ccdProcess, error) {
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "serve", "-config", config)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// Only the config file speaks: no CCD_* of the caller's environment.
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, err
	}
	p := &ccdProcess{cmd: cmd, url: "http://" + listen, logPath: logPath, exited: make(chan error, 1)}
	go func() { p.exited <- cmd.Wait(); logFile.Close() }()
	if err := p.waitReady(ctx, 90*time.Second); err != nil {
		p.stop()
		return nil, fmt.Errorf("%w (log: %s)", err, logPath)
	}
	return p, nil
}

func (p *ccdProcess) waitReady(ctx context.Context, within time.Duration) error {
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		select {
		case err := <-p.exited:
			p.exited <- err
			return fmt.Errorf("ccd exited: %v", err)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
		resp, err := http.Get(p.url + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
	}
	return fmt.Errorf("ccd not ready within %s", within)
}

// stop asks ccd to stop (SIGTERM) and kills it if it has not within 20 s.
func (p *ccdProcess) stop() error {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.exited:
		p.exited <- err
		return err
	case <-time.After(20 * time.Second):
		_ = p.cmd.Process.Kill()
		return errors.New("ccd did not stop within 20 s; killed")
	}
}

// clockTick is the unit of utime and stime in /proc/PID/stat: USER_HZ,
// which Linux fixes at 100 for user space whatever the kernel's HZ.
const clockTick = 10 * time.Millisecond

// cpuTime is the CPU the process has used so far, all its threads, user
// and system (/proc/PID/stat fields 14 and 15).
func cpuTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	return parseCPU(string(b))
}

func parseCPU(stat string) (time.Duration, error) {
	// The command name (field 2) may hold spaces and parentheses: count
	// fields after its closing parenthesis, where field 3 starts.
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, errors.New("/proc stat: no command name")
	}
	f := strings.Fields(stat[i+1:])
	const utime, stime = 14 - 3, 15 - 3
	if len(f) <= stime {
		return 0, errors.New("/proc stat: too few fields")
	}
	u, err1 := strconv.ParseInt(f[utime], 10, 64)
	s, err2 := strconv.ParseInt(f[stime], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, err
	}
	return time.Duration(u+s) * clockTick, nil
}

// memory is the process's resident set now and at its peak, in bytes
// (/proc/PID/status VmRSS and VmHWM).
func memory(pid int) (rss, peak int64, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	return parseMemory(string(b))
}

func parseMemory(status string) (rss, peak int64, err error) {
	for _, line := range strings.Split(status, "\n") {
		name, value, ok := strings.Cut(line, ":")
		if !ok || (name != "VmRSS" && name != "VmHWM") {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(value), "kB")), 10, 64)
		if err != nil {
			return 0, 0, fmt.Errorf("/proc status %s: %w", name, err)
		}
		if name == "VmRSS" {
			rss = kb << 10
		} else {
			peak = kb << 10
		}
	}
	if rss == 0 || peak == 0 {
		return 0, 0, errors.New("/proc status: no VmRSS or VmHWM")
	}
	return rss, peak, nil
}
