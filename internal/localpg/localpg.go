// Package localpg runs a private PostgreSQL cluster in a directory, for a first run
// without a configured database and for tests. The cluster listens only on a Unix
// socket inside its own directory and trusts local connections, so it needs no
// password and cannot be reached from the network.
//
// PostgreSQL refuses to run as root; when the caller is root the server runs as the
// "postgres" system user (created by Debian's postgresql package) and the directory
// is handed to that user.
package localpg

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Cluster is one data directory and the server running on it.
type Cluster struct {
	Dir    string // data directory is Dir/data, socket directory is Dir/run
	Port   int    // only names the socket file (.s.PGSQL.<port>); nothing listens on TCP
	binDir string
	runAs  *user.User // nil: the current user
}

// Open prepares a cluster in dir (created if missing). It finds the server binaries
// and, for root, the postgres user, but starts nothing.
func Open(dir string) (*Cluster, error) {
	bin, err := FindBinaries()
	if err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	c := &Cluster{Dir: abs, Port: 5432, binDir: bin}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, errors.New("localpg: running as root needs the \"postgres\" system user (apt-get install postgresql creates it)")
		}
		c.runAs = u
	}
	return c, nil
}

// FindBinaries returns the directory holding initdb and pg_ctl: the newest
// /usr/lib/postgresql/<version>/bin, or the directory of initdb on PATH.
func FindBinaries() (string, error) {
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	sort.Slice(matches, func(i, j int) bool { return version(matches[i]) > version(matches[j]) })
	if len(matches) > 0 {
		return filepath.Dir(matches[0]), nil
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	return "", errors.New("localpg: PostgreSQL server binaries (initdb, pg_ctl) not found; install them with: apt-get install -y postgresql")
}

func version(initdb string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(initdb))))
	return v
}

func (c *Cluster) dataDir() string   { return filepath.Join(c.Dir, "data") }
func (c *Cluster) socketDir() string { return filepath.Join(c.Dir, "run") }

// Start initialises the cluster on first use and starts the server, waiting until it
// accepts connections. Starting a running cluster is not an error.
func (c *Cluster) Start(ctx context.Context) error {
	_, err := c.StartOrAdopt(ctx)
	return err
}

// StartOrAdopt is Start, and reports whether the server was already running on
// this directory: left behind by a process that was killed before it could stop
// it. Such a server is used as it is.
func (c *Cluster) StartOrAdopt(ctx context.Context) (adopted bool, err error) {
	for _, d := range []string{c.Dir, c.socketDir()} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return false, fmt.Errorf("localpg: %w", err)
		}
	}
	if err := c.handOver(); err != nil {
		return false, err
	}
	if _, err := os.Stat(filepath.Join(c.dataDir(), "PG_VERSION")); errors.Is(err, os.ErrNotExist) {
		if out, err := c.run(ctx, "initdb", "-D", c.dataDir(), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-instructions"); err != nil {
			return false, fmt.Errorf("localpg: initdb: %w: %s", err, out)
		}
	}
	if c.running(ctx) {
		return true, nil
	}
	opts := fmt.Sprintf("-c listen_addresses='' -c unix_socket_directories='%s' -p %d -c fsync=on", c.socketDir(), c.Port)
	logFile := filepath.Join(c.Dir, "postgres.log")
	if out, err := c.run(ctx, "pg_ctl", "-D", c.dataDir(), "-l", logFile, "-o", opts, "-w", "-t", "60", "start"); err != nil {
		return false, fmt.Errorf("localpg: pg_ctl start: %w: %s (see %s)", err, out, logFile)
	}
	return false, nil
}

// Stop shuts the server down quickly (fast mode: clients are disconnected, nothing
// committed is lost).
func (c *Cluster) Stop(ctx context.Context) error {
	if !c.running(ctx) {
		return nil
	}
	if out, err := c.run(ctx, "pg_ctl", "-D", c.dataDir(), "-m", "fast", "-w", "stop"); err != nil {
		return fmt.Errorf("localpg: pg_ctl stop: %w: %s", err, out)
	}
	return nil
}

func (c *Cluster) running(ctx context.Context) bool {
	_, err := c.run(ctx, "pg_ctl", "-D", c.dataDir(), "status")
	return err == nil
}

// EnsureDatabase creates the database (and a role of the same name) if missing and
// returns a lib/pq connection string for it.
func (c *Cluster) EnsureDatabase(ctx context.Context, name string) (string, error) {
	if !validName(name) {
		return "", fmt.Errorf("localpg: invalid database name %q", name)
	}
	psql := func(sql string) (string, error) {
		return c.run(ctx, "psql", "-h", c.socketDir(), "-p", strconv.Itoa(c.Port), "-U", "postgres", "-d", "postgres", "-tAc", sql)
	}
	out, err := psql("SELECT 1 FROM pg_roles WHERE rolname='" + name + "'")
	if err != nil {
		return "", fmt.Errorf("localpg: psql: %w: %s", err, out)
	}
	if strings.TrimSpace(out) != "1" {
		if out, err := psql(`CREATE ROLE "` + name + `" LOGIN CREATEDB CREATEROLE`); err != nil {
			return "", fmt.Errorf("localpg: create role: %w: %s", err, out)
		}
	}
	out, err = psql("SELECT 1 FROM pg_database WHERE datname='" + name + "'")
	if err != nil {
		return "", fmt.Errorf("localpg: psql: %w: %s", err, out)
	}
	if strings.TrimSpace(out) != "1" {
		if out, err := psql(`CREATE DATABASE "` + name + `" OWNER "` + name + `"`); err != nil {
			return "", fmt.Errorf("localpg: create database: %w: %s", err, out)
		}
	}
	return c.ConnString(name, name), nil
}

// ConnString is a key=value lib/pq connection string over the cluster's socket.
func (c *Cluster) ConnString(user, db string) string {
	return fmt.Sprintf("host=%s port=%d user=%s dbname=%s sslmode=disable", c.socketDir(), c.Port, user, db)
}

func validName(s string) bool {
	if s == "" || len(s) > 63 {
		return false
	}
	for _, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// handOver gives the directory to the postgres user when running as root, and lets
// it reach the directory through its parents (a state directory under /root would
// otherwise be closed to it).
func (c *Cluster) handOver() error {
	if c.runAs == nil {
		return nil
	}
	uid, _ := strconv.Atoi(c.runAs.Uid)
	gid, _ := strconv.Atoi(c.runAs.Gid)
	err := filepath.Walk(c.Dir, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, uid, gid)
	})
	if err != nil {
		return fmt.Errorf("localpg: chown %s: %w", c.Dir, err)
	}
	for d := filepath.Dir(c.Dir); d != "/"; d = filepath.Dir(d) {
		st, err := os.Stat(d)
		if err != nil {
			return err
		}
		if st.Mode().Perm()&0o001 == 0 {
			if err := os.Chmod(d, st.Mode().Perm()|0o001); err != nil {
				return fmt.Errorf("localpg: let postgres reach %s: %w", c.Dir, err)
			}
		}
	}
	return nil
}

func (c *Cluster) run(ctx context.Context, name string, args ...string) (string, error) {
	path := filepath.Join(c.binDir, name)
	if _, err := os.Stat(path); err != nil {
		if p, err := exec.LookPath(name); err == nil {
			path = p
		}
	}
	var cmd *exec.Cmd
	if c.runAs != nil {
		cmd = exec.CommandContext(ctx, "runuser", append([]string{"-u", c.runAs.Username, "--", path}, args...)...)
	} else {
		cmd = exec.CommandContext(ctx, path, args...)
	}
	cmd.Dir = "/"
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	// pg_ctl start leaves the server running with our pipes; without a wait delay
	// Wait would block until the server exits.
	cmd.WaitDelay = 2 * time.Second
	err := cmd.Run()
	if errors.Is(err, exec.ErrWaitDelay) {
		err = nil
	}
	return strings.TrimSpace(out.String()), err
}

// Exists reports whether a cluster was ever initialised in dir: Start on a
// directory without one runs initdb. A directory it may not look into is an
// error, not a missing cluster.
func Exists(dir string) (bool, error) {
	_, err := os.Stat(filepath.Join(dir, "data", "PG_VERSION"))
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("localpg: %w", err)
	}
	return true, nil
}
