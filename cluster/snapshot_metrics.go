package cluster

import "github.com/prometheus/client_golang/prometheus"

// snapMetrics count the snapshot transfers (docs/metrics.md "Cluster").
type snapMetrics struct {
	sentBytes, receivedBytes      prometheus.Counter
	sendFailures, receiveFailures prometheus.Counter
	sendSeconds, receiveSeconds   prometheus.Histogram
}

func newSnapMetrics() snapMetrics {
	counter := func(name, help string) prometheus.Counter {
		return prometheus.NewCounter(prometheus.CounterOpts{Namespace: "shale", Subsystem: "cluster", Name: name, Help: help})
	}
	// From a second to about an hour.
	buckets := prometheus.ExponentialBuckets(0.25, 4, 8)
	histogram := func(name, help string) prometheus.Histogram {
		return prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: "shale", Subsystem: "cluster", Name: name, Help: help, Buckets: buckets})
	}
	return snapMetrics{
		sentBytes:       counter("snapshot_sent_bytes_total", "Bytes of database checkpoints streamed to followers (complete and cut transfers)."),
		receivedBytes:   counter("snapshot_received_bytes_total", "Bytes of snapshots received from the leader (complete and cut transfers)."),
		sendFailures:    counter("snapshot_send_failures_total", "Snapshot transfers to a follower that failed (raft retries them)."),
		receiveFailures: counter("snapshot_receive_failures_total", "Snapshot transfers from the leader that failed or were refused here."),
		sendSeconds:     histogram("snapshot_send_seconds", "Time from the checkpoint to the follower's acknowledgement, of each snapshot sent."),
		receiveSeconds:  histogram("snapshot_receive_seconds", "Time to receive, verify and prepare each snapshot installed from the leader."),
	}
}

func (m snapMetrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{m.sentBytes, m.receivedBytes, m.sendFailures, m.receiveFailures, m.sendSeconds, m.receiveSeconds}
}
