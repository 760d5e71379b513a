package kv

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"

	"github.com/cockroachdb/pebble/v2/objstorage/objstorageprovider"
	"github.com/cockroachdb/pebble/v2/sstable"
	"github.com/cockroachdb/pebble/v2/vfs"
)

// A Replacement swaps whole key spans of a live database for new contents
// in one atomic step, without building them in memory (package cluster
// installs a raft snapshot with it, docs/cluster.md "Snapshots"). The new
// keys are written, in key order, into sstables in a directory beside the
// database; every span's sstables also carry a range deletion of the whole
// span. Ingest then adds all of them to the database in one Pebble ingestion:
// the ingested keys and range deletions get one sequence number, above every
// key already there, so the deletions remove every older key of the spans and
// none of the new ones. A crash leaves the database with all of it or none.
type Replacement struct {
	db    *DB
	dir   string
	wo    sstable.WriterOptions
	paths []string

	w    *sstable.Writer
	lo   []byte // the current file's span starts here
	span Span
	last []byte
	err  error
}

// Span is the keys k with Start ≤ k < End.
type Span struct{ Start, End []byte }

// replaceFileSize is the size at which a Replacement starts its next
// sstable (tests make it small).
var replaceFileSize uint64 = 64 << 20

// NewReplacement starts a replacement whose sstables go to dir (created;
// it must be beside the database, on the same filesystem). Close removes
// dir, whatever happened.
func (db *DB) NewReplacement(dir string) (*Replacement, error) {
	if err := db.opts.FS.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	o := db.popts.Clone()
	o.EnsureDefaults()
	return &Replacement{db: db, dir: dir, wo: o.MakeWriterOptions(0, db.pdb.TableFormat())}, nil
}

// Span ends the previous span and starts s: the keys Set from now on are
// s's, and every key of s the database holds now goes. Spans must not
// overlap.
func (r *Replacement) Span(s Span) error {
	if r.err != nil {
		return r.err
	}
	if bytes.Compare(s.Start, s.End) >= 0 {
		return fmt.Errorf("kv: replacement span [%x, %x) is empty", s.Start, s.End)
	}
	if r.w != nil {
		if err := r.finish(r.span.End); err != nil {
			return err
		}
	}
	r.span = Span{Start: bytes.Clone(s.Start), End: bytes.Clone(s.End)}
	r.last = nil
	return r.open(r.span.Start)
}

func (r *Replacement) open(lo []byte) error {
	path := filepath.Join(r.dir, fmt.Sprintf("%06d.sst", len(r.paths)))
	f, err := r.db.opts.FS.Create(path, vfs.WriteCategoryUnspecified)
	if err != nil {
		r.err = err
		return err
	}
	r.paths = append(r.paths, path)
	r.w = sstable.NewWriter(objstorageprovider.NewFileWritable(f), r.wo)
	r.lo = bytes.Clone(lo)
	return nil
}

// finish closes the current file with a range deletion of [lo, hi); Close
// syncs it, as Ingest requires.
func (r *Replacement) finish(hi []byte) error {
	w := r.w
	r.w = nil
	err := w.DeleteRange(r.lo, hi)
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		r.err = err
	}
	return err
}

// Set adds key → value to the current span. Keys come in ascending order.
func (r *Replacement) Set(key, value []byte) error {
	if r.err != nil {
		return r.err
	}
	if r.w == nil || bytes.Compare(key, r.span.Start) < 0 || bytes.Compare(key, r.span.End) >= 0 {
		return fmt.Errorf("kv: replacement key %x outside its span", key)
	}
	if r.last != nil && bytes.Compare(key, r.last) <= 0 {
		return fmt.Errorf("kv: replacement key %x not after %x", key, r.last)
	}
	if r.w.Raw().EstimatedSize() >= replaceFileSize {
		// The next file's range deletion starts at this key, so the
		// files' spans stay disjoint and cover the whole span.
		if err := r.finish(key); err != nil {
			return err
		}
		if err := r.open(key); err != nil {
			return err
		}
	}
	r.last = append(r.last[:0], key...)
	if err := r.w.Set(key, value); err != nil {
		r.err = err
		return err
	}
	return nil
}

// CopySpan sets every key of src in s (an iterator over a consistent
// view, such as a checkpoint opened with OpenCheckpoint) as s's new
// contents. Values are copied one at a time.
func (r *Replacement) CopySpan(src *DB, s Span) error {
	if err := r.Span(s); err != nil {
		return err
	}
	it, err := src.NewIter(s.Start, s.End)
	if err != nil {
		return err
	}
	defer it.Close()
	for ok := it.First(); ok; ok = it.Next() {
		v, err := it.Value()
		if err != nil {
			return err
		}
		if err := r.Set(it.Key(), v); err != nil {
			return err
		}
	}
	return it.Error()
}

// Ingest ends the last span and applies the whole replacement to the
// database atomically. The sstables move into the database.
func (r *Replacement) Ingest() error {
	if r.err != nil {
		return r.err
	}
	if r.w != nil {
		if err := r.finish(r.span.End); err != nil {
			return err
		}
	}
	if len(r.paths) == 0 {
		return errors.New("kv: empty replacement")
	}
	if err := r.db.acquire(); err != nil {
		return err
	}
	defer r.db.release()
	if r.db.opts.ReadOnly {
		return ErrReadOnly
	}
	// An ingestion may write to the WAL (when it overlaps the memtable),
	// so it enters Pebble as a commit does.
	if err := r.db.enterPebble(func() error { return r.db.pdb.Ingest(context.Background(), r.paths) }); err != nil {
		r.err = fmt.Errorf("kv: ingest replacement: %w", err)
		return r.err
	}
	r.paths = nil
	r.err = errors.New("kv: replacement already ingested")
	return nil
}

// Close abandons what was not ingested and removes the directory.
func (r *Replacement) Close() error {
	if r.w != nil {
		_ = r.w.Close()
		r.w = nil
	}
	return r.db.opts.FS.RemoveAll(r.dir)
}

// OpenCheckpoint opens a checkpoint of a database (Checkpoint) that lies on
// db's filesystem, read-only: the copy is not changed, its WAL is replayed
// into memory. The caller closes it.
func (db *DB) OpenCheckpoint(dir string) (*DB, error) {
	return Open(dir, Options{
		FS:             db.opts.FS,
		ReadOnly:       true,
		CacheSize:      8 << 20,
		MinFreeDisk:    0,
		SeparateValues: -1,
		Logger:         db.opts.Logger,
		// A damaged copy is the copy's problem, never a reason to stop
		// the server that reads it.
		OnFatal: func(msg string) { db.log.Error("checkpoint unreadable", "dir", dir, "err", msg) },
	})
}

// Files is the database's filesystem, for directories kept beside it
// (checkpoints, snapshot transfers). Paths are the filesystem's own.
type Files struct{ fs vfs.FS }

// File is one open file of Files.
type File interface {
	io.Reader
	io.Writer
	io.Closer
	Sync() error
}

// FileInfo names a file of a directory and its size.
type FileInfo struct {
	Name string
	Size int64
	Dir  bool
}

// Files is the filesystem the database lives on.
func (db *DB) Files() Files { return Files{fs: db.opts.FS} }

// MkdirAll creates dir and its parents.
func (f Files) MkdirAll(dir string) error { return f.fs.MkdirAll(dir, 0o755) }

// RemoveAll removes path and everything below it.
func (f Files) RemoveAll(path string) error { return f.fs.RemoveAll(path) }

// Create creates (or truncates) a file for writing.
func (f Files) Create(path string) (File, error) {
	return f.fs.Create(path, vfs.WriteCategoryUnspecified)
}

// Open opens a file for reading.
func (f Files) Open(path string) (File, error) { return f.fs.Open(path) }

// List names the entries of dir, sorted, with their sizes. A missing dir
// has none.
func (f Files) List(dir string) ([]FileInfo, error) {
	names, err := f.fs.List(dir)
	if err != nil {
		if oserrorIsNotExist(err) {
			return nil, nil
		}
		return nil, err
	}
	sort.Strings(names)
	out := make([]FileInfo, 0, len(names))
	for _, name := range names {
		st, err := f.fs.Stat(filepath.Join(dir, name))
		if err != nil {
			return nil, err
		}
		out = append(out, FileInfo{Name: name, Size: st.Size(), Dir: st.IsDir()})
	}
	return out, nil
}

// SyncDir makes the entries of dir durable.
func (f Files) SyncDir(dir string) error {
	d, err := f.fs.OpenDir(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

func oserrorIsNotExist(err error) bool { return errors.Is(err, os.ErrNotExist) }
