package cluster_test

import (
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
