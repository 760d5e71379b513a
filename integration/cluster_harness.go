package integration

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shalemq/shale/client"
	"github.com/shalemq/shale/wire"
)

// ClusterOptions shape a test cluster.
type ClusterOptions struct {
	Nodes int // default 3
	// Direct connects the nodes' raft ports to each other without a
	// LinkProxy between them (a benchmark's setup; links cannot be cut).
	Direct bool
	// ElectionTicks per node (index 0 is node-1); 0 or missing: 10.
	ElectionTicks []int
	// Env is added to every node's environment.
	Env []string
	// Extra, when set, is appended to node i's configuration file.
	Extra func(i int) string
}

// ClusterNode is one node of a test cluster. Its addresses are fixed for
// the cluster's life, so a restarted node comes back where its peers and
// clients expect it.
type ClusterNode struct {
	Index                  int // 0-based; the node's name is node-(Index+1)
	Name                   string
	RaftID                 uint64
	Dir, Config            string
	TCP, QUIC, HTTP, Raft  string
	Server                 *Server // nil while the node is down
	PastOutput             string  // the logs of the processes that ended
	Restarts, Kills, Stops int
}

// Cluster is N `shale serve` processes on loopback, each with its own data
// directory and the same [cluster] table, with a LinkProxy on every
// ordered pair of raft ports (node i reaches node j's raft port through
// Links[[2]int{i, j}]).
type Cluster struct {
	T     testing.TB
	Nodes []*ClusterNode
	Links map[[2]int]*LinkProxy
	opts  ClusterOptions

	mu    sync.Mutex
	admin map[int]*client.Client // logged-in connections for metadata, by node
}

// clusterTick is the raft tick the test clusters run with: elections in
// 1-2 s (10 ticks), heartbeats every tick.
const clusterTick = "100 ms"

// StartCluster writes the configurations, starts the proxies and every
// node, and returns once each node's listeners are up (not necessarily
// with a leader elected: see WaitLeader).
func StartCluster(t testing.TB, opts ClusterOptions) *Cluster {
	t.Helper()
	if opts.Nodes == 0 {
		opts.Nodes = 3
	}
	n := opts.Nodes
	root := t.TempDir()
	// The nodes' TCP ports stay held while the link proxies bind theirs,
	// so no proxy is given a node's port.
	tcp, release := holdPorts(t, 3*n) // client TCP, HTTP and raft ports
	t.Cleanup(release)                // on a failure before release below
	udp := freePorts(t, "udp", n)
	c := &Cluster{T: t, Links: map[[2]int]*LinkProxy{}, opts: opts, admin: map[int]*client.Client{}}
	for i := range n {
		node := &ClusterNode{
			Index: i, Name: fmt.Sprintf("node-%d", i+1), RaftID: uint64(i + 1),
			Dir: filepath.Join(root, fmt.Sprintf("node-%d", i+1), "data"), Config: filepath.Join(root, fmt.Sprintf("node-%d", i+1), "shale.toml"),
			TCP: loopback(tcp[3*i]), HTTP: loopback(tcp[3*i+1]), Raft: loopback(tcp[3*i+2]), QUIC: loopback(udp[i]),
		}
		if err := os.MkdirAll(node.Dir, 0o755); err != nil {
			t.Fatal(err)
		}
		c.Nodes = append(c.Nodes, node)
	}
	if !opts.Direct {
		for i := range n {
			for j := range n {
				if i == j {
					continue
				}
				p, err := NewLinkProxy(c.Nodes[j].Raft)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _ = p.Close() })
				c.Links[[2]int{i, j}] = p
			}
		}
	}
	release()
	for i, node := range c.Nodes {
		if err := os.WriteFile(node.Config, []byte(c.ConfigTOML(i)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(c.closeAdmin)
	for i := range c.Nodes {
		c.Start(i)
	}
	return c
}

func loopback(port int) string { return fmt.Sprintf("127.0.0.1:%d", port) }

// holdPorts binds n distinct loopback TCP ports and returns them with the
// function that releases them.
func holdPorts(t testing.TB, n int) ([]int, func()) {
	t.Helper()
	var ports []int
	var held []io.Closer
	release := func() {
		for _, c := range held {
			_ = c.Close()
		}
	}
	for range n {
		p, c := pickPort(t, "tcp")
		held = append(held, c)
		ports = append(ports, p)
	}
	return ports, release
}

// freePorts returns n distinct loopback ports that were free (see pickPort).
func freePorts(t testing.TB, network string, n int) []int {
	t.Helper()
	var ports []int
	var held []io.Closer
	defer func() {
		for _, c := range held {
			_ = c.Close()
		}
	}()
	for range n {
		p, c := pickPort(t, network)
		held = append(held, c)
		ports = append(ports, p)
	}
	return ports
}

// ConfigTOML is node i's configuration file: the [cluster] table of
// docs/cluster.md with this cluster's addresses. Node i reaches peer j's
// raft port through the proxy of link (i, j), unless the cluster is
// Direct.
func (c *Cluster) ConfigTOML(i int) string {
	node := c.Nodes[i]
	ticks := 10
	if i < len(c.opts.ElectionTicks) && c.opts.ElectionTicks[i] > 0 {
		ticks = c.opts.ElectionTicks[i]
	}
	var b strings.Builder
	fmt.Fprintf(&b, "[cluster]\nenabled = true\nname = \"shale-cluster\"\n\n")
	fmt.Fprintf(&b, "[cluster.node.current]\nname = %q\nip = \"127.0.0.1\"\n\n", node.Name)
	fmt.Fprintf(&b, "[cluster.raft]\nenabled = true\nnode_id = %d\naddress = %q\ntick = %q\nelection_ticks = %d\nheartbeat_ticks = 1\n",
		node.RaftID, node.Raft, clusterTick, ticks)
	for j, peer := range c.Nodes {
		if j == i {
			continue
		}
		raft := peer.Raft
		if p := c.Links[[2]int{i, j}]; p != nil {
			raft = p.Addr()
		}
		fmt.Fprintf(&b, "\n[[cluster.node.others]]\nname = %q\nip = \"127.0.0.1\"\nports = { tcp = %d, quic = %d, http = %d }\nraft_id = %d\nraft_address = %q\n",
			peer.Name, portOf(peer.TCP), portOf(peer.QUIC), portOf(peer.HTTP), peer.RaftID, raft)
	}
	if c.opts.Extra != nil {
		b.WriteString(c.opts.Extra(i))
	}
	return b.String()
}

func portOf(addr string) int {
	_, p, _ := net.SplitHostPort(addr)
	var n int
	fmt.Sscan(p, &n)
	return n
}

// Start starts node i over its data directory (fresh or left by a kill).
func (c *Cluster) Start(i int) {
	c.T.Helper()
	node := c.Nodes[i]
	if node.Server != nil {
		c.T.Fatalf("%s is already running", node.Name)
	}
	env := append([]string{
		"SHALE_CONFIG_PATH=" + node.Config,
		"SHALE_TCP_ADDRESS=" + node.TCP, "SHALE_QUIC_ADDRESS=" + node.QUIC, "SHALE_HTTP_ADDRESS=" + node.HTTP,
	}, c.opts.Env...)
	node.Server = Start(c.T, node.Dir, env...)
	node.Restarts++
}

// Kill ends node i with SIGKILL, as a crash would.
func (c *Cluster) Kill(i int) {
	c.dropAdmin(i)
	if s := c.Nodes[i].Server; s != nil {
		s.Kill()
		c.Nodes[i].PastOutput += s.Output() + "\n--- SIGKILL\n"
		c.Nodes[i].Server = nil
		c.Nodes[i].Kills++
	}
}

// Stop ends node i with SIGTERM (a graceful stop: leadership is handed on).
func (c *Cluster) Stop(i int) {
	c.dropAdmin(i)
	if s := c.Nodes[i].Server; s != nil {
		s.Stop()
		c.Nodes[i].PastOutput += s.Output() + "\n--- stopped\n"
		c.Nodes[i].Server = nil
		c.Nodes[i].Stops++
	}
}

// Running lists the indexes of the nodes that are up.
func (c *Cluster) Running() []int {
	var out []int
	for i, n := range c.Nodes {
		if n.Server != nil {
			out = append(out, i)
		}
	}
	return out
}

// Others lists every node index but those given.
func (c *Cluster) Others(except ...int) []int {
	var out []int
	for i := range c.Nodes {
		skip := false
		for _, e := range except {
			skip = skip || e == i
		}
		if !skip {
			out = append(out, i)
		}
	}
	return out
}

// SetLink sets both directions of the link between nodes i and j.
func (c *Cluster) SetLink(i, j int, s LinkState) {
	c.Links[[2]int{i, j}].Set(s)
	c.Links[[2]int{j, i}].Set(s)
}

// Isolate sets every link of node i.
func (c *Cluster) Isolate(i int, s LinkState) {
	for j := range c.Nodes {
		if j != i {
			c.SetLink(i, j, s)
		}
	}
}

// HealAll brings every link up.
func (c *Cluster) HealAll() {
	for _, p := range c.Links {
		p.Set(LinkUp)
	}
}

// Dial connects to node i's client TCP port and logs in as root.
func (c *Cluster) Dial(ctx context.Context, i int, timeout time.Duration) (*client.Client, error) {
	cl, err := client.Dial(ctx, c.Nodes[i].TCP, client.Options{Timeout: timeout})
	if err != nil {
		return nil, err
	}
	if _, err := cl.Login(ctx, RootUser, RootPassword); err != nil {
		_ = cl.Close()
		return nil, err
	}
	return cl, nil
}

// OnNode runs f with a fresh client of node i, logged in as root, within
// 30 s; the client is closed after.
func (c *Cluster) OnNode(i int, f func(context.Context, *client.Client) error) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cl, err := c.Dial(ctx, i, 10*time.Second)
	if err != nil {
		return err
	}
	defer cl.Close()
	return f(ctx, cl)
}

func (c *Cluster) adminClient(ctx context.Context, i int) (*client.Client, error) {
	c.mu.Lock()
	cl := c.admin[i]
	c.mu.Unlock()
	if cl != nil {
		return cl, nil
	}
	cl, err := c.Dial(ctx, i, 5*time.Second)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if old := c.admin[i]; old != nil {
		_ = old.Close()
	}
	c.admin[i] = cl
	c.mu.Unlock()
	return cl, nil
}

func (c *Cluster) dropAdmin(i int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cl := c.admin[i]; cl != nil {
		_ = cl.Close()
		delete(c.admin, i)
	}
}

func (c *Cluster) closeAdmin() {
	for i := range c.Nodes {
		c.dropAdmin(i)
	}
}

// Metadata is GetClusterMetadata as node i answers it.
func (c *Cluster) Metadata(ctx context.Context, i int) (wire.ClusterMetadata, error) {
	var md wire.ClusterMetadata
	cl, err := c.adminClient(ctx, i)
	if err != nil {
		return md, err
	}
	b, err := cl.Do(ctx, &wire.GetClusterMetadata{})
	if err != nil {
		c.dropAdmin(i)
		return md, err
	}
	return md, md.Decode(b)
}

// SelfLeader reports whether node i says, in its cluster metadata, that
// it is the Healthy leader.
func (c *Cluster) SelfLeader(ctx context.Context, i int) (bool, error) {
	md, err := c.Metadata(ctx, i)
	if err != nil {
		return false, err
	}
	for _, n := range md.Nodes {
		if n.Name == c.Nodes[i].Name {
			return n.Role == wire.NodeLeader && n.Status == wire.NodeHealthy, nil
		}
	}
	return false, fmt.Errorf("%s does not list itself: %+v", c.Nodes[i].Name, md.Nodes)
}

// Leader returns the first node among those given (default: all) that
// says it is the leader, or -1. A node that is down refuses the
// connection at once. (Safe to call from the load's goroutines: it reads
// nothing Start and Kill change.)
func (c *Cluster) Leader(ctx context.Context, among ...int) int {
	if len(among) == 0 {
		among = c.Others()
	}
	for _, i := range among {
		qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		ok, err := c.SelfLeader(qctx, i)
		cancel()
		if err == nil && ok {
			return i
		}
	}
	return -1
}

// WaitLeader waits up to timeout for a node among those given to say it
// is the leader. The bound is a liveness limit (an election takes 1-2 s),
// not a speed assertion.
func (c *Cluster) WaitLeader(timeout time.Duration, among ...int) (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for {
		if i := c.Leader(ctx, among...); i >= 0 {
			return i, nil
		}
		select {
		case <-ctx.Done():
			return -1, errors.New("no leader within " + timeout.String())
		case <-time.After(100 * time.Millisecond):
		}
	}
}
