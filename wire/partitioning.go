package wire

import (
	"encoding/binary"

	"github.com/OneOfOne/xxhash"
)

// PartitioningKind is how SendMessages picks a partition (docs/protocol/binary.md §2.3).
type PartitioningKind uint8

const (
	PartitionBalanced     PartitioningKind = 1
	PartitionByID         PartitioningKind = 2
	PartitionByMessageKey PartitioningKind = 3
)

// Partitioning is the partition choice of one SendMessages request.
type Partitioning struct {
	Kind PartitioningKind
	// Value is empty for balanced, the u32 partition id for by-id, or the
	// key bytes. Decoded values alias the frame.
	Value []byte
}

// Balanced returns round-robin partitioning.
func Balanced() Partitioning { return Partitioning{Kind: PartitionBalanced} }

// PartitionID returns partitioning to the given 0-based partition.
func PartitionID(id uint32) Partitioning {
	return Partitioning{Kind: PartitionByID, Value: binary.LittleEndian.AppendUint32(nil, id)}
}

// MessagesKey returns partitioning by key.
func MessagesKey(key []byte) Partitioning {
	return Partitioning{Kind: PartitionByMessageKey, Value: key}
}

// ID returns the partition id of by-id partitioning.
func (p Partitioning) ID() uint32 {
	if len(p.Value) < 4 {
		return 0
	}
	return binary.LittleEndian.Uint32(p.Value)
}

// AppendTo appends the partitioning.
func (p Partitioning) AppendTo(dst []byte) []byte {
	v := p.Value
	if len(v) > 255 {
		v = v[:255]
	}
	dst = append(dst, byte(p.Kind), byte(len(v)))
	return append(dst, v...)
}

// EncodedSize is the partitioning's size on the wire.
func (p Partitioning) EncodedSize() int { return 2 + min(len(p.Value), 255) }

// partitioning reads a partitioning; every malformed form is
// ErrInvalidCommand (docs/protocol/binary.md §4.9 step 2). An empty key is accepted, as
// Iggy hashes it.
func (r *reader) partitioning() Partitioning {
	kind := PartitioningKind(r.u8())
	n := int(r.u8())
	if r.err != nil {
		return Partitioning{}
	}
	switch {
	case kind == PartitionBalanced && n == 0,
		kind == PartitionByID && n == 4,
		kind == PartitionByMessageKey:
		if n == 0 {
			return Partitioning{Kind: kind}
		}
		return Partitioning{Kind: kind, Value: r.take(n)}
	default:
		r.fail(ErrInvalidCommand)
		return Partitioning{}
	}
}

// PartitionForKey returns the 0-based partition of a messages key:
// XXH32(key, seed 0) mod partitions (docs/protocol/binary.md §2.3). REQUIRES: partitions > 0.
func PartitionForKey(key []byte, partitions uint32) uint32 {
	return xxhash.Checksum32(key) % partitions
}
