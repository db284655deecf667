// Command ccd turns a plain Asterisk into a contact center. See README.md, and
// `ccd help` for the commands.
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
	"strings"
	"syscall"
	"time"

	"github.com/ccdhq/ccd/config"
	"github.com/ccdhq/ccd/daemon"
	"github.com/ccdhq/ccd/dialplan"
	"github.com/ccdhq/ccd/stats"
)

// version is set at build time (-ldflags "-X main.version=...").
var version = "dev"

// defaultConfigPath is used when neither -config nor CCD_CONFIG names a file. A
// missing file there is created with fresh secrets on first start.
const defaultConfigPath = "ccd.yaml"

// Exit codes: 2 is a wrong command line (as the flag package has it), 1 a
// failure of the command itself.
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// A command is one subcommand of ccd, with its own flags and help.
type command struct {
	name    string // as typed: "serve", "stats rebuild"
	args    string // the usage line's flags after the name
	summary string
	// flags declares the command's flags on fs and returns what runs it once
	// they are parsed.
	flags func(fs *flag.FlagSet) func(out, errOut io.Writer) int
}

var commands = []command{
	{name: "serve", args: "[-config FILE]", summary: "run the daemon (what make run starts)", flags: serveFlags},
	{name: "migrate", args: "[-config FILE]", summary: "apply the database migrations and exit", flags: migrateFlags},
	{name: "asterisk-config", args: "[-out DIR] [-no-db] [-config FILE]", summary: "print the Asterisk configuration that matches ccd's", flags: asteriskConfigFlags},
	{name: "config", args: "[-config FILE]", summary: "list every configuration key, its environment name and value", flags: configFlags},
	{name: "config import", args: "[-config FILE]", summary: "replace the live configuration in the database (queues, agents, groups, routes, activities) by the file's", flags: configImportFlags},
	{name: "stats rebuild", args: "-from DATE [-to DATE] [-config FILE]", summary: "recompute the statistics of a range from the event log", flags: rebuildFlags},
	{name: "demo", args: "[-listen ADDR] [-calls N] [-agents N]", summary: "run ccd against a simulated Asterisk with simulated callers and agents, and a throwaway database", flags: demoFlags},
	{name: "user add", args: "-name NAME -role supervisor|admin [-endpoint PJSIP/2000] [-config FILE]", summary: "create a supervisor or administrator of the web interface (password from stdin, or generated and printed)", flags: userAddFlags},
	{name: "version", summary: "print the version (also: ccd --version)", flags: func(*flag.FlagSet) func(io.Writer, io.Writer) int {
		return func(out, _ io.Writer) int { fmt.Fprintln(out, "ccd", version); return exitOK }
	}},
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		// Starting a server is asked for by name (ccd serve), never by accident.
		printHelp(stderr)
		return exitUsage
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		return help(args[1:], stdout, stderr)
	case "-version", "--version":
		fmt.Fprintln(stdout, "ccd", version)
		return exitOK
	}
	if strings.HasPrefix(args[0], "-") {
		fmt.Fprintf(stderr, "ccd: %s: flags come after the command, e.g. ccd serve %s\n\n", args[0], strings.Join(args, " "))
		printHelp(stderr)
		return exitUsage
	}
	cmd, rest, group := lookup(args)
	switch {
	case cmd != nil:
		return cmd.run(rest, stdout, stderr)
	case group != "":
		fmt.Fprintf(stderr, "ccd %s: want one of its commands:\n", group)
		printGroup(stderr, group)
		if len(rest) > 0 && isHelpFlag(rest[0]) {
			return exitOK
		}
		return exitUsage
	}
	fmt.Fprintf(stderr, "ccd: unknown command %q\n\n", args[0])
	printHelp(stderr)
	return exitUsage
}

// lookup finds the command args name and returns the arguments after its name.
// When args[0] only starts commands ("stats"), group is that word.
func lookup(args []string) (cmd *command, rest []string, group string) {
	// The longest name that matches: "config import" before "config".
	best := 0
	for i := range commands {
		words := strings.Fields(commands[i].name)
		if len(args) >= len(words) && len(words) > best && strings.Join(args[:len(words)], " ") == commands[i].name {
			cmd, rest, best = &commands[i], args[len(words):], len(words)
		}
		if len(words) > 1 && words[0] == args[0] {
			group = args[0]
		}
	}
	if cmd != nil {
		return cmd, rest, ""
	}
	if group != "" {
		rest = args[1:]
	}
	return nil, rest, group
}

func isHelpFlag(s string) bool { return s == "-h" || s == "-help" || s == "--help" }

// help is `ccd help [command]`.
func help(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		printHelp(stdout)
		return exitOK
	}
	cmd, rest, group := lookup(args)
	switch {
	case cmd != nil && len(rest) == 0:
		fs, _ := cmd.declare()
		cmd.usage(stdout, fs)
		return exitOK
	case cmd == nil && group != "" && len(rest) == 0:
		printGroup(stdout, group)
		return exitOK
	}
	fmt.Fprintf(stderr, "ccd help: unknown command %q\n\n", strings.Join(args, " "))
	printHelp(stderr)
	return exitUsage
}

func printHelp(w io.Writer) {
	fmt.Fprint(w, "ccd turns a plain Asterisk into a contact center.\n\nusage: ccd <command> [flags]\n\ncommands:\n")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-16s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, "  %-16s %s\n", "help [command]", "print this help, or a command's")
	fmt.Fprint(w, "\n`ccd <command> -h` describes a command's flags. The configuration comes from -config,\n"+
		"$CCD_CONFIG or ./"+defaultConfigPath+", and every key can be overridden by a CCD_* environment variable.\n")
}

func printGroup(w io.Writer, group string) {
	for _, c := range commands {
		if strings.HasPrefix(c.name, group+" ") {
			fmt.Fprintf(w, "  ccd %s %s\n      %s\n", c.name, c.args, c.summary)
		}
	}
}

// declare makes the command's flag set and what runs the command.
func (c *command) declare() (*flag.FlagSet, func(out, errOut io.Writer) int) {
	fs := flag.NewFlagSet("ccd "+c.name, flag.ContinueOnError)
	fs.Usage = func() {} // printed by run, to stdout for -h and stderr for a mistake
	return fs, c.flags(fs)
}

func (c *command) usage(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprintf(w, "usage: %s\n\n%s\n", strings.TrimSpace("ccd "+c.name+" "+c.args), c.summary)
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	if n > 0 {
		fmt.Fprint(w, "\nflags:\n")
		fs.SetOutput(w)
		fs.PrintDefaults()
	}
}

// run parses the command's flags and runs it. A wrong flag or a stray argument
// prints the command's usage and exits 2; -h prints it and exits 0.
func (c *command) run(args []string, stdout, stderr io.Writer) int {
	fs, action := c.declare()
	fs.SetOutput(stderr) // the flag package's own message about a wrong flag
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		c.usage(stdout, fs)
		return exitOK
	case err == nil && fs.NArg() > 0:
		fmt.Fprintf(stderr, "ccd %s: unexpected argument %q\n", c.name, fs.Arg(0))
		err = errors.New("stray argument")
	}
	if err != nil {
		c.usage(stderr, fs)
		return exitUsage
	}
	return action(stdout, stderr)
}

func configFlag(fs *flag.FlagSet) *string {
	return fs.String("config", "", "configuration file (default $CCD_CONFIG or ./"+defaultConfigPath+")")
}

// setup is what a command gets from its -config: the configuration, where it
// came from, and the logger it asks for.
type setup struct {
	cfg  config.Config
	path string
	log  *slog.Logger
}

func load(configPath string, mayCreate bool, stderr io.Writer) (setup, bool) {
	cfg, path, err := loadConfig(configPath, mayCreate, stderr)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return setup{}, false
	}
	log := newLogger(cfg, stderr)
	if w := config.ReadableSecrets(path); w != "" {
		log.Warn(w, "file", path)
	}
	return setup{cfg: cfg, path: path, log: log}, true
}

// signalContext ends at SIGINT (Ctrl-C) or SIGTERM, which stop ccd cleanly.
func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

// finish turns a long-running command's result into an exit code: ending on a
// signal is the normal way out of ccd serve and exits 0.
func finish(log *slog.Logger, what string, err error) int {
	if err != nil && !errors.Is(err, context.Canceled) {
		log.Error(what+" stopped", "err", err)
		return exitError
	}
	return exitOK
}

func serveFlags(fs *flag.FlagSet) func(io.Writer, io.Writer) int {
	configPath := configFlag(fs)
	return func(_, stderr io.Writer) int {
		s, ok := load(*configPath, true, stderr)
		if !ok {
			return exitError
		}
		ctx, stop := signalContext()
		defer stop()
		s.log.Info("ccd starting", "version", version, "config", s.path)
		if code := finish(s.log, "ccd", daemon.Run(ctx, s.cfg, s.log)); code != exitOK {
			return code
		}
		s.log.Info("ccd stopped cleanly")
		return exitOK
	}
}

func migrateFlags(fs *flag.FlagSet) func(io.Writer, io.Writer) int {
	configPath := configFlag(fs)
	return func(_, stderr io.Writer) int {
		s, ok := load(*configPath, false, stderr)
		if !ok {
			return exitError
		}
		ctx, stop := signalContext()
		defer stop()
		return finish(s.log, "ccd migrate", daemon.Migrate(ctx, s.cfg, s.log))
	}
}

func asteriskConfigFlags(fs *flag.FlagSet) func(io.Writer, io.Writer) int {
	configPath := configFlag(fs)
	outDir := fs.String("out", "", "write each Asterisk file into this directory instead of printing")
	noDB := fs.Bool("no-db", false, "configure the phones of the file's agents only, without reading the live agents from the database")
	dbWait := fs.Duration("db-timeout", 15*time.Second, "how long to wait for the database")
	return func(stdout, stderr io.Writer) int {
		s, ok := load(*configPath, false, stderr)
		if !ok {
			return exitError
		}
		agents, err := phoneAgents(s, *noDB, *dbWait)
		if err != nil {
			fmt.Fprintln(stderr, "ccd asterisk-config:", err)
			return exitError
		}
		if *outDir != "" {
			return writeConfFiles(*outDir, &s.cfg, agents, stderr)
		}
		fmt.Fprintf(stdout, ";;; Asterisk configuration for ccd (from %s)\n", s.path)
		fmt.Fprint(stdout, dialplan.Snippets(&s.cfg, agents))
		return exitOK
	}
}

// phoneAgents are the agents whose phones ccd asterisk-config configures:
// the live ones in the database, which the admin API changes, unless -no-db
// or there is no live configuration yet, when the file's are, as
// pjsip.conf then says.
func phoneAgents(s setup, noDB bool, wait time.Duration) (dialplan.Agents, error) {
	file := "the environment"
	if s.path != "" {
		file = s.path
	}
	if noDB {
		return dialplan.FileAgents(&s.cfg, "Agents of "+file+" only (-no-db): agents added through the admin API\n"+
			"or the web interface are not here. Run without -no-db to include them."), nil
	}
	ctx, stop := signalContext()
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	live, none, err := daemon.LiveAgents(ctx, s.cfg, s.log)
	switch {
	case err != nil:
		return dialplan.Agents{}, err
	case none != "":
		return dialplan.FileAgents(&s.cfg, "Agents of "+file+": "+none+".\n"+
			"ccd copies them into its database at its first start; after that, run this again\n"+
			"to include the agents added through the admin API or the web interface."), nil
	}
	return dialplan.Agents{List: live, Origin: "Agents of the live configuration in the database (the admin API and the web\n" +
		"interface change it). Run this again after adding or removing an agent."}, nil
}

func configFlags(fs *flag.FlagSet) func(io.Writer, io.Writer) int {
	configPath := configFlag(fs)
	return func(stdout, stderr io.Writer) int {
		s, ok := load(*configPath, false, stderr)
		if !ok {
			return exitError
		}
		for _, k := range s.cfg.Keys() {
			fmt.Fprintf(stdout, "%-28s %-32s %s\n", k.Name, k.Env, k.Value)
		}
		return exitOK
	}
}

func configImportFlags(fs *flag.FlagSet) func(io.Writer, io.Writer) int {
	configPath := configFlag(fs)
	return func(stdout, stderr io.Writer) int {
		s, ok := load(*configPath, false, stderr)
		if !ok {
			return exitError
		}
		ctx, stop := signalContext()
		defer stop()
		n, err := daemon.ImportConfig(ctx, s.cfg, s.log)
		if err == nil {
			fmt.Fprintf(stdout, "imported %d items of the acd section of %s into the database; a running ccd takes them at its next start\n", n, s.path)
		}
		return finish(s.log, "ccd config import", err)
	}
}

func rebuildFlags(fs *flag.FlagSet) func(io.Writer, io.Writer) int {
	configPath := configFlag(fs)
	fromFlag := fs.String("from", "", "start: 2006-01-02, 2006-01-02T15:04 (pbx.time_zone) or RFC 3339")
	toFlag := fs.String("to", "", "end (exclusive), same forms; default: one day after -from")
	return func(stdout, stderr io.Writer) int {
		s, ok := load(*configPath, false, stderr)
		if !ok {
			return exitError
		}
		from, to, err := rebuildRange(*fromFlag, *toFlag, s.cfg.Location())
		if err != nil {
			fmt.Fprintln(stderr, "ccd:", err)
			return exitUsage
		}
		ctx, stop := signalContext()
		defer stop()
		res, err := daemon.RebuildStats(ctx, s.cfg, s.log, from, to)
		if err == nil {
			fmt.Fprintf(stdout, "rebuilt %s .. %s: %d events, %d quarter-hour rows, %d calls in %s\n",
				from.Format(time.RFC3339), to.Format(time.RFC3339), res.Events, res.Rows, res.Calls, res.Duration.Round(time.Millisecond))
		}
		return finish(s.log, "ccd stats rebuild", err)
	}
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
func writeConfFiles(dir string, cfg *config.Config, agents dialplan.Agents, stderr io.Writer) int {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		fmt.Fprintln(stderr, "ccd:", err)
		return 1
	}
	for _, f := range dialplan.ConfFiles(cfg, agents) {
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
