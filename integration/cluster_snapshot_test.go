package integration

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"
)

// clusterCounter reads a counter of node i's /metrics; -1 when absent.
func clusterCounter(t *testing.T, c *Cluster, i int, name string) float64 {
	t.Helper()
	resp, err := http.Get("http://" + c.Nodes[i].HTTP + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	m := regexp.MustCompile(`(?m)^` + name + ` (\S+)$`).FindSubmatch(b)
	if m == nil {
		return -1
	}
	v, _ := strconv.ParseFloat(string(m[1]), 64)
	return v
}

// TestClusterSnapshotCatchUp: a follower SIGKILLed while the others
// acknowledge more sends than the raft log keeps (it is truncated every
// 1,000 entries, keeping 200) comes back, catches up from a snapshot
// streamed from the leader's checkpoint, and the checker finds every node
// byte-identical; no transfer directory is left on either side.
func TestClusterSnapshotCatchUp(t *testing.T) {
	c := startTestCluster(t, ClusterOptions{})
	w := runWorkload(t, c)
	l := mustLeader(t, c)
	f := c.Others(l)[0]
	c.Kill(f)
	if err := w.WaitProgress(1500, 5*time.Minute); err != nil {
		t.Fatalf("with %s down: %v", c.Nodes[f].Name, err)
	}
	c.Start(f)
	r := checkConverged(t, w)
	if got := clusterCounter(t, c, f, "shale_cluster_snapshots_installed_total"); got < 1 {
		t.Fatalf("%s installed %v snapshots, want ≥ 1", c.Nodes[f].Name, got)
	}
	sent := 0.0
	for _, i := range c.Running() {
		if v := clusterCounter(t, c, i, "shale_cluster_snapshot_sent_bytes_total"); v > 0 {
			sent += v
		}
	}
	if got := clusterCounter(t, c, f, "shale_cluster_snapshot_received_bytes_total"); got <= 0 || got > sent {
		t.Fatalf("%s received %v snapshot bytes; the others sent %v", c.Nodes[f].Name, got, sent)
	}
	for _, i := range c.Running() {
		dir := filepath.Join(c.Nodes[i].Dir, "raft-snapshots")
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatalf("%s: %v", c.Nodes[i].Name, err)
		}
		if len(entries) > 0 {
			t.Fatalf("%s keeps %d transfer directories in %s", c.Nodes[i].Name, len(entries), dir)
		}
	}
	t.Logf("%s caught up from a snapshot (%v bytes sent): %s", c.Nodes[f].Name, sent, r)
}
