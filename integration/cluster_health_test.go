package integration

import (
	"context"
	"fmt"
	"slices"
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
	// The first node other than the killed one that a survivor names
	// Leader and Healthy takes a write at once: no node names a leader
	// still catching up. (The killed leader itself may be named until
	// it has been silent for an election timeout.)
	named := c.firstNamedLeader(t, c.Others(l), l)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cl, err := c.Dial(ctx, named, 10*time.Second)
	if err != nil {
		t.Fatalf("%s, named leader: %v", c.Nodes[named].Name, err)
	}
	defer cl.Close()
	if _, err := cl.CreateStream(ctx, "after-failover"); err != nil {
		t.Fatalf("%s, named Leader and Healthy, refused a write: %v", c.Nodes[named].Name, err)
	}
	nl, err := c.WaitLeader(time.Minute, c.Others(l)...)
	if err != nil {
		t.Fatal(err)
	}
	if nl != named {
		t.Fatalf("%s was named leader, %s leads", c.Nodes[named].Name, c.Nodes[nl].Name)
	}
	c.waitMetadata(t, "the leader "+c.Nodes[l].Name+" killed", nl)
}

// firstNamedLeader polls the metadata of the nodes among, without pause,
// until one of them reports a node other than except Leader and Healthy,
// and returns that node. The minute is a liveness bound.
func (c *Cluster) firstNamedLeader(t *testing.T, among []int, except int) int {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		for _, i := range among {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			md, err := c.Metadata(ctx, i)
			cancel()
			if err != nil {
				continue // a node that starts leading ends its connections
			}
			for _, n := range md.Nodes {
				if n.Role != wire.NodeLeader || n.Status != wire.NodeHealthy {
					continue
				}
				j := slices.IndexFunc(c.Nodes, func(node *ClusterNode) bool { return node.Name == n.Name })
				if j == except {
					continue
				}
				if j >= 0 {
					return j
				}
				t.Fatalf("%s names an unknown node %q leader", c.Nodes[i].Name, n.Name)
			}
		}
	}
	t.Fatal("no node named a leader within a minute")
	return -1
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
