package kv

import (
	"errors"
	"io"
	"log/slog"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// TestPebblePanicWedges: a panic inside Pebble's commit pipeline (what
// Pebble does when its WAL writer latched an error a concurrent commit has
// not reported yet) becomes ErrFailed for the commit, every later commit is
// refused without entering Pebble, and Close returns instead of waiting for
// the pipeline lock the panic left held. The real race is too narrow to
// provoke on demand; the panic is injected where Pebble would raise it.
func TestPebblePanicWedges(t *testing.T) {
	db, err := Open("db", Options{FS: vfs.NewMem(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	err = db.pebbleCommit(func() error { panic("pebble: WAL writer failed") })
	if err == nil || !db.wedged.Load() {
		t.Fatalf("panic in the pipeline: err %v, wedged %v", err, db.wedged.Load())
	}
	_ = db.fail(err)
	b := db.NewBatch()
	_ = b.Set([]byte("k"), []byte("v"))
	if _, err := db.Commit(b); !errors.Is(err, ErrFailed) {
		t.Fatalf("commit after the panic: %v, want ErrFailed", err)
	}
	if h := db.Health(); h.Degraded() != "failed" {
		t.Fatalf("health after the panic: %+v", h)
	}
	if err := db.Close(); !errors.Is(err, ErrFailed) {
		t.Fatalf("close of a wedged database: %v, want ErrFailed", err)
	}
	// This panic was injected, so Pebble's pipeline is in fact usable:
	// close it, or its goroutines would outlive the test.
	if err := db.pdb.Close(); err != nil {
		t.Fatal(err)
	}
}
