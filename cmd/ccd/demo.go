package main

import (
	"bufio"
	"crypto/rand"
	"encoding/base64"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/ccdhq/ccd/daemon"
	"github.com/ccdhq/ccd/demo"
)

func demoFlags(fs *flag.FlagSet) func(io.Writer, io.Writer) int {
	listen := fs.String("listen", "127.0.0.1:8080", "HTTP address of the demo")
	calls := fs.Float64("calls", 12, "simulated callers per minute (mean)")
	agents := fs.Int("agents", 8, "simulated agents")
	return func(stdout, stderr io.Writer) int {
		log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
		ctx, stop := signalContext()
		defer stop()
		fmt.Fprintln(stderr, "ccd demo: starting a throwaway PostgreSQL, a simulated Asterisk and ccd ...")
		d, err := demo.Start(ctx, demo.Options{Listen: *listen, CallsPerMinute: *calls, Agents: *agents, Log: log})
		if err != nil {
			fmt.Fprintln(stderr, "ccd demo:", err)
			return exitError
		}
		d.PrintCredentials(stdout)
		<-ctx.Done()
		fmt.Fprintln(stderr, "ccd demo: stopping")
		return finish(log, "ccd demo", d.Stop())
	}
}

func userAddFlags(fs *flag.FlagSet) func(io.Writer, io.Writer) int {
	configPath := configFlag(fs)
	name := fs.String("name", "", "user name")
	role := fs.String("role", "", "supervisor or admin")
	endpoint := fs.String("endpoint", "", "the user's phone for listening to agents' calls (PJSIP/2000)")
	return func(stdout, stderr io.Writer) int {
		s, ok := load(*configPath, false, stderr)
		if !ok {
			return exitError
		}
		password, generated, err := readPassword(os.Stdin)
		if err != nil {
			fmt.Fprintln(stderr, "ccd user add:", err)
			return exitError
		}
		ctx, stop := signalContext()
		defer stop()
		if err := daemon.AddUser(ctx, s.cfg, s.log, *name, *role, password, *endpoint); err != nil {
			fmt.Fprintln(stderr, "ccd user add:", err)
			return exitError
		}
		fmt.Fprintf(stdout, "%s %s can log in to the web interface", *role, *name)
		if generated {
			fmt.Fprintf(stdout, " with the password %s", password)
		}
		fmt.Fprintln(stdout)
		return exitOK
	}
}

// readPassword reads the password from the first line of stdin when it is
// not a terminal, else generates one.
func readPassword(in *os.File) (password string, generated bool, err error) {
	if st, err := in.Stat(); err == nil && st.Mode()&os.ModeCharDevice == 0 {
		line, err := bufio.NewReader(in).ReadString('\n')
		if err != nil && err != io.EOF {
			return "", false, err
		}
		if line = strings.TrimRight(line, "\r\n"); line != "" {
			return line, false, nil
		}
	}
	var b [18]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:]), true, nil
}
