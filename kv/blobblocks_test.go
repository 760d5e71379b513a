package kv

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"testing"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
)

// TestBlobBlockSize: a sequential read of separated values written by a
// flush reads one blob block per BlobBlockSize, not one per value, and the
// tables below L0 keep Pebble's 4 KiB blocks.
func TestBlobBlockSize(t *testing.T) {
	const values, size = 128, 16 << 10 // 2 MiB of 16 KiB values, like message chunks
	misses := func(blobBlock int) int64 {
		db, err := Open("db", Options{FS: vfs.NewMem(), BlobBlockSize: blobBlock, MinFreeDisk: 0,
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		for i := range values {
			b := db.NewBatch()
			if err := b.Set(NewKey(nil, TagMessages).U64(uint64(i)), bytes.Repeat([]byte{byte(i)}, size)); err != nil {
				t.Fatal(err)
			}
			d, err := db.Commit(b)
			if err != nil {
				t.Fatal(err)
			}
			if err := d.Wait(); err != nil {
				t.Fatal(err)
			}
		}
		if err := db.Flush(); err != nil {
			t.Fatal(err)
		}
		before := db.pdb.Metrics().BlockCache.Misses
		it, err := db.NewIter(nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for ok := it.First(); ok; ok = it.Next() {
			v, err := it.Value()
			if err != nil {
				t.Fatal(err)
			}
			if len(v) != size || v[0] != byte(n) {
				t.Fatalf("value %d: %d bytes starting %d", n, len(v), v[0])
			}
			n++
		}
		if err := it.Close(); err != nil {
			t.Fatal(err)
		}
		if n != values {
			t.Fatalf("read %d values, want %d", n, values)
		}
		return db.pdb.Metrics().BlockCache.Misses - before
	}
	small, large := misses(-1), misses(0)
	t.Logf("block cache misses reading %d values: %d with 4 KiB blob blocks, %d with the default", values, small, large)
	if small < values {
		t.Errorf("4 KiB blob blocks: %d block cache misses reading %d values, want one a value at least", small, values)
	}
	// 2 MiB in 256 KiB blocks: 8 value blocks, plus the blob file's index
	// and the table's own blocks.
	if large > 16 {
		t.Errorf("default blob blocks: %d block cache misses reading %d values, want at most 16", large, values)
	}

	var po pebble.Options
	setBlobBlockSize(&po, 256<<10)
	po.EnsureDefaults()
	if po.Levels[0].BlockSize != 256<<10 || po.Levels[0].IndexBlockSize != pebbleBlockSize {
		t.Errorf("L0: block size %d, index block size %d", po.Levels[0].BlockSize, po.Levels[0].IndexBlockSize)
	}
	for i := 1; i < len(po.Levels); i++ {
		if l := po.Levels[i]; l.BlockSize != pebbleBlockSize || l.IndexBlockSize != pebbleBlockSize {
			t.Errorf("L%d: block size %d, index block size %d, want Pebble's 4 KiB", i, l.BlockSize, l.IndexBlockSize)
		}
	}
}

// BenchmarkGetAfterFlush: point reads of small values (metadata: offsets,
// counters, the catalog) in a table a flush wrote, so in L0, whose data
// blocks take the blob block size. With a cache that holds the table a read
// costs the same whatever the block size; with one too small for it (every
// read a miss) larger blocks cost a larger read.
func BenchmarkGetAfterFlush(b *testing.B) {
	const keys = 50_000
	for _, blob := range []int{-1, 0} {
		for _, cache := range []int64{256 << 20, 1 << 20} {
			name := fmt.Sprintf("blob-block=%s/cache=%dMiB", map[int]string{-1: "4KiB", 0: "default"}[blob], cache>>20)
			b.Run(name, func(b *testing.B) {
				db, err := Open(b.TempDir(), Options{BlobBlockSize: blob, CacheSize: cache, MinFreeDisk: 0,
					Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
				if err != nil {
					b.Fatal(err)
				}
				defer db.Close()
				batch := db.NewBatch()
				for i := range keys {
					if err := batch.Set(NewKey(nil, TagMessages).U64(uint64(i)), make([]byte, 64)); err != nil {
						b.Fatal(err)
					}
				}
				d, err := db.Commit(batch)
				if err != nil {
					b.Fatal(err)
				}
				if err := d.Wait(); err != nil {
					b.Fatal(err)
				}
				if err := db.Flush(); err != nil {
					b.Fatal(err)
				}
				rng := rand.New(rand.NewPCG(1, 2))
				var dst []byte
				b.ReportAllocs()
				b.ResetTimer()
				for range b.N {
					var ok bool
					if dst, ok, err = db.Get(dst[:0], NewKey(nil, TagMessages).U64(uint64(rng.IntN(keys)))); err != nil || !ok {
						b.Fatal(ok, err)
					}
				}
			})
		}
	}
}
