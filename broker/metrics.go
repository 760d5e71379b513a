package broker

import "github.com/prometheus/client_golang/prometheus"

// metrics are the broker's Prometheus collectors: what every transport
// shares, request latency and errors included (listeners record those
// through RequestServed and RequestFailed).
// GetStats, the dashboard and /metrics all read these.
type metrics struct {
	clients       prometheus.Gauge
	messagesIn    prometheus.Counter
	bytesIn       prometheus.Counter
	messagesOut   prometheus.Counter
	bytesOut      prometheus.Counter
	loginFailures prometheus.Counter
	panics        *prometheus.CounterVec // panics.go
	requests      requestSeries          // requests.go
	topics        *topicSeries
	conns         *connCollector
	lag           *lagCollector
}

// defaultMaxSeries is Options.MaxTopicSeries when unset.
const defaultMaxSeries = 1000

func newMetrics(b *Broker, r prometheus.Registerer, maxSeries int) *metrics {
	if maxSeries <= 0 {
		maxSeries = defaultMaxSeries
	}
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
		panics:   newPanicCounter(),
		requests: newRequestSeries(),
		topics:   newTopicSeries(maxSeries),
		conns: &connCollector{b: b, desc: prometheus.NewDesc("shale_connections",
			"Open connections per transport.", []string{"transport"}, nil)},
		lag: &lagCollector{b: b, max: maxSeries,
			msgs: prometheus.NewDesc("shale_consumer_group_lag_messages",
				"Retained messages a consumer group has not consumed, per partition (capped, see docs/metrics.md).",
				[]string{"stream", "topic", "group", "partition"}, nil),
			seconds: prometheus.NewDesc("shale_consumer_group_lag_seconds",
				"Age of the oldest message a consumer group has not consumed, per partition; 0 when caught up.",
				[]string{"stream", "topic", "group", "partition"}, nil)},
	}
	if r != nil {
		r.MustRegister(m.clients, m.messagesIn, m.bytesIn, m.messagesOut, m.bytesOut, m.loginFailures, m.panics,
			m.requests.latency, m.requests.errs, m.conns, m.lag)
		r.MustRegister(m.topics.collectors()...)
	}
	return m
}
