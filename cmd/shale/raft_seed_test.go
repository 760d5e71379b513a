package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shalemq/shale/broker/auth"
	"github.com/shalemq/shale/kv"
	"github.com/shalemq/shale/kv/kvtest"
	"github.com/shalemq/shale/wire"
)

// gatedReplicator hands each commit to the test, which answers it: nil
// applies the batch to db, an error refuses it (a lost leadership, a
// dropped proposal).
type gatedReplicator struct {
	db    *kv.DB
	calls chan chan error
	n     atomic.Int64
}

func (g *gatedReplicator) Replicate(repr []byte) (func() error, error) {
	g.n.Add(1)
	answer := make(chan error)
	g.calls <- answer
	return func() error {
		if err := <-answer; err != nil {
			return err
		}
		b := g.db.NewBatch()
		if err := b.AddRepr(repr); err != nil {
			b.Close()
			return err
		}
		return g.db.ApplyNoSync(b)
	}, nil
}

// seederFixture is a seeder over a fresh store whose commits the test
// answers through g.
type seederFixture struct {
	users  *auth.Store
	g      *gatedReplicator
	seeder *clusterSeeder
	logs   *kvtest.LogBuffer
	out    *kvtest.LogBuffer
	bg     *sync.WaitGroup
	stop   context.CancelFunc
}

func newSeederFixture(t *testing.T, retryMin, retryMax time.Duration) *seederFixture {
	t.Helper()
	db, err := kv.Open(t.TempDir(), kv.Options{MinFreeDisk: 0})
	if err != nil {
		t.Fatal(err)
	}
	users, err := auth.Open(db, auth.Options{Hash: auth.TestHashParams})
	if err != nil {
		t.Fatal(err)
	}
	f := &seederFixture{users: users, g: &gatedReplicator{db: db, calls: make(chan chan error)},
		logs: &kvtest.LogBuffer{}, out: &kvtest.LogBuffer{}, bg: &sync.WaitGroup{}}
	db.SetReplicator(f.g)
	ctx, cancel := context.WithCancel(context.Background())
	f.stop = cancel
	t.Cleanup(func() {
		cancel()
		f.bg.Wait()
		db.SetReplicator(nil)
		_ = db.Close()
	})
	f.seeder, err = newClusterSeeder(ctx, users, []string{"IGGY_ROOT_USERNAME=admin"},
		slog.New(slog.NewTextHandler(f.logs, nil)), f.out, f.bg)
	if err != nil {
		t.Fatal(err)
	}
	f.seeder.retryMin, f.seeder.retryMax = retryMin, retryMax
	return f
}

// settled waits until the seeder's goroutine has ended, failing the test
// if it commits anything meanwhile.
func (f *seederFixture) settled(t *testing.T, what string) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		f.bg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case answer := <-f.g.calls:
		answer <- errors.New("test: unexpected commit")
		<-done
		t.Fatalf("%s: the seeder committed again (%d commits)", what, f.g.n.Load())
	}
}

// checkSeeded checks the records one seed writes, the generated root
// password printed once.
func (f *seederFixture) checkSeeded(t *testing.T) {
	t.Helper()
	if !f.users.Seeded() || len(f.users.StoredSecret(jwtSecretName)) != jwtSecretLen {
		t.Fatal("not seeded")
	}
	root, ok := f.users.User(auth.RootID)
	if !ok || root.Name != "admin" {
		t.Fatalf("root: %+v %v", root, ok)
	}
	out := f.out.String()
	if strings.Count(out, "generated password") != 1 {
		t.Fatalf("printed %q", out)
	}
	pw := strings.TrimSpace(out[strings.LastIndex(out, "\n\n    ")+1:])
	if _, err := f.users.Authenticate("admin", pw); err != nil {
		t.Fatalf("printed password %q: %v", pw, err)
	}
}

var errFlaky = errors.New("test: proposal dropped")

// TestClusterSeederRetriesWhileLeading: a leader whose seed fails tries
// again, with a pause, while it leads; the third attempt writes the
// records once, each failure is logged with its attempt, and leading
// again writes nothing.
func TestClusterSeederRetriesWhileLeading(t *testing.T) {
	f := newSeederFixture(t, time.Millisecond, 2*time.Millisecond)
	f.seeder.leading()
	(<-f.g.calls) <- errFlaky
	(<-f.g.calls) <- fmt.Errorf("test: %w", kv.ErrDiskFull)
	(<-f.g.calls) <- nil
	f.settled(t, "seeded on the third attempt")
	if n := f.g.n.Load(); n != 3 {
		t.Fatalf("%d commits, want 3", n)
	}
	f.checkSeeded(t)
	logs := f.logs.String()
	for _, want := range []string{"attempt=1", "attempt=2", "proposal dropped", "disk", "written for every node"} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q:\n%s", want, logs)
		}
	}
	if n := strings.Count(logs, `level=WARN msg="cluster root user and JWT key not written; trying again while leading"`); n != 2 {
		t.Errorf("%d failures logged as warnings, want 2:\n%s", n, logs)
	}
	// Seeded: leading again proposes nothing.
	f.seeder.leading()
	f.settled(t, "leading once seeded")
	if n := f.g.n.Load(); n != 3 {
		t.Fatalf("%d commits, want 3", n)
	}
}

// TestClusterSeederStopsWhenLeadershipLost: a seeder waiting to try again
// stops when the leadership ends, and so does one whose attempt fails with
// it; a node that leads again seeds again, also when it wins back the
// leadership during the pause.
func TestClusterSeederStopsWhenLeadershipLost(t *testing.T) {
	// The pause is long: only the leadership's end (or a new one) ends it.
	f := newSeederFixture(t, time.Hour, time.Hour)
	lost := fmt.Errorf("test: leadership lost: %w", wire.ErrDisconnected)

	// Lost during the pause.
	f.seeder.leading()
	(<-f.g.calls) <- errFlaky
	f.seeder.following()
	f.settled(t, "leadership lost during the pause")
	if f.users.Seeded() || f.g.n.Load() != 1 {
		t.Fatalf("seeded %v after %d commits", f.users.Seeded(), f.g.n.Load())
	}
	if !strings.Contains(f.logs.String(), "leadership lost") {
		t.Errorf("the end of the retries is not logged:\n%s", f.logs.String())
	}

	// Lost during the attempt: refused with the leadership, not tried
	// again.
	f.seeder.leading()
	attempt := <-f.g.calls
	f.seeder.following()
	attempt <- lost
	f.settled(t, "leadership lost during the attempt")
	if f.users.Seeded() || f.g.n.Load() != 2 {
		t.Fatalf("seeded %v after %d commits", f.users.Seeded(), f.g.n.Load())
	}

	// Refused with 8 before the leadership's end is reported: logged at
	// info, then ended by it.
	f.seeder.leading()
	(<-f.g.calls) <- lost
	kvtest.WaitFor(t, time.Minute, func() error {
		if !strings.Contains(f.logs.String(), `level=INFO msg="cluster root user and JWT key not written; trying again while leading" attempt=1`) {
			return errors.New("the refusal with 8 is not logged at info")
		}
		return nil
	})
	f.seeder.following()
	f.settled(t, "refused with 8, then the leadership lost")
	if f.users.Seeded() || f.g.n.Load() != 3 {
		t.Fatalf("seeded %v after %d commits", f.users.Seeded(), f.g.n.Load())
	}

	// Lost and won back during the pause: the next attempt at once.
	f.seeder.leading()
	(<-f.g.calls) <- errFlaky
	f.seeder.following()
	f.seeder.leading()
	(<-f.g.calls) <- nil
	f.settled(t, "seeded after winning the leadership back")
	if n := f.g.n.Load(); n != 5 {
		t.Fatalf("%d commits, want 5", n)
	}
	f.checkSeeded(t)
}

// TestClusterSeederStopsWithServer: the server's stop ends a seeder
// waiting to try again, though its node still leads.
func TestClusterSeederStopsWithServer(t *testing.T) {
	f := newSeederFixture(t, time.Hour, time.Hour)
	f.seeder.leading()
	(<-f.g.calls) <- errFlaky
	f.stop()
	f.settled(t, "server stopped")
	if f.users.Seeded() {
		t.Fatal("seeded")
	}
}

// TestClusterSeederRefusesBadRoot: a raft node with a root name or password
// the seed would refuse fails at start, as a single node does.
func TestClusterSeederRefusesBadRoot(t *testing.T) {
	db, err := kv.Open(t.TempDir(), kv.Options{MinFreeDisk: 0})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	users, err := auth.Open(db, auth.Options{Hash: auth.TestHashParams})
	if err != nil {
		t.Fatal(err)
	}
	var bg sync.WaitGroup
	for _, env := range [][]string{{"IGGY_ROOT_USERNAME=ab"}, {"IGGY_ROOT_PASSWORD=ab"}} {
		if _, err := newClusterSeeder(context.Background(), users, env, slog.Default(), io.Discard, &bg); err == nil {
			t.Errorf("%v accepted", env)
		}
	}
}
