// Command withpg runs a command with a throwaway PostgreSQL cluster: it starts one in
// a temporary directory, exports its URL as CCD_TEST_DATABASE_URL, runs the command
// and removes the cluster. When CCD_TEST_DATABASE_URL is already set it just runs the
// command. `make test` uses it so that the tests always meet a real server.
//
//	go run ./internal/tools/withpg -- go test ./...
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"syscall"
	"time"

	"github.com/ccdhq/ccd/internal/localpg"
)

func main() {
	args := os.Args[1:]
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "usage: withpg -- command [args...]")
		os.Exit(2)
	}
	os.Exit(run(args))
}

func run(args []string) int {
	if os.Getenv("CCD_TEST_DATABASE_URL") != "" {
		return runCmd(args)
	}
	dir, err := os.MkdirTemp("", "ccd-test-pg-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "withpg:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	c, err := localpg.Open(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "withpg:", err)
		return 1
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := c.Start(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "withpg:", err)
		return 1
	}
	defer c.Stop(context.Background())
	dsn, err := c.EnsureDatabase(ctx, "ccd_test")
	if err != nil {
		fmt.Fprintln(os.Stderr, "withpg:", err)
		return 1
	}
	os.Setenv("CCD_TEST_DATABASE_URL", dsn)
	fmt.Fprintf(os.Stderr, "withpg: throwaway PostgreSQL at %s\n", dsn)
	return runCmd(args)
}

func runCmd(args []string) int {
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	// Forward interrupts so the cluster is still stopped when the user presses ^C.
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sig)
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "withpg:", err)
		return 1
	}
	go func() {
		for s := range sig {
			cmd.Process.Signal(s)
		}
	}()
	err := cmd.Wait()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "withpg:", err)
		return 1
	}
	return 0
}
