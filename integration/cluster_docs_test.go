package integration

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/shalemq/shale/client"
	"github.com/shalemq/shale/wire"
)

// TestClusterDocs follows docs/cluster.md as a user would: its script
// writes the three files, each passes serve --check-config, and the three
// nodes started from them (on free ports instead of 8091-8093 and
// 9091-9093, which may be taken here) elect one leader that every node
// names, and that takes a send.
func TestClusterDocs(t *testing.T) {
	requireClusterEngine(t)
	dir := t.TempDir()
	script := docBlock(t, "../docs/cluster.md", "## A three-node cluster on one machine")
	if out, err := exec.Command("bash", "-euo", "pipefail", "-c", "cd '"+dir+"' && "+script).CombinedOutput(); err != nil {
		t.Fatalf("the script of docs/cluster.md: %v\n%s", err, out)
	}
	// Move every documented port (809N TCP, 808N QUIC, 300N HTTP, 909N
	// raft) to a free one, the same in every file.
	tcp, udp := freePorts(t, "tcp", 9), freePorts(t, "udp", 3)
	moved := map[string]int{}
	for n := 1; n <= 3; n++ {
		moved[fmt.Sprint(8090+n)] = tcp[3*(n-1)]
		moved[fmt.Sprint(3000+n)] = tcp[3*(n-1)+1]
		moved[fmt.Sprint(9090+n)] = tcp[3*(n-1)+2]
		moved[fmt.Sprint(8080+n)] = udp[n-1]
	}
	port := regexp.MustCompile(`\b(809[1-3]|808[1-3]|300[1-3]|909[1-3])\b`)
	c := &Cluster{T: t, Links: map[[2]int]*LinkProxy{}, admin: map[int]*client.Client{}}
	t.Cleanup(c.closeAdmin)
	for i := range 3 {
		name := filepath.Join(dir, fmt.Sprintf("node-%d.toml", i+1))
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		b = port.ReplaceAllFunc(b, func(p []byte) []byte { return []byte(fmt.Sprint(moved[string(p)])) })
		if err := os.WriteFile(name, b, 0o644); err != nil {
			t.Fatal(err)
		}
		data := filepath.Join(dir, fmt.Sprintf("data-%d", i+1))
		if out, err := exec.Command(Binary(t), "serve", "--check-config", "--config", name, "--data", data).CombinedOutput(); err != nil {
			t.Fatalf("serve --check-config --config node-%d.toml: %v\n%s", i+1, err, out)
		}
		c.Nodes = append(c.Nodes, &ClusterNode{Index: i, Name: fmt.Sprintf("node-%d", i+1), Dir: data, Config: name,
			TCP: loopback(moved[fmt.Sprint(8091+i)])})
	}
	for i, n := range c.Nodes {
		// The file's addresses, over the harness's free-port defaults.
		n.Server = Start(t, n.Dir, "SHALE_CONFIG_PATH="+n.Config, "SHALE_TCP_ADDRESS="+n.TCP,
			"SHALE_QUIC_ADDRESS="+loopback(moved[fmt.Sprint(8081+i)]), "SHALE_HTTP_ADDRESS="+loopback(moved[fmt.Sprint(3001+i)]))
	}
	l := mustLeader(t, c)
	ctx := context.Background()
	want := fmt.Sprintf("%s at %s", c.Nodes[l].Name, c.Nodes[l].TCP)
	agree := func(i int) error {
		md, err := c.Metadata(ctx, i)
		if err != nil {
			return err
		}
		var leaders []string
		for _, n := range md.Nodes {
			if n.Role == wire.NodeLeader {
				leaders = append(leaders, fmt.Sprintf("%s at %s:%d", n.Name, n.IP, n.TCPPort))
			}
		}
		if md.Name != "shale-cluster" || len(md.Nodes) != 3 || len(leaders) != 1 || leaders[0] != want {
			return fmt.Errorf("%q, %d nodes, leaders %v", md.Name, len(md.Nodes), leaders)
		}
		return nil
	}
	for i := range c.Nodes {
		// A follower learns the leader from its first heartbeat.
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
			err := agree(i)
			if err == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s's metadata: %v; want one leader, %s", c.Nodes[i].Name, err, want)
			}
		}
	}
	cl, err := c.Dial(ctx, l, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if _, err := cl.CreateStream(ctx, "docs"); err != nil {
		t.Fatalf("create a stream on the leader: %v", err)
	}
}
