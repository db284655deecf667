package ccd_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/ccdhq/ccd"
)

// Every state against every change: ready on a call and ready or not ready
// for a logged-out agent are conflicts that name the state; the rest passes.
func TestCheckAgentChange(t *testing.T) {
	allowed := map[string][]string{
		ccd.AgentLoggedOut:    {"logout"},                                          // again: no change, no harm
		ccd.AgentReady:        {"ready", "not_ready", "not_ready:lunch", "logout"}, // ready again: no change, no harm
		ccd.AgentNotReady:     {"ready", "not_ready", "not_ready:lunch", "logout"},
		ccd.AgentWrapUp:       {"ready", "not_ready", "not_ready:lunch", "logout"},
		ccd.AgentRinging:      {"not_ready", "not_ready:lunch", "logout"},
		ccd.AgentOnCall:       {"not_ready", "not_ready:lunch", "logout"},
		ccd.AgentOnDirectCall: {"not_ready", "not_ready:lunch", "logout"},
	}
	changes := []string{"ready", "not_ready", "not_ready:lunch", "logout"}
	for state, ok := range allowed {
		for _, change := range changes {
			name, activity, _ := strings.Cut(change, ":")
			if activity == "" && name == ccd.ChangeNotReady {
				activity = "break"
			}
			st := ccd.AgentStatus{ID: "1001", State: state}
			if state == ccd.AgentNotReady {
				st.Activity = "break"
			}
			err := ccd.CheckAgentChange(st, name, activity)
			want := false
			for _, a := range ok {
				want = want || a == change
			}
			if want != (err == nil) {
				t.Errorf("%s in state %s: %v, want allowed=%v", change, state, err, want)
			}
			var e *ccd.Error
			if err != nil && (!errors.As(err, &e) || e.Code != ccd.ECONFLICT || e.Field != "state" || !strings.Contains(e.Message, " is "+state+":")) {
				t.Errorf("%s in state %s: %#v, want a conflict naming the state", change, state, err)
			}
		}
	}
}
