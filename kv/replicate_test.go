package kv_test

import (
	"errors"
	"testing"

	"github.com/shalemq/shale/kv"
	"github.com/shalemq/shale/kv/kvtest"
)

// mirror is a Replicator that writes each batch to two databases, as a
// raft node applies a committed entry on itself and a follower.
type mirror struct {
	dbs    []*kv.DB
	refuse error
	seen   int
}

func (m *mirror) Replicate(repr []byte) (func() error, error) {
	if m.refuse != nil {
		return nil, m.refuse
	}
	m.seen++
	for _, db := range m.dbs {
		b := db.NewBatch()
		if err := b.AddRepr(repr); err != nil {
			return nil, err
		}
		if err := db.ApplyNoSync(b); err != nil {
			return nil, err
		}
	}
	return func() error { return nil }, nil
}

func TestReplicatorTakesOverCommit(t *testing.T) {
	leader, follower := kvtest.Open(t, kv.Options{}), kvtest.Open(t, kv.Options{})
	m := &mirror{dbs: []*kv.DB{leader, follower}}
	leader.SetReplicator(m)

	b := leader.NewBatch()
	_ = b.Set([]byte("Mkey"), []byte("v1"))
	_ = b.Set([]byte("mmsg"), []byte("payload"))
	if touched, err := kv.ReprTouches(b.Repr(), kv.TagMeta); err != nil || !touched {
		t.Fatalf("ReprTouches(M) = %v, %v; the batch sets an M key", touched, err)
	}
	if touched, _ := kv.ReprTouches(b.Repr(), kv.TagOffsets); touched {
		t.Fatal("ReprTouches(o) is true for a batch without o keys")
	}
	d, err := leader.Commit(b)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Wait(); err != nil {
		t.Fatal(err)
	}
	for i, db := range []*kv.DB{leader, follower} {
		v, ok, err := db.Get(nil, []byte("mmsg"))
		if err != nil || !ok || string(v) != "payload" {
			t.Fatalf("db %d: mmsg = %q %v %v", i, v, ok, err)
		}
	}
	if m.seen != 1 {
		t.Fatalf("replicator saw %d batches, want 1", m.seen)
	}

	// A refusal reaches the caller and nothing is written anywhere.
	m.refuse = errors.New("not the leader")
	b = leader.NewBatch()
	_ = b.Set([]byte("mother"), []byte("x"))
	if _, err := leader.Commit(b); !errors.Is(err, m.refuse) {
		t.Fatalf("Commit with a refusing replicator: %v", err)
	}
	if _, ok, _ := leader.Get(nil, []byte("mother")); ok {
		t.Fatal("a refused batch was written locally")
	}

	// Without a replicator, commits are local again.
	leader.SetReplicator(nil)
	b = leader.NewBatch()
	_ = b.Set([]byte("mlocal"), []byte("x"))
	d, err = leader.Commit(b)
	if err != nil || d.Wait() != nil {
		t.Fatal(err)
	}
	if _, ok, _ := follower.Get(nil, []byte("mlocal")); ok {
		t.Fatal("a local commit reached the follower")
	}
}
