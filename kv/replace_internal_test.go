package kv

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
)

func dumpAll(t *testing.T, db *DB) string {
	t.Helper()
	it, err := db.NewIter(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	var sb strings.Builder
	for ok := it.First(); ok; ok = it.Next() {
		v, err := it.Value()
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&sb, "%s=%s\n", it.Key(), v)
	}
	if err := it.Error(); err != nil {
		t.Fatal(err)
	}
	return sb.String()
}

// TestReplacement: the spans of a replacement hold exactly its keys after
// Ingest, whatever they held before (in sstables or the memtable); keys
// outside them stay; a replacement split over several sstables covers its
// spans whole; a crash image taken at any point holds the old contents or
// the new, never a mix.
func TestReplacement(t *testing.T) {
	defer func(n uint64) { replaceFileSize = n }(replaceFileSize)
	replaceFileSize = 4 << 10
	fs := vfs.NewCrashableMem()
	opts := Options{FS: fs, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	db, err := Open("db", opts)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	set := func(kvs ...string) {
		b := db.NewBatch()
		for i := 0; i < len(kvs); i += 2 {
			if err := b.Set([]byte(kvs[i]), []byte(kvs[i+1])); err != nil {
				t.Fatal(err)
			}
		}
		d, err := db.CommitLocal(b)
		if err == nil {
			err = d.Wait()
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	set("a1", "old", "b1", "old", "c1", "keep", "d1", "old")
	if err := db.Flush(); err != nil {
		t.Fatal(err)
	}
	set("a2", "old in memtable", "d2", "old in memtable", "e1", "keep")
	before := dumpAll(t, db)

	r, err := db.NewReplacement("repl")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := r.Span(Span{Start: []byte("a"), End: []byte("c")}); err != nil {
		t.Fatal(err)
	}
	var want strings.Builder
	for i := range 200 {
		k, v := fmt.Sprintf("a%04d", i), strings.Repeat("v", 100)
		if err := r.Set([]byte(k), []byte(v)); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&want, "%s=%s\n", k, v)
	}
	if err := r.Set([]byte("a0000"), nil); err == nil {
		t.Fatal("a key out of order was accepted")
	}
	if err := r.Set([]byte("z"), nil); err == nil {
		t.Fatal("a key outside the span was accepted")
	}
	want.WriteString("c1=keep\n")
	if err := r.Span(Span{Start: []byte("d"), End: []byte("e")}); err != nil {
		t.Fatal(err) // an empty span: only deleted
	}
	want.WriteString("e1=keep\n")
	if len(r.paths) < 3 {
		t.Fatalf("%d sstables for 20 KB at 4 KiB each, want several", len(r.paths))
	}
	imgBefore := fs.CrashClone(vfs.CrashCloneCfg{})
	if err := r.Ingest(); err != nil {
		t.Fatal(err)
	}
	imgAfter := fs.CrashClone(vfs.CrashCloneCfg{})
	if got := dumpAll(t, db); got != want.String() {
		t.Fatalf("after ingest:\n%s\nwant:\n%s", got, want.String())
	}
	if err := r.Ingest(); err == nil {
		t.Fatal("a replacement was ingested twice")
	}
	for name, c := range map[string]struct {
		fs   *vfs.MemFS
		want string
	}{"before": {imgBefore, before}, "after": {imgAfter, want.String()}} {
		o := opts
		o.FS = c.fs
		cdb, err := Open("db", o)
		if err != nil {
			t.Fatal(err)
		}
		if got := dumpAll(t, cdb); got != c.want {
			t.Fatalf("crash %s ingest: got\n%s\nwant\n%s", name, got, c.want)
		}
		_ = cdb.Close()
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if names, _ := fs.List("repl"); len(names) != 0 {
		t.Fatalf("replacement directory left: %v", names)
	}
}
