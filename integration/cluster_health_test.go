package integration

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/shalemq/shale/wire"
)

// TestClusterHealth: every live node's GetClusterMetadata reports a
// SIGKILLed follower unreachable, and healthy again once it is restarted;
// through it all every node names the same leader, Leader and Healthy,
// and never marks a node that is down Leader or Healthy (Iggy clients
// move to the node marked so). A killed leader is then reported
// unreachable, and never Leader, by both survivors.
func TestClusterHealth(t *testing.T) {
	c := startTestCluster(t, ClusterOptions{})
	l := mustLeader(t, c)
	c.waitMetadata(t, "all up", l)

	f := c.Others(l)[0]
	c.Kill(f)
	c.waitMetadata(t, c.Nodes[f].Name+" killed", l)
	c.Start(f)
	c.waitMetadata(t, c.Nodes[f].Name+" restarted", l)

	c.Kill(l)
	nl, err := c.WaitLeader(time.Minute, c.Others(l)...)
	if err != nil {
		t.Fatal(err)
	}
	c.waitMetadata(t, "the leader "+c.Nodes[l].Name+" killed", nl)
}

// waitMetadata polls every running node until its metadata shows leader
// as the only Leader (Healthy), every running node Healthy and every
// stopped one Unreachable and not Leader. The minute is a liveness bound,
// not a speed assertion.
func (c *Cluster) waitMetadata(t *testing.T, what string, leader int) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		err := c.metadataAgrees(leader)
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %v", what, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// metadataAgrees checks every running node's cluster metadata against
// the cluster's real state (see TestClusterHealth).
func (c *Cluster) metadataAgrees(leader int) error {
	for _, i := range c.Running() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		md, err := c.Metadata(ctx, i)
		cancel()
		if err != nil {
			return fmt.Errorf("%s: %w", c.Nodes[i].Name, err)
		}
		if len(md.Nodes) != len(c.Nodes) {
			return fmt.Errorf("%s lists %d nodes", c.Nodes[i].Name, len(md.Nodes))
		}
		for _, n := range md.Nodes {
			j := -1
			for k, node := range c.Nodes {
				if node.Name == n.Name {
					j = k
				}
			}
			if j < 0 {
				return fmt.Errorf("%s lists an unknown node %q", c.Nodes[i].Name, n.Name)
			}
			up := c.Nodes[j].Server != nil
			wantStatus := uint8(wire.NodeHealthy)
			if !up {
				wantStatus = wire.NodeUnreachable
			}
			if n.Status != wantStatus || (n.Role == wire.NodeLeader) != (j == leader) {
				return fmt.Errorf("%s reports %s as role %d %s (leader %s, up %v)", c.Nodes[i].Name, n.Name, n.Role,
					wire.NodeStatusName(n.Status), c.Nodes[leader].Name, up)
			}
		}
	}
	return nil
}
