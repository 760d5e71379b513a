package kv

import "encoding/binary"

// Tags are the first byte of every key (docs/architecture.md "Keyspace"). Integers after
// the tag are big-endian so keys sort in numeric order.
const (
	// TagMessages keys hold messages in wire form: stream u32, topic u32,
	// partition u32, first offset u64 → the messages, back to back.
	TagMessages byte = 'm'
	// TagOffsets keys hold committed consumer offsets: stream, topic,
	// partition, consumer kind u8, consumer id u32 → offset u64.
	TagOffsets byte = 'o'
	// TagCounters keys hold per-partition counters: stream, topic, partition →
	// counters, written in the same batch as every append.
	TagCounters byte = 's'
	// TagMeta keys hold metadata: kind u8, ids → record (streams, topics,
	// partitions, consumer groups, users, tokens, id allocators).
	TagMeta byte = 'M'
	// TagRaft keys hold the replication engine's own state (cluster):
	// its log entries, hard state, applied index and snapshot metadata.
	// They are never replicated themselves.
	TagRaft byte = 'R'
)

// Metadata kinds: the byte after TagMeta. Two packages keep records under
// TagMeta (log: the catalog; broker/auth: users and tokens); every kind is
// listed here, so no two can collide (TestMetaKindsDistinct).
const (
	MetaStream    byte = 'S' // log: stream id → stream record
	MetaTopic     byte = 'T' // log: stream id, topic id → topic record
	MetaPartition byte = 'P' // log: stream, topic, partition id → partition record
	MetaGroup     byte = 'G' // log: stream, topic, group id → group record
	MetaAlloc     byte = 'A' // log: scope → free-id stack (streams, topics, groups)
	MetaUser      byte = 'U' // auth: user id → user record
	MetaToken     byte = 'K' // auth: SHA-256 of a token → token record
	MetaUserAlloc byte = 'u' // auth: → user-id allocator
	MetaRevoked   byte = 'J' // auth: JWT id → expiry (µs)
	MetaSecret    byte = 'W' // auth: name → a secret the server generated
)

// MetaKinds lists every metadata kind with its name.
var MetaKinds = []struct {
	Kind byte
	Name string
}{
	{MetaStream, "stream"}, {MetaTopic, "topic"}, {MetaPartition, "partition"}, {MetaGroup, "group"},
	{MetaAlloc, "id allocator"}, {MetaUser, "user"}, {MetaToken, "token"}, {MetaUserAlloc, "user-id allocator"},
	{MetaRevoked, "revoked JWT"}, {MetaSecret, "generated secret"},
}

// Key builds keys by appending to a byte slice:
//
//	k := kv.NewKey(buf[:0], kv.TagMessages).U32(stream).U32(topic).U32(part).U64(off)
//
// Key is a plain []byte; the builder methods never allocate when the backing
// array has room.
type Key []byte

// NewKey starts a key with tag, appending to dst.
func NewKey(dst []byte, tag byte) Key { return Key(append(dst, tag)) }

// U8 appends one byte.
func (k Key) U8(v uint8) Key { return append(k, v) }

// U32 appends v big-endian.
func (k Key) U32(v uint32) Key { return Key(binary.BigEndian.AppendUint32(k, v)) }

// U64 appends v big-endian.
func (k Key) U64(v uint64) Key { return Key(binary.BigEndian.AppendUint64(k, v)) }

// Bytes appends raw bytes.
func (k Key) Bytes(b []byte) Key { return append(k, b...) }

// PrefixEnd returns the smallest key greater than every key that starts with
// prefix, appended to dst: the exclusive upper bound of a prefix scan. A prefix
// of all 0xff bytes has no such key; nil is returned (no upper bound).
func PrefixEnd(dst, prefix []byte) []byte {
	for i := len(prefix) - 1; i >= 0; i-- {
		if prefix[i] != 0xff {
			out := append(dst, prefix[:i+1]...)
			out[len(out)-1]++
			return out
		}
	}
	return nil
}

// U32At reads the big-endian u32 at byte offset at of key.
func U32At(key []byte, at int) uint32 { return binary.BigEndian.Uint32(key[at:]) }

// U64At reads the big-endian u64 at byte offset at of key.
func U64At(key []byte, at int) uint64 { return binary.BigEndian.Uint64(key[at:]) }
