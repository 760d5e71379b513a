package kv

import (
	"strings"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// walWatchFS wraps the filesystem Pebble runs on and puts the database in
// the failed state the moment a write or sync of a WAL file fails, before
// Pebble's WAL writer hands the error to the commits waiting on it. Commits
// that start after that moment are refused without entering Pebble, whose
// commit pipeline panics on a WAL writer that has latched an error
// (pebbleCommit).
type walWatchFS struct {
	vfs.FS
	db *DB
}

func isWAL(name string) bool { return strings.HasSuffix(name, ".log") }

func (fs walWatchFS) watch(f vfs.File, name string, err error) (vfs.File, error) {
	if err != nil || !isWAL(name) {
		return f, err
	}
	return walWatchFile{File: f, db: fs.db}, nil
}

func (fs walWatchFS) Create(name string, category vfs.DiskWriteCategory) (vfs.File, error) {
	f, err := fs.FS.Create(name, category)
	return fs.watch(f, name, err)
}

func (fs walWatchFS) ReuseForWrite(oldname, newname string, category vfs.DiskWriteCategory) (vfs.File, error) {
	f, err := fs.FS.ReuseForWrite(oldname, newname, category)
	return fs.watch(f, newname, err)
}

func (fs walWatchFS) OpenReadWrite(name string, category vfs.DiskWriteCategory, opts ...vfs.OpenOption) (vfs.File, error) {
	f, err := fs.FS.OpenReadWrite(name, category, opts...)
	return fs.watch(f, name, err)
}

// Unwrap lets Pebble see the filesystem underneath (vfs.Root).
func (fs walWatchFS) Unwrap() vfs.FS { return fs.FS }

type walWatchFile struct {
	vfs.File
	db *DB
}

func (f walWatchFile) check(err error) error {
	if err != nil {
		_ = f.db.latch(err)
	}
	return err
}

func (f walWatchFile) Write(p []byte) (int, error) {
	n, err := f.File.Write(p)
	return n, f.check(err)
}

func (f walWatchFile) WriteAt(p []byte, off int64) (int, error) {
	n, err := f.File.WriteAt(p, off)
	return n, f.check(err)
}

func (f walWatchFile) Sync() error { return f.check(f.File.Sync()) }

func (f walWatchFile) SyncData() error { return f.check(f.File.SyncData()) }

func (f walWatchFile) SyncTo(length int64) (bool, error) {
	full, err := f.File.SyncTo(length)
	return full, f.check(err)
}
