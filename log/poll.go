package log

import (
	"fmt"

	"github.com/shalemq/shale/kv"
	"github.com/shalemq/shale/wire"
)

// Strategy says where a poll starts (docs/protocol/binary.md §2.4).
type Strategy uint8

// Polling strategies; the values are Iggy's.
const (
	StrategyOffset    Strategy = 1 // Value is the offset
	StrategyTimestamp Strategy = 2 // Value is a server timestamp in µs
	StrategyFirst     Strategy = 3 // the oldest retained message
	StrategyLast      Strategy = 4 // the newest Count messages
	StrategyNext      Strategy = 5 // after the consumer's stored offset
)

// Consumer identifies whose offsets a poll or commit uses: a single consumer
// (numeric id; string ids are hashed by the caller, docs/protocol/binary.md §2.2) or a
// consumer group (its id).
type Consumer struct {
	Group bool
	ID    uint32
}

func (c Consumer) kind() byte {
	if c.Group {
		return consumerGroup
	}
	return consumerSingle
}

// PollRequest is a poll of one partition.
type PollRequest struct {
	Strategy   Strategy
	Value      uint64
	Count      uint32
	Consumer   Consumer
	AutoCommit bool
	// MaxBytes caps the bytes Poll appends: it stops before the message
	// that would take the answer past it, yet always returns the first
	// message it finds, however large. 0 means no cap.
	MaxBytes int
	// Room, when set, is asked before the answer grows (answer.go).
	Room Room
}

// PollResult describes what a poll appended.
type PollResult struct {
	PartitionID uint32
	// CurrentOffset is the newest durable offset of the partition (0 when
	// empty).
	CurrentOffset uint64
	Count         uint32
	// LastOffset is the offset of the last message returned (when Count > 0).
	LastOffset uint64
	// Cut says why the answer ended before Count messages while more were
	// there to read: CutNone when it did not.
	Cut Cut
}

// Poll appends up to req.Count messages, each exactly as stored (64-byte
// header, payload, user headers), to dst and returns the extended slice.
// It appends fewer when req.MaxBytes or req.Room stop it (res.Cut says
// which); res.Count and res.LastOffset always describe what was appended.
// dst belongs to the caller; nothing in it aliases storage. Polls never read
// past the durable watermark. With AutoCommit, the offset of the last message
// returned is stored for req.Consumer before Poll returns.
func (p *Partition) Poll(dst []byte, req PollRequest) (PollResult, []byte, error) {
	durable := p.durable.Load()
	first := min(p.first.Load(), durable)
	res := PollResult{PartitionID: p.id}
	if durable > 0 {
		res.CurrentOffset = durable - 1
	}
	if req.Count == 0 || durable == first {
		return res, dst, nil
	}

	it, err := p.log.db.NewIter(partitionSpan(kv.TagMessages, p.streamID, p.topicID, p.id))
	if err != nil {
		return res, dst, err
	}
	defer it.Close()
	// Reload the low-water mark now that the snapshot exists: a truncation
	// that ran in between deleted chunks below its new mark, so only a mark
	// read after the snapshot guarantees every offset from it on is in the
	// snapshot (TruncateBefore publishes first after committing).
	first = min(p.first.Load(), durable)
	if durable == first {
		return res, dst, nil
	}

	var start uint64
	switch req.Strategy {
	case StrategyOffset:
		start = req.Value
	case StrategyTimestamp:
		if start, err = p.offsetAtTimestamp(it, req.Value, first, durable); err != nil {
			return res, dst, err
		}
	case StrategyFirst:
		start = first
	case StrategyLast:
		start = durable - min(uint64(req.Count), durable)
	case StrategyNext:
		stored, ok, err := p.Offset(req.Consumer)
		if err != nil {
			return res, dst, err
		}
		start = first
		if ok {
			start = stored + 1
		}
	default:
		return res, dst, fmt.Errorf("polling strategy %d: %w", req.Strategy, wire.ErrInvalidCommand)
	}
	start = max(start, first)
	if start >= durable {
		return res, dst, nil
	}
	end := durable
	if n := uint64(req.Count); durable-start > n {
		end = start + n
	}
	shifted := false
	if req.Strategy == StrategyLast && req.MaxBytes > 0 {
		// The newest messages that fit, rather than the oldest of them.
		newest, err := p.newestFitting(it, start, end, req.MaxBytes)
		if err != nil {
			return res, dst, err
		}
		start, shifted = newest, newest > start
	}
	a := answer{max: req.MaxBytes, room: req.Room}
	dst, err = p.read(it, dst, start, end, &a)
	if shifted && a.cut == CutNone {
		a.cut = CutMaxBytes
	}
	res.Count, res.LastOffset, res.Cut = a.count, a.last, a.cut
	if err != nil {
		return res, dst, err
	}
	n, last := a.count, a.last
	if req.AutoCommit && n > 0 {
		if err := p.storeOffset(req.Consumer, last); err != nil {
			return res, dst, err
		}
	}
	return res, dst, nil
}

// read appends the messages with offsets in [from, to) to dst, as far as
// a lets it, and records in a what it appended. Values are chunks keyed by
// the offset of their first message and holding consecutive offsets, so
// the chunk holding from is the last key ≤ from.
func (p *Partition) read(it *kv.Iter, dst []byte, from, to uint64, a *answer) ([]byte, error) {
	seek := messageKey(make([]byte, 0, msgKeyLen), p.streamID, p.topicID, p.id, from+1)
	for ok := it.SeekLT(seek); ok; ok = it.Next() {
		chunkFirst := kv.U64At(it.Key(), msgKeyOffsetAt)
		if chunkFirst >= to {
			break
		}
		v, err := it.Value()
		if err != nil {
			return dst, err
		}
		// Walk the headers to the first wanted message and past the last
		// that fits, then copy the span in one go.
		off := chunkFirst
		var s span
		s.begin = -1
		pos := 0
		mi := wire.NewMessageIter(v)
		for m, ok := mi.Next(); ok && off < to; m, ok = mi.Next() {
			if s.begin < 0 && off >= from {
				s.begin, s.first, s.firstEnd = pos, off, pos+len(m)
			}
			if s.begin >= 0 {
				if a.max > 0 && a.count+s.count > 0 && a.size+(pos-s.begin)+len(m) > a.max {
					a.cut = CutMaxBytes
					break
				}
				s.count++
			}
			pos += len(m)
			off++
		}
		if err := mi.Err(); err != nil {
			return dst, fmt.Errorf("partition %d chunk at %d: %w", p.id, chunkFirst, err)
		}
		if s.count > 0 {
			s.end = pos
			if !a.fit(&s) {
				return dst, a.err
			}
			if s.count > 0 {
				dst = append(dst, v[s.begin:s.end]...)
			}
		}
		if off >= to || a.cut != CutNone {
			break
		}
	}
	return dst, it.Error()
}

// offsetAtTimestamp returns the first offset in [first, end) whose server
// timestamp is ≥ ts, or end when there is none. Server timestamps never
// decrease along a partition, and every message of one chunk has the same
// timestamp (a chunk never spans two appends), so a binary search over
// offsets reads one header per probe.
func (p *Partition) offsetAtTimestamp(it *kv.Iter, ts, first, end uint64) (uint64, error) {
	lo, hi := first, end
	key := make([]byte, 0, msgKeyLen)
	for lo < hi {
		mid := lo + (hi-lo)/2
		chunkTS, err := p.chunkTimestamp(it, key, mid)
		if err != nil {
			return 0, err
		}
		if chunkTS >= ts {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo, nil
}

// chunkTimestamp is the server timestamp of the chunk holding offset.
func (p *Partition) chunkTimestamp(it *kv.Iter, key []byte, offset uint64) (uint64, error) {
	if !it.SeekLT(messageKey(key[:0], p.streamID, p.topicID, p.id, offset+1)) {
		if err := it.Error(); err != nil {
			return 0, err
		}
		return 0, fmt.Errorf("partition %d: no chunk holds offset %d", p.id, offset)
	}
	v, err := it.Value()
	if err != nil {
		return 0, err
	}
	m, err := wire.ParseMessage(v)
	if err != nil {
		return 0, fmt.Errorf("partition %d chunk: %w", p.id, err)
	}
	return m.Timestamp(), nil
}
