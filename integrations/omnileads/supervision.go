package omnileads

import (
	"cmp"
	"fmt"
	"net/http"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/api"
	"github.com/labstack/echo/v4"
)

type supervision struct{ rt *api.Realtime }

// MountSupervision adds the OMniLeads supervision views over the real-time
// views of rt, for principals with the supervise role; rt nil (statistics
// off) leaves them off.
//
//	GET /api/v1/supervision/agents
//	GET /api/v1/supervision/inbound
//
// They take no query parameters. Durations are seconds, except "tiempo",
// which is HH:MM:SS because that is what OMniLeads clients show.
func MountSupervision(s *api.Server, rt *api.Realtime) {
	if rt == nil {
		return
	}
	v := &supervision{rt: rt}
	// Routes carry their own middleware rather than joining the /api/v1
	// group of the session API, so that they work whether or not it is
	// mounted, and in either order.
	auth, supervise := s.Authenticate, api.Require(ccd.RoleSupervise)
	s.Echo.GET("/api/v1/supervision/agents", v.agents, auth, supervise, api.QueryParams())
	s.Echo.GET("/api/v1/supervision/inbound", v.inbound, auth, supervise, api.QueryParams())
}

// hms is a duration as the OMniLeads views show it, HH:MM:SS (hours may pass 99).
func hms(secs int64) string {
	return fmt.Sprintf("%02d:%02d:%02d", secs/3600, secs/60%60, secs%60)
}

// agents is the OMniLeads agent supervision view (003 §12.1.6).
func (v *supervision) agents(c echo.Context) error {
	as, err := v.rt.Agents(c.Request().Context())
	if err != nil {
		return err
	}
	type row struct {
		ID       string `json:"id"`
		Nombre   string `json:"nombre"`
		Campana  string `json:"campana"`
		Contacto string `json:"contacto"`
		Status   string `json:"status"`
		Tiempo   string `json:"tiempo"`
	}
	out := make([]row, 0, len(as))
	for _, v := range as {
		out = append(out, row{ID: v.ID, Nombre: cmp.Or(v.Name, v.ID), Campana: v.Queue, Contacto: v.Contact, Status: v.Status,
			Tiempo: hms(v.SecondsInStatus)})
	}
	return c.JSON(http.StatusOK, out)
}

// inbound is the OMniLeads inbound campaigns view (003 §12.1.6),
// a campaign being a queue. ccd has no welcome announcement to abandon during
// and no dispositions, so those columns are 0; expiradas are the overflowed.
func (v *supervision) inbound(c echo.Context) error {
	qs, err := v.rt.Queues(c.Request().Context())
	if err != nil {
		return err
	}
	type row struct {
		ID                 string  `json:"id"`
		Nombre             string  `json:"nombre"`
		Llamadas           int64   `json:"llamadas"`
		Atendidas          int64   `json:"atendidas"`
		Abandonadas        int64   `json:"abandonadas"`
		AbandonadasAnuncio int64   `json:"abandonadas_anuncio"`
		TPromedioEspera    float64 `json:"t_promedio_espera"`
		Expiradas          int64   `json:"expiradas"`
		EnEspera           int     `json:"en_espera"`
		TPromedioAbandono  float64 `json:"t_promedio_abandono"`
		Gestiones          int64   `json:"gestiones"`
	}
	out := make([]row, 0, len(qs))
	for _, q := range qs {
		out = append(out, row{ID: q.Code, Nombre: cmp.Or(q.Name, q.Code), Llamadas: q.Today.Offered, Atendidas: q.Today.Answered,
			Abandonadas: q.Today.Abandoned, TPromedioEspera: q.Today.AvgWaitSeconds, Expiradas: q.Today.Overflowed,
			EnEspera: q.Waiting, TPromedioAbandono: q.Today.AvgAbandonSeconds})
	}
	return c.JSON(http.StatusOK, out)
}
