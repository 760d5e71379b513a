package cluster_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"runtime"
	"sync"
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

// newProxiedCluster is newCluster with a LinkProxy on every ordered pair
// of nodes, so a test can cut a node off.
func newProxiedCluster(t *testing.T, size int, cfg cluster.Config) *testCluster {
	c := &testCluster{t: t, addrs: map[uint64]string{}, cfg: cfg, links: map[[2]uint64]*integration.LinkProxy{}}
	for i := 1; i <= size; i++ {
		c.addrs[uint64(i)] = freeAddr(t)
	}
	for a := uint64(1); a <= uint64(size); a++ {
		for b := uint64(1); b <= uint64(size); b++ {
			if a == b {
				continue
			}
			p, err := integration.NewLinkProxy(c.addrs[b])
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = p.Close() })
			c.links[[2]uint64{a, b}] = p
		}
	}
	c.startAll(size)
	return c
}

// isolate sets every link to and from m to state.
func (c *testCluster) isolate(m *member, state integration.LinkState) {
	for pair, p := range c.links {
		if pair[0] == m.id || pair[1] == m.id {
			p.Set(state)
		}
	}
}

// readOffset is a linearizable read of consumer 1's offset on partition 0:
// the barrier, then the database.
func readOffset(m *member, s, tp uint32) (uint64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if err := m.n.ReadBarrier(ctx); err != nil {
		return 0, err
	}
	return storedOffset(m, s, tp)
}

// storedOffset reads consumer 1's offset on partition 0 without a barrier.
func storedOffset(m *member, s, tp uint32) (uint64, error) {
	part, err := m.l.Partition(s, tp, 0)
	if err != nil {
		return 0, err
	}
	v, ok, err := part.Offset(log.Consumer{ID: 1})
	if err != nil || !ok {
		return 0, fmt.Errorf("no offset stored (%v)", err)
	}
	return v, nil
}

// TestReadBarrierIsolatedLeader: a leader cut off from the others refuses
// a linearizable read with code 8, both while it still believes it leads
// and after the others elected a new leader and stored a newer offset,
// although its own database still holds the old one; the majority side
// answers the new offset on its leader and its follower; healed, the old
// leader answers the new offset too.
func TestReadBarrierIsolatedLeader(t *testing.T) {
	c := newProxiedCluster(t, 3, cluster.Config{})
	lead := c.leader()
	st, tp := makeTopic(t, lead.l, "s", "t", 1)
	send(t, lead.l, st.ID, tp.ID, 0, "a", "b", "c", "d", "e", "f", "g", "h", "i", "j")
	storeOffset(t, lead, st.ID, tp.ID, 3)
	c.converged()
	// Every node, followers included, answers a linearizable read.
	for _, m := range c.members {
		kvtest.WaitFor(t, wait, func() error {
			v, err := readOffset(m, st.ID, tp.ID)
			if err != nil {
				return err
			}
			if v != 3 {
				t.Fatalf("node %d: offset %d after the barrier, want 3", m.id, v)
			}
			return nil
		})
	}

	c.isolate(lead, integration.LinkCut)
	role := lead.n.Status().Role
	if _, err := readOffset(lead, st.ID, tp.ID); !errors.Is(err, wire.ErrDisconnected) {
		t.Fatalf("isolated leader (role %s when cut off): read barrier %v, want disconnected (8)", role, err)
	}

	var next *member
	kvtest.WaitFor(t, wait, func() error {
		for _, m := range c.members {
			if m != lead && m.n.Status().Writable {
				next = m
				return nil
			}
		}
		return errors.New("no writable leader on the majority side")
	})
	storeOffset(t, next, st.ID, tp.ID, 7)

	if v, err := storedOffset(lead, st.ID, tp.ID); err != nil || v != 3 {
		t.Fatalf("isolated node's own database holds %d (%v), want the old 3", v, err)
	}
	if v, err := readOffset(lead, st.ID, tp.ID); !errors.Is(err, wire.ErrDisconnected) {
		t.Fatalf("isolated old leader (role %s) answered offset %d (err %v), want disconnected (8)", lead.n.Status().Role, v, err)
	}
	for _, m := range c.members {
		if m == lead {
			continue
		}
		kvtest.WaitFor(t, wait, func() error {
			v, err := readOffset(m, st.ID, tp.ID)
			if err != nil {
				return err // a follower still learning the new leader
			}
			if v != 7 {
				t.Fatalf("node %d on the majority side: offset %d after the barrier, want 7", m.id, v)
			}
			return nil
		})
	}
	if got := testutil.ToFloat64(counter(t, lead.reg, "shale_cluster_read_barrier_failures_total")); got < 2 {
		t.Fatalf("read barrier failures on the isolated node: %v, want ≥ 2", got)
	}

	c.isolate(lead, integration.LinkUp)
	kvtest.WaitFor(t, wait, func() error {
		v, err := readOffset(lead, st.ID, tp.ID)
		if err != nil {
			return err
		}
		if v != 7 {
			t.Fatalf("healed old leader: offset %d after the barrier, want 7", v)
		}
		return nil
	})
}

func storeOffset(t *testing.T, m *member, s, tp uint32, v uint64) {
	t.Helper()
	part, err := m.l.Partition(s, tp, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := part.StoreOffset(log.Consumer{ID: 1}, v); err != nil {
		t.Fatalf("store offset %d on node %d: %v", v, m.id, err)
	}
}

// TestReadBarrierSharesOneRound: readers that arrive together share one
// ReadIndex round. The node's driver is held inside its first reload (as a
// new leader) while sixteen readers gather, so they are all waiting before
// it can ask; released, it asks once and every reader passes. A later
// reader gets a round of its own, and after Kill a reader is refused.
func TestReadBarrierSharesOneRound(t *testing.T) {
	db := kvtest.Open(t, kv.Options{})
	held, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	reg := prometheus.NewRegistry()
	n, err := cluster.Start(db, cluster.Config{ID: 1, Address: "127.0.0.1:0", Tick: 10 * time.Millisecond,
		Logger: slog.New(slog.DiscardHandler), Registerer: reg,
		Reload: func() error {
			once.Do(func() {
				close(held)
				<-release
			})
			return nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Kill()
	<-held
	const readers = 16
	errs := make(chan error, readers)
	for range readers {
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), wait)
			defer cancel()
			errs <- n.ReadBarrier(ctx)
		}()
	}
	kvtest.WaitFor(t, wait, func() error {
		if got := n.ReadersWaiting(); got != readers {
			return fmt.Errorf("%d readers gathered", got)
		}
		return nil
	})
	close(release)
	for range readers {
		if err := <-errs; err != nil {
			t.Fatalf("read barrier: %v", err)
		}
	}
	rounds := func() float64 { return testutil.ToFloat64(counter(t, reg, "shale_cluster_read_index_rounds_total")) }
	if got := rounds(); got != 1 {
		t.Fatalf("%d readers took %v ReadIndex rounds, want 1", readers, got)
	}
	if err := n.ReadBarrier(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := rounds(); got != 2 {
		t.Fatalf("a later reader: %v rounds in all, want 2", got)
	}
	if got := testutil.ToFloat64(counter(t, reg, "shale_cluster_read_barriers_total")); got != readers+1 {
		t.Fatalf("read barriers counted: %v, want %d", got, readers+1)
	}
	n.Kill()
	if err := n.ReadBarrier(context.Background()); !errors.Is(err, cluster.ErrStopped) {
		t.Fatalf("read barrier after Kill: %v, want ErrStopped", err)
	}
}

// TestReadBarrierWithoutLeader: a node that knows no leader (its peers
// are down) refuses at once with code 8, and a reader's own deadline
// bounds its wait.
func TestReadBarrierWithoutLeader(t *testing.T) {
	c := newCluster(t, 3, cluster.Config{})
	lead := c.leader()
	for _, m := range c.members {
		if m != lead {
			c.kill(m)
		}
	}
	// Whether it still leads (the round is never confirmed) or has
	// stepped down (no leader known), the answer is the same.
	for range 3 {
		if err := lead.n.ReadBarrier(context.Background()); !errors.Is(err, wire.ErrDisconnected) {
			t.Fatalf("read barrier alone: %v, want disconnected (8)", err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := lead.n.ReadBarrier(ctx); !errors.Is(err, wire.ErrDisconnected) {
		t.Fatalf("read barrier with an ended context: %v, want disconnected (8)", err)
	}
}

// BenchmarkReadBarrier measures a linearizable read's barrier on the
// leader and on a follower of a three-node cluster in this process
// (loopback, 20 ms ticks), one reader and 64 at once (goroutines);
// rounds/op is the ReadIndex rounds per read (below 1 when readers share
// rounds).
func BenchmarkReadBarrier(b *testing.B) {
	const size = 3
	addrs := map[uint64]string{}
	for i := uint64(1); i <= size; i++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		addrs[i] = ln.Addr().String()
		_ = ln.Close()
	}
	nodes := map[uint64]*cluster.Node{}
	regs := map[uint64]*prometheus.Registry{}
	for id := uint64(1); id <= size; id++ {
		peers := map[uint64]string{}
		for p, a := range addrs {
			if p != id {
				peers[p] = a
			}
		}
		regs[id] = prometheus.NewRegistry()
		n, err := cluster.Start(kvtest.Open(b, kv.Options{}), cluster.Config{ID: id, Address: addrs[id], Peers: peers,
			Tick: 20 * time.Millisecond, Logger: slog.New(slog.DiscardHandler), Registerer: regs[id]})
		if err != nil {
			b.Fatal(err)
		}
		nodes[id] = n
		b.Cleanup(n.Kill)
	}
	var lead, follower uint64
	kvtest.WaitFor(b, wait, func() error {
		for id, n := range nodes {
			if n.Status().Writable {
				lead = id
			}
		}
		if lead == 0 {
			return errors.New("no leader")
		}
		return nil
	})
	follower = lead%size + 1
	for _, role := range []struct {
		name string
		id   uint64
	}{{"leader", lead}, {"follower", follower}} {
		n, reg := nodes[role.id], regs[role.id]
		rounds := func() float64 {
			mfs, err := reg.Gather()
			if err != nil {
				b.Fatal(err)
			}
			for _, mf := range mfs {
				if mf.GetName() == "shale_cluster_read_index_rounds_total" {
					return mf.GetMetric()[0].GetCounter().GetValue()
				}
			}
			return 0
		}
		b.Run(role.name+"/one-reader", func(b *testing.B) {
			before := rounds()
			b.ReportAllocs()
			for b.Loop() {
				if err := n.ReadBarrier(context.Background()); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric((rounds()-before)/float64(b.N), "rounds/op")
		})
		b.Run(role.name+"/64-readers", func(b *testing.B) {
			before := rounds()
			b.SetParallelism(max(1, 64/runtime.GOMAXPROCS(0)))
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := n.ReadBarrier(context.Background()); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric((rounds()-before)/float64(b.N), "rounds/op")
		})
	}
}
