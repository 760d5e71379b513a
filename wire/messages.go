package wire

import "encoding/binary"

// indexEntrySize is one SendMessages index entry: u32 offset (0), u32 end
// position, u64 timestamp (0) (docs/protocol/binary.md §4.9).
const indexEntrySize = 16

// SendMessages is a batch for one partition. Decode keeps views of the
// frame: Indexes and Messages (and a key in Partitioning) alias the payload,
// so the request is valid only while the frame buffer is.
type SendMessages struct {
	Stream, Topic Identifier
	Partitioning  Partitioning
	Count         uint32
	// Indexes holds Count 16-byte entries. AppendTo computes it from
	// Messages when it is nil.
	Indexes []byte
	// Messages holds Count messages back to back (64-byte header, payload,
	// user headers).
	Messages []byte
}

func (*SendMessages) Code() Command { return CmdSendMessages }

// AppendTo appends the payload: metadata, index block, messages.
func (s *SendMessages) AppendTo(dst []byte) []byte {
	return append(s.appendHead(dst), s.Messages...)
}

// appendHead appends the payload up to the messages: metadata and index
// block.
func (s *SendMessages) appendHead(dst []byte) []byte {
	meta := s.Stream.EncodedSize() + s.Topic.EncodedSize() + s.Partitioning.EncodedSize() + 4
	dst = appendU32(dst, uint32(meta))
	dst = s.Stream.AppendTo(dst)
	dst = s.Topic.AppendTo(dst)
	dst = s.Partitioning.AppendTo(dst)
	dst = appendU32(dst, s.Count)
	if s.Indexes != nil {
		return append(dst, s.Indexes...)
	}
	return AppendIndexes(dst, s.Messages)
}

// AppendIndexes appends the index block of a batch of messages laid out
// back to back: one entry per message, its end position in the batch with
// offset and timestamp zero, as the SDKs send it (the server assigns both).
// A producer that sends the same layout again can compute it once and set
// SendMessages.Indexes.
func AppendIndexes(dst, msgs []byte) []byte {
	it := NewMessageIter(msgs)
	end := 0
	for m, ok := it.Next(); ok; m, ok = it.Next() {
		end += len(m)
		dst = appendU32(dst, 0)
		dst = appendU32(dst, uint32(end))
		dst = appendU64(dst, 0)
	}
	return dst
}

// Decode reads the request and validates the batch in Iggy's order
// (docs/protocol/binary.md §4.9 steps 2–3). Malformed identifiers are
// ErrInvalidIdentifier here, not ErrInvalidFormat.
func (s *SendMessages) Decode(b []byte) error {
	r := reader{b: b}
	metaLen := r.u32()
	if r.err != nil || uint64(metaLen) > uint64(len(r.b)) {
		return ErrInvalidCommand
	}
	meta := reader{b: r.take(int(metaLen))}
	s.Stream = meta.ident()
	s.Topic = meta.ident()
	if meta.err != nil {
		return ErrInvalidIdentifier
	}
	s.Partitioning = meta.partitioning()
	s.Count = meta.u32()
	if meta.err != nil {
		return ErrInvalidCommand
	}
	if uint64(s.Count)*indexEntrySize > uint64(len(r.b)) {
		return ErrInvalidCommand
	}
	s.Indexes = r.take(int(s.Count) * indexEntrySize)
	s.Messages = r.rest()
	return s.validate()
}

// validate checks the index block against the messages area.
func (s *SendMessages) validate() error {
	if s.Count == 0 {
		return ErrInvalidMessagesCount
	}
	prev := uint32(0)
	var prevOffset uint64
	for i := range int(s.Count) {
		e := s.Indexes[i*indexEntrySize:]
		if binary.LittleEndian.Uint32(e) != 0 {
			return ErrNonZeroOffset
		}
		if binary.LittleEndian.Uint64(e[8:]) != 0 {
			return ErrNonZeroTimestamp
		}
		end := binary.LittleEndian.Uint32(e[4:])
		if i == int(s.Count)-1 {
			// The last message runs to the end of the area.
			if uint64(len(s.Messages)) < uint64(prev) {
				return ErrInvalidMessagesSize
			}
			end = uint32(len(s.Messages))
		}
		if end < prev {
			return ErrCannotReadIndexPosition
		}
		if uint64(end) > uint64(len(s.Messages)) {
			return ErrMissingIndex
		}
		m := Message(s.Messages[prev:end])
		if len(m) < MessageHeaderSize {
			return ErrTooSmallMessage
		}
		if uint64(MessageHeaderSize)+uint64(m.PayloadLength())+uint64(m.UserHeadersLength()) > uint64(len(m)) {
			return ErrMissingIndex
		}
		if m.PayloadLength() > MaxPayloadSize {
			return ErrTooBigMessagePayload
		}
		if m.UserHeadersLength() > MaxUserHeadersSize {
			return ErrTooBigUserHeaders
		}
		if m.Offset() < prevOffset {
			return ErrInvalidOffset
		}
		prevOffset = m.Offset()
		if m.Size() != len(m) {
			return ErrInvalidMessagesSize
		}
		prev = end
	}
	return nil
}

// AppendSendMessage appends one message as a client sends it: header with
// the given id (nil = assign one) and origin timestamp, payload, then user
// headers.
func AppendSendMessage(dst []byte, id []byte, originTimestamp uint64, payload, userHeaders []byte) []byte {
	dst = AppendMessageHeader(dst, id, originTimestamp, uint32(len(payload)), uint32(len(userHeaders)))
	return append(append(dst, payload...), userHeaders...)
}

// PollMessages reads up to Count messages of one partition.
type PollMessages struct {
	Consumer      Consumer
	Stream, Topic Identifier
	Partition     OptPartition
	Strategy      PollingStrategy
	Count         uint32
	AutoCommit    bool
}

func (*PollMessages) Code() Command { return CmdPollMessages }
func (p *PollMessages) AppendTo(dst []byte) []byte {
	dst = p.Consumer.AppendTo(dst)
	dst = p.Topic.AppendTo(p.Stream.AppendTo(dst))
	dst = p.Partition.AppendTo(dst)
	dst = p.Strategy.AppendTo(dst)
	dst = appendU32(dst, p.Count)
	return appendBool(dst, p.AutoCommit)
}
func (p *PollMessages) Decode(b []byte) error {
	return decodeAll(b, func(r *reader) {
		p.Consumer = r.consumer()
		p.Stream, p.Topic = r.ident(), r.ident()
		p.Partition = r.optPartition()
		p.Strategy = r.strategy()
		p.Count = r.u32()
		p.AutoCommit = r.bool8()
	})
}

// PolledHeaderSize is the poll response head: partition id, current offset,
// message count.
const PolledHeaderSize = 16

// AppendPolledHeader appends the head of a poll response; the caller then
// appends the stored messages as they are.
func AppendPolledHeader(dst []byte, partitionID uint32, currentOffset uint64, count uint32) []byte {
	return appendU32(appendU64(appendU32(dst, partitionID), currentOffset), count)
}

// PolledMessages is a decoded poll response. Messages aliases the payload;
// walk it with NewMessageIter.
type PolledMessages struct {
	PartitionID   uint32
	CurrentOffset uint64
	Count         uint32
	Messages      []byte
}

func (p *PolledMessages) AppendTo(dst []byte) []byte {
	return append(AppendPolledHeader(dst, p.PartitionID, p.CurrentOffset, p.Count), p.Messages...)
}
func (p *PolledMessages) Decode(b []byte) error {
	return decodeAll(b, func(r *reader) {
		p.PartitionID, p.CurrentOffset, p.Count = r.u32(), r.u64(), r.u32()
		p.Messages = r.rest()
	})
}

// FlushUnsavedBuffer asks the server to persist a partition's buffer.
type FlushUnsavedBuffer struct {
	Stream, Topic Identifier
	PartitionID   uint32
	Fsync         bool
}

func (*FlushUnsavedBuffer) Code() Command { return CmdFlushUnsavedBuffer }
func (f *FlushUnsavedBuffer) AppendTo(dst []byte) []byte {
	return appendBool(appendU32(f.Topic.AppendTo(f.Stream.AppendTo(dst)), f.PartitionID), f.Fsync)
}
func (f *FlushUnsavedBuffer) Decode(b []byte) error {
	return decodeAll(b, func(r *reader) {
		f.Stream, f.Topic = r.ident(), r.ident()
		f.PartitionID, f.Fsync = r.u32(), r.bool8()
	})
}
