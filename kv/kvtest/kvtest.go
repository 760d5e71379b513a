package kvtest

import (
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/shalemq/shale/kv"
)

// Open opens a DB on a fresh in-memory filesystem and closes it when the test
// ends. opts.FS is replaced; MinFreeDisk defaults to off.
func Open(t testing.TB, opts kv.Options) *kv.DB {
	t.Helper()
	opts.FS = vfs.NewMem()
	db, err := kv.Open("db", opts)
	if err != nil {
		t.Fatalf("kvtest: open: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// Crashable is an in-memory filesystem that can be "crashed": Crash returns
// the state a power loss at that moment would leave behind (only what was
// fsynced), from which a DB can be reopened.
type Crashable struct {
	FS *vfs.MemFS
}

// Dir is the database directory inside a Crashable filesystem.
const Dir = "db"

// NewCrashable returns an empty crashable filesystem.
func NewCrashable() *Crashable { return &Crashable{FS: vfs.NewCrashableMem()} }

// Open opens the DB on the filesystem. The caller closes it (or abandons it
// after Crash, like a killed process would).
func (c *Crashable) Open(t testing.TB, opts kv.Options) *kv.DB {
	t.Helper()
	opts.FS = c.FS
	db, err := kv.Open(Dir, opts)
	if err != nil {
		t.Fatalf("kvtest: open crashable: %v", err)
	}
	return db
}

// Crash returns a copy of the filesystem holding only synced data, as a
// crash at this moment would leave it. The original keeps running.
func (c *Crashable) Crash() *Crashable {
	return &Crashable{FS: c.FS.CrashClone(vfs.CrashCloneCfg{UnsyncedDataPercent: 0})}
}

// Set writes key → value pairs (alternating) in one batch and waits until it
// is durable, for tests that place records by hand.
func Set(t testing.TB, db *kv.DB, kvs ...[]byte) {
	t.Helper()
	b := db.NewBatch()
	for i := 0; i+1 < len(kvs); i += 2 {
		if err := b.Set(kvs[i], kvs[i+1]); err != nil {
			t.Fatalf("kvtest: set: %v", err)
		}
	}
	d, err := db.Commit(b)
	if err == nil {
		err = d.Wait()
	}
	if err != nil {
		t.Fatalf("kvtest: commit: %v", err)
	}
}
