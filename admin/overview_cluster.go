package admin

import "slices"

// clusterFacts are a raft cluster node's figures for the overview, read
// from the shale_cluster_* series (docs/cluster.md); nil on a single node.
type clusterFacts struct {
	Role                   string
	Term, Commit, Applied  float64
	Leader                 float64
	ElectionsWon, Changes  float64
	MaxLag                 float64
	Snapshots, Truncations float64
}

func clusterOverview(m metricSet) *clusterFacts {
	if m["shale_cluster_term"] == nil {
		return nil
	}
	f := &clusterFacts{Role: "follower",
		Term: m.sum("shale_cluster_term"), Commit: m.sum("shale_cluster_commit_index"),
		Applied: m.sum("shale_cluster_applied_index"), Leader: m.sum("shale_cluster_leader_id"),
		ElectionsWon: m.sum("shale_cluster_elections_won_total"), Changes: m.sum("shale_cluster_leader_changes_total"),
		Snapshots:   m.sum("shale_cluster_snapshots_sent_total") + m.sum("shale_cluster_snapshots_installed_total"),
		Truncations: m.sum("shale_cluster_log_truncations_total")}
	if m.sum("shale_cluster_is_leader") == 1 {
		f.Role = "leader"
	}
	if lag := m["shale_cluster_follower_lag_entries"]; lag != nil {
		var vs []float64
		for _, s := range lag.Metric {
			vs = append(vs, metricValue(s))
		}
		if len(vs) > 0 {
			f.MaxLag = slices.Max(vs)
		}
	}
	return f
}
