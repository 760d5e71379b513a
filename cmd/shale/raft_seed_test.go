package main

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/shalemq/shale/broker/auth"
	"github.com/shalemq/shale/kv"
	"github.com/shalemq/shale/wire"
)

// gatedReplicator hands each commit to the test, which answers it: nil
// applies the batch to db, an error refuses it (a lost leadership).
type gatedReplicator struct {
	db    *kv.DB
	calls chan chan error
}

func (g *gatedReplicator) Replicate(repr []byte) (func() error, error) {
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

// TestClusterSeederRetries: a seed refused because the leadership was lost
// is tried again when the node leads again, also when it leads again while
// the refused attempt is still under way; once seeded, leading writes
// nothing, and the generated root password is printed once.
func TestClusterSeederRetries(t *testing.T) {
	db, err := kv.Open(t.TempDir(), kv.Options{MinFreeDisk: 0})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	users, err := auth.Open(db, auth.Options{Hash: auth.TestHashParams})
	if err != nil {
		t.Fatal(err)
	}
	g := &gatedReplicator{db: db, calls: make(chan chan error)}
	db.SetReplicator(g)
	defer db.SetReplicator(nil)
	var out bytes.Buffer
	var bg sync.WaitGroup
	seeder, err := newClusterSeeder(users, []string{"IGGY_ROOT_USERNAME=admin"}, slog.New(slog.NewTextHandler(io.Discard, nil)), &out, &bg)
	if err != nil {
		t.Fatal(err)
	}
	lost := fmt.Errorf("leadership lost: %w", wire.ErrDisconnected)

	// Refused, with no new leadership meanwhile: the attempt ends.
	seeder.leading()
	(<-g.calls) <- lost
	bg.Wait()
	if users.Seeded() {
		t.Fatal("seeded by a refused commit")
	}
	// Leading again while the attempt is under way: refused, then tried
	// again, and kept.
	seeder.leading()
	first := <-g.calls
	seeder.leading()
	first <- lost
	(<-g.calls) <- nil
	bg.Wait()
	if !users.Seeded() || len(users.StoredSecret(jwtSecretName)) != jwtSecretLen {
		t.Fatal("not seeded after the second attempt")
	}
	root, ok := users.User(auth.RootID)
	if !ok || root.Name != "admin" {
		t.Fatalf("root: %+v %v", root, ok)
	}
	pw := strings.TrimSpace(out.String()[strings.LastIndex(out.String(), "\n\n    ")+1:])
	if strings.Count(out.String(), "generated password") != 1 {
		t.Fatalf("printed %q", out.String())
	}
	if _, err := users.Authenticate("admin", pw); err != nil {
		t.Fatalf("printed password %q: %v", pw, err)
	}
	// Seeded: leading proposes nothing (a commit would block on g.calls).
	seeder.leading()
	bg.Wait()
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
		if _, err := newClusterSeeder(users, env, slog.Default(), io.Discard, &bg); err == nil {
			t.Errorf("%v accepted", env)
		}
	}
}
