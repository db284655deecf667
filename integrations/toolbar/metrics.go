package toolbar

import "github.com/prometheus/client_golang/prometheus"

type metrics struct {
	connects     prometheus.Counter
	messages     *prometheus.CounterVec
	disconnects  *prometheus.CounterVec
	figureErrors prometheus.Counter
}

func newMetrics(reg prometheus.Registerer, connections func() int) metrics {
	m := metrics{
		connects: prometheus.NewCounter(prometheus.CounterOpts{Name: "ccd_toolbar_connects_total",
			Help: "Agent toolbar WebSocket connections opened."}),
		messages: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ccd_toolbar_messages_total",
			Help: "Messages written to agent toolbars, by event (OnScreenPopUpData, OnQueuesInfoData, OnCall)."}, []string{"event"}),
		disconnects: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ccd_toolbar_disconnects_total",
			Help: "Agent toolbar connections ended, by reason: slow (did not read), replaced, logged_out, closed, shutdown."}, []string{"reason"}),
		figureErrors: prometheus.NewCounter(prometheus.CounterOpts{Name: "ccd_toolbar_figure_errors_total",
			Help: "Ticks whose figures could not be read (the database down): no OnQueuesInfoData was sent."}),
	}
	for _, e := range []string{EventScreenPop, EventQueuesInfo, EventCall} {
		m.messages.WithLabelValues(e)
	}
	for _, r := range []string{reasonSlow, reasonReplaced, reasonLoggedOut, reasonClosed, reasonShutdown} {
		m.disconnects.WithLabelValues(r)
	}
	if reg != nil {
		reg.MustRegister(m.connects, m.messages, m.disconnects, m.figureErrors,
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "ccd_toolbar_connections", Help: "Agent toolbars connected now."},
				func() float64 { return float64(connections()) }))
	}
	return m
}
