package log

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/shalemq/shale/kv"
	"github.com/shalemq/shale/wire"
)

// ErrCountersCorrupt is returned by TruncateBefore when the partition's byte
// counter is smaller than the messages it is asked to drop: the stored
// counters no longer describe the stored messages, and nothing is deleted.
var ErrCountersCorrupt = errors.New("log: partition counters disagree with stored messages")

// Truncated describes what TruncateBefore removed.
type Truncated struct {
	// Messages and Bytes are the retained messages (and their wire-form
	// bytes) that are gone now: exactly those in [old first, First).
	Messages, Bytes uint64
	// First is the partition's low-water mark afterwards.
	First uint64
}

// ChunkSummary describes consecutive retained messages stored in one value.
// All messages of one chunk share a server timestamp (a chunk never spans
// two appends), which is what makes expiry exact to the message.
type ChunkSummary struct {
	// First and End bound the offsets: [First, End).
	First, End uint64
	// Timestamp is the server timestamp (µs) of every message in the chunk.
	Timestamp uint64
	// Bytes is the wire-form size of the messages in [First, End).
	Bytes uint64
}

// ScanChunks calls fn for the retained, durable messages of the partition
// chunk by chunk, oldest first, until fn returns false or the messages end.
// The chunk holding the low-water mark is reported from the mark on, so the
// summaries tile [first, durable) exactly. A chunk that holds both splitAt-1
// and splitAt is reported as two summaries, so a caller that must stop at
// splitAt (the consumer-offset barrier) gets exact sizes on both sides; pass
// 0 for no split.
//
// ScanChunks reads a Pebble snapshot and takes no lock; appends and
// truncations may run meanwhile, and the summaries describe the snapshot.
func (p *Partition) ScanChunks(splitAt uint64, fn func(ChunkSummary) bool) error {
	// The watermark is loaded before the snapshot (every offset below it is
	// then in the snapshot) and first after it (truncation deletes only below
	// the mark it publishes afterwards, so everything from first on is too).
	durable := p.durable.Load()
	it, err := p.log.db.NewIter(partitionSpan(kv.TagMessages, p.streamID, p.topicID, p.id))
	if err != nil {
		return err
	}
	defer it.Close()
	first := min(p.first.Load(), durable)
	return p.walkChunks(it, first, durable, splitAt, func(c ChunkSummary, _ uint64, _ bool) bool { return fn(c) })
}

// walkChunks reports the messages with offsets in [from, to) as chunk
// summaries, in offset order, splitting a chunk at splitAt (when
// from < splitAt < to). fn also receives the key offset of the stored chunk
// a summary comes from and whether that chunk holds messages at or above to
// (it straddles the end). It stops when fn returns false.
func (p *Partition) walkChunks(it *kv.Iter, from, to, splitAt uint64, fn func(c ChunkSummary, chunkKey uint64, straddles bool) bool) error {
	if from >= to {
		return nil
	}
	seek := messageKey(make([]byte, 0, msgKeyLen), p.streamID, p.topicID, p.id, from+1)
	ok := it.SeekLT(seek)
	if !ok {
		if err := it.Error(); err != nil {
			return err
		}
		ok = it.First()
	}
	for ; ok; ok = it.Next() {
		chunkKey := kv.U64At(it.Key(), msgKeyOffsetAt)
		if chunkKey >= to {
			break
		}
		v, err := it.Value()
		if err != nil {
			return err
		}
		var piece ChunkSummary
		off := chunkKey
		straddles := false
		mi := wire.NewMessageIter(v)
		for m, more := mi.Next(); more; m, more = mi.Next() {
			if off >= to {
				straddles = true
				break
			}
			if off >= from {
				if off == splitAt && piece.End > piece.First {
					if !fn(piece, chunkKey, false) {
						return nil
					}
					piece = ChunkSummary{}
				}
				if piece.End == piece.First {
					piece = ChunkSummary{First: off, End: off, Timestamp: m.Timestamp()}
				}
				piece.End = off + 1
				piece.Bytes += uint64(len(m))
			}
			off++
		}
		if err := mi.Err(); err != nil {
			return fmt.Errorf("partition %d chunk at %d: %w", p.id, chunkKey, err)
		}
		if piece.End > piece.First && !fn(piece, chunkKey, straddles) {
			return nil
		}
		if off >= to {
			break
		}
	}
	return it.Error()
}

// TruncateBefore deletes every retained message with an offset below
// boundary (clamped to the durable watermark) and returns what went. The
// next offset never moves: a partition truncated to empty keeps appending
// where it was.
//
// The steps:
//
//  1. Without p.mu, on a snapshot: walk the chunks from first to boundary,
//     summing the exact sizes of the messages below boundary, and find the
//     chunk that straddles boundary, if any.
//  2. Under p.mu, briefly: if no purge or delete happened meanwhile, commit
//     one batch holding a DeleteRange over every chunk key wholly below
//     boundary and the new counters (first = boundary, bytes reduced by
//     exactly the sum of step 1), then publish first and bytes. Appends only
//     add above boundary, so the sum is still right; committing under p.mu
//     keeps the counters in WAL order with appends' counters.
//  3. Without any lock: wait for durability, then compact the deleted key
//     range so the disk space returns.
//
// A straddling chunk stays stored until a later truncation passes its end;
// polls never return its messages below first (Poll clamps every start to
// first). Truncations of one partition are serialised by p.trunc, so step 2
// only has to recheck for purges (p.mu.resets) and deletion (p.mu.gone).
// Producers wait at most for one Commit (step 2), never for the walk or the
// compaction.
func (p *Partition) TruncateBefore(boundary uint64) (Truncated, error) {
	p.trunc.Lock()
	defer p.trunc.Unlock()

	p.mu.Lock()
	if p.mu.gone != nil {
		p.mu.Unlock()
		return Truncated{}, p.mu.gone
	}
	resets := p.mu.resets
	p.mu.Unlock()

	// Watermark before the snapshot, first after it: see ScanChunks.
	boundary = min(boundary, p.durable.Load())
	it, err := p.log.db.NewIter(partitionSpan(kv.TagMessages, p.streamID, p.topicID, p.id))
	if err != nil {
		return Truncated{}, err
	}
	first := p.first.Load()
	if boundary <= first {
		it.Close()
		return Truncated{First: first}, nil
	}
	var bytes uint64
	upperOffset := boundary
	err = p.walkChunks(it, first, boundary, 0, func(c ChunkSummary, chunkKey uint64, straddles bool) bool {
		bytes += c.Bytes
		if straddles {
			upperOffset = chunkKey
		}
		return true
	})
	if cerr := it.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return Truncated{}, fmt.Errorf("truncate partition %d: %w", p.id, storageErr(err))
	}

	lower, _ := partitionSpan(kv.TagMessages, p.streamID, p.topicID, p.id)
	upper := messageKey(nil, p.streamID, p.topicID, p.id, upperOffset)
	b := p.log.db.NewBatch()
	if err := b.DeleteRange(lower, upper); err != nil {
		b.Close()
		return Truncated{}, err
	}

	p.mu.Lock()
	if p.mu.gone != nil || p.mu.resets != resets {
		// A purge or delete won the race: the walk describes messages that
		// no longer exist. Nothing to do; a later sweep sees the new state.
		gone := p.mu.gone
		p.mu.Unlock()
		b.Close()
		return Truncated{First: p.first.Load()}, gone
	}
	retained := p.bytes.Load()
	if retained < bytes {
		p.mu.Unlock()
		b.Close()
		return Truncated{}, fmt.Errorf("partition %d/%d/%d holds %d bytes, truncation below %d found %d: %w",
			p.streamID, p.topicID, p.id, retained, boundary, bytes, ErrCountersCorrupt)
	}
	c := counters{next: p.mu.next, first: boundary, bytes: retained - bytes}
	if err := b.Set(countersKey(p.streamID, p.topicID, p.id), c.encode(nil)); err != nil {
		p.mu.Unlock()
		b.Close()
		return Truncated{}, err
	}
	b.MarkFreeing()
	durable, err := p.log.db.Commit(b)
	if err != nil {
		p.mu.Unlock()
		return Truncated{}, fmt.Errorf("truncate partition %d: %w", p.id, err)
	}
	p.first.Store(boundary)
	p.bytes.Store(c.bytes)
	p.mu.Unlock()

	res := Truncated{Messages: boundary - first, Bytes: bytes, First: boundary}
	if err := durable.Wait(); err != nil {
		// The deletion is visible but may come back after a crash; the
		// counters in the same batch come back with it, so the state stays
		// consistent either way.
		return res, fmt.Errorf("truncate partition %d: %w", p.id, storageErr(err))
	}
	if err := p.log.db.Compact(context.Background(), lower, upper); err != nil {
		return res, fmt.Errorf("compact partition %d after truncation: %w", p.id, err)
	}
	return res, nil
}

// OffsetAtTimestamp returns the first retained, durable offset whose server
// timestamp is ≥ ts, or the next offset when every retained message is
// older. It takes no lock and reads a snapshot.
func (p *Partition) OffsetAtTimestamp(ts uint64) (uint64, error) {
	durable := p.durable.Load() // before the snapshot, first after: see ScanChunks
	it, err := p.log.db.NewIter(partitionSpan(kv.TagMessages, p.streamID, p.topicID, p.id))
	if err != nil {
		return 0, err
	}
	defer it.Close()
	first := min(p.first.Load(), durable)
	return p.offsetAtTimestamp(it, ts, first, durable)
}

// Retention is a topic's effective retention, server defaults resolved.
type Retention struct {
	// Expiry is in µs; Unlimited means messages never expire.
	Expiry uint64
	// MaxSize is the topic's cap in bytes, summed over its partitions;
	// Unlimited means no cap.
	MaxSize uint64
}

// resolveRetention replaces 0 ("server default") with the server defaults.
// CreateTopic already stores resolved values, but UpdateTopic stores 0 as
// sent (docs/protocol/binary.md §4.5). Iggy's cleaner then reads a max size of 0 as a
// zero-byte cap and deletes everything it may (config/defaults.toml); shale
// deliberately resolves it to the default instead, as recommended there.
func (l *Log) resolveRetention(rec topicRecord) Retention {
	r := Retention{Expiry: rec.expiry, MaxSize: rec.maxSize}
	if r.Expiry == 0 {
		r.Expiry = l.opts.DefaultMessageExpiry
	}
	if r.MaxSize == 0 {
		r.MaxSize = l.opts.DefaultMaxTopicSize
	}
	return r
}

// TopicRetention returns a topic's effective retention (1009, 2010).
func (l *Log) TopicRetention(s, t uint32) (Retention, error) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	tp, err := l.topicByIDLocked(s, t)
	if err != nil {
		return Retention{}, err
	}
	return l.resolveRetention(tp.rec), nil
}

// RetentionTarget is one topic as retention sees it.
type RetentionTarget struct {
	StreamID, TopicID uint32
	Name              string
	Retention         Retention
	// Partitions are the topic's partitions, ascending id. The slice is the
	// caller's; the partitions may be deleted meanwhile (their operations
	// then fail with the topic's or partition's not-found code).
	Partitions []*Partition
}

// RetentionTargets lists every topic with its effective retention,
// ascending stream and topic id.
func (l *Log) RetentionTargets() []RetentionTarget {
	l.mu.RLock()
	defer l.mu.RUnlock()
	var out []RetentionTarget
	for _, s := range l.mu.streams {
		for _, t := range s.topics {
			out = append(out, RetentionTarget{
				StreamID: s.id, TopicID: t.id, Name: t.rec.name,
				Retention:  l.resolveRetention(t.rec),
				Partitions: append([]*Partition(nil), t.partitions...),
			})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].StreamID != out[j].StreamID {
			return out[i].StreamID < out[j].StreamID
		}
		return out[i].TopicID < out[j].TopicID
	})
	return out
}
