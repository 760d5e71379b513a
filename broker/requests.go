package broker

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// requestSeries are shale_request_duration_seconds and
// shale_request_errors_total: every request of every transport, named by
// the command it carried. The binary listeners (TCP, QUIC) and HTTP record
// into these one pair of series, so one query covers all three.
type requestSeries struct {
	latency *prometheus.HistogramVec
	errs    *prometheus.CounterVec
}

func newRequestSeries() requestSeries {
	return requestSeries{
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "shale", Name: "request_duration_seconds",
			Help:    "Request latency per command and transport (tcp, quic, http).",
			Buckets: prometheus.ExponentialBuckets(25e-6, 2, 18),
		}, []string{"transport", "command"}),
		errs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "shale", Name: "request_errors_total",
			Help: "Requests answered with an error, per command and code (the Iggy code; for http the HTTP status).",
		}, []string{"transport", "command", "code"}),
	}
}

// RequestServed records how long a listener took to answer command over
// transport. command must come from a fixed set (the command table or a
// route name), never from client input, so the series stay bounded.
func (b *Broker) RequestServed(transport, command string, took time.Duration) {
	b.metrics.requests.latency.WithLabelValues(transport, command).Observe(took.Seconds())
}

// RequestFailed counts a request answered with an error: code is the Iggy
// error code, or the HTTP status over HTTP.
func (b *Broker) RequestFailed(transport, command, code string) {
	b.metrics.requests.errs.WithLabelValues(transport, command, code).Inc()
}
