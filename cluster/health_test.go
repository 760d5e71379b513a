package cluster_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/shalemq/shale/cluster"
	"github.com/shalemq/shale/kv/kvtest"
	"github.com/shalemq/shale/wire"
)

// TestHealthFollowsPeers: every node, followers included, sees a killed
// follower become unreachable and a restarted one healthy again; a
// follower keeps naming the live leader, and stops naming a killed leader
// at once, before any election replaces it.
func TestHealthFollowsPeers(t *testing.T) {
	c := newCluster(t, 3, cluster.Config{})
	lead := c.leader()
	var followers []*member
	for _, m := range c.members {
		if m != lead {
			followers = append(followers, m)
		}
	}
	// Everyone healthy, the leader named by all.
	expect := func(what string, want func(viewer, subject *member) cluster.NodeView) {
		t.Helper()
		kvtest.WaitFor(t, wait, func() error {
			for _, v := range c.members {
				if !v.up {
					continue
				}
				st := v.n.Status()
				for _, s := range c.members {
					got, w := st.View(s.id), want(v, s)
					if got != w {
						return fmt.Errorf("%s: node %d sees node %d as leader=%v %s, want leader=%v %s", what, v.id, s.id,
							got.Leader, wire.NodeStatusName(got.Status), w.Leader, wire.NodeStatusName(w.Status))
					}
				}
			}
			return nil
		})
	}
	healthy := func(l *member) func(_, s *member) cluster.NodeView {
		return func(_, s *member) cluster.NodeView {
			if !s.up {
				return cluster.NodeView{Status: wire.NodeUnreachable}
			}
			return cluster.NodeView{Leader: s == l, Status: wire.NodeHealthy}
		}
	}
	expect("all up", healthy(lead))

	gone := followers[0]
	c.kill(gone)
	expect("a follower killed", healthy(lead))
	c.start(gone)
	expect("the follower restarted", healthy(lead))

	// The leader killed: the followers stop naming it while they are
	// still without a new one, and then follow the new leader.
	c.kill(lead)
	kvtest.WaitFor(t, wait, func() error {
		for _, f := range followers {
			if v := f.n.Status().View(lead.id); v.Leader || v.Status != wire.NodeUnreachable {
				return fmt.Errorf("node %d still sees the killed leader %d as leader=%v %s", f.id, lead.id, v.Leader, wire.NodeStatusName(v.Status))
			}
		}
		return nil
	})
	expect("a new leader", healthy(c.leader()))
}

// TestHealthNamesOnlyAReadyLeader: a node that won an election but has not
// yet applied its predecessor's entries and reloaded (it still refuses
// writes) is reported Starting, never Leader, by itself and by the node
// that already follows it; once it accepts writes, every node names it
// Leader and Healthy.
func TestHealthNamesOnlyAReadyLeader(t *testing.T) {
	c := newCluster(t, 3, cluster.Config{})
	old := c.leader()
	// Hold the next leader at its reload, the last step before it
	// accepts writes.
	release := make(chan struct{})
	hold := func(n *cluster.Node) {
		if n != nil && n.Status().Role == cluster.RoleLeader {
			<-release
		}
	}
	c.beforeReload.Store(&hold)
	released := false
	defer func() {
		if !released {
			close(release)
		}
	}()
	c.kill(old)

	// The held leader's status stands still (its driver waits in the
	// reload); the follower's is taken when it first follows the held
	// leader and hears from it, since without heartbeats it soon stops.
	var lead, other *member
	var seen map[*member]cluster.Status
	kvtest.WaitFor(t, wait, func() error {
		lead, other = nil, nil
		var leadSt cluster.Status
		for _, m := range c.members {
			if !m.up {
				continue
			}
			if st := m.n.Status(); st.Role == cluster.RoleLeader && !st.Writable {
				lead, leadSt = m, st
			} else {
				other = m
			}
		}
		if lead == nil || other == nil {
			return errors.New("no elected leader held before it accepts writes")
		}
		st := other.n.Status()
		if st.Lead != lead.id {
			return fmt.Errorf("node %d follows %d, not the elected %d yet", other.id, st.Lead, lead.id)
		}
		if v := st.View(lead.id); v.Status == wire.NodeUnreachable {
			return fmt.Errorf("node %d has not heard from the elected %d yet", other.id, lead.id)
		}
		seen = map[*member]cluster.Status{lead: leadSt, other: st}
		return nil
	})
	for _, v := range []*member{lead, other} {
		st := seen[v]
		for _, s := range c.members {
			if got := st.View(s.id); got.Leader {
				t.Errorf("node %d names node %d Leader (%s) while node %d, elected in term %d, refuses writes",
					v.id, s.id, wire.NodeStatusName(got.Status), lead.id, st.Term)
			}
		}
		if got := st.View(lead.id); got.Status != wire.NodeStarting {
			t.Errorf("node %d reports the elected, not ready node %d %s, want Starting", v.id, lead.id, wire.NodeStatusName(got.Status))
		}
	}
	if _, err := lead.n.Replicate(nil); err == nil {
		t.Fatal("the held leader took a write")
	}

	released = true
	close(release)
	kvtest.WaitFor(t, wait, func() error {
		for _, v := range []*member{lead, other} {
			st := v.n.Status()
			for _, s := range c.members {
				got := st.View(s.id)
				want := cluster.NodeView{Leader: s == lead, Status: wire.NodeHealthy}
				if s == old {
					want = cluster.NodeView{Status: wire.NodeUnreachable}
				}
				if got != want {
					return fmt.Errorf("node %d sees node %d as leader=%v %s, want leader=%v %s", v.id, s.id,
						got.Leader, wire.NodeStatusName(got.Status), want.Leader, wire.NodeStatusName(want.Status))
				}
			}
		}
		return nil
	})
}

// TestViewOfTheLeader: a follower names its leader Leader and Healthy
// only while that leader's latest ping said it accepts writes in the
// follower's current term.
func TestViewOfTheLeader(t *testing.T) {
	for _, tc := range []struct {
		what      string
		alive     bool
		readyTerm uint64
		want      cluster.NodeView
	}{
		{"elected, not ready", true, 0, cluster.NodeView{Status: wire.NodeStarting}},
		{"ready in an older term", true, 4, cluster.NodeView{Status: wire.NodeStarting}},
		{"ready in a newer term", true, 6, cluster.NodeView{Status: wire.NodeStarting}},
		{"ready", true, 5, cluster.NodeView{Leader: true, Status: wire.NodeHealthy}},
		{"ready, then silent", false, 5, cluster.NodeView{Status: wire.NodeUnreachable}},
	} {
		st := cluster.Status{ID: 1, Lead: 2, Term: 5, Role: cluster.RoleFollower, Peers: []cluster.PeerStatus{
			{ID: 2, Alive: tc.alive, ReadyTerm: tc.readyTerm},
			{ID: 3, Alive: true},
		}}
		if got := st.View(2); got != tc.want {
			t.Errorf("%s: leader=%v %s, want leader=%v %s", tc.what, got.Leader, wire.NodeStatusName(got.Status),
				tc.want.Leader, wire.NodeStatusName(tc.want.Status))
		}
		if got := st.View(3); got != (cluster.NodeView{Status: wire.NodeHealthy}) {
			t.Errorf("%s: the other follower leader=%v %s", tc.what, got.Leader, wire.NodeStatusName(got.Status))
		}
		if got := st.View(1); got != (cluster.NodeView{Status: wire.NodeHealthy}) {
			t.Errorf("%s: itself leader=%v %s", tc.what, got.Leader, wire.NodeStatusName(got.Status))
		}
	}
}
