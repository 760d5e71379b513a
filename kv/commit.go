package kv

import (
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cockroachdb/pebble/v2"
)

// Batch collects writes that commit atomically. A Batch is not safe for
// concurrent use. It is consumed by Commit; call Close only to discard an
// uncommitted batch.
type Batch struct {
	b     *pebble.Batch
	frees bool
}

// NewBatch returns an empty batch.
func (db *DB) NewBatch() *Batch { return &Batch{b: db.pdb.NewBatch()} }

// NewBatchWithSize returns an empty batch with room for about size bytes of
// keys and values, so a large append is not copied as the batch grows.
// Batches of up to retainedBatchBytes keep their buffer for the next batch
// when they are closed. Pebble's batch pool keeps buffers of at most 1 MiB
// by default, a little less than a send of 1,000 × 1 KB messages needs, so
// every such append allocated and zeroed a fresh megabyte.
func (db *DB) NewBatchWithSize(size int) *Batch {
	return &Batch{b: db.pdb.NewBatchWithSize(size, pebble.WithMaxRetainedSizeBytes(retainedBatchBytes))}
}

// retainedBatchBytes is the largest batch buffer kept for reuse. A batch
// larger than half a memtable is handed to Pebble as a memtable of its own
// and its buffer is never reused (Pebble drops it from the batch).
const retainedBatchBytes = 4 << 20

// Set writes key → value. Both may be reused after Set returns.
func (b *Batch) Set(key, value []byte) error { return b.b.Set(key, value, nil) }

// SetDeferred reserves room for a key of keyLen and a value of valueLen bytes
// inside the batch and returns the two slices to fill; finish must be called
// once they are filled. It lets a caller build a large value in place instead
// of building it elsewhere and copying it in.
func (b *Batch) SetDeferred(keyLen, valueLen int) (key, value []byte, finish func() error) {
	op := b.b.SetDeferred(keyLen, valueLen)
	return op.Key, op.Value, op.Finish
}

// Delete removes key.
func (b *Batch) Delete(key []byte) error { return b.b.Delete(key, nil) }

// DeleteRange removes every key in [start, end).
func (b *Batch) DeleteRange(start, end []byte) error { return b.b.DeleteRange(start, end, nil) }

// MarkFreeing says the batch only removes data (and rewrites the counters
// that describe it): it is committed even while free space is under
// Options.MinFreeDisk, because deleting is how an operator or retention gives
// space back. The WAL record it needs is small and the reserve holds it. A
// failed database refuses it like any other.
func (b *Batch) MarkFreeing() { b.frees = true }

// Len is the size of the batch's encoded representation in bytes.
func (b *Batch) Len() int { return b.b.Len() }

// Empty reports whether the batch holds no writes.
func (b *Batch) Empty() bool { return b.b.Empty() }

// Close discards an uncommitted batch.
func (b *Batch) Close() { _ = b.b.Close() }

// Durable is the promise of a commit: Wait returns once the batch is on disk.
//
// REQUIRES: Wait is called exactly once for every Durable that Commit
// returned without error. A sync-mode commit holds a reference on the DB until
// then, so a forgotten Wait keeps Close waiting.
type Durable struct {
	db     *DB
	b      *pebble.Batch // PipelineNoSyncWait: wait for its fsync
	ticket uint64        // DurabilityInterval: wait for the sync covering it
	start  time.Time
	wait   func() error // a replicated commit (replicate.go): its outcome
}

// Commit applies b to the database; its writes become visible to readers at
// once and durable when the returned Durable's Wait returns. b must not be
// used after Commit.
//
// How a commit reaches the disk depends on the mode:
//
//   - sync, PipelineNoSyncWait: Pebble's ApplyNoSyncWait writes the batch to
//     the WAL and the memtable and returns without waiting for the fsync;
//     Wait calls Batch.SyncWait. Pebble's WAL writer fsyncs once for all the
//     batches queued behind the one being synced, so concurrent commits share
//     fsyncs (group commit). The point of the split is that a caller can
//     release its own lock between Commit and Wait: log commits a partition's
//     batches in offset order under its append lock and waits outside it.
//     EXPERIMENTAL in Pebble ("do not yet use outside CockroachDB"): the
//     version is pinned in go.mod and the crash tests in kv and log cover it.
//   - sync, PipelineApply: Apply(Sync) returns after the fsync (Pebble still
//     groups concurrent commits); Wait returns at once.
//   - interval: Apply(NoSync) returns once the batch is in Pebble's WAL
//     writer and the memtable. The writer hands its current block to the OS
//     only when the block (32 KiB) fills or a sync is requested, so a killed
//     process, not only a crashed machine, can lose commits made since the
//     last sync (TestSoak with SOAK_DURABILITY=interval measures it). A
//     background syncer fsyncs the WAL every SyncInterval and Wait returns
//     after the first sync that started after this commit was applied.
//
// Commit returns ErrDiskFull (nothing written) when free space is below the
// minimum (unless the batch is marked freeing), ErrFailed after an earlier
// failure, ErrClosed after Close.
func (db *DB) Commit(b *Batch) (Durable, error) {
	if r := db.repl.Load(); r != nil {
		return db.commitReplicated(*r, b)
	}
	return db.CommitLocal(b)
}

// CommitLocal is Commit without the Replicator: it writes b to this
// database only. The replication engine writes its own log and applies
// committed entries through it; nothing else should call it while a
// Replicator is set.
func (db *DB) CommitLocal(b *Batch) (Durable, error) {
	if err := db.acquire(); err != nil {
		b.Close()
		return Durable{}, err
	}
	if f := db.failed.Load(); f != nil {
		db.release()
		b.Close()
		db.metrics.writeErrors.WithLabelValues("failed").Inc()
		return Durable{}, *f
	}
	if db.opts.ReadOnly {
		db.release()
		b.Close()
		return Durable{}, ErrReadOnly
	}
	if b.frees {
		// Still measured, so the figures stay fresh.
		db.disk.sinceCheck.Add(int64(b.Len()))
	} else if err := db.checkDisk(b.Len()); err != nil {
		db.release()
		b.Close()
		return Durable{}, err
	}
	start := time.Now()
	switch {
	case db.opts.Durability == DurabilityInterval:
		defer db.release()
		err := db.enterPebble(func() error { return db.pdb.Apply(b.b, pebble.NoSync) })
		if !db.wedged.Load() {
			_ = b.b.Close()
		}
		if err != nil {
			return Durable{}, db.fail(err)
		}
		// The ticket is taken after Apply returned, so any sync that reads
		// the ticket counter later covers this batch (intervalSyncer.run).
		return Durable{db: db, ticket: db.interval.applied.Add(1), start: start}, nil
	case db.opts.Pipeline == PipelineApply:
		defer db.release()
		err := db.pebbleCommit(func() error { return db.pdb.Apply(b.b, pebble.Sync) })
		if !db.wedged.Load() {
			_ = b.b.Close()
		}
		if err == nil {
			err = db.syncedOrFailed()
		}
		if err != nil {
			return Durable{}, db.fail(err)
		}
		db.metrics.observeCommit(time.Since(start))
		return Durable{}, nil
	default:
		if err := db.enterPebble(func() error { return db.pdb.ApplyNoSyncWait(b.b, pebble.Sync) }); err != nil {
			if !db.wedged.Load() {
				_ = b.b.Close()
			}
			db.release()
			return Durable{}, db.fail(err)
		}
		return Durable{db: db, b: b.b, start: start}, nil // reference released in Wait
	}
}

// Wait blocks until the commit is durable. An error means the batch may not
// have reached the disk; the DB then refuses further commits (ErrFailed).
func (d Durable) Wait() error {
	switch {
	case d.wait != nil:
		return d.wait()
	case d.b != nil:
		err := d.b.SyncWait()
		if err == nil {
			_ = d.b.Close()
		}
		// Pebble forbids closing a batch whose sync failed; it is dropped.
		d.db.release()
		if err != nil {
			return d.db.fail(err)
		}
		d.db.metrics.observeCommit(time.Since(d.start))
		return nil
	case d.ticket != 0:
		err := d.db.interval.wait(d.ticket)
		if err == nil {
			d.db.metrics.observeCommit(time.Since(d.start))
		} else {
			d.db.metrics.writeErrors.WithLabelValues("failed").Inc()
		}
		return err
	}
	return nil
}

// intervalSyncer fsyncs the WAL every SyncInterval in DurabilityInterval mode.
//
// Tickets: Commit takes ticket applied+1 after its Apply returned. A sync
// round first reads applied = t, then writes and fsyncs an empty WAL record;
// since every batch with a ticket ≤ t was in the WAL before that record, the
// fsync covers them, and synced becomes t. Waiters sleep on cond until
// synced ≥ their ticket.
type intervalSyncer struct {
	db      *DB
	applied atomic.Uint64
	stopCh  chan struct{}
	done    chan struct{}

	mu     sync.Mutex
	cond   *sync.Cond
	synced uint64
	err    error
}

func startIntervalSyncer(db *DB) *intervalSyncer {
	s := &intervalSyncer{db: db, stopCh: make(chan struct{}), done: make(chan struct{})}
	s.cond = sync.NewCond(&s.mu)
	go s.run()
	return s
}

func (s *intervalSyncer) run() {
	defer close(s.done)
	t := time.NewTicker(s.db.opts.SyncInterval)
	defer t.Stop()
	for {
		select {
		case <-s.stopCh:
			return
		case <-t.C:
			s.syncOnce()
		}
	}
}

// syncOnce fsyncs the WAL if anything was applied since the last sync.
func (s *intervalSyncer) syncOnce() {
	target := s.applied.Load()
	s.mu.Lock()
	if f := s.db.failed.Load(); f != nil && s.err == nil {
		// A commit failed elsewhere: the WAL cannot be synced any more, and
		// the waiters must hear it rather than wait for a sync.
		s.err = *f
		s.cond.Broadcast()
	}
	behind := target > s.synced && s.err == nil
	s.mu.Unlock()
	if !behind {
		return
	}
	start := time.Now()
	err := s.db.syncWAL()
	s.db.metrics.observeFsync(time.Since(start))
	s.mu.Lock()
	if err != nil {
		s.err = s.db.fail(err)
	} else if target > s.synced {
		s.synced = target
	}
	s.cond.Broadcast()
	s.mu.Unlock()
}

func (s *intervalSyncer) wait(ticket uint64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for s.synced < ticket && s.err == nil {
		s.cond.Wait()
	}
	if s.synced >= ticket {
		return nil
	}
	return s.err
}

// stop ends the loop and runs a last sync so no waiter is left behind.
func (s *intervalSyncer) stop() error {
	close(s.stopCh)
	<-s.done
	s.syncOnce()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.synced < s.applied.Load() && s.err == nil {
		s.err = errors.New("kv: final WAL sync did not cover every commit")
		s.cond.Broadcast()
	}
	return s.err
}

// syncWAL writes an empty WAL record and waits for the fsync that covers it
// (and every record before it). It is LogData(nil, Sync) split in two, so
// that only the write goes through the gate (enterPebble) and the fsync
// wait does not hold it.
func (db *DB) syncWAL() error {
	b := db.pdb.NewBatch()
	if err := b.LogData(nil, nil); err != nil {
		_ = b.Close()
		return err
	}
	if err := db.enterPebble(func() error { return db.pdb.ApplyNoSyncWait(b, pebble.Sync) }); err != nil {
		if !db.wedged.Load() {
			_ = b.Close()
		}
		return err
	}
	if err := b.SyncWait(); err != nil {
		return err // Pebble forbids closing a batch whose sync failed
	}
	return b.Close()
}
