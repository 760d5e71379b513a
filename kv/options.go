package kv

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/prometheus/client_golang/prometheus"
)

// Durability says when a commit counts as durable.
type Durability int

const (
	// DurabilitySync makes Durable.Wait return only after the WAL holding the
	// batch has been fsynced. Concurrent commits share fsyncs. The default.
	DurabilitySync Durability = iota
	// DurabilityInterval applies batches without waiting and fsyncs the WAL
	// every SyncInterval; Durable.Wait returns after the first sync that
	// covers the batch.
	DurabilityInterval
)

func (d Durability) String() string {
	switch d {
	case DurabilitySync:
		return "sync"
	case DurabilityInterval:
		return "interval"
	}
	return fmt.Sprintf("Durability(%d)", int(d))
}

// ParseDurability parses "sync" or "interval".
func ParseDurability(s string) (Durability, error) {
	switch s {
	case "sync", "":
		return DurabilitySync, nil
	case "interval":
		return DurabilityInterval, nil
	}
	return 0, fmt.Errorf("kv: unknown durability mode %q (want sync or interval)", s)
}

// CommitPipeline chooses how sync-mode commits wait for their fsync.
type CommitPipeline int

const (
	// PipelineNoSyncWait enqueues the batch with Pebble's ApplyNoSyncWait and
	// waits for the fsync in Durable.Wait, so a caller can release its own
	// locks before the fsync. The default.
	PipelineNoSyncWait CommitPipeline = iota
	// PipelineApply uses plain Apply(Sync), which returns after the fsync.
	// Kept as the fallback the EXPERIMENTAL API is measured against.
	PipelineApply
)

// Options configure a DB. The zero value is valid after EnsureDefaults.
type Options struct {
	// Durability is the commit mode. Default DurabilitySync.
	Durability Durability
	// SyncInterval is the WAL fsync period in DurabilityInterval mode.
	// Default 10ms.
	SyncInterval time.Duration
	// Pipeline is how sync-mode commits wait. Default PipelineNoSyncWait.
	Pipeline CommitPipeline

	// CacheSize is Pebble's block cache in bytes. Default 256 MiB.
	CacheSize int64
	// MemTableSize is Pebble's memtable size in bytes. Default 64 MiB, which
	// measured best for 1 MB batches (shared/bench/BASELINE.md §2).
	MemTableSize uint64
	// Compress turns on Snappy block compression. Default off: message
	// payloads are often already compressed, and the raw-Pebble baseline ran
	// without it.
	Compress bool

	// SeparateValues moves values of at least this many bytes out of the
	// LSM into Pebble's blob files at flush, so compactions rewrite keys and
	// blob references instead of message bytes (docs/storage.md, "Value
	// separation"). Default 1 KiB; negative keeps every value in its sstable.
	SeparateValues int
	// BlobBlockSize is the target size of the blocks of the blob files a
	// memtable flush writes, so a block holds several message chunks and a
	// sequential poll that misses the block cache reads, checksums and
	// caches one block per several chunks instead of one per chunk. Flushes
	// write level 0's tables too (their data blocks take the same size; they
	// hold keys and blob references and are compacted away soon); every
	// other level keeps Pebble's 4 KiB blocks. Default 256 KiB
	// (docs/performance.md, "TCP poll"); negative keeps 4 KiB everywhere, as
	// does SeparateValues < 0 (no blob files).
	BlobBlockSize int

	// MinFreeDisk refuses commits with ErrDiskFull while the filesystem
	// holding the database has fewer free bytes than this, so a full disk is
	// a clear error for the producer rather than a fatal WAL write inside
	// Pebble. 0 turns the check off. Default 256 MiB.
	MinFreeDisk uint64
	// FreeDisk reports the free bytes of the filesystem holding dir. Default:
	// statfs(2). Tests inject their own.
	FreeDisk func(dir string) (uint64, error)

	// FS is the filesystem Pebble runs on. Default vfs.Default; tests use
	// vfs.NewMem or vfs.NewCrashableMem.
	FS vfs.FS

	// Logger receives Pebble's events and errors. Default slog.Default().
	Logger *slog.Logger
	// Registerer, when set, receives kv's Prometheus collectors.
	Registerer prometheus.Registerer
	// ReadOnly opens an existing database without writing to it: the WAL is
	// replayed into memory, commits fail, nothing is flushed or compacted.
	// Backups open their checkpoint this way to describe it (checkpoint.go).
	ReadOnly bool

	// OnFatal is called when Pebble reports an unrecoverable error (its commit
	// pipeline is broken). Default: log and exit the process, so a restart
	// recovers from the WAL. Tests replace it.
	OnFatal func(msg string)
}

// EnsureDefaults fills zero fields with their defaults.
func (o *Options) EnsureDefaults() {
	if o.SyncInterval == 0 {
		o.SyncInterval = 10 * time.Millisecond
	}
	if o.CacheSize == 0 {
		o.CacheSize = 256 << 20
	}
	if o.MemTableSize == 0 {
		o.MemTableSize = 64 << 20
	}
	if o.SeparateValues == 0 {
		o.SeparateValues = 1 << 10
	}
	if o.BlobBlockSize == 0 {
		o.BlobBlockSize = 256 << 10
	}
	if o.FS == nil {
		o.FS = vfs.Default
	}
	if o.FreeDisk == nil {
		o.FreeDisk = statfsFree
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
}

// Validate reports every problem with the options at once.
func (o *Options) Validate() error {
	var errs []error
	if o.Durability != DurabilitySync && o.Durability != DurabilityInterval {
		errs = append(errs, fmt.Errorf("kv: unknown durability %d", o.Durability))
	}
	if o.Durability == DurabilityInterval && o.SyncInterval <= 0 {
		errs = append(errs, errors.New("kv: sync interval must be positive in interval mode"))
	}
	if o.Pipeline != PipelineNoSyncWait && o.Pipeline != PipelineApply {
		errs = append(errs, fmt.Errorf("kv: unknown commit pipeline %d", o.Pipeline))
	}
	if o.CacheSize < 0 {
		errs = append(errs, errors.New("kv: cache size must not be negative"))
	}
	if o.MemTableSize < 1<<20 {
		errs = append(errs, errors.New("kv: memtable size must be at least 1 MiB"))
	}
	return errors.Join(errs...)
}
