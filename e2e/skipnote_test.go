package e2e

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// `make test` runs go test without -v, which shows no skip message of a package
// that passes: the Makefile itself must say that this suite did not run, and why.
func TestMakeTestSaysWhenThisSuiteIsSkipped(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("make not installed")
	}
	const note = "real-Asterisk suite skipped: CCD_ASTERISK_TEST is not 1"
	makeOut := func(env string, args ...string) string {
		t.Helper()
		cmd := exec.Command("make", append([]string{"-C", "..", "--no-print-directory"}, args...)...)
		cmd.Env = append(os.Environ(), "CCD_ASTERISK_TEST="+env)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("make %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	if out := makeOut("", "-s", "asterisk-suite-note"); !strings.Contains(out, note) || !strings.Contains(out, "README") || !strings.Contains(out, "make e2e") {
		t.Errorf("without CCD_ASTERISK_TEST the note is missing: %q", out)
	}
	if out := makeOut("1", "-s", "asterisk-suite-note"); strings.Contains(out, "skipped") {
		t.Errorf("with CCD_ASTERISK_TEST=1 the suite runs, yet: %q", out)
	}
	// The test target's recipe carries the note (dry run: nothing is executed).
	if out := makeOut("", "-n", "test"); !strings.Contains(out, note) {
		t.Errorf("make test does not print the note:\n%s", out)
	}
	// make e2e runs this directory's suite; make integration, its former name,
	// still does too.
	for _, target := range []string{"e2e", "integration"} {
		if out := makeOut("", "-n", target); !strings.Contains(out, "CCD_ASTERISK_TEST=1") || !strings.Contains(out, "./e2e/...") {
			t.Errorf("make %s does not run the e2e suite:\n%s", target, out)
		}
	}
}
