package ami

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const captureDir = "../testdata/captures"

type capture struct {
	name string
	data []byte
}

// loadCaptures reads every *.ami.txt capture; it fails the test if there are
// none, so that a moved directory cannot make the tests pass vacuously.
func loadCaptures(tb testing.TB) []capture {
	tb.Helper()
	paths, err := filepath.Glob(filepath.Join(captureDir, "*.ami.txt"))
	if err != nil {
		tb.Fatal(err)
	}
	if len(paths) == 0 {
		tb.Fatalf("no captures found in %s", captureDir)
	}
	var cs []capture
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			tb.Fatal(err)
		}
		cs = append(cs, capture{name: filepath.Base(p), data: b})
	}
	return cs
}

// countLines counts the lines of data that start with prefix, independently
// of the Reader.
func countLines(data []byte, prefix string) int {
	n := 0
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), prefix) {
			n++
		}
	}
	return n
}
