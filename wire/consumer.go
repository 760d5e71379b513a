package wire

import "github.com/OneOfOne/xxhash"

// ConsumerKind tells whether a Consumer is a single consumer or a group
// (docs/protocol/binary.md §2.2).
type ConsumerKind uint8

const (
	ConsumerSingle ConsumerKind = 1
	ConsumerGroup  ConsumerKind = 2
)

// Consumer names who reads: an independent consumer or a consumer group.
type Consumer struct {
	Kind ConsumerKind
	ID   Identifier
}

// AppendTo appends the consumer.
func (c Consumer) AppendTo(dst []byte) []byte {
	return c.ID.AppendTo(append(dst, byte(c.Kind)))
}

// ConsumerNumber is the number a single consumer's offsets are kept under:
// a numeric id as is, a name reduced to XXH32 (seed 0) of its bytes, so that
// "worker-1" and the number XXH32("worker-1") share offsets as in Iggy.
func (c Consumer) ConsumerNumber() uint32 {
	if c.ID.Kind == IdentNumeric {
		return c.ID.ID
	}
	return xxhash.ChecksumString32(c.ID.Name)
}

func (r *reader) consumer() Consumer {
	kind := ConsumerKind(r.u8())
	if r.err == nil && kind != ConsumerSingle && kind != ConsumerGroup {
		r.fail(ErrInvalidCommand)
		return Consumer{}
	}
	return Consumer{Kind: kind, ID: r.ident()}
}
