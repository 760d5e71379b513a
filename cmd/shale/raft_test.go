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
// names the leader it follows only while it hears from it and its pings
// say it accepts writes in the current term, and every node
// reports a peer it has not heard from unreachable.
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
	up := func(id uint64) cluster.PeerStatus { return cluster.PeerStatus{ID: id, Alive: true} }
	down := func(id uint64) cluster.PeerStatus { return cluster.PeerStatus{ID: id} }
	following := func(id uint64, catching bool) cluster.PeerStatus {
		return cluster.PeerStatus{ID: id, Alive: true, Progress: true, Replicating: !catching, CatchingUp: catching}
	}
	check("leader", cluster.Status{ID: 1, Lead: 1, Role: cluster.RoleLeader, Writable: true, Peers: []cluster.PeerStatus{
		following(2, false), down(3)}},
		[]row{{true, wire.NodeHealthy}, {false, wire.NodeHealthy}, {false, wire.NodeUnreachable}})
	check("leader with a follower far behind", cluster.Status{ID: 1, Lead: 1, Role: cluster.RoleLeader, Writable: true,
		Peers: []cluster.PeerStatus{following(2, false), {ID: 3, Alive: true, Progress: true, Replicating: true, Lag: 5000, CatchingUp: true}}},
		[]row{{true, wire.NodeHealthy}, {false, wire.NodeHealthy}, {false, wire.NodeStarting}})
	check("new leader catching up", cluster.Status{ID: 1, Lead: 1, Role: cluster.RoleLeader, Peers: []cluster.PeerStatus{
		following(2, true), following(3, false)}},
		[]row{{false, wire.NodeStarting}, {false, wire.NodeStarting}, {false, wire.NodeHealthy}})
	// A leader whose pings say it accepts writes in this term.
	ready := func(id, term uint64) cluster.PeerStatus {
		return cluster.PeerStatus{ID: id, Alive: true, ReadyTerm: term}
	}
	check("follower", cluster.Status{ID: 1, Lead: 3, Term: 4, Role: cluster.RoleFollower, Peers: []cluster.PeerStatus{up(2), ready(3, 4)}},
		[]row{{false, wire.NodeHealthy}, {false, wire.NodeHealthy}, {true, wire.NodeHealthy}})
	check("follower, the other follower down", cluster.Status{ID: 1, Lead: 3, Term: 4, Role: cluster.RoleFollower, Peers: []cluster.PeerStatus{down(2), ready(3, 4)}},
		[]row{{false, wire.NodeHealthy}, {false, wire.NodeUnreachable}, {true, wire.NodeHealthy}})
	// Elected, still applying its predecessor's entries: not yet.
	check("follower, its leader not ready", cluster.Status{ID: 1, Lead: 3, Term: 4, Role: cluster.RoleFollower, Peers: []cluster.PeerStatus{up(2), up(3)}},
		[]row{{false, wire.NodeHealthy}, {false, wire.NodeHealthy}, {false, wire.NodeStarting}})
	check("follower, its leader ready in an older term", cluster.Status{ID: 1, Lead: 3, Term: 4, Role: cluster.RoleFollower, Peers: []cluster.PeerStatus{up(2), ready(3, 3)}},
		[]row{{false, wire.NodeHealthy}, {false, wire.NodeHealthy}, {false, wire.NodeStarting}})
	// The leader it followed went silent: never sent clients there, even
	// before an election replaced it.
	check("follower, its leader silent", cluster.Status{ID: 1, Lead: 3, Role: cluster.RoleCandidate, Peers: []cluster.PeerStatus{up(2), down(3)}},
		[]row{{false, wire.NodeHealthy}, {false, wire.NodeHealthy}, {false, wire.NodeUnreachable}})
	check("no leader", cluster.Status{ID: 1, Role: cluster.RoleCandidate, Peers: []cluster.PeerStatus{up(2), down(3)}},
		[]row{{false, wire.NodeStarting}, {false, wire.NodeHealthy}, {false, wire.NodeUnreachable}})
	check("nothing heard yet", cluster.Status{ID: 1, Role: cluster.RoleFollower},
		[]row{{false, wire.NodeStarting}, {false, wire.NodeUnreachable}, {false, wire.NodeUnreachable}})
}
