package kv

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/cockroachdb/pebble/v2"
)

// Sentinel errors. Match them with errors.Is.
var (
	// ErrClosed is returned by every operation on a DB after Close began.
	ErrClosed = errors.New("kv: database closed")
	// ErrFailed is returned by commits after an earlier commit failed to
	// reach the disk: the WAL may be damaged, so nothing more is accepted
	// until the process restarts and recovers.
	ErrFailed = errors.New("kv: database failed; restart to recover")
	// ErrReadOnly is returned by commits to a database opened with
	// Options.ReadOnly.
	ErrReadOnly = errors.New("kv: database is read-only")
	// ErrDiskFull is returned by commits while the filesystem has fewer free
	// bytes than Options.MinFreeDisk.
	ErrDiskFull = errors.New("kv: not enough free disk space")
)

// DB is shale's one Pebble database. It is safe for concurrent use.
//
// Every operation holds a reference on the DB for its duration (an iterator
// from NewIter until Close; a sync-mode commit until Durable.Wait), and Close
// waits for all references before closing Pebble: Pebble panics on use after
// close, shale returns ErrClosed.
type DB struct {
	pdb   *pebble.DB
	popts *pebble.Options // as opened; replace.go writes sstables with them
	dir   string
	opts  Options
	log   *slog.Logger

	mu struct {
		sync.Mutex
		refs    int
		closing bool
		drained *sync.Cond // signalled when refs drops to 0 while closing
	}

	failed atomic.Pointer[error]
	// wedged is set when Pebble panicked inside its commit pipeline and left
	// the pipeline's lock held: Close must not call into Pebble again.
	wedged atomic.Bool
	// gate serialises the calls that write to the WAL (enterPebble).
	gate sync.Mutex

	disk struct {
		checked     atomic.Int64  // unix nanos of the last statfs
		free        atomic.Uint64 // free bytes at that time
		full        atomic.Bool   // free < MinFreeDisk at that time
		sinceCheck  atomic.Int64  // bytes committed since then
		warnedStats atomic.Bool
	}

	repl     atomic.Pointer[Replicator] // replicate.go; nil: commits are local
	interval *intervalSyncer            // nil unless DurabilityInterval
	metrics  *metrics
}

// Open opens (or creates) the database in dir.
func Open(dir string, opts Options) (*DB, error) {
	opts.EnsureDefaults()
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	db := &DB{dir: dir, opts: opts, log: opts.Logger.With("component", "kv")}
	db.mu.drained = sync.NewCond(&db.mu.Mutex)
	db.metrics = newMetrics(db)

	cache := pebble.NewCache(opts.CacheSize)
	defer cache.Unref()
	po := &pebble.Options{
		FS:                 opts.FS,
		Cache:              cache,
		MemTableSize:       opts.MemTableSize,
		FormatMajorVersion: pebble.FormatNewest,
		Logger:             pebbleLogger{db},
		EventListener:      db.eventListener(),
		ReadOnly:           opts.ReadOnly,
	}
	// A flush writes sstables (and, with value separation, blob files) of
	// about TargetFileSizes[0] each, 2 MiB by default: 30 of each for one
	// 64 MiB memtable of messages, every one created, written and fsynced
	// on its own. 16 MiB cuts that eightfold; measured, the server spent 8 %
	// less CPU per GB produced and the producers' p99 fell by half
	// (docs/performance.md, "TCP produce, measured again"). It still cuts a flush by
	// key range, so retention frees a partition's blob files whole.
	po.TargetFileSizes[0] = 16 << 20
	if opts.SeparateValues > 0 {
		// Message chunks are written once, in key order, and deleted from
		// the front: a blob file is freed whole once retention has deleted
		// every chunk in it, so little garbage builds up. Rewrites of
		// partly dead blob files wait until a fifth of one is garbage.
		//
		// A compaction whose output would reference more than
		// MaxBlobReferenceDepth possibly overlapping blob files copies the
		// values into new blob files instead. Pebble's estimate sums each
		// input level's depth, so it climbs with every L0 compaction although
		// a partition's chunks, written in key order, barely overlap: at 10,
		// 0.7-1.0 GB of a 1.6 GB produce was copied again (with the tables'
		// 4 KiB blocks, see setBlobBlockSize); at 30, nothing, for a fifth
		// less server CPU (docs/performance.md, "TCP poll").
		min := opts.SeparateValues
		po.Experimental.ValueSeparationPolicy = func() pebble.ValueSeparationPolicy {
			return pebble.ValueSeparationPolicy{
				Enabled:               true,
				MinimumSize:           min,
				MaxBlobReferenceDepth: 30,
				RewriteMinimumAge:     5 * time.Minute,
				TargetGarbageRatio:    0.2,
			}
		}
		if opts.BlobBlockSize > 0 {
			setBlobBlockSize(po, opts.BlobBlockSize)
		}
	}
	if !opts.Compress {
		po.ApplyCompressionSettings(func() pebble.DBCompressionSettings { return pebble.DBCompressionNone })
	}
	if !opts.ReadOnly {
		po.FS = walWatchFS{FS: opts.FS, db: db}
	}
	pdb, err := pebble.Open(dir, po)
	if err != nil {
		return nil, fmt.Errorf("kv: open %s: %w", dir, err)
	}
	db.pdb, db.popts = pdb, po
	if opts.Durability == DurabilityInterval && !opts.ReadOnly {
		db.interval = startIntervalSyncer(db)
	}
	if opts.Registerer != nil {
		if err := db.metrics.register(opts.Registerer); err != nil {
			_ = db.Close()
			return nil, err
		}
	}
	return db, nil
}

// Close waits for in-flight operations, syncs the WAL and closes Pebble.
// Operations started after Close began return ErrClosed.
func (db *DB) Close() error {
	db.mu.Lock()
	if db.mu.closing {
		db.mu.Unlock()
		return ErrClosed
	}
	db.mu.closing = true
	for db.mu.refs > 0 {
		db.mu.drained.Wait()
	}
	db.mu.Unlock()

	var errs []error
	if db.interval != nil {
		errs = append(errs, db.interval.stop())
	}
	if db.failed.Load() == nil && !db.opts.ReadOnly {
		// A clean shutdown leaves nothing to replay: flush the WAL to disk.
		errs = append(errs, db.pdb.LogData(nil, pebble.Sync))
	}
	if db.wedged.Load() {
		// Pebble's commit pipeline is locked by the panic that wedged it and
		// its Close would wait for that lock forever. The WAL on disk is
		// what a restart replays; the files are released when the process
		// exits.
		errs = append(errs, fmt.Errorf("%w: Pebble not closed", *db.failed.Load()))
	} else {
		errs = append(errs, db.pdb.Close())
	}
	if db.opts.Registerer != nil {
		db.metrics.unregister(db.opts.Registerer)
	}
	return errors.Join(errs...)
}

// acquire takes a reference for one operation. REQUIRES: release afterwards.
func (db *DB) acquire() error {
	db.mu.Lock()
	defer db.mu.Unlock()
	if db.mu.closing {
		return ErrClosed
	}
	db.mu.refs++
	return nil
}

func (db *DB) release() {
	db.mu.Lock()
	db.mu.refs--
	if db.mu.refs == 0 && db.mu.closing {
		db.mu.drained.Broadcast()
	}
	db.mu.Unlock()
}

// Get copies the value of key into dst (which may be nil) and reports whether
// the key exists. The returned slice is the caller's.
func (db *DB) Get(dst, key []byte) ([]byte, bool, error) {
	if err := db.acquire(); err != nil {
		return nil, false, err
	}
	defer db.release()
	v, closer, err := db.pdb.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return dst, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	dst = append(dst, v...)
	return dst, true, closer.Close()
}

// Compact compacts [lower, upper) so that data removed by range deletes
// leaves the disk. It blocks until the compaction is done.
func (db *DB) Compact(ctx context.Context, lower, upper []byte) error {
	if err := db.acquire(); err != nil {
		return err
	}
	defer db.release()
	return db.pdb.Compact(ctx, lower, upper, true)
}

// Flush writes the memtable to an sstable. Tests and benchmarks use it.
func (db *DB) Flush() error {
	if err := db.acquire(); err != nil {
		return err
	}
	defer db.release()
	return db.pdb.Flush()
}

// Checkpoint writes a consistent copy of the database to dir, which must not
// exist, while the database keeps serving. Files are hard-linked where the
// filesystem allows; the WAL is flushed first so every commit acknowledged
// before the call is in the copy.
func (db *DB) Checkpoint(dir string) error {
	if err := db.acquire(); err != nil {
		return err
	}
	defer db.release()
	return db.pdb.Checkpoint(dir, pebble.WithFlushedWAL())
}

// DiskUsage is the number of bytes the database occupies on disk.
func (db *DB) DiskUsage() uint64 {
	if err := db.acquire(); err != nil {
		return 0
	}
	defer db.release()
	return db.pdb.Metrics().DiskSpaceUsage()
}

// EstimateDiskUsage estimates the on-disk bytes of keys in [lower, upper).
func (db *DB) EstimateDiskUsage(lower, upper []byte) (uint64, error) {
	if err := db.acquire(); err != nil {
		return 0, err
	}
	defer db.release()
	return db.pdb.EstimateDiskUsage(lower, upper)
}

// Dir is the directory the database lives in.
func (db *DB) Dir() string { return db.dir }

// Durability is the mode the database was opened with.
func (db *DB) Durability() Durability { return db.opts.Durability }

// ReadOnly reports whether the database was opened with Options.ReadOnly, so
// commits fail.
func (db *DB) ReadOnly() bool { return db.opts.ReadOnly }

// checkDisk refuses a commit of n bytes when free space is below the
// configured minimum. statfs runs at most every 100ms, or sooner once an
// eighth of the reserve (at most 16 MiB) was committed since the last look,
// so a fast producer cannot overshoot far into the reserve, which must also
// hold the memtable flush that follows the last accepted commit.
func (db *DB) checkDisk(n int) error {
	if db.opts.MinFreeDisk == 0 {
		return nil
	}
	now := time.Now().UnixNano()
	since := db.disk.sinceCheck.Add(int64(n))
	step := int64(min(16<<20, db.opts.MinFreeDisk/8))
	if now-db.disk.checked.Load() > int64(100*time.Millisecond) || since > step {
		free, err := db.opts.FreeDisk(db.dir)
		if err != nil {
			if !db.disk.warnedStats.Swap(true) {
				db.log.Warn("cannot read free disk space; the disk-full guard is off", "err", err)
			}
			return nil
		}
		db.observeFree(free)
	}
	if db.disk.full.Load() {
		db.metrics.writeErrors.WithLabelValues("disk_full").Inc()
		return fmt.Errorf("%w: %d bytes free, %d required", ErrDiskFull, db.disk.free.Load(), db.opts.MinFreeDisk)
	}
	return nil
}

func statfsFree(dir string) (uint64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, err
	}
	return st.Bavail * uint64(st.Bsize), nil
}

// pebbleLogger routes Pebble's log lines to slog. Fatalf means Pebble's commit
// pipeline or manifest is broken beyond repair in this process.
type pebbleLogger struct{ db *DB }

func (l pebbleLogger) Infof(format string, args ...any) {
	l.db.log.Debug(fmt.Sprintf(format, args...))
}

func (l pebbleLogger) Errorf(format string, args ...any) {
	l.db.log.Error(fmt.Sprintf(format, args...))
}

// One fatal error is not fatal to shale: a commit whose WAL write or sync
// failed ("fatal commit error", raised by Pebble's Apply with Sync and by
// LogData). Pebble's commit pipeline cannot be used again, but reads can: the
// database enters the failed state, the commit that saw it returns ErrFailed
// (commitFailed) and so does every later one, until a restart.
func (l pebbleLogger) Fatalf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if strings.HasPrefix(msg, "pebble: fatal commit error") {
		_ = l.db.latch(errors.New(msg))
		return
	}
	l.db.log.Error("fatal storage error", "err", msg)
	if l.db.opts.OnFatal != nil {
		l.db.opts.OnFatal(msg)
		return
	}
	os.Exit(70) // EX_SOFTWARE; the WAL makes a restart safe.
}

var _ io.Closer = (*DB)(nil)
