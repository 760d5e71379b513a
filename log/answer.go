package log

import (
	"fmt"

	"github.com/shalemq/shale/kv"
	"github.com/shalemq/shale/wire"
)

// Cut says why a poll's answer ended before the count asked while more
// messages were there to read.
type Cut uint8

const (
	CutNone     Cut = iota
	CutMaxBytes     // the next message would have taken it past PollRequest.MaxBytes
	CutRoom         // PollRequest.Room refused to let it grow
)

// Room is a memory budget a poll's answer takes from as it grows. Grow is
// asked before the answer grows to total bytes (counting from the first
// byte Poll appends) and reports whether it may; what it grants is the
// owner's to give back once the answer has been sent.
type Room interface {
	Grow(total int) bool
}

// NoRoomError is Poll's answer when Room refused even the first message
// it found: Bytes is what that message needs. The caller may wait for
// room and poll again.
type NoRoomError struct {
	Bytes int
}

func (e *NoRoomError) Error() string {
	return fmt.Sprintf("no room for a poll answer of %d bytes", e.Bytes)
}

// answer is what a poll has appended so far and what bounds it.
type answer struct {
	max  int  // PollRequest.MaxBytes
	room Room // PollRequest.Room
	err  error

	count uint32
	size  int
	last  uint64
	cut   Cut
}

// span is the run of wanted messages of one chunk: bytes [begin, end) of
// the value, count messages from offset first; the first one ends at
// firstEnd.
type span struct {
	begin, end, firstEnd int
	first                uint64
	count                uint32
}

// fit takes s, or as much of it as a's Room allows, into the answer. When
// Room refuses the rest, the answer ends at the last chunk taken; when it
// refuses the first message of the answer, fit sets a.err and reports
// false.
func (a *answer) fit(s *span) bool {
	if a.room != nil && !a.room.Grow(a.size+s.end-s.begin) {
		if a.count > 0 {
			a.cut = CutRoom
			s.count = 0
			return true
		}
		// The whole span does not fit; the first message may.
		if s.count == 1 || !a.room.Grow(s.firstEnd-s.begin) {
			a.err = &NoRoomError{Bytes: s.firstEnd - s.begin}
			return false
		}
		a.cut = CutRoom
		s.end, s.count = s.firstEnd, 1
	}
	a.count += s.count
	a.size += s.end - s.begin
	a.last = s.first + uint64(s.count) - 1
	return true
}

// newestFitting returns where a Last poll of [from, to) starts under a cap
// of limit bytes: the first of the newest messages of the range whose bytes
// fit in limit, and never after the newest one. Reading forward from from
// would answer the oldest of the range instead. It walks the chunks back
// from to, reading each value once (the read that follows finds them
// cached).
func (p *Partition) newestFitting(it *kv.Iter, from, to uint64, limit int) (uint64, error) {
	room := limit
	start := to // the first offset taken so far
	key := messageKey(make([]byte, 0, msgKeyLen), p.streamID, p.topicID, p.id, to)
	for ok := it.SeekLT(key); ok; ok = it.Prev() {
		chunkFirst := kv.U64At(it.Key(), msgKeyOffsetAt)
		v, err := it.Value()
		if err != nil {
			return from, err
		}
		// The chunk's messages in [from, start), and their bytes.
		begin := -1
		pos, off := 0, chunkFirst
		mi := wire.NewMessageIter(v)
		for m, ok := mi.Next(); ok && off < start; m, ok = mi.Next() {
			if begin < 0 && off >= from {
				begin = pos
			}
			pos += len(m)
			off++
		}
		if err := mi.Err(); err != nil {
			return from, fmt.Errorf("partition %d chunk at %d: %w", p.id, chunkFirst, err)
		}
		if begin < 0 {
			return start, nil
		}
		if span := pos - begin; span <= room {
			room -= span
			start = max(chunkFirst, from)
			if chunkFirst <= from {
				return from, nil
			}
			continue
		}
		// The cap falls inside this chunk: skip its older messages until the
		// rest fits; when none fits and nothing was taken yet, the newest
		// message goes alone.
		rest, o := pos-begin, max(chunkFirst, from)
		mi = wire.NewMessageIter(v[begin:pos])
		for m, ok := mi.Next(); ok; m, ok = mi.Next() {
			if rest <= room {
				return o, nil
			}
			rest -= len(m)
			o++
		}
		if start == to {
			return to - 1, nil
		}
		return start, nil
	}
	if err := it.Error(); err != nil {
		return from, err
	}
	return start, nil
}
