package log

import (
	crand "crypto/rand"
	"encoding/binary"
	"fmt"

	"github.com/shalemq/shale/kv"
	"github.com/shalemq/shale/wire"
)

// Appended describes a stored batch.
type Appended struct {
	// First and Last are the offsets of the first and last stored message;
	// both equal the next offset when Count is 0.
	First, Last uint64
	// Count is the number of messages stored (duplicates dropped by
	// deduplication are not).
	Count int
}

// Append stores a batch of messages in wire form — count messages laid back
// to back, already validated by wire (sizes consistent, each at least a
// header). msgs is only read; Append copies it into the storage batch and
// stamps offsets, the server timestamp, ids and checksums in the copy.
//
// In sync durability mode Append returns once the batch is durable; in
// interval mode it returns once the batch is applied and the watermark
// follows at the next WAL sync. See Partition for the algorithm.
func (p *Partition) Append(msgs []byte, count int) (Appended, error) {
	if count <= 0 || len(msgs) == 0 {
		return Appended{}, fmt.Errorf("append to partition %d: %w", p.id, wire.ErrInvalidMessagesCount)
	}
	p.mu.Lock()
	if p.mu.gone != nil {
		p.mu.Unlock()
		return Appended{}, p.mu.gone
	}
	now := micros(p.log.opts.Clock())
	ts := max(now, p.mu.lastTimestamp)

	var kept *keptMessages
	if p.log.opts.Dedup.Enabled {
		var err error
		if kept, err = p.dedupFilterLocked(msgs, now); err != nil {
			p.mu.Unlock()
			return Appended{}, err
		}
		if kept.count == 0 {
			next := p.mu.next
			p.mu.Unlock()
			return Appended{First: next, Last: next}, nil
		}
	} else {
		kept = &keptMessages{runs: [][2]int{{0, len(msgs)}}, count: count, size: len(msgs)}
	}

	first := p.mu.next
	// Room for the messages, their chunk keys and the counters: one
	// allocation instead of a doubling copy per growth step.
	chunks := kept.size/p.log.opts.ChunkSize + 2
	b := p.log.db.NewBatchWithSize(kept.size + chunks*(msgKeyLen+32) + 64)
	if err := p.writeChunks(b, msgs, kept, first, ts); err != nil {
		b.Close()
		p.mu.Unlock()
		return Appended{}, err
	}
	end := first + uint64(kept.count)
	c := counters{next: end, first: p.first.Load(), bytes: p.bytes.Load() + uint64(kept.size)}
	if err := b.Set(countersKey(p.streamID, p.topicID, p.id), c.encode(nil)); err != nil {
		b.Close()
		p.mu.Unlock()
		return Appended{}, err
	}
	durable, err := p.log.db.Commit(b)
	if err != nil {
		p.mu.Unlock()
		return Appended{}, fmt.Errorf("append to partition %d: %w", p.id, storageErr(err))
	}
	entry := p.enqueueLocked(end)
	p.mu.next = end
	p.mu.lastTimestamp = ts
	p.bytes.Store(c.bytes)
	if p.mu.dedup != nil {
		p.mu.dedup.addKept(msgs, kept, ts)
	}
	p.mu.Unlock()

	res := Appended{First: first, Last: end - 1, Count: kept.count}
	if p.log.db.Durability() == kv.DurabilityInterval {
		go func() { p.complete(entry, storageErr(durable.Wait())) }()
		return res, nil
	}
	err = storageErr(durable.Wait())
	p.complete(entry, err) // a later purge or delete reports it with its code
	if err != nil {
		return Appended{}, fmt.Errorf("append to partition %d: %w", p.id, err)
	}
	return res, nil
}

// keptMessages lists the messages of a batch that will be stored, as runs
// of contiguous bytes of the request.
type keptMessages struct {
	runs  [][2]int // [start, end) byte ranges of msgs
	count int
	size  int
}

// writeChunks copies the kept messages into values of about ChunkSize bytes,
// each keyed by the offset of its first message, and stamps every message in
// the copy. REQUIRES: p.mu held.
func (p *Partition) writeChunks(b *kv.Batch, msgs []byte, kept *keptMessages, first uint64, ts uint64) error {
	chunk := p.log.opts.ChunkSize
	offset := first
	var pieces [][2]int // the current chunk: byte ranges of msgs
	size := 0
	flush := func() error {
		if size == 0 {
			return nil
		}
		key, value, finish := b.SetDeferred(msgKeyLen, size)
		messageKey(key[:0], p.streamID, p.topicID, p.id, offset)
		at := 0
		for _, r := range pieces {
			at += copy(value[at:], msgs[r[0]:r[1]])
		}
		offset = p.stampLocked(value, offset, ts)
		pieces, size = pieces[:0], 0
		return finish()
	}
	for _, run := range kept.runs {
		it := wire.NewMessageIter(msgs[run[0]:run[1]])
		pos := run[0]
		for m, ok := it.Next(); ok; m, ok = it.Next() {
			n := len(m)
			if size > 0 && size+n > chunk {
				if err := flush(); err != nil {
					return err
				}
			}
			if k := len(pieces); k > 0 && pieces[k-1][1] == pos {
				pieces[k-1][1] += n // extend the contiguous piece
			} else {
				pieces = append(pieces, [2]int{pos, pos + n})
			}
			size += n
			pos += n
		}
		if err := it.Err(); err != nil {
			return fmt.Errorf("append: malformed batch: %w", err)
		}
	}
	return flush()
}

// stampLocked fills in what the server owns in each message of value
// (docs/protocol/binary.md §5.2): offset, timestamp, a random UUIDv4 for id 0, reserved 0
// (the Rust SDK rejects anything else), and the checksum last. It returns
// the offset after the last message. REQUIRES: p.mu held (for the rng).
func (p *Partition) stampLocked(value []byte, offset, ts uint64) uint64 {
	it := wire.NewMessageIter(value)
	for m, ok := it.Next(); ok; m, ok = it.Next() {
		m.SetOffset(offset)
		m.SetTimestamp(ts)
		if m.IDIsZero() {
			p.randomUUIDLocked(m.ID())
		}
		m.SetReserved(0)
		m.SetChecksum(m.ComputeChecksum())
		offset++
	}
	return offset
}

// randomUUIDLocked writes a random version-4 UUID into id. The generator is a
// ChaCha8 stream seeded from the OS, per partition: as unpredictable as
// crypto/rand for this purpose, without a syscall per message.
func (p *Partition) randomUUIDLocked(id []byte) {
	binary.LittleEndian.PutUint64(id[0:8], p.mu.rng.Uint64())
	binary.LittleEndian.PutUint64(id[8:16], p.mu.rng.Uint64())
	id[6] = id[6]&0x0f | 0x40 // version 4
	id[8] = id[8]&0x3f | 0x80 // RFC 4122 variant
}

func fillSeed(seed []byte) {
	if _, err := crand.Read(seed); err != nil {
		panic(fmt.Sprintf("log: no OS randomness: %v", err)) // crypto/rand never fails on Linux
	}
}
