// Command ccd turns a plain Asterisk into a contact center. See README.md.
//
//	ccd [serve]            run the daemon (the default)
//	ccd migrate            apply database migrations and exit
//	ccd asterisk-config    print the Asterisk configuration snippets for this config
//	ccd config             list every configuration key, its environment name and value
//	ccd stats rebuild -from 2026-11-01 [-to 2026-11-02]
//	                       recompute the statistics of a range from the event log
//	ccd version            print the version
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/ccdhq/ccd/config"
	"github.com/ccdhq/ccd/daemon"
	"github.com/ccdhq/ccd/dialplan"
	"github.com/ccdhq/ccd/stats"
	"github.com/ccdhq/ccd/stats/job"
)

// version is set at build time (-ldflags "-X main.version=...").
var version = "dev"

// defaultConfigPath is used when neither -config nor CCD_CONFIG names a file. A
// missing file there is created with fresh secrets on first start.
const defaultConfigPath = "ccd.yaml"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	cmd := "serve"
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	if cmd == "stats" {
		if len(args) == 0 || args[0] != "rebuild" {
			fmt.Fprintln(stderr, "ccd: usage: ccd stats rebuild -from <date or time> [-to <date or time>]")
			return 2
		}
		args = args[1:]
	}
	fs := flag.NewFlagSet("ccd "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", "", "configuration file (default $CCD_CONFIG or ./"+defaultConfigPath+")")
	outDir := fs.String("out", "", "asterisk-config: write each file into this directory instead of printing")
	fromFlag := fs.String("from", "", "stats rebuild: start, 2006-01-02, 2006-01-02T15:04 (pbx.time_zone) or RFC 3339")
	toFlag := fs.String("to", "", "stats rebuild: end (exclusive), same forms; default: one day after -from")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	switch cmd {
	case "version":
		fmt.Fprintln(stdout, "ccd", version)
		return 0
	case "serve", "migrate", "asterisk-config", "config", "stats":
	default:
		fmt.Fprintf(stderr, "ccd: unknown command %q (serve, migrate, asterisk-config, config, stats, version)\n", cmd)
		return 2
	}
	cfg, path, err := loadConfig(*configPath, cmd == "serve", stderr)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	log := newLogger(cfg, stderr)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	switch cmd {
	case "asterisk-config":
		if *outDir != "" {
			return writeConfFiles(*outDir, &cfg, stderr)
		}
		fmt.Fprintf(stdout, ";;; Asterisk configuration for ccd (from %s)\n", path)
		fmt.Fprint(stdout, dialplan.Snippets(&cfg))
		return 0
	case "config":
		for _, k := range cfg.Keys() {
			fmt.Fprintf(stdout, "%-28s %-32s %s\n", k.Name, k.Env, k.Value)
		}
		return 0
	case "migrate":
		err = daemon.Migrate(ctx, cfg, log)
	case "stats":
		from, to, perr := rebuildRange(*fromFlag, *toFlag, cfg.Location())
		if perr != nil {
			fmt.Fprintln(stderr, "ccd:", perr)
			return 2
		}
		var res job.RebuildResult
		if res, err = daemon.RebuildStats(ctx, cfg, log, from, to); err == nil {
			fmt.Fprintf(stdout, "rebuilt %s .. %s: %d events, %d quarter-hour rows, %d calls in %s\n",
				from.Format(time.RFC3339), to.Format(time.RFC3339), res.Events, res.Rows, res.Calls, res.Duration.Round(time.Millisecond))
		}
	default:
		log.Info("ccd starting", "version", version, "config", path)
		err = daemon.Run(ctx, cfg, log)
	}
	if err != nil && !errors.Is(err, context.Canceled) {
		log.Error("ccd stopped", "err", err)
		return 1
	}
	return 0
}

// loadConfig finds and loads the configuration. On the first start without any
// configuration it writes a starter file with freshly generated secrets, so that no
// secret is ever a default.
func loadConfig(flagPath string, mayCreate bool, stderr io.Writer) (config.Config, string, error) {
	path := flagPath
	if path == "" {
		path = os.Getenv("CCD_CONFIG")
	}
	if path == "" {
		path = defaultConfigPath
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) && mayCreate && !secretsInEnv() {
			if err := config.WriteStarter(path); err != nil {
				return config.Config{}, path, err
			}
			fmt.Fprintf(stderr, "ccd: wrote a starter configuration with new secrets to %s\n"+
				"ccd: run `ccd asterisk-config` to print the matching Asterisk configuration\n", path)
		}
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			path = "" // environment only
		}
	}
	cfg, err := config.Load(path, nil)
	return cfg, path, err
}

// secretsInEnv reports that the environment already carries the credentials (a
// container), in which case no file is written.
func secretsInEnv() bool {
	return os.Getenv("CCD_ARI_PASSWORD") != "" && os.Getenv("CCD_AMI_SECRET") != ""
}

// writeConfFiles writes the Asterisk files (mode 0640: they hold secrets) for a
// container or a fresh Asterisk whose own files may be replaced.
func writeConfFiles(dir string, cfg *config.Config, stderr io.Writer) int {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		fmt.Fprintln(stderr, "ccd:", err)
		return 1
	}
	for _, f := range dialplan.ConfFiles(cfg) {
		p := filepath.Join(dir, f.Name)
		if err := os.WriteFile(p, []byte(f.Body), 0o640); err != nil {
			fmt.Fprintln(stderr, "ccd:", err)
			return 1
		}
		fmt.Fprintln(stderr, "ccd: wrote", p)
	}
	return 0
}

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.Log.Level))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.Log.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// rebuildRange reads the -from and -to of `ccd stats rebuild`.
func rebuildRange(fromS, toS string, loc *time.Location) (time.Time, time.Time, error) {
	if fromS == "" {
		return time.Time{}, time.Time{}, errors.New("stats rebuild: -from is required")
	}
	from, err := parseWhen(fromS, loc)
	if err != nil {
		return time.Time{}, time.Time{}, fmt.Errorf("stats rebuild: -from: %w", err)
	}
	to := from.AddDate(0, 0, 1)
	if toS != "" {
		if to, err = parseWhen(toS, loc); err != nil {
			return time.Time{}, time.Time{}, fmt.Errorf("stats rebuild: -to: %w", err)
		}
	}
	if !to.After(from) {
		return time.Time{}, time.Time{}, errors.New("stats rebuild: -to must be after -from")
	}
	return from, to, nil
}

// parseWhen accepts what the statistics API accepts.
func parseWhen(s string, loc *time.Location) (time.Time, error) {
	if t, ok := stats.ParseTime(s, loc); ok {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%q is not a date (2006-01-02), a local time (2006-01-02T15:04) or RFC 3339", s)
}
