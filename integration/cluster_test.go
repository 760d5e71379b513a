package integration

import (
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shalemq/shale/client"
	"github.com/shalemq/shale/wire"
)

// clusterEngineWired says whether `shale serve` runs the raft engine of
// docs/cluster.md (it does); false makes the tests that need it skip
// unless TEST_SHALE_CLUSTER=1.
const clusterEngineWired = true

func clusterTestsForced() bool { return os.Getenv("TEST_SHALE_CLUSTER") != "" }

func requireClusterEngine(t *testing.T) {
	t.Helper()
	if !clusterEngineWired && !clusterTestsForced() {
		t.Skip("the raft engine is not wired into shale serve yet; TEST_SHALE_CLUSTER=1 runs this anyway")
	}
}

// clusterRand is the test's source of random moments; TEST_SHALE_CLUSTER_SEED
// replays a run (the seed is logged).
func clusterRand(t *testing.T) *rand.Rand {
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("TEST_SHALE_CLUSTER_SEED"); s != "" {
		seed, _ = strconv.ParseUint(s, 10, 64)
	}
	t.Logf("TEST_SHALE_CLUSTER_SEED=%d", seed)
	return rand.New(rand.NewPCG(seed, seed>>1|1))
}

func between(r *rand.Rand, lo, hi time.Duration) time.Duration {
	return lo + time.Duration(r.Int64N(int64(hi-lo)))
}

// startTestCluster starts a cluster for an end-to-end test (skipped when
// the raft engine is not wired in) whose logs are kept if the test fails.
func startTestCluster(t *testing.T, opts ClusterOptions) *Cluster {
	t.Helper()
	requireClusterEngine(t)
	c := StartCluster(t, opts)
	dumpOnFailure(t, c)
	return c
}

// mustLeader waits up to a minute (a liveness bound) for the cluster's
// leader and returns its index.
func mustLeader(t *testing.T, c *Cluster) int {
	t.Helper()
	l, err := c.WaitLeader(time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// dumpOnFailure writes every node's whole log (every process it ran) to
// a directory that outlives the test when the test fails, and logs the
// last lines of each.
func dumpOnFailure(t *testing.T, c *Cluster) {
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		dir, err := os.MkdirTemp("", "shale-"+t.Name()+"-")
		if err != nil {
			t.Log(err)
			return
		}
		for _, n := range c.Nodes {
			out := n.PastOutput
			if n.Server != nil {
				out += n.Server.Output()
			}
			_ = os.WriteFile(filepath.Join(dir, n.Name+".log"), []byte(out), 0o644)
			lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
			t.Logf("--- %s (last 20 lines)\n%s", n.Name, strings.Join(lines[max(0, len(lines)-20):], "\n"))
		}
		t.Logf("every node's whole log: %s", dir)
	})
}

// runWorkload starts the default workload on c and returns once it has
// acknowledged its first sends; it stops when the test ends, if the test
// has not stopped it before (checkConverged does).
func runWorkload(t *testing.T, c *Cluster) *Workload {
	t.Helper()
	w := NewWorkload(c)
	if err := w.Setup(time.Minute); err != nil {
		t.Fatal(err)
	}
	w.Run()
	t.Cleanup(w.Stop)
	if err := w.WaitProgress(10, time.Minute); err != nil {
		t.Fatalf("the workload did not start: %v", err)
	}
	return w
}

// checkConverged stops the load, waits for every node to hold the same
// data and runs the checker over it.
func checkConverged(t *testing.T, w *Workload) CheckReport {
	t.Helper()
	w.Stop()
	reps, err := w.Converge(2 * time.Minute)
	if err != nil {
		t.Error(err)
	}
	if reps == nil {
		t.FailNow()
	}
	r := Check(w.Ledger, reps)
	if !r.OK() {
		t.Fatalf("checker: %s", r)
	}
	return r
}

// TestClusterLeaderKill is #18's first test: three nodes, several
// producers over TCP, the leader SIGKILLed at random moments and
// restarted, and the checker over the acknowledged log at the end. 5
// kills; TEST_SHALE_CLUSTER_SOAK=1 (make cluster-soak) makes it 50, and
// TEST_SHALE_CLUSTER_KILLS sets any number.
func TestClusterLeaderKill(t *testing.T) {
	kills, gapLo, gapHi := 5, time.Second, 3*time.Second
	if os.Getenv("TEST_SHALE_CLUSTER_SOAK") != "" {
		kills, gapLo, gapHi = 50, 2*time.Second, 8*time.Second
	}
	if s := os.Getenv("TEST_SHALE_CLUSTER_KILLS"); s != "" {
		kills, _ = strconv.Atoi(s)
	}
	rng := clusterRand(t)
	c := startTestCluster(t, ClusterOptions{})
	w := runWorkload(t, c)
	for k := range kills {
		time.Sleep(between(rng, gapLo, gapHi))
		l, err := c.WaitLeader(time.Minute)
		if err != nil {
			t.Fatalf("kill %d: %v", k+1, err)
		}
		c.Kill(l)
		down := between(rng, 200*time.Millisecond, 2*time.Second)
		// The two survivors are a majority: they elect and serve.
		if err := w.WaitProgress(5, time.Minute); err != nil {
			t.Fatalf("kill %d (%s): the survivors do not serve: %v", k+1, c.Nodes[l].Name, err)
		}
		time.Sleep(down)
		c.Start(l)
		t.Logf("kill %d: %s SIGKILLed, restarted; %d sends failed so far", k+1, c.Nodes[l].Name, w.Failures())
	}
	if err := w.WaitProgress(10, time.Minute); err != nil {
		t.Fatalf("after the last restart: %v", err)
	}
	r := checkConverged(t, w)
	t.Logf("%d leader kills: %s", kills, r)
}

// TestClusterPartition is #18's second test, on a proxy per raft link: a
// follower cut off leaves the majority serving; a leader cut off
// acknowledges nothing, steps down, and the majority elects and serves;
// it refuses to answer a consumer offset the majority changed (a
// linearizable read); healed, every node converges.
func TestClusterPartition(t *testing.T) {
	c := startTestCluster(t, ClusterOptions{})
	w := runWorkload(t, c)

	// A follower refuses writes, and keeps none.
	l := mustLeader(t, c)
	f := c.Others(l)[0]
	if sendRefused(t, c, w, f, 999) == nil {
		t.Fatalf("follower %s acknowledged a send", c.Nodes[f].Name)
	}

	// A follower cut off: the leader and the other follower are a majority.
	c.Isolate(f, LinkCut)
	if err := w.WaitProgress(20, time.Minute); err != nil {
		t.Fatalf("%s cut off: %v", c.Nodes[f].Name, err)
	}
	c.HealAll()
	if err := w.WaitProgress(10, time.Minute); err != nil {
		t.Fatal(err)
	}

	// The leader cut off (its links stalled, as a switch dropping packets).
	l = mustLeader(t, c)
	held, err := c.Dial(context.Background(), l, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	storeProbe(t, c, w, l, 0)
	c.Isolate(l, LinkStall)
	minority := sendToMinority(t, c, w, l, 1000)
	nl, err := c.WaitLeader(time.Minute, c.Others(l)...)
	if err != nil {
		t.Fatalf("majority without %s: %v", c.Nodes[l].Name, err)
	}
	if err := w.WaitProgress(20, time.Minute); err != nil {
		t.Fatalf("majority led by %s: %v", c.Nodes[nl].Name, err)
	}
	checkLinearizableOffsets(t, c, w, l, nl, 0)
	// CheckQuorum: the cut-off leader steps down on its own.
	deadline := time.Now().Add(time.Minute)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		self, err := c.SelfLeader(ctx, l)
		cancel()
		if err == nil && !self {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s still says it leads a minority (err %v)", c.Nodes[l].Name, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	minority += sendToMinority(t, c, w, l, 1001)
	// Demoted, it closed the connections of its clients, so they look for
	// the new leader.
	for deadline := time.Now().Add(time.Minute); ; {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err := held.Ping(ctx)
		cancel()
		if err != nil {
			t.Logf("a client of the demoted leader: %v", err)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s, demoted, still serves a client connection opened while it led", c.Nodes[l].Name)
		}
		time.Sleep(100 * time.Millisecond)
	}

	c.HealAll()
	if err := w.WaitProgress(10, time.Minute); err != nil {
		t.Fatalf("after heal: %v", err)
	}
	r := checkConverged(t, w)
	t.Logf("partition: %d sends to the cut-off leader, none acknowledged or kept; %s", minority, r)
}

// sendToMinority sends one batch as producer straight to node i, cut off
// from the others, and fails the test if it is acknowledged.
func sendToMinority(t *testing.T, c *Cluster, w *Workload, i int, producer uint64) int {
	t.Helper()
	err := sendRefused(t, c, w, i, producer)
	if err == nil {
		t.Fatalf("%s, cut off from the majority, acknowledged a send", c.Nodes[i].Name)
	}
	return 1
}

// sendRefused sends one batch as producer straight to node i and returns
// the error it answers (nil: acknowledged). The keys are recorded
// forbidden: the checker fails if any node keeps one.
func sendRefused(t *testing.T, c *Cluster, w *Workload, i int, producer uint64) error {
	t.Helper()
	keys, msgs := w.checkedBatch(producer, 1, w.Batch, 1)
	w.Ledger.Forbidden(0, keys)
	err := c.OnNode(i, func(ctx context.Context, cl *client.Client) error {
		return cl.Send(ctx, wire.NamedID(w.Stream), wire.NamedID(w.Topic), wire.PartitionID(0), len(keys), msgs)
	})
	if err != nil {
		t.Logf("%s refused a send: %v", c.Nodes[i].Name, err)
	}
	return err
}
