package cluster_test

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/shalemq/shale/cluster"
	"github.com/shalemq/shale/kv"
	"github.com/shalemq/shale/kv/kvtest"
)

// snapChunk is the chunk the tests stream, so that a few hundred KB of
// data take many chunks.
const snapChunk = 32 << 10

// behind kills a follower, writes payload-heavy batches on the leader
// until its log was truncated past the follower, and returns the follower
// (down) and its database as the kill left it.
func behind(t *testing.T, c *testCluster, batches int) (lead, down *member, old []byte) {
	t.Helper()
	lead = c.leader()
	st, tp := makeTopic(t, lead.l, "s", "t", 2)
	c.converged()
	for _, m := range c.members {
		if m != lead {
			down = m
			break
		}
	}
	// Applied entries are written without a sync (the log is synced);
	// a flush makes the follower's state at the kill exactly the
	// leader's, so that "the old state" is one state.
	if err := down.db.Flush(); err != nil {
		t.Fatal(err)
	}
	c.kill(down)
	img := down.fs.Crash().Open(t, kv.Options{})
	old = dump(t, img)
	_ = img.Close()
	if !bytes.Equal(old, dump(t, lead.db)) {
		t.Fatal("the killed follower's durable state is not the leader's")
	}
	payload := strings.Repeat("p", 4000)
	for i := range batches {
		send(t, lead.l, st.ID, tp.ID, uint32(i%2), fmt.Sprintf("%d %s", i, payload), payload)
	}
	if _, err := lead.l.CreateStream("made while down"); err != nil {
		t.Fatal(err)
	}
	return lead, down, old
}

// leftovers lists what is left in a member's snapshot directory.
func leftovers(t *testing.T, m *member) []string {
	t.Helper()
	list, err := m.db.Files().List(cluster.SnapshotDir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range list {
		names = append(names, f.Name)
	}
	return names
}

func metric(t *testing.T, m *member, name string) float64 {
	t.Helper()
	return testutil.ToFloat64(counter(t, m.reg, name))
}

// TestSnapshotStreamedInChunks: a follower that returns after the leader
// truncated its log past it catches up from a checkpoint of the leader's
// database streamed in chunks (many of them: the data is several hundred
// KB, a chunk 32 KiB, and no chunk is larger), ends byte-identical to the
// leader, its catalog reloaded, and no transfer directory is left on
// either node.
func TestSnapshotStreamedInChunks(t *testing.T) {
	defer cluster.SetSnapshotChunk(snapChunk)()
	var chunks atomic.Int64
	defer cluster.SetSnapshotHook(func(step string) error {
		if step == "chunk" {
			chunks.Add(1)
		}
		return nil
	})()
	c := newCluster(t, 3, cluster.Config{CompactEvery: 4, LogKeep: 1})
	_, down, _ := behind(t, c, 100)
	c.start(down)
	c.converged()
	if got := metric(t, down, "shale_cluster_snapshots_installed_total"); got < 1 {
		t.Fatalf("snapshots installed: %v, want ≥ 1", got)
	}
	// Summed over the nodes: on a busy machine the leadership may move,
	// and the other follower may need a snapshot too (the log keeps one
	// entry).
	sent := 0.0
	for _, m := range c.members {
		sent += metric(t, m, "shale_cluster_snapshot_sent_bytes_total")
	}
	if got := metric(t, down, "shale_cluster_snapshot_received_bytes_total"); got < 400_000 {
		t.Fatalf("the follower received %v snapshot bytes; the data alone is 800 KB", got)
	}
	// Every chunk but each file's last is full, so there are at least
	// sent/chunk of them: the data never travelled as one piece.
	if n := chunks.Load(); n < int64(sent)/snapChunk {
		t.Fatalf("%v bytes streamed in %d chunks of at most %d", sent, n, snapChunk)
	}
	found := false
	for _, s := range down.l.Streams() {
		found = found || s.Name == "made while down"
	}
	if !found {
		t.Fatal("the follower's catalog was not reloaded after the snapshot")
	}
	for _, m := range c.members {
		kvtest.WaitFor(t, wait, func() error {
			if left := leftovers(t, m); len(left) > 0 {
				return fmt.Errorf("node %d keeps %v", m.id, left)
			}
			return nil
		})
	}
}

// TestSnapshotTransferCutIsRetried: the first two transfers are cut after
// a few chunks (the connection closes); the follower drops what it
// received, the leader reports the failure to raft, raft sends a new
// snapshot and that one installs.
func TestSnapshotTransferCutIsRetried(t *testing.T) {
	defer cluster.SetSnapshotChunk(snapChunk)()
	var cuts atomic.Int64
	defer cluster.SetSnapshotHook(func(step string) error {
		// The third chunk of the first transfer, the fifth of the
		// second: past the first 64 KiB the sender's buffer holds.
		if n := cuts.Add(1); step == "chunk" && (n == 3 || n == 8) {
			return errors.New("cut by the test")
		}
		return nil
	})()
	c := newCluster(t, 3, cluster.Config{CompactEvery: 4, LogKeep: 1})
	_, down, _ := behind(t, c, 40)
	c.start(down)
	c.converged()
	// Summed over the nodes: on a busy machine the leadership may move.
	failed := 0.0
	for _, m := range c.members {
		failed += metric(t, m, "shale_cluster_snapshot_send_failures_total")
	}
	if failed < 2 {
		t.Fatalf("failed snapshot sends: %v, want ≥ 2", failed)
	}
	if got := metric(t, down, "shale_cluster_snapshot_receive_failures_total"); got < 1 {
		t.Fatalf("failed receives on the follower: %v, want ≥ 1", got)
	}
	if got := metric(t, down, "shale_cluster_snapshots_installed_total"); got < 1 {
		t.Fatalf("snapshots installed: %v, want ≥ 1", got)
	}
	for _, m := range c.members {
		kvtest.WaitFor(t, wait, func() error {
			if left := leftovers(t, m); len(left) > 0 {
				return fmt.Errorf("node %d keeps %v", m.id, left)
			}
			return nil
		})
	}
}

// TestSnapshotCrashLeavesOldOrNew: the follower crashes just before it
// installs a snapshot it received (its driver stops there; the crash image
// is taken at that moment) and restarts from that image: it comes back on
// its old state, is sent a new snapshot and catches up. Crash images taken
// when the files were received, before and after the install, and all
// along the second catch-up from another goroutine, each hold either the
// follower's state before the snapshot or the leader's, whole, with raft
// state a node can start from.
func TestSnapshotCrashLeavesOldOrNew(t *testing.T) {
	defer cluster.SetSnapshotChunk(snapChunk)()
	var mu sync.Mutex
	var down *member
	images := map[string]*kvtest.Crashable{}
	defer cluster.SetSnapshotHook(func(step string) error {
		mu.Lock()
		defer mu.Unlock()
		if down == nil || step == "chunk" || images[step] != nil {
			return nil
		}
		images[step] = down.fs.Crash()
		if step == "staged" {
			return errors.New("crash before the install")
		}
		return nil
	})()
	c := newCluster(t, 3, cluster.Config{CompactEvery: 4, LogKeep: 1})
	lead, d, old := behind(t, c, 60)
	mu.Lock()
	down = d
	mu.Unlock()
	c.start(down)
	kvtest.WaitFor(t, wait, func() error {
		if down.n.Err() == nil {
			return errors.New("the follower has not reached the install")
		}
		return nil
	})
	mu.Lock()
	staged := images["staged"]
	down.n.Kill()
	_ = down.db.Close()
	down.fs, down.up = staged.Crash(), false
	mu.Unlock()
	c.start(down)

	// Crash images all along the second catch-up.
	stop := make(chan struct{})
	var random []*kvtest.Crashable
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for range 40 {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			mu.Lock()
			random = append(random, down.fs.Crash())
			mu.Unlock()
		}
	}()
	c.converged()
	close(stop)
	wg.Wait()
	want := dump(t, lead.db)
	kvtest.WaitFor(t, wait, func() error {
		if left := leftovers(t, down); len(left) > 0 {
			return fmt.Errorf("the follower keeps %v", left)
		}
		return nil
	})
	mu.Lock()
	defer mu.Unlock()
	for _, step := range []string{"received", "staged", "installed"} {
		if images[step] == nil {
			t.Fatalf("no crash image at %q", step)
		}
	}
	check := func(name string, img *kvtest.Crashable) bool {
		db := img.Open(t, kv.Options{})
		defer db.Close()
		applied, err := cluster.CheckRaftState(db, []uint64{1, 2, 3})
		if err != nil {
			t.Fatalf("crash image %s: raft state: %v", name, err)
		}
		got := dump(t, db)
		if !bytes.Equal(got, old) && !bytes.Equal(got, want) {
			t.Fatalf("crash image %s (applied %d): %d bytes of replicated keys, neither the old state (%d) nor the snapshot (%d)",
				name, applied, len(got), len(old), len(want))
		}
		return bytes.Equal(got, want)
	}
	if check("received", images["received"]) || check("staged", images["staged"]) {
		t.Fatal("the snapshot was installed before raft had it")
	}
	if !check("installed", images["installed"]) {
		t.Fatal("the image after the install holds the old state")
	}
	news := 0
	for i, img := range random {
		if check(fmt.Sprintf("random %d", i), img) {
			news++
		}
	}
	t.Logf("%d random crash images: %d old, %d new", len(random), len(random)-news, news)
}
