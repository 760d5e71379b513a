package config

import (
	"reflect"
	"slices"
	"testing"
	"time"
)

// The agreed three-node layout: node 1 of 3, each naming the others'
// raft ids and transport addresses.
const raftNode1 = `
[cluster]
enabled = true
name = "shale-cluster"
[cluster.node.current]
name = "node-1"
ip = "127.0.0.1"
[cluster.raft]
enabled = true
node_id = 1
address = "127.0.0.1:9091"
tick = "50 ms"
election_ticks = 20
heartbeat_ticks = 2
[[cluster.node.others]]
name = "node-2"
ip = "127.0.0.1"
ports = { tcp = 8092 }
raft_id = 2
raft_address = "127.0.0.1:9092"
[[cluster.node.others]]
name = "node-3"
ip = "127.0.0.1"
ports = { tcp = 8093 }
raft_id = 3
raft_address = "127.0.0.1:9093"
`

func TestClusterRaft(t *testing.T) {
	cfg := mustLoad(t, writeFile(t, raftNode1))
	r := cfg.Cluster.Raft
	if !r.Enabled || r.NodeID != 1 || r.Address != "127.0.0.1:9091" || r.Tick.Std() != 50*time.Millisecond ||
		r.ElectionTicks != 20 || r.HeartbeatTicks != 2 {
		t.Fatalf("[cluster.raft] = %+v", r)
	}
	others := cfg.Cluster.Node.Others
	if len(others) != 2 || others[0].RaftID != 2 || others[1].RaftAddress != "127.0.0.1:9093" {
		t.Fatalf("others = %+v", others)
	}
	back := mustLoad(t, writeFile(t, string(cfg.TOML())))
	if !reflect.DeepEqual(back.Cluster.Node.Others, others) || back.Cluster.Raft != r {
		t.Fatalf("raft settings do not round-trip through TOML(): %+v %+v", back.Cluster.Raft, back.Cluster.Node.Others)
	}

	env := mustLoad(t, writeFile(t, raftNode1), "IGGY_CLUSTER_RAFT_NODE_ID=3", "IGGY_CLUSTER_RAFT_ADDRESS=127.0.0.1:9093", "IGGY_CLUSTER_NODE_CURRENT_NAME=node-3",
		"IGGY_CLUSTER_NODE_OTHERS_0_NAME=node-1", "IGGY_CLUSTER_NODE_OTHERS_0_IP=127.0.0.1",
		"IGGY_CLUSTER_NODE_OTHERS_0_RAFT_ID=1", "IGGY_CLUSTER_NODE_OTHERS_0_RAFT_ADDRESS=127.0.0.1:9091")
	if env.Cluster.Raft.NodeID != 3 || len(env.Cluster.Node.Others) != 1 || env.Cluster.Node.Others[0].RaftID != 1 ||
		env.Cluster.Node.Others[0].RaftAddress != "127.0.0.1:9091" {
		t.Fatalf("environment overrides: %+v %+v", env.Cluster.Raft, env.Cluster.Node.Others)
	}
}

func TestClusterRaftProblems(t *testing.T) {
	_, err := Load(writeFile(t, `
[cluster]
enabled = false
[cluster.raft]
enabled = true
node_id = 0
election_ticks = 1
heartbeat_ticks = 1
[system.durability]
mode = "interval"
[[cluster.node.others]]
name = "b"
ip = "127.0.0.1"
raft_id = 0
`), nil)
	keys := problemKeys(t, err)
	for _, want := range []string{"cluster.raft.enabled", "cluster.raft.node_id", "cluster.raft.election_ticks",
		"cluster.node.others[0].raft_id", "cluster.node.others[0].raft_address"} {
		if !slices.Contains(keys, want) {
			t.Errorf("no problem reported for %s (got %v)", want, keys)
		}
	}
}
