package admin

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// TestClusterOverview: a single node shows no cluster card; a raft
// leader's card carries its role, indexes and the largest follower lag.
func TestClusterOverview(t *testing.T) {
	reg := prometheus.NewRegistry()
	if f := clusterOverview(gather(reg)); f != nil {
		t.Fatalf("single node: %+v, want no cluster facts", f)
	}
	gauge := func(name string, v float64) {
		g := prometheus.NewGauge(prometheus.GaugeOpts{Name: name, Help: "x"})
		g.Set(v)
		reg.MustRegister(g)
	}
	gauge("shale_cluster_term", 7)
	gauge("shale_cluster_commit_index", 120)
	gauge("shale_cluster_applied_index", 119)
	gauge("shale_cluster_is_leader", 1)
	gauge("shale_cluster_leader_id", 2)
	lag := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "shale_cluster_follower_lag_entries", Help: "x"}, []string{"node"})
	lag.WithLabelValues("1").Set(3)
	lag.WithLabelValues("3").Set(40)
	reg.MustRegister(lag)
	f := clusterOverview(gather(reg))
	if f == nil || f.Role != "leader" || f.Term != 7 || f.Commit != 120 || f.Applied != 119 || f.Leader != 2 || f.MaxLag != 40 {
		t.Fatalf("leader: %+v", f)
	}
}
