package omnileads_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/api"
	"github.com/ccdhq/ccd/internal/apitest"
)

// newSupervisionServer serves the statistics and the supervision views of
// the real-time fixture at 2026-03-10 15:04:05 in a zone at UTC-3.
func newSupervisionServer(t *testing.T) *api.Server {
	t.Helper()
	loc := time.FixedZone("UTC-3", -3*3600)
	now := time.Date(2026, 3, 10, 15, 4, 5, 0, loc)
	f, live := apitest.RealtimeFixture(now)
	s := api.NewServer(nil, nil, api.Options{Token: apitest.StatsToken, Now: func() time.Time { return now }})
	apitest.MountStats(s, f, live, loc, map[string]time.Duration{"sales": 20 * time.Second})
	return s
}

// The supervision views give the real-time views in OMniLeads' field names:
// a campaign is a queue, tiempo is HH:MM:SS.
func TestSupervisionViews(t *testing.T) {
	s := newSupervisionServer(t)
	_, v, _ := apitest.Get(t, s.Echo, "/api/v1/supervision/inbound", apitest.StatsToken)
	wantIn := []any{
		map[string]any{"id": "sales", "nombre": "Sales Line", "llamadas": 15.0, "atendidas": 8.0, "abandonadas": 2.0,
			"abandonadas_anuncio": 0.0, "t_promedio_espera": 12.5, "expiradas": 3.0, "en_espera": 2.0,
			"t_promedio_abandono": 12.5, "gestiones": 0.0},
		map[string]any{"id": "support", "nombre": "support", "llamadas": 0.0, "atendidas": 0.0, "abandonadas": 0.0,
			"abandonadas_anuncio": 0.0, "t_promedio_espera": 0.0, "expiradas": 0.0, "en_espera": 0.0,
			"t_promedio_abandono": 0.0, "gestiones": 0.0},
	}
	if !reflect.DeepEqual(v, wantIn) {
		t.Fatalf("inbound\n got %v\nwant %v", v, wantIn)
	}

	_, v, _ = apitest.Get(t, s.Echo, "/api/v1/supervision/agents", apitest.StatsToken)
	rows := v.([]any)
	if !reflect.DeepEqual(rows[1], map[string]any{"id": "1002", "nombre": "Aldana Magali", "campana": "sales",
		"contacto": "6141644", "status": "ONCALL", "tiempo": "00:01:05"}) {
		t.Fatalf("supervision agent 1002 %v", rows[1])
	}
	if r := rows[2].(map[string]any); r["tiempo"] != "01:01:40" || r["status"] != "PAUSE-Carga_de_Venta" {
		t.Fatalf("supervision agent 1003 %v", r)
	}
	if r := rows[3].(map[string]any); r["nombre"] != "1004" || r["campana"] != "" {
		t.Fatalf("supervision agent without a name %v", r)
	}
	if r := rows[5].(map[string]any); r["tiempo"] != "100:00:00" {
		t.Fatalf("supervision agent 1006 %v", r)
	}
}

// The supervision views take no query parameters.
func TestSupervisionRefusesParameters(t *testing.T) {
	s := newSupervisionServer(t)
	for _, c := range []struct{ path, field string }{
		{"/api/v1/supervision/agents?format=csv", "format"},
		{"/api/v1/supervision/inbound?from=2026-03-10", "from"},
	} {
		code, v, rec := apitest.Get(t, s.Echo, c.path, apitest.StatsToken)
		m, _ := v.(map[string]any)
		e, _ := m["error"].(map[string]any)
		if msg, _ := e["message"].(string); code != 400 || e["code"] != ccd.EINVALID || e["field"] != c.field || !strings.Contains(msg, "takes no parameters") {
			t.Errorf("%s: %d %s; want 400 on %s", c.path, code, rec.Body, c.field)
		}
	}
}
