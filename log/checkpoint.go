package log

import (
	"fmt"
	"log/slog"

	"github.com/shalemq/shale/kv"
)

// Checkpoint writes a consistent copy of the database to dir, which must not
// exist, while appends go on (kv.DB.Checkpoint). The WAL is synced first, so
// every append acknowledged before the call, in either durability mode, is
// in the copy: an append is acknowledged only after its batch was applied to
// the WAL. Batches applied but not yet acknowledged may be in it too; they
// are whole batches in offset order with their partition counters, so the
// copy opens as a consistent prefix of the log (newPartition then counts
// everything recovered as durable, as after a crash).
func (l *Log) Checkpoint(dir string) error { return l.db.Checkpoint(dir) }

// OpenCheckpoint opens a checkpoint written by Checkpoint without changing a
// byte of it (Pebble read-only: the WAL is replayed into memory) and loads its
// catalog. It also returns the database, for the other stores kept in it (the
// users, in broker); closing db releases both, and the Log must not be used
// afterwards. Only reads work on it, Describe in particular.
func OpenCheckpoint(dir string, logger *slog.Logger) (l *Log, db *kv.DB, err error) {
	if logger == nil {
		logger = slog.Default()
	}
	db, err = kv.Open(dir, kv.Options{
		ReadOnly:       true,
		CacheSize:      8 << 20,
		MinFreeDisk:    0,
		SeparateValues: -1,
		Logger:         logger,
		// A broken checkpoint is an error for the backup, never a reason
		// to stop the server that took it.
		OnFatal: func(msg string) { logger.Error("checkpoint unreadable", "dir", dir, "err", msg) },
	})
	if err != nil {
		return nil, nil, fmt.Errorf("open checkpoint: %w", err)
	}
	l, err = Open(db, Options{Logger: logger})
	if err != nil {
		_ = db.Close()
		return nil, nil, fmt.Errorf("open checkpoint: %w", err)
	}
	return l, db, nil
}
