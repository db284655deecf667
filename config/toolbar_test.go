package config

import (
	"strings"
	"testing"
	"time"
)

// The toolbar's keys: defaults, the environment, and errors naming the key
// (the system defaults and a queue's screen pop templates alike).
func TestToolbarKeys(t *testing.T) {
	c, err := Load(writeFile(t, minimal), envMap(map[string]string{"CCD_TOOLBAR_INTERVAL": "2s"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Toolbar.Interval != 2*time.Second || c.Toolbar.SendBuffer != 64 || c.Toolbar.FetchTimeout != 5*time.Second || c.Toolbar.FetchAllowLoopback {
		t.Fatalf("toolbar %+v", c.Toolbar)
	}
	for _, tc := range []struct{ file, want string }{
		{minimal + "toolbar: {interval: 10ms}\n", "toolbar.interval (env CCD_TOOLBAR_INTERVAL): must be at least 100ms"},
		{minimal + "toolbar: {send_buffer: 0}\n", "toolbar.send_buffer"},
		{minimal + "toolbar: {screen_pop: [http://a/, http://b/, http://c/, http://d/]}\n", "toolbar.screen_pop (env CCD_TOOLBAR_SCREEN_POP): at most 3 URLs"},
		{minimal + "toolbar: {screen_pop: ['http://crm/{NOPE}']}\n", "toolbar.screen_pop[0]"},
		{minimal + "acd: {queues: [{code: q, screen_pop: ['http://crm/?a={CLID}', 'crm/{CLID}']}]}\n", "acd.queues[0].screen_pop[1]"},
	} {
		if _, err := Load(writeFile(t, tc.file), envMap(nil)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: want an error containing %q, got %v", tc.file, tc.want, err)
		}
	}
}
