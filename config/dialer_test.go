package config

import (
	"strings"
	"testing"
)

// A dial endpoint without {number} or a context name with a comma is
// refused, naming the key.
func TestDialerConfigErrorsNameTheKey(t *testing.T) {
	for key, env := range map[string]map[string]string{
		"dialer.dial_endpoint": {"CCD_DIALER_DIAL_ENDPOINT": "PJSIP/trunk"},
		"dialer.amd_context":   {"CCD_DIALER_AMD_CONTEXT": "amd,1"},
		"dialer.interval":      {"CCD_DIALER_INTERVAL": "1ms"},
	} {
		_, err := Load(writeFile(t, minimal), envMap(env))
		if err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("%v: got %v, want an error naming %s", env, err, key)
		}
	}
	c, err := Load(writeFile(t, minimal), envMap(map[string]string{"CCD_DIALER_DIAL_ENDPOINT": "PJSIP/{number}@trunk"}))
	if err != nil || c.Dialer.DialEndpoint != "PJSIP/{number}@trunk" || c.Dialer.AMDContext != "ccd-dialer-amd" {
		t.Fatalf("%+v %v", c.Dialer, err)
	}
}
