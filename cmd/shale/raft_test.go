package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/shalemq/shale/cluster"
	"github.com/shalemq/shale/config"
	"github.com/shalemq/shale/wire"
)

// TestRaftMetadata: the leader is reported Leader only once it accepts
// writes, with each follower's health from its progress; a follower
// names the leader it follows.
func TestRaftMetadata(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.toml")
	body := `
[cluster]
enabled = true
name = "c"
[cluster.node.current]
name = "n1"
ip = "127.0.0.1"
[cluster.raft]
enabled = true
node_id = 1
address = "127.0.0.1:9091"
[[cluster.node.others]]
name = "n2"
ip = "127.0.0.1"
raft_id = 2
raft_address = "127.0.0.1:9092"
[[cluster.node.others]]
name = "n3"
ip = "127.0.0.1"
raft_id = 3
raft_address = "127.0.0.1:9093"
`
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		leader bool
		status uint8
	}
	check := func(name string, st cluster.Status, want []row) {
		t.Helper()
		got := raftMetadata(cfg, boundPorts{}, st)
		for i, n := range got.Nodes {
			if !n.Follower != want[i].leader || n.Status != want[i].status {
				t.Errorf("%s: node %s leader=%v status=%s, want leader=%v status=%s", name, n.Name, !n.Follower,
					wire.NodeStatusName(n.Status), want[i].leader, wire.NodeStatusName(want[i].status))
			}
		}
	}
	check("leader", cluster.Status{ID: 1, Lead: 1, Role: cluster.RoleLeader, Writable: true, Peers: []cluster.PeerStatus{
		{ID: 2, Active: true, Replicating: true}, {ID: 3, Active: false}}},
		[]row{{true, wire.NodeHealthy}, {false, wire.NodeHealthy}, {false, wire.NodeUnreachable}})
	check("new leader catching up", cluster.Status{ID: 1, Lead: 1, Role: cluster.RoleLeader, Peers: []cluster.PeerStatus{
		{ID: 2, Active: true, Replicating: false}, {ID: 3, Active: true, Replicating: true}}},
		[]row{{false, wire.NodeStarting}, {false, wire.NodeStarting}, {false, wire.NodeHealthy}})
	check("follower", cluster.Status{ID: 1, Lead: 3, Role: cluster.RoleFollower},
		[]row{{false, wire.NodeHealthy}, {false, wire.NodeHealthy}, {true, wire.NodeHealthy}})
	check("no leader", cluster.Status{ID: 1, Role: cluster.RoleCandidate},
		[]row{{false, wire.NodeStarting}, {false, wire.NodeHealthy}, {false, wire.NodeHealthy}})
}
