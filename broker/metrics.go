package broker

import "github.com/prometheus/client_golang/prometheus"

// metrics are the broker's Prometheus collectors. Listeners add their own
// per-transport latency; the broker counts what every transport shares.
type metrics struct {
	clients       prometheus.Gauge
	messagesIn    prometheus.Counter
	bytesIn       prometheus.Counter
	messagesOut   prometheus.Counter
	bytesOut      prometheus.Counter
	loginFailures prometheus.Counter
}

func newMetrics(r prometheus.Registerer) *metrics {
	m := &metrics{
		clients: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "shale", Name: "clients", Help: "Connected client sessions.",
		}),
		messagesIn: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "shale", Name: "messages_in_total", Help: "Messages appended.",
		}),
		bytesIn: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "shale", Name: "message_bytes_in_total", Help: "Bytes of messages appended.",
		}),
		messagesOut: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "shale", Name: "messages_out_total", Help: "Messages returned by polls.",
		}),
		bytesOut: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "shale", Name: "message_bytes_out_total", Help: "Bytes of messages returned by polls.",
		}),
		loginFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "shale", Name: "login_failures_total", Help: "Failed logins (password or token).",
		}),
	}
	if r != nil {
		r.MustRegister(m.clients, m.messagesIn, m.bytesIn, m.messagesOut, m.bytesOut, m.loginFailures)
	}
	return m
}
