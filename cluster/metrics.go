package cluster

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the node's Prometheus series (docs/metrics.md "Cluster").
type metrics struct {
	elections          prometheus.Counter
	leaderChanges      prometheus.Counter
	snapshotsSent      prometheus.Counter
	snapshotsInstalled prometheus.Counter
	compactions        prometheus.Counter
	proposalsFailed    prometheus.Counter
	readBarriers       prometheus.Counter // readindex.go
	readFailures       prometheus.Counter
	readRounds         prometheus.Counter
	snap               snapMetrics // snapshot_metrics.go
	collectors         []prometheus.Collector
}

func newMetrics(n *Node) *metrics {
	m := &metrics{
		elections: prometheus.NewCounter(prometheus.CounterOpts{Namespace: "shale", Subsystem: "cluster",
			Name: "elections_won_total", Help: "Times this node became the raft leader."}),
		leaderChanges: prometheus.NewCounter(prometheus.CounterOpts{Namespace: "shale", Subsystem: "cluster",
			Name: "leader_changes_total", Help: "Changes of the leader this node observed (including to none)."}),
		snapshotsSent: prometheus.NewCounter(prometheus.CounterOpts{Namespace: "shale", Subsystem: "cluster",
			Name: "snapshots_sent_total", Help: "Snapshots sent to followers that were behind the truncated log."}),
		snapshotsInstalled: prometheus.NewCounter(prometheus.CounterOpts{Namespace: "shale", Subsystem: "cluster",
			Name: "snapshots_installed_total", Help: "Snapshots this node installed from a leader."}),
		compactions: prometheus.NewCounter(prometheus.CounterOpts{Namespace: "shale", Subsystem: "cluster",
			Name: "log_truncations_total", Help: "Truncations of the raft log after apply."}),
		proposalsFailed: prometheus.NewCounter(prometheus.CounterOpts{Namespace: "shale", Subsystem: "cluster",
			Name: "proposals_failed_total", Help: "Writes whose outcome was lost with the leadership (answered disconnected)."}),
		readBarriers: prometheus.NewCounter(prometheus.CounterOpts{Namespace: "shale", Subsystem: "cluster",
			Name: "read_barriers_total", Help: "Reads that waited for a confirmed read index (linearizable reads)."}),
		readFailures: prometheus.NewCounter(prometheus.CounterOpts{Namespace: "shale", Subsystem: "cluster",
			Name: "read_barrier_failures_total", Help: "Linearizable reads refused because the node could not confirm its data is current (answered disconnected)."}),
		readRounds: prometheus.NewCounter(prometheus.CounterOpts{Namespace: "shale", Subsystem: "cluster",
			Name: "read_index_rounds_total", Help: "Raft ReadIndex rounds asked; concurrent linearizable reads share one."}),
	}
	gauge := func(name, help string, f func(Status) float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: "shale", Subsystem: "cluster", Name: name, Help: help},
			func() float64 { return f(n.Status()) })
	}
	m.collectors = []prometheus.Collector{m.elections, m.leaderChanges, m.snapshotsSent, m.snapshotsInstalled,
		m.compactions, m.proposalsFailed, m.readBarriers, m.readFailures, m.readRounds,
		gauge("is_leader", "1 while this node is the leader accepting writes.", func(s Status) float64 { return b2f(s.Writable) }),
		gauge("term", "Current raft term.", func(s Status) float64 { return float64(s.Term) }),
		gauge("commit_index", "Highest raft log index known committed.", func(s Status) float64 { return float64(s.Commit) }),
		gauge("applied_index", "Highest raft log index applied to this node's database.", func(s Status) float64 { return float64(s.Applied) }),
		gauge("leader_id", "Raft id of the current leader (0: none known).", func(s Status) float64 { return float64(s.Lead) }),
		&lagCollector{n: n, desc: prometheus.NewDesc("shale_cluster_follower_lag_entries",
			"On the leader: entries each follower is behind the leader's last index.", []string{"node"}, nil)},
	}
	m.snap = newSnapMetrics()
	m.collectors = append(m.collectors, m.snap.collectors()...)
	return m
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func (m *metrics) register(r prometheus.Registerer) error {
	for _, c := range m.collectors {
		if err := r.Register(c); err != nil {
			return err
		}
	}
	return nil
}

func (m *metrics) unregister(r prometheus.Registerer) {
	for _, c := range m.collectors {
		r.Unregister(c)
	}
}

type lagCollector struct {
	n    *Node
	desc *prometheus.Desc
}

func (c *lagCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *lagCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.n.Status()
	if s.Role != RoleLeader {
		return
	}
	for _, p := range s.Peers {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(p.Lag), strconv.FormatUint(p.ID, 10))
	}
}
