package kv_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/shalemq/shale/kv"
)

// TestReadOnlyCheckpoint opens a checkpoint read-only, as a backup does to
// describe it: everything committed before the checkpoint is readable (the
// WAL is replayed in memory), commits fail, and no file is added or changed
// except Pebble's LOCK.
func TestReadOnlyCheckpoint(t *testing.T) {
	dir := t.TempDir()
	db, err := kv.Open(filepath.Join(dir, "db"), kv.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for i := range 10 {
		commitOne(t, db, key(i), []byte("value"))
	}
	ckpt := filepath.Join(dir, "ckpt")
	if err := db.Checkpoint(ckpt); err != nil {
		t.Fatal(err)
	}
	before := listing(t, ckpt)

	ro, err := kv.Open(ckpt, kv.Options{ReadOnly: true, Durability: kv.DurabilityInterval})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		if v, ok, err := ro.Get(nil, key(i)); !ok || err != nil || string(v) != "value" {
			t.Fatalf("key %d in the read-only checkpoint: %q %v %v", i, v, ok, err)
		}
	}
	b := ro.NewBatch()
	_ = b.Set(key(99), []byte("x"))
	if _, err := ro.Commit(b); !errors.Is(err, kv.ErrReadOnly) {
		t.Fatalf("a commit to a read-only database: %v, want ErrReadOnly", err)
	}
	if err := ro.Close(); err != nil {
		t.Fatal(err)
	}
	after := listing(t, ckpt)
	delete(after, "LOCK")
	if len(after) != len(before) {
		t.Fatalf("files before %v, after %v", before, after)
	}
	for name, size := range before {
		if after[name] != size {
			t.Fatalf("%s changed: %d → %d bytes", name, size, after[name])
		}
	}
}

func listing(t *testing.T, dir string) map[string]int64 {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, e := range entries {
		info, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = info.Size()
	}
	return out
}
