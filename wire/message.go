package wire

import (
	"encoding/binary"

	"github.com/zeebo/xxh3"
)

// Layout of the 64-byte message header (docs/protocol/binary.md §5.1). The same layout is
// used in SendMessages requests, in shale's storage, and in poll responses.
const (
	MessageHeaderSize = 64

	msgChecksum          = 0
	msgID                = 8
	msgOffset            = 24
	msgTimestamp         = 32
	msgOriginTimestamp   = 40
	msgUserHeadersLength = 48
	msgPayloadLength     = 52
	msgReserved          = 56
)

// Limits on one message (docs/protocol/binary.md §5.4).
const (
	MaxPayloadSize     = 64_000_000
	MaxUserHeadersSize = 100_000
)

// Message is a view of one message in wire form: the 64-byte header, then the
// payload, then the user headers. It aliases the bytes it was made from; the
// setters write through to them.
//
// A Message from NewMessageIter or ParseMessage is at least MessageHeaderSize
// bytes and exactly Size() bytes long.
type Message []byte

// Checksum is the XXH3-64 of the bytes after the checksum field.
func (m Message) Checksum() uint64 { return binary.LittleEndian.Uint64(m[msgChecksum:]) }

// ID returns the 16 id bytes as stored. All zeros means "assign one".
func (m Message) ID() []byte { return m[msgID : msgID+16 : msgID+16] }

// Offset is the partition offset the server assigned.
func (m Message) Offset() uint64 { return binary.LittleEndian.Uint64(m[msgOffset:]) }

// Timestamp is the server's append time in microseconds since the epoch.
func (m Message) Timestamp() uint64 { return binary.LittleEndian.Uint64(m[msgTimestamp:]) }

// OriginTimestamp is the client's time in microseconds since the epoch.
func (m Message) OriginTimestamp() uint64 {
	return binary.LittleEndian.Uint64(m[msgOriginTimestamp:])
}

// UserHeadersLength is the declared size of the user-header area.
func (m Message) UserHeadersLength() uint32 {
	return binary.LittleEndian.Uint32(m[msgUserHeadersLength:])
}

// PayloadLength is the declared size of the payload.
func (m Message) PayloadLength() uint32 { return binary.LittleEndian.Uint32(m[msgPayloadLength:]) }

// Reserved is the reserved header field; shale always stores 0.
func (m Message) Reserved() uint64 { return binary.LittleEndian.Uint64(m[msgReserved:]) }

// Size is the length of the message the header declares: 64 + payload + user
// headers.
func (m Message) Size() int {
	return MessageHeaderSize + int(m.PayloadLength()) + int(m.UserHeadersLength())
}

// Payload returns the payload bytes. REQUIRES: len(m) >= m.Size().
func (m Message) Payload() []byte {
	end := MessageHeaderSize + int(m.PayloadLength())
	return m[MessageHeaderSize:end:end]
}

// UserHeaders returns the raw user-header bytes. REQUIRES: len(m) >= m.Size().
func (m Message) UserHeaders() []byte {
	start := MessageHeaderSize + int(m.PayloadLength())
	end := start + int(m.UserHeadersLength())
	return m[start:end:end]
}

// SetOffset stores the partition offset.
func (m Message) SetOffset(v uint64) { binary.LittleEndian.PutUint64(m[msgOffset:], v) }

// SetTimestamp stores the server timestamp.
func (m Message) SetTimestamp(v uint64) { binary.LittleEndian.PutUint64(m[msgTimestamp:], v) }

// SetOriginTimestamp stores the client timestamp.
func (m Message) SetOriginTimestamp(v uint64) {
	binary.LittleEndian.PutUint64(m[msgOriginTimestamp:], v)
}

// SetReserved stores the reserved field.
func (m Message) SetReserved(v uint64) { binary.LittleEndian.PutUint64(m[msgReserved:], v) }

// SetChecksum stores the checksum field.
func (m Message) SetChecksum(v uint64) { binary.LittleEndian.PutUint64(m[msgChecksum:], v) }

// IDIsZero reports whether the id is all zeros ("assign one").
func (m Message) IDIsZero() bool {
	return binary.LittleEndian.Uint64(m[msgID:]) == 0 && binary.LittleEndian.Uint64(m[msgID+8:]) == 0
}

// ComputeChecksum returns XXH3-64 (seed 0) of the bytes after the checksum
// field, as Iggy computes it (docs/protocol/binary.md §5.2). REQUIRES: len(m) >= m.Size().
func (m Message) ComputeChecksum() uint64 {
	return xxh3.Hash(m[msgID:m.Size()])
}

// ParseMessage returns the message at the start of b, or ErrInvalidCommand
// when b is shorter than the header or than the size the header declares.
func ParseMessage(b []byte) (Message, error) {
	if len(b) < MessageHeaderSize {
		return nil, ErrInvalidCommand
	}
	m := Message(b)
	size := m.Size()
	if len(b) < size {
		return nil, ErrInvalidCommand
	}
	return m[:size:size], nil
}

// AppendMessageHeader appends a 64-byte header as a client sends it: checksum,
// offset and timestamp zero, the given id (nil = all zeros), origin timestamp
// and lengths, reserved zero. The caller appends payload then user headers.
func AppendMessageHeader(dst []byte, id []byte, originTimestamp uint64, payloadLen, userHeadersLen uint32) []byte {
	var h [MessageHeaderSize]byte
	copy(h[msgID:msgID+16], id)
	binary.LittleEndian.PutUint64(h[msgOriginTimestamp:], originTimestamp)
	binary.LittleEndian.PutUint32(h[msgUserHeadersLength:], userHeadersLen)
	binary.LittleEndian.PutUint32(h[msgPayloadLength:], payloadLen)
	return append(dst, h[:]...)
}

// MessageIter walks messages laid back to back: a poll response body or a
// stored batch. The messages it returns alias the underlying bytes.
//
//	it := wire.NewMessageIter(b)
//	for m, ok := it.Next(); ok; m, ok = it.Next() { ... }
//	if err := it.Err(); err != nil { ... }
type MessageIter struct {
	rest []byte
	err  error
}

// NewMessageIter returns an iterator over the messages in b.
func NewMessageIter(b []byte) MessageIter { return MessageIter{rest: b} }

// Next returns the next message, or false at the end or on malformed bytes
// (then Err says which).
func (it *MessageIter) Next() (Message, bool) {
	if it.err != nil || len(it.rest) == 0 {
		return nil, false
	}
	m, err := ParseMessage(it.rest)
	if err != nil {
		it.err = err
		return nil, false
	}
	it.rest = it.rest[len(m):]
	return m, true
}

// Err returns the error that stopped the iteration, if any.
func (it *MessageIter) Err() error { return it.err }

// Rest returns the bytes not yet walked.
func (it *MessageIter) Rest() []byte { return it.rest }
