package broker

import "github.com/prometheus/client_golang/prometheus"

// newPanicCounter is shale_handler_panics_total: handler panics the
// listeners recovered, per transport and command. Every transport counts
// into this one series, so its help and labels are defined once, here.
func newPanicCounter() *prometheus.CounterVec {
	return prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "shale", Name: "handler_panics_total",
		Help: "Panics recovered in request handlers, per transport (tcp, quic, http) and command; the request got a generic error and the connection went on.",
	}, []string{"transport", "command"})
}

// HandlerPanicked counts a panic a listener recovered while running
// command over transport. command must come from a fixed set (a command
// table or route name), never from client input.
func (b *Broker) HandlerPanicked(transport, command string) {
	b.metrics.panics.WithLabelValues(transport, command).Inc()
}
