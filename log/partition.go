package log

import (
	"math/rand/v2"
	"sync"
	"sync/atomic"
)

// Partition is one partition's message log.
//
// An append (append.go) runs these steps:
//
//  1. Take p.mu, the append lock.
//  2. Drop duplicates when dedup is on; assign offsets p.mu.next, next+1, …;
//     take one server timestamp for the whole batch (never below the last
//     one); give id-0 messages a random UUIDv4; compute each checksum last.
//  3. Build one kv batch holding the message chunks and the partition
//     counters, and Commit it: Pebble puts it in its WAL in commit order.
//  4. Queue a pending entry for the batch's end offset, advance p.mu.next,
//     release p.mu.
//  5. Wait for durability outside the lock (sync mode: in the producer's
//     goroutine; interval mode: in a goroutine of its own, the producer is
//     answered at once).
//  6. Mark the entry done and pop every done entry at the head of the queue,
//     moving the durable watermark to the end of the last one popped.
//
// Invariants:
//
//   - Offsets are dense and only grow; retention moves the low-water mark
//     (first) up but never the next offset down. Only a purge restarts at 0.
//   - Batches reach the WAL in offset order because they are committed under
//     p.mu, so the counters in any batch describe all earlier batches too and
//     a crash leaves a consistent prefix.
//   - The durable watermark moves in offset order and never past a batch
//     whose Wait has not returned. Reads stop at it, so no consumer ever sees
//     a message a crash could take back (Pebble makes a batch readable before
//     its fsync).
//
// Why not hold p.mu across the fsync? Then producers of one partition could
// never share an fsync: each would pay a full one in turn. Committing under
// the lock and waiting outside it keeps WAL order equal to offset order and
// still lets Pebble group their fsyncs. (kv.PipelineApply is that rejected
// design, kept for measurement.)
//
// Lock order: Log.mu → Partition.mu → Partition.wm; Partition.trunc comes
// before Partition.mu and is never held with Log.mu. Readers take no lock:
// they load the atomics and read a Pebble snapshot.
type Partition struct {
	log       *Log
	streamID  uint32
	topicID   uint32
	id        uint32
	createdAt uint64

	mu struct {
		sync.Mutex
		next          uint64 // offset the next message gets
		lastTimestamp uint64 // server timestamp of the last batch
		rng           *rand.ChaCha8
		dedup         *dedupCache // nil until first needed
		gone          error       // set when the partition is deleted
		// resets counts purges, so a truncation computed before one can
		// tell that its result no longer applies (truncate.go).
		resets uint64
	}

	// trunc serialises truncations of this partition (retention). It is
	// never held together with mu for longer than TruncateBefore's commit.
	trunc sync.Mutex

	// Written under mu, read without it.
	first atomic.Uint64 // lowest retained offset
	bytes atomic.Uint64 // bytes of retained messages, in wire form

	// durable is the watermark: every offset below it is durable and
	// readable.
	durable atomic.Uint64

	wm struct {
		sync.Mutex
		queue   []*pendingAppend
		drained *sync.Cond // broadcast whenever the queue shrinks
		failed  error      // a batch failed to become durable
	}
}

// pendingAppend is one committed batch waiting for its fsync.
type pendingAppend struct {
	end  uint64 // offset after the batch's last message
	done bool
}

func newPartition(l *Log, s, t, id uint32, createdAt uint64, c counters) *Partition {
	p := &Partition{log: l, streamID: s, topicID: t, id: id, createdAt: createdAt}
	p.mu.next = c.next
	p.first.Store(c.first)
	p.bytes.Store(c.bytes)
	p.durable.Store(c.next) // everything Pebble recovered is on disk
	p.wm.drained = sync.NewCond(&p.wm.Mutex)
	var seed [32]byte
	fillSeed(seed[:])
	p.mu.rng = rand.NewChaCha8(seed)
	return p
}

// ID is the partition id within its topic.
func (p *Partition) ID() uint32 { return p.id }

// StreamID is the id of the partition's stream.
func (p *Partition) StreamID() uint32 { return p.streamID }

// TopicID is the id of the partition's topic.
func (p *Partition) TopicID() uint32 { return p.topicID }

// enqueueLocked queues a pending entry for a batch just committed.
// REQUIRES: p.mu held (so entries are queued in offset order).
func (p *Partition) enqueueLocked(end uint64) *pendingAppend {
	e := &pendingAppend{end: end}
	p.wm.Lock()
	p.wm.queue = append(p.wm.queue, e)
	p.wm.Unlock()
	return e
}

// complete records that e's batch is durable (err == nil) or failed, and
// advances the watermark over the done prefix of the queue.
func (p *Partition) complete(e *pendingAppend, err error) {
	p.wm.Lock()
	defer p.wm.Unlock()
	if err != nil {
		if p.wm.failed == nil {
			p.wm.failed = err
		}
		p.wm.drained.Broadcast()
		return
	}
	e.done = true
	n := 0
	for n < len(p.wm.queue) && p.wm.queue[n].done {
		n++
	}
	if n == 0 {
		return
	}
	p.durable.Store(p.wm.queue[n-1].end)
	p.wm.queue = append(p.wm.queue[:0], p.wm.queue[n:]...)
	p.wm.drained.Broadcast()
}

// drainLocked waits until every committed batch is durable, so the caller
// may rewrite the partition's state (purge, delete).
// REQUIRES: p.mu held (no new batches can be queued).
func (p *Partition) drainLocked() error {
	p.wm.Lock()
	defer p.wm.Unlock()
	for len(p.wm.queue) > 0 && p.wm.failed == nil {
		p.wm.drained.Wait()
	}
	return p.wm.failed
}

// resetLocked puts the partition back to empty at offset 0 (purge).
// REQUIRES: p.mu held and drained.
func (p *Partition) resetLocked() {
	p.mu.next = 0
	p.mu.dedup = nil
	p.mu.resets++
	p.first.Store(0)
	p.bytes.Store(0)
	p.durable.Store(0)
}

// countersLocked returns the counters to store for the current state.
// REQUIRES: p.mu held.
func (p *Partition) countersLocked() counters {
	return counters{next: p.mu.next, first: p.first.Load(), bytes: p.bytes.Load()}
}

// PartitionInfo is a snapshot of a partition's state.
type PartitionInfo struct {
	ID        uint32
	CreatedAt uint64
	// CurrentOffset is the newest durable offset, 0 when empty
	// (docs/protocol/binary.md §7.1).
	CurrentOffset uint64
	// FirstOffset is the lowest retained offset.
	FirstOffset uint64
	// NextOffset is the offset the next durable message will get.
	NextOffset    uint64
	SizeBytes     uint64
	MessagesCount uint64
}

// Info returns a snapshot of the partition's counters. Only durable messages
// are counted.
func (p *Partition) Info() PartitionInfo {
	durable := p.durable.Load()
	first := min(p.first.Load(), durable)
	info := PartitionInfo{
		ID:            p.id,
		CreatedAt:     p.createdAt,
		FirstOffset:   first,
		NextOffset:    durable,
		SizeBytes:     p.bytes.Load(),
		MessagesCount: durable - first,
	}
	if durable > 0 {
		info.CurrentOffset = durable - 1
	}
	return info
}
