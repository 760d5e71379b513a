package cluster_test

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/shalemq/shale/cluster"
	"github.com/shalemq/shale/integration"
	"github.com/shalemq/shale/kv"
	"github.com/shalemq/shale/kv/kvtest"
	"github.com/shalemq/shale/log"
	"github.com/shalemq/shale/wire"
)

// wait bounds every convergence loop; it is never an assertion on speed.
const wait = 60 * time.Second

// member is one node of an in-process cluster: its database on a
// crashable in-memory filesystem, the log over it and the raft node.
type member struct {
	id   uint64
	fs   *kvtest.Crashable
	db   *kv.DB
	l    *log.Log
	n    *cluster.Node
	reg  *prometheus.Registry
	up   bool
	tick time.Duration
}

type testCluster struct {
	t       *testing.T
	members []*member
	addrs   map[uint64]string
	cfg     cluster.Config
	// links, when set, are the proxies node a dials node b through
	// ({a, b}), so a test can cut them (readindex_test.go).
	links map[[2]uint64]*integration.LinkProxy
	// beforeReload, when set, runs on a node's driver before each of its
	// reloads, with the node (nil until Start returned).
	beforeReload atomic.Pointer[func(n *cluster.Node)]
}

// freeAddr reserves a loopback port by binding and releasing it.
func freeAddr(t *testing.T) string { return integration.FreeAddr(t) }

func newCluster(t *testing.T, size int, cfg cluster.Config) *testCluster {
	c := &testCluster{t: t, addrs: map[uint64]string{}, cfg: cfg}
	for i := 1; i <= size; i++ {
		c.addrs[uint64(i)] = freeAddr(t)
	}
	c.startAll(size)
	return c
}

// startAll starts size members over the addresses in c.addrs and kills
// them when the test ends.
func (c *testCluster) startAll(size int) {
	t := c.t
	for i := 1; i <= size; i++ {
		m := &member{id: uint64(i), fs: kvtest.NewCrashable()}
		c.members = append(c.members, m)
		c.start(m)
	}
	t.Cleanup(func() {
		for _, m := range c.members {
			if m.up {
				m.n.Kill()
				_ = m.db.Close()
			}
		}
	})
}

func (c *testCluster) start(m *member) {
	c.t.Helper()
	m.db = m.fs.Open(c.t, kv.Options{})
	l, err := log.Open(m.db, log.Options{})
	if err != nil {
		c.t.Fatal(err)
	}
	m.l = l
	peers := map[uint64]string{}
	for id, a := range c.addrs {
		if id != m.id {
			peers[id] = a
			if p := c.links[[2]uint64{m.id, id}]; p != nil {
				peers[id] = p.Addr()
			}
		}
	}
	cfg := c.cfg
	cfg.ID, cfg.Address, cfg.Peers = m.id, c.addrs[m.id], peers
	cfg.Tick = 20 * time.Millisecond
	var self atomic.Pointer[cluster.Node]
	cfg.Reload = func() error {
		if h := c.beforeReload.Load(); h != nil {
			(*h)(self.Load())
		}
		return l.Reload()
	}
	cfg.FollowerRefresh = 50 * time.Millisecond
	cfg.Logger = slog.New(slog.DiscardHandler)
	m.reg = prometheus.NewRegistry()
	cfg.Registerer = m.reg
	var n *cluster.Node
	// The port was released by freeAddr or by the killed node; retry
	// briefly in case the kernel has not let go of it yet.
	kvtest.WaitFor(c.t, wait, func() error {
		var err error
		n, err = cluster.Start(m.db, cfg)
		return err
	})
	self.Store(n)
	m.n, m.up = n, true
}

// kill stops a member as SIGKILL would: the node stops without handing
// over, and the database reopens later from what was fsynced only.
func (c *testCluster) kill(m *member) {
	m.n.Kill()
	m.fs = m.fs.Crash()
	_ = m.db.Close()
	m.up = false
}

// leader waits for a writable leader and returns it.
func (c *testCluster) leader() *member {
	c.t.Helper()
	var lead *member
	kvtest.WaitFor(c.t, wait, func() error {
		lead = nil
		for _, m := range c.members {
			if m.up && m.n.Status().Writable {
				lead = m
			}
		}
		if lead == nil {
			return errors.New("no writable leader")
		}
		return nil
	})
	return lead
}

// converged waits until every running member applied the leader's
// commit index and holds exactly the leader's replicated keys.
func (c *testCluster) converged() {
	c.t.Helper()
	lead := c.leader()
	kvtest.WaitFor(c.t, wait, func() error {
		want := lead.n.Status().Commit
		for _, m := range c.members {
			if m.up && m.n.Status().Applied < want {
				return fmt.Errorf("node %d applied %d of %d", m.id, m.n.Status().Applied, want)
			}
		}
		return nil
	})
	want := dump(c.t, lead.db)
	for _, m := range c.members {
		if !m.up || m == lead {
			continue
		}
		kvtest.WaitFor(c.t, wait, func() error {
			if got := dump(c.t, m.db); !bytes.Equal(got, want) {
				return fmt.Errorf("node %d holds %d bytes of replicated keys, leader %d holds %d", m.id, len(got), lead.id, len(want))
			}
			return nil
		})
	}
}

// dump is every replicated key and value (all but the raft state).
func dump(t *testing.T, db *kv.DB) []byte {
	it, err := db.NewIter(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	var out []byte
	for ok := it.First(); ok; ok = it.Next() {
		if it.Key()[0] == kv.TagRaft {
			continue
		}
		v, err := it.Value()
		if err != nil {
			t.Fatal(err)
		}
		out = fmt.Appendf(out, "%x=%x\n", it.Key(), v)
	}
	return out
}

func send(t *testing.T, l *log.Log, s, tp, p uint32, payloads ...string) log.Appended {
	t.Helper()
	part, err := l.Partition(s, tp, p)
	if err != nil {
		t.Fatal(err)
	}
	var b []byte
	for _, pl := range payloads {
		b = wire.AppendSendMessage(b, nil, 7, []byte(pl), nil)
	}
	a, err := part.Append(b, len(payloads))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// makeTopic creates a stream and a topic in it through l (the leader's log).
func makeTopic(t *testing.T, l *log.Log, stream, topic string, partitions uint32) (log.StreamInfo, log.TopicInfo) {
	t.Helper()
	st, err := l.CreateStream(stream)
	if err != nil {
		t.Fatal(err)
	}
	tp, err := l.CreateTopic(st.ID, log.TopicSpec{Name: topic, PartitionsCount: partitions})
	if err != nil {
		t.Fatal(err)
	}
	return st, tp
}

// TestReplicateAndFailover: writes on the leader reach every node
// byte for byte; followers refuse writes; after the leader is killed the
// others elect a new one that continues the offsets, and the killed node
// catches up when it returns.
func TestReplicateAndFailover(t *testing.T) {
	c := newCluster(t, 3, cluster.Config{})
	lead := c.leader()
	st, tp := makeTopic(t, lead.l, "orders", "eu", 2)
	for i := range 20 {
		send(t, lead.l, st.ID, tp.ID, uint32(i%2), fmt.Sprintf("m%d", i), "x")
	}
	c.converged()

	// A follower's own log answers a write with code 8, so clients move.
	for _, m := range c.members {
		if m == lead {
			continue
		}
		_, err := m.l.CreateStream("elsewhere")
		if !errors.Is(err, wire.ErrDisconnected) {
			t.Fatalf("follower %d: create stream: %v, want disconnected (8)", m.id, err)
		}
		// The follower reloaded the replicated catalog.
		if _, ok := m.l.Stream(st.ID); !ok {
			t.Fatalf("follower %d does not know stream %d", m.id, st.ID)
		}
	}

	// Followers' partitions follow the messages too (within
	// FollowerRefresh), so a poll there sees them.
	for _, m := range c.members {
		kvtest.WaitFor(t, wait, func() error {
			p, err := m.l.Partition(st.ID, tp.ID, 1)
			if err != nil {
				return err
			}
			if got := p.Info().NextOffset; got != 20 {
				return fmt.Errorf("node %d: partition 1 ends at %d, want 20", m.id, got)
			}
			return nil
		})
	}

	c.kill(lead)
	next := c.leader()
	if next == lead {
		t.Fatal("killed node still leads")
	}
	a := send(t, next.l, st.ID, tp.ID, 0, "after failover")
	if a.First != 20 {
		t.Fatalf("new leader appended at offset %d, want 20 (10 messages × 2 per batch before)", a.First)
	}
	if got := testutil.ToFloat64(counter(t, next.reg, "shale_cluster_elections_won_total")); got < 1 {
		t.Fatalf("elections won on the new leader: %v", got)
	}
	c.start(lead)
	c.converged()
	if _, ok := lead.l.Stream(st.ID); !ok {
		t.Fatal("restarted node lost the stream")
	}
}

// TestCatchUpFromSnapshot: a follower that was down while the leader
// truncated its log past it is sent a snapshot and ends identical. The
// truncation is triggered by count, then by bytes.
func TestCatchUpFromSnapshot(t *testing.T) {
	t.Run("count", func(t *testing.T) { catchUp(t, cluster.Config{CompactEvery: 4, LogKeep: 1}) })
	t.Run("bytes", func(t *testing.T) { catchUp(t, cluster.Config{CompactEvery: 1 << 40, LogKeep: 2, MaxLogBytes: 1000}) })
}

func catchUp(t *testing.T, cfg cluster.Config) {
	c := newCluster(t, 3, cfg)
	lead := c.leader()
	st, tp := makeTopic(t, lead.l, "s", "t", 1)
	c.converged()
	var down *member
	for _, m := range c.members {
		if m != lead {
			down = m
			break
		}
	}
	c.kill(down)
	for i := range 40 {
		send(t, lead.l, st.ID, tp.ID, 0, fmt.Sprintf("while down %d", i))
	}
	if _, err := lead.l.CreateStream("made while down"); err != nil {
		t.Fatal(err)
	}
	c.start(down)
	c.converged()
	if got := testutil.ToFloat64(counter(t, down.reg, "shale_cluster_snapshots_installed_total")); got < 1 {
		t.Fatalf("snapshots installed on the returning follower: %v, want ≥ 1", got)
	}
	found := false
	for _, s := range down.l.Streams() {
		found = found || s.Name == "made while down"
	}
	if !found {
		t.Fatal("the follower's catalog was not reloaded after the snapshot")
	}
}

func counter(t *testing.T, reg *prometheus.Registry, name string) prometheus.Collector {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			v := mf.GetMetric()[0].GetCounter().GetValue()
			g := prometheus.NewGauge(prometheus.GaugeOpts{Name: "copy"})
			g.Set(v)
			return g
		}
	}
	t.Fatalf("no series %s", name)
	return nil
}

// TestMinorityNeverAcknowledges: a leader left alone cannot commit; the
// write waiting on it fails with code 8 once CheckQuorum makes it step
// down, and it refuses further writes.
func TestMinorityNeverAcknowledges(t *testing.T) {
	c := newCluster(t, 3, cluster.Config{})
	lead := c.leader()
	st, tp := makeTopic(t, lead.l, "s", "t", 1)
	for _, m := range c.members {
		if m != lead {
			c.kill(m)
		}
	}
	part, err := lead.l.Partition(st.ID, tp.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = part.Append(wire.AppendSendMessage(nil, nil, 1, []byte("alone"), nil), 1)
	if !errors.Is(err, wire.ErrDisconnected) {
		t.Fatalf("append on a leader without a quorum: %v, want disconnected (8)", err)
	}
	if _, err := lead.l.CreateStream("later"); !errors.Is(err, wire.ErrDisconnected) {
		t.Fatalf("create stream after stepping down: %v, want disconnected (8)", err)
	}
	if s := lead.n.Status(); s.Writable || s.Role == cluster.RoleLeader {
		t.Fatalf("isolated node still leads: %+v (append: %v)", s, err)
	}
}

// TestGracefulStopHandsOver: a leader stopped gracefully hands the
// leadership to a follower that has everything, and the writes it
// acknowledged are there.
func TestGracefulStopHandsOver(t *testing.T) {
	c := newCluster(t, 3, cluster.Config{})
	lead := c.leader()
	st, tp := makeTopic(t, lead.l, "s", "t", 1)
	send(t, lead.l, st.ID, tp.ID, 0, "a", "b", "c")
	lead.n.Stop()
	if l := lead.n.Status().Lead; l == lead.id || l == 0 {
		t.Fatalf("after Stop the stopped node sees leader %d; the leadership was not handed over", l)
	}
	if _, err := lead.l.CreateStream("after stop"); !errors.Is(err, wire.ErrDisconnected) {
		t.Fatalf("write on a stopped node: %v, want disconnected (8)", err)
	}
	_ = lead.db.Close()
	lead.up = false
	next := c.leader()
	if a := send(t, next.l, st.ID, tp.ID, 0, "d"); a.First != 3 {
		t.Fatalf("new leader appended at %d, want 3", a.First)
	}
}
