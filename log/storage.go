package log

import (
	"context"
	"errors"
	"fmt"

	"github.com/shalemq/shale/kv"
	"github.com/shalemq/shale/wire"
)

// Protocol codes of a write the storage refused (docs/compatibility.md,
// "Disk full and disk faults"):
//
//   - the disk is full (free space under system.storage.min_free_disk):
//     cannot_write_to_file (10006); nothing was written and writes resume
//     by themselves once space returns;
//   - a WAL write or sync failed: cannot_sync_file (10009); the write may or
//     may not be on disk, and every write is refused until a restart.
var (
	ErrStorageFull   = wire.ErrCannotWriteToFile
	ErrStorageFailed = wire.ErrCannotSyncFile
)

// storageErr gives kv's refusals their protocol code; other errors pass.
func storageErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, kv.ErrDiskFull):
		return fmt.Errorf("%w: %w", ErrStorageFull, err)
	case errors.Is(err, kv.ErrFailed):
		return fmt.Errorf("%w: %w", ErrStorageFailed, err)
	}
	return err
}

// StorageHealth is the write state of the storage (kv.Health, in the terms
// the layers above use).
type StorageHealth struct {
	// Degraded is "" while writes are accepted, "disk_full" while free space
	// is under the reserve (writes resume when it returns) or "failed" after
	// a WAL write or sync failed (writes refused until restart).
	Degraded string
	// Reason says what happened and what to do, for a person.
	Reason string
	// FreeBytes and ReserveBytes: free space at the last look and
	// system.storage.min_free_disk (0 when the reserve is off).
	FreeBytes, ReserveBytes uint64
}

// StorageHealth reports whether writes are accepted.
func (l *Log) StorageHealth() StorageHealth {
	h := l.db.Health()
	s := StorageHealth{Degraded: h.Degraded(), FreeBytes: h.FreeBytes, ReserveBytes: h.ReserveBytes}
	switch s.Degraded {
	case "failed":
		s.Reason = fmt.Sprintf("a write or sync of the write-ahead log failed (%v); writes are refused until the server restarts", h.Failed)
	case "disk_full":
		s.Reason = fmt.Sprintf("%d bytes free, under the reserve of %d (system.storage.min_free_disk); writes resume when space is freed",
			h.FreeBytes, h.ReserveBytes)
	}
	return s
}

// reclaim compacts the span [lower, upper) of messages a delete or purge
// just removed, in the background, so its space goes back to the
// filesystem now rather than at Pebble's next flush: on a full disk nothing
// else is written, so that flush would never come.
func (l *Log) reclaim(lower, upper []byte) {
	go func() {
		if err := l.db.Compact(context.Background(), lower, upper); err != nil && !errors.Is(err, kv.ErrClosed) {
			l.log.Warn("compaction after a delete failed; the space returns at a later compaction", "err", err)
		}
	}()
}
