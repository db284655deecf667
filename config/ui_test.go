package config

import (
	"strings"
	"testing"
	"time"
)

// The wallboard's thresholds come from ui.wallboard (or CCD_UI_WALLBOARD_*);
// a red below its amber is refused, naming the key.
func TestWallboardThresholdsFromTheFile(t *testing.T) {
	c, err := Load(writeFile(t, minimal+"ui:\n  wallboard:\n    wait_amber: 45\n    wait_red: 90\n    callbacks_amber: 2\n"),
		envMap(map[string]string{"CCD_UI_WALLBOARD_SL_RED": "50"}))
	if err != nil {
		t.Fatal(err)
	}
	want := DefaultWallboard()
	want.WaitAmber, want.WaitRed, want.CallbacksAmber, want.SLRed = 45, 90, 2, 50
	if c.UI.Wallboard != want {
		t.Fatalf("got %+v, want %+v", c.UI.Wallboard, want)
	}
	for key, env := range map[string]map[string]string{
		"ui.wallboard.wait_red":      {"CCD_UI_WALLBOARD_WAIT_RED": "10"},
		"ui.wallboard.sl_red":        {"CCD_UI_WALLBOARD_SL_RED": "95"},
		"ui.wallboard.callbacks_red": {"CCD_UI_WALLBOARD_CALLBACKS_RED": "-1"},
	} {
		_, err := Load(writeFile(t, minimal), envMap(env))
		if err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("%v: got %v, want an error naming %s", env, err, key)
		}
	}
}

// The live views' refresh comes from ui.refresh (or CCD_UI_REFRESH), 1 s
// by default; one below 100 ms is refused, naming the key.
func TestUIRefresh(t *testing.T) {
	c, err := Load(writeFile(t, minimal), envMap(nil))
	if err != nil || c.UI.Refresh != time.Second {
		t.Fatalf("default: %s %v, want 1s", c.UI.Refresh, err)
	}
	c, err = Load(writeFile(t, minimal+"ui:\n  refresh: 5s\n"), envMap(nil))
	if err != nil || c.UI.Refresh != 5*time.Second {
		t.Fatalf("from the file: %s %v, want 5s", c.UI.Refresh, err)
	}
	if _, err := Load(writeFile(t, minimal), envMap(map[string]string{"CCD_UI_REFRESH": "10ms"})); err == nil || !strings.Contains(err.Error(), "ui.refresh") {
		t.Fatalf("10ms: %v, want an error naming ui.refresh", err)
	}
}
