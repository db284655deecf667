package demo

import (
	"testing"

	"github.com/ccdhq/ccd/dialer/pacing"
)

// A simulated agent answers a campaign's call before the dialer's grace
// time runs out, with room for a loaded machine: otherwise the demo's
// campaign abandons the people it reached.
func TestAgentsAnswerWithinTheDialersGrace(t *testing.T) {
	if agentAnswer.Min <= 0 || agentAnswer.Max > pacing.Grace*3/4 {
		t.Fatalf("agents answer after %s to %s; the dialer abandons a person after %s", agentAnswer.Min, agentAnswer.Max, pacing.Grace)
	}
}
