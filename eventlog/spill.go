package eventlog

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
)

// spillFile is a JSON-lines queue on disk: events are appended at the end and read
// from an offset kept in a sidecar file, so a crash while draining re-sends at most
// one batch (absorbed by the idempotency keys) and never skips one.
type spillFile struct {
	path string

	mu      sync.Mutex
	offset  int64 // bytes already written to the sink
	count   int   // events after offset
	peekLen int64 // bytes covered by the last peek
	// peekUnreadable counts the lines of the last peek that were not events.
	peekUnreadable int
}

func openSpill(path string) (*spillFile, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("eventlog: spill directory: %w", err)
	}
	s := &spillFile{path: path}
	if b, err := os.ReadFile(s.offsetPath()); err == nil {
		s.offset, _ = strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	}
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		s.offset = 0
		return s, nil
	}
	if err != nil {
		return nil, fmt.Errorf("eventlog: spill file: %w", err)
	}
	defer f.Close()
	if _, err := f.Seek(s.offset, io.SeekStart); err != nil {
		return nil, fmt.Errorf("eventlog: spill file: %w", err)
	}
	r := bufio.NewReaderSize(f, 1<<20)
	for {
		line, err := r.ReadBytes('\n')
		if len(bytes.TrimSpace(line)) > 0 && err == nil {
			s.count++
		}
		if err != nil {
			break
		}
	}
	return s, nil
}

func (s *spillFile) offsetPath() string { return s.path + ".offset" }

func (s *spillFile) pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.count
}

// append writes events durably (fsync) before returning.
func (s *spillFile) append(evs []Event) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	for i := range evs {
		if err := enc.Encode(&evs[i]); err != nil {
			return err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := appendDurably(s.path, buf.Bytes()); err != nil {
		return err
	}
	s.count += len(evs)
	return nil
}

// appendDurably appends b to the file at path, creating it, and syncs it to disk
// before returning: what it wrote survives a crash.
func appendDurably(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// peek reads up to n events from the offset without consuming them. Complete
// lines that are not valid events (a torn write from a crash followed by more
// events, a file edited by hand) come back apart, so that they are kept in the
// quarantine instead of dropped.
func (s *spillFile) peek(n int) (evs []Event, unreadable [][]byte, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, err := os.Open(s.path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	if _, err := f.Seek(s.offset, io.SeekStart); err != nil {
		return nil, nil, err
	}
	r := bufio.NewReaderSize(f, 1<<20)
	var consumed int64
	for len(evs) < n {
		line, err := r.ReadBytes('\n')
		if err != nil {
			break // a line without its newline is still being written, or torn
		}
		consumed += int64(len(line))
		var ev Event
		if json.Unmarshal(line, &ev) != nil || ev.Validate() != nil {
			if len(bytes.TrimSpace(line)) > 0 {
				unreadable = append(unreadable, line)
			}
			continue
		}
		evs = append(evs, ev)
	}
	s.peekLen, s.peekUnreadable = consumed, len(unreadable)
	if len(evs) == 0 && len(unreadable) == 0 {
		// count says there are events but none could be read: resynchronise.
		s.count = 0
	}
	return evs, unreadable, nil
}

// advance consumes what the last peek returned: its n events and its unreadable
// lines.
func (s *spillFile) advance(n int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.offset += s.peekLen
	s.count -= n + s.peekUnreadable
	s.peekLen, s.peekUnreadable = 0, 0
	if s.count <= 0 {
		s.count = 0
		// Drained: start the file afresh rather than let it grow forever.
		s.offset = 0
		if err := os.Truncate(s.path, 0); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	return writeFileAtomic(s.offsetPath(), []byte(strconv.FormatInt(s.offset, 10)))
}

func (s *spillFile) close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.count == 0 {
		os.Remove(s.offsetPath())
		if err := os.Remove(s.path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	return nil
}

func writeFileAtomic(path string, b []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
