package kv_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/shalemq/shale/kv"
	"github.com/shalemq/shale/kv/kvtest"
)

func key(i int) []byte { return kv.NewKey(nil, kv.TagMessages).U32(1).U64(uint64(i)) }

func commitOne(t *testing.T, db *kv.DB, k, v []byte) {
	t.Helper()
	b := db.NewBatch()
	if err := b.Set(k, v); err != nil {
		t.Fatal(err)
	}
	d, err := db.Commit(b)
	if err != nil {
		t.Fatalf("commit: %v", err)
	}
	if err := d.Wait(); err != nil {
		t.Fatalf("wait: %v", err)
	}
}

func TestKeyOrderAndPrefixEnd(t *testing.T) {
	a := kv.NewKey(nil, kv.TagMessages).U32(0).U32(1).U32(2).U64(255)
	b := kv.NewKey(nil, kv.TagMessages).U32(0).U32(1).U32(2).U64(256)
	if bytes.Compare(a, b) >= 0 {
		t.Fatalf("big-endian keys must sort numerically: %x !< %x", a, b)
	}
	prefix := kv.NewKey(nil, kv.TagMessages).U32(0).U32(1).U32(2)
	end := kv.PrefixEnd(nil, prefix)
	if bytes.Compare(b, end) >= 0 || bytes.Compare(prefix, end) >= 0 {
		t.Fatalf("PrefixEnd %x must be above every key with prefix %x", end, prefix)
	}
	if next := kv.NewKey(nil, kv.TagMessages).U32(0).U32(1).U32(3); bytes.Compare(end, next) > 0 {
		t.Fatalf("PrefixEnd %x must not pass the next partition %x", end, next)
	}
	if got := kv.PrefixEnd(nil, []byte{1, 0xff, 0xff}); !bytes.Equal(got, []byte{2}) {
		t.Fatalf("PrefixEnd carries over 0xff: got %x", got)
	}
	if got := kv.PrefixEnd(nil, []byte{0xff}); got != nil {
		t.Fatalf("all-0xff prefix has no end, got %x", got)
	}
	if kv.U32At(a, 5) != 1 || kv.U64At(a, 13) != 255 {
		t.Fatal("U32At/U64At do not read back what the builder wrote")
	}
}

func TestGetSetIterate(t *testing.T) {
	db := kvtest.Open(t, kv.Options{})
	for i := range 10 {
		commitOne(t, db, key(i), []byte(fmt.Sprint("v", i)))
	}
	v, ok, err := db.Get(nil, key(3))
	if err != nil || !ok || string(v) != "v3" {
		t.Fatalf("Get = %q %v %v", v, ok, err)
	}
	if _, ok, err := db.Get(nil, key(99)); ok || err != nil {
		t.Fatalf("missing key: ok=%v err=%v", ok, err)
	}
	it, err := db.NewIter(key(2), key(5))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for it.First(); it.Valid(); it.Next() {
		v, err := it.Value()
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, string(v))
	}
	if err := it.Close(); err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, ",") != "v2,v3,v4" {
		t.Fatalf("iter [2,5) = %v", got)
	}
}

// TestDurableAfterCrash commits from several goroutines in every mode, waits
// for durability, then "crashes" (keeps only fsynced data) and reopens: every
// batch whose Wait returned must be there.
func TestDurableAfterCrash(t *testing.T) {
	modes := []struct {
		name string
		opts kv.Options
	}{
		{"sync-nosyncwait", kv.Options{Durability: kv.DurabilitySync, Pipeline: kv.PipelineNoSyncWait}},
		{"sync-apply", kv.Options{Durability: kv.DurabilitySync, Pipeline: kv.PipelineApply}},
		{"interval", kv.Options{Durability: kv.DurabilityInterval, SyncInterval: time.Millisecond}},
	}
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			fs := kvtest.NewCrashable()
			db := fs.Open(t, m.opts)
			const writers, each = 8, 25
			var wg sync.WaitGroup
			for w := range writers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range each {
						commitOne(t, db, key(w*1000+i), []byte("x"))
					}
				}()
			}
			wg.Wait()
			crashed := fs.Crash()
			_ = db.Close()

			db2 := crashed.Open(t, m.opts)
			defer db2.Close()
			for w := range writers {
				for i := range each {
					if _, ok, err := db2.Get(nil, key(w*1000+i)); !ok || err != nil {
						t.Fatalf("acknowledged key %d/%d lost after crash (err %v)", w, i, err)
					}
				}
			}
		})
	}
}

// TestUnsyncedIsNotDurable shows the crash filesystem really drops unsynced
// data: without Wait in interval mode nothing is promised, and a crash before
// the first sync loses the write. This keeps TestDurableAfterCrash honest.
func TestUnsyncedIsNotDurable(t *testing.T) {
	fs := kvtest.NewCrashable()
	db := fs.Open(t, kv.Options{Durability: kv.DurabilityInterval, SyncInterval: time.Hour})
	b := db.NewBatch()
	_ = b.Set(key(1), []byte("x"))
	d, err := db.Commit(b)
	if err != nil {
		t.Fatal(err)
	}
	crashed := fs.Crash()
	_ = db.Close() // the final sync makes d durable in the original
	if err := d.Wait(); err != nil {
		t.Fatal(err)
	}
	db2 := crashed.Open(t, kv.Options{})
	defer db2.Close()
	if _, ok, _ := db2.Get(nil, key(1)); ok {
		t.Fatal("a write that was never fsynced survived the crash; the crash test proves nothing")
	}
}

// countingFS counts WAL syncs and can hold the first one until released,
// so the test can queue commits behind it deterministically.
type countingFS struct {
	vfs.FS
	syncs   atomic.Int64
	hold    chan struct{}
	holding atomic.Bool
	held    chan struct{}
}

func (fs *countingFS) wrap(f vfs.File, name string) vfs.File {
	if strings.HasSuffix(name, ".log") {
		return &countingFile{File: f, fs: fs}
	}
	return f
}

func (fs *countingFS) Create(name string, cat vfs.DiskWriteCategory) (vfs.File, error) {
	f, err := fs.FS.Create(name, cat)
	if err != nil {
		return nil, err
	}
	return fs.wrap(f, name), nil
}

func (fs *countingFS) ReuseForWrite(old, name string, cat vfs.DiskWriteCategory) (vfs.File, error) {
	f, err := fs.FS.ReuseForWrite(old, name, cat)
	if err != nil {
		return nil, err
	}
	return fs.wrap(f, name), nil
}

type countingFile struct {
	vfs.File
	fs *countingFS
}

func (f *countingFile) sync() {
	f.fs.syncs.Add(1)
	if f.fs.holding.CompareAndSwap(true, false) {
		close(f.fs.held)
		<-f.fs.hold
	}
}

func (f *countingFile) Sync() error     { f.sync(); return f.File.Sync() }
func (f *countingFile) SyncData() error { f.sync(); return f.File.SyncData() }

// TestGroupCommit holds the WAL's first fsync while 64 goroutines commit;
// once released, the queued commits must share a handful of fsyncs rather
// than one each.
func TestGroupCommit(t *testing.T) {
	fs := &countingFS{FS: vfs.NewMem(), hold: make(chan struct{}), held: make(chan struct{})}
	db, err := kv.Open("db", kv.Options{FS: fs})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	fs.holding.Store(true)
	first := make(chan error, 1)
	go func() {
		b := db.NewBatch()
		_ = b.Set(key(0), []byte("x"))
		d, err := db.Commit(b)
		if err == nil {
			err = d.Wait()
		}
		first <- err
	}()
	<-fs.held // the first fsync is in progress and blocked
	before := fs.syncs.Load()

	const n = 64
	durables := make([]kv.Durable, n)
	for i := range n {
		b := db.NewBatch()
		_ = b.Set(key(i+1), []byte("x"))
		d, err := db.Commit(b) // returns before the fsync in this pipeline
		if err != nil {
			t.Fatal(err)
		}
		durables[i] = d
	}
	close(fs.hold)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	for _, d := range durables {
		if err := d.Wait(); err != nil {
			t.Fatal(err)
		}
	}
	if extra := fs.syncs.Load() - before; extra > 4 {
		t.Fatalf("%d queued commits took %d fsyncs; group commit should need only a few", n, extra)
	}
}

func TestClosedDB(t *testing.T) {
	db, err := kv.Open("db", kv.Options{FS: vfs.NewMem()})
	if err != nil {
		t.Fatal(err)
	}
	it, err := db.NewIter(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	closed := make(chan error)
	go func() { closed <- db.Close() }()
	select {
	case <-closed:
		t.Fatal("Close returned while an iterator was open")
	default:
	}
	_ = it.Close()
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	if _, err := db.Commit(db.NewBatch()); !errors.Is(err, kv.ErrClosed) {
		t.Fatalf("commit after close: %v, want ErrClosed", err)
	}
	if _, _, err := db.Get(nil, key(1)); !errors.Is(err, kv.ErrClosed) {
		t.Fatalf("get after close: %v, want ErrClosed", err)
	}
	if _, err := db.NewIter(nil, nil); !errors.Is(err, kv.ErrClosed) {
		t.Fatalf("iter after close: %v, want ErrClosed", err)
	}
}

func TestDiskFullGuard(t *testing.T) {
	var free atomic.Uint64
	free.Store(1 << 30)
	db := kvtest.Open(t, kv.Options{
		MinFreeDisk: 100 << 20,
		FreeDisk:    func(string) (uint64, error) { return free.Load(), nil },
	})
	commitOne(t, db, key(1), []byte("ok"))

	free.Store(10 << 20)
	b := db.NewBatch()
	_ = b.Set(key(2), make([]byte, 17<<20)) // large enough to force a fresh statfs
	if _, err := db.Commit(b); !errors.Is(err, kv.ErrDiskFull) {
		t.Fatalf("commit on a full disk: %v, want ErrDiskFull", err)
	}
	if _, ok, _ := db.Get(nil, key(2)); ok {
		t.Fatal("a refused commit was written")
	}
	free.Store(1 << 30)
	b = db.NewBatch()
	_ = b.Set(key(3), make([]byte, 17<<20))
	if d, err := db.Commit(b); err != nil {
		t.Fatalf("commit after space returned: %v", err)
	} else if err := d.Wait(); err != nil {
		t.Fatal(err)
	}
}

func TestCheckpointAndCompaction(t *testing.T) {
	dir := t.TempDir()
	db, err := kv.Open(filepath.Join(dir, "db"), kv.Options{})
	if err != nil {
		t.Fatal(err)
	}
	value := bytes.Repeat([]byte{0xab}, 1<<20)
	for i := range 48 {
		commitOne(t, db, key(i), value)
	}
	if err := db.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := db.Checkpoint(filepath.Join(dir, "ckpt")); err != nil {
		t.Fatal(err)
	}

	before := db.DiskUsage()
	b := db.NewBatch()
	_ = b.DeleteRange(key(0), key(48))
	d, err := db.Commit(b)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Wait(); err != nil {
		t.Fatal(err)
	}
	if err := db.Compact(context.Background(), key(0), key(48)); err != nil {
		t.Fatal(err)
	}
	// Pebble deletes obsolete files in the background, shortly after.
	kvtest.WaitFor(t, 10*time.Second, func() error {
		if after := db.DiskUsage(); after > before/4 {
			return fmt.Errorf("compaction did not give the space back: %d → %d", before, after)
		}
		return nil
	})
	t.Logf("disk usage %d → %d bytes after range delete + compaction", before, db.DiskUsage())
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	// The values were separated into blob files at the flush (1 MiB is
	// over the default threshold); the checkpoint must carry them.
	if blobs, _ := filepath.Glob(filepath.Join(dir, "ckpt", "*.blob")); len(blobs) == 0 {
		t.Fatal("checkpoint has no blob files: values were not separated")
	}
	ck, err := kv.Open(filepath.Join(dir, "ckpt"), kv.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer ck.Close()
	for i := range 48 {
		if v, ok, err := ck.Get(nil, key(i)); !ok || err != nil || len(v) != len(value) {
			t.Fatalf("checkpoint lost key %d (ok=%v err=%v)", i, ok, err)
		}
	}
}
