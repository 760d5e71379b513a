package kv

import (
	"errors"
	"fmt"
	"strings"
	"syscall"
	"time"
)

// Health is the write state of the database (docs/reliability.md, "Disk
// full and disk faults"). Reads are served in every state.
type Health struct {
	// DiskFull is set while the filesystem had fewer free bytes than
	// Options.MinFreeDisk at the last look: commits are refused with
	// ErrDiskFull (nothing written) and accepted again as soon as space
	// returns, without a restart.
	DiskFull bool
	// Failed is the first failure of a WAL write or sync (ErrFailed wraps
	// it). Pebble cannot go on writing after one, so every commit is refused
	// until the process restarts and replays the WAL. Nil while healthy.
	Failed error
	// FreeBytes is the free space at the last look (0 when unknown or the
	// reserve is off); ReserveBytes is Options.MinFreeDisk.
	FreeBytes, ReserveBytes uint64
}

// Degraded names the state in one word: "" (healthy), "disk_full" or
// "failed". Failed wins: it outlasts a full disk.
func (h Health) Degraded() string {
	switch {
	case h.Failed != nil:
		return "failed"
	case h.DiskFull:
		return "disk_full"
	}
	return ""
}

// Health reports the write state. It reads the free space afresh (one
// statfs), so a disk that was freed shows as writable again even before
// the next commit.
func (db *DB) Health() Health {
	h := Health{ReserveBytes: db.opts.MinFreeDisk}
	if f := db.failed.Load(); f != nil {
		h.Failed = *f
	}
	if db.opts.MinFreeDisk > 0 {
		if free, err := db.opts.FreeDisk(db.dir); err == nil {
			db.observeFree(free)
		}
		h.FreeBytes = db.disk.free.Load()
		h.DiskFull = db.disk.full.Load()
	}
	return h
}

// observeFree records a fresh free-space figure and logs the moments the
// database enters and leaves the disk-full state.
func (db *DB) observeFree(free uint64) {
	db.disk.free.Store(free)
	db.disk.checked.Store(time.Now().UnixNano())
	db.disk.sinceCheck.Store(0)
	full := free < db.opts.MinFreeDisk
	if db.disk.full.Swap(full) == full {
		return
	}
	if full {
		db.log.Warn("disk full: refusing writes until free space returns",
			"dir", db.dir, "free_bytes", free, "reserve_bytes", db.opts.MinFreeDisk)
	} else {
		db.log.Info("disk space returned: accepting writes again",
			"dir", db.dir, "free_bytes", free, "reserve_bytes", db.opts.MinFreeDisk)
	}
}

// fail records the first failure to reach the disk; every later commit
// returns it. It counts every failed commit and logs once, when the database
// enters the failed state.
func (db *DB) fail(err error) error {
	db.metrics.writeErrors.WithLabelValues("failed").Inc()
	return db.latch(err)
}

// latch enters the failed state (once) without counting a failed commit.
func (db *DB) latch(err error) error {
	wrapped := fmt.Errorf("%w: %v", ErrFailed, err)
	if db.failed.CompareAndSwap(nil, &wrapped) {
		msg := "storage failed: a WAL write or sync did not reach the disk; refusing writes until restart"
		if errors.Is(err, syscall.ENOSPC) || strings.Contains(err.Error(), syscall.ENOSPC.Error()) {
			msg = "storage failed: the disk filled up under the WAL; refusing writes until restart"
		}
		db.log.Error(msg, "dir", db.dir, "err", err)
	}
	return *db.failed.Load()
}

// enterPebble runs one call that writes to the WAL (Apply without a sync
// wait, ApplyNoSyncWait) under db.gate, after checking the failed state
// under it. The gate is what keeps Pebble from panicking: the WAL watcher
// (walwatch.go) enters the failed state before Pebble's WAL writer stores the
// error, and Pebble only panics for a commit that starts writing after a
// previous commit has picked that stored error up. With the gate, a commit
// either wrote before the failure or sees the failed state and never enters.
// Without it, commits already queued inside Pebble when one panicked wait
// for ever on the lock the panic left held. The calls under the gate copy
// the batch into the WAL buffer and the memtable; no fsync is waited for
// under it, so group commit is kept.
//
// Apply with Sync (PipelineApply, a fallback kept for measurement) waits for
// its fsync inside Pebble and does not take the gate; under concurrent
// commits a WAL failure can still wedge Pebble's pipeline in that mode.
func (db *DB) enterPebble(fn func() error) error {
	db.gate.Lock()
	defer db.gate.Unlock()
	if f := db.failed.Load(); f != nil {
		return *f
	}
	return db.pebbleCommit(fn)
}

// pebbleCommit runs one call into Pebble's commit pipeline. Pebble panics
// inside it when its WAL writer has latched an error that a concurrent commit
// has not reported yet (db.go, commitWrite); the panic becomes an error and
// the database is marked wedged: the pipeline, whose lock the panic left
// held, must never be entered again. The caller records the error with fail.
func (db *DB) pebbleCommit(fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			db.wedged.Store(true)
			err = fmt.Errorf("pebble panicked in its commit pipeline: %v", r)
		}
	}()
	return fn()
}

// syncedOrFailed is for a call that waited for its WAL sync (Apply with
// Sync, LogData with Sync) and returned nil: Pebble reports a failed sync of
// those through Logger.Fatalf (pebbleLogger) and then returns nil, so the
// database's state is what tells. A commit that was in fact synced just
// before another one failed may be refused this way; one that was not is
// never acknowledged.
func (db *DB) syncedOrFailed() error {
	if f := db.failed.Load(); f != nil {
		return *f
	}
	return nil
}
