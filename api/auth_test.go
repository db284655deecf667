package api_test

import (
	"testing"
	"time"

	"github.com/ccdhq/ccd/internal/apitest"
)

func TestBearerSchemeIsCaseInsensitive(t *testing.T) {
	s, _ := apitest.NewAgentServer(t)
	for _, scheme := range []string{"Bearer", "bearer", "BEARER"} {
		code, _, raw := apitest.DoAuth(t, s, "GET", "/api/agents/1001", scheme+" "+apitest.IntegrationToken)
		if code != 200 {
			t.Fatalf("%s: %d %s", scheme, code, raw)
		}
	}
	if code, _, _ := apitest.DoAuth(t, s, "GET", "/api/agents/1001", "Basic "+apitest.IntegrationToken); code != 401 {
		t.Fatalf("Basic accepted: %d", code)
	}
	// The statistics interfaces read the header the same way: past the
	// authentication, they answer that no live source is there.
	s.MountStats(nil, nil, time.UTC, nil)
	if code, _, raw := apitest.DoAuth(t, s, "GET", "/api/stats/realtime/queues", "bearer "+apitest.IntegrationToken); code != 503 {
		t.Fatalf("statistics with lower-case bearer: %d %s", code, raw)
	}
}
