package auth

import (
	"bytes"
	"testing"
	"time"

	"github.com/shalemq/shale/kv"
	"github.com/shalemq/shale/wire"
)

// mirror is a Replicator that writes every commit into each of dbs, as a
// cluster's nodes apply a committed entry.
type mirror []*kv.DB

func (m mirror) Replicate(repr []byte) (func() error, error) {
	for _, db := range m {
		b := db.NewBatch()
		if err := b.AddRepr(repr); err != nil {
			b.Close()
			return nil, err
		}
		if err := db.ApplyNoSync(b); err != nil {
			return nil, err
		}
	}
	return func() error { return nil }, nil
}

// TestSeedCluster: the first leader's SeedCluster creates the root user
// and the JWT key once; a follower that applied the same batch and
// reloaded holds the same records, a second call on either does nothing,
// and a reopened store keeps them.
func TestSeedCluster(t *testing.T) {
	clock := &fakeClock{now: time.Unix(1_700_000_000, 0)}
	leaderDir := t.TempDir()
	leader, ldb := open(t, leaderDir, clock)
	follower, fdb := open(t, t.TempDir(), clock)
	defer fdb.Close()
	ldb.SetReplicator(mirror{ldb, fdb})
	if leader.Seeded() || leader.StoredSecret("jwt") != nil {
		t.Fatal("a new store says it is seeded")
	}
	gen, created, wrote, err := leader.SeedCluster("iggy", "", map[string]int{"jwt": 32})
	if err != nil || !created || !wrote || len(gen) != 32 {
		t.Fatalf("seed: generated %q created %v wrote %v err %v", gen, created, wrote, err)
	}
	key := leader.StoredSecret("jwt")
	if len(key) != 32 {
		t.Fatalf("jwt key of %d bytes", len(key))
	}
	if _, err := leader.Authenticate("iggy", gen); err != nil {
		t.Fatal(err)
	}
	// The follower sees nothing until it reloads (its node does after
	// applying metadata), then the same root and key.
	if follower.Seeded() {
		t.Fatal("follower seeded before its reload")
	}
	if err := follower.Reload(); err != nil {
		t.Fatal(err)
	}
	if !follower.Seeded() || !bytes.Equal(follower.StoredSecret("jwt"), key) {
		t.Fatalf("follower: seeded %v, key equal %v", follower.Seeded(), bytes.Equal(follower.StoredSecret("jwt"), key))
	}
	u, err := follower.Authenticate("iggy", gen)
	if err != nil || u.ID != RootID || !u.Permissions.Global.ManageServers {
		t.Fatalf("root on the follower: %+v %v", u, err)
	}
	// Later leaders find the marker and write nothing; the key stays.
	for _, s := range []*Store{leader, follower} {
		if _, _, wrote, err := s.SeedCluster("other", "other-password", map[string]int{"jwt": 32}); err != nil || wrote {
			t.Fatalf("second seed: wrote %v err %v", wrote, err)
		}
	}
	if got, err := follower.Secret("jwt", 32); err != nil || !bytes.Equal(got, key) {
		t.Fatalf("Secret after seeding: equal %v err %v", bytes.Equal(got, key), err)
	}
	// The next user gets id 1 on either node.
	next, err := follower.CreateUser("alice", "alice-pw", true, nil)
	if err != nil || next.ID != 1 {
		t.Fatalf("first user after root: %+v %v", next, err)
	}
	// A restart loads the key and the marker from the database.
	ldb.SetReplicator(nil)
	if err := ldb.Close(); err != nil {
		t.Fatal(err)
	}
	again, db := open(t, leaderDir, clock)
	defer db.Close()
	if !again.Seeded() || !bytes.Equal(again.StoredSecret("jwt"), key) {
		t.Fatal("reopened store lost the seed")
	}
	if _, err := again.Authenticate("iggy", gen); err != nil {
		t.Fatal(err)
	}
}

// TestSeedClusterKeepsExisting: a node that made its own root user and JWT
// key before its cluster shared them (an earlier shale) hands them on
// as they are: the password is not reset, the key not replaced.
func TestSeedClusterKeepsExisting(t *testing.T) {
	clock := &fakeClock{now: time.Unix(1_700_000_000, 0)}
	s, db := open(t, t.TempDir(), clock)
	defer db.Close()
	if _, _, err := s.EnsureRoot("iggy", "first-password"); err != nil {
		t.Fatal(err)
	}
	key, err := s.Secret("jwt", 32)
	if err != nil {
		t.Fatal(err)
	}
	gen, created, wrote, err := s.SeedCluster("iggy", "second-password", map[string]int{"jwt": 32, "other": 8})
	if err != nil || gen != "" || created || !wrote {
		t.Fatalf("seed: generated %q created %v wrote %v err %v", gen, created, wrote, err)
	}
	if !bytes.Equal(s.StoredSecret("jwt"), key) || len(s.StoredSecret("other")) != 8 {
		t.Fatal("seed replaced the existing key or skipped the new one")
	}
	if _, err := s.Authenticate("iggy", "first-password"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate("iggy", "second-password"); err == nil {
		t.Fatal("seed reset the root password")
	}
	if err := s.Reload(); err != nil {
		t.Fatal(err)
	}
	if !s.Seeded() || !bytes.Equal(s.StoredSecret("jwt"), key) {
		t.Fatal("reload lost the seed")
	}
}

// TestSeedClusterRefusesBadRoot: a root name or password out of bounds is
// refused (43/44) and nothing is written.
func TestSeedClusterRefusesBadRoot(t *testing.T) {
	clock := &fakeClock{now: time.Unix(1_700_000_000, 0)}
	s, db := open(t, t.TempDir(), clock)
	defer db.Close()
	_, _, _, err := s.SeedCluster("ig", "password", nil)
	wantErr(t, "short name", err, wire.ErrInvalidUsername)
	_, _, _, err = s.SeedCluster("iggy", "pw", nil)
	wantErr(t, "short password", err, wire.ErrInvalidPassword)
	if s.Seeded() || len(s.Users()) != 0 {
		t.Fatal("a refused seed wrote something")
	}
}
