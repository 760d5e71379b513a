package wire

import (
	"encoding/binary"
	"strconv"
)

// IdentKind tells how an Identifier names its target (docs/protocol/binary.md §2.1).
type IdentKind uint8

const (
	IdentNumeric IdentKind = 1
	IdentString  IdentKind = 2
)

// Identifier names a stream, topic, consumer group, user or consumer by
// numeric id or by exact name.
type Identifier struct {
	Kind IdentKind
	ID   uint32
	Name string
}

// NumericID returns the identifier of id.
func NumericID(id uint32) Identifier { return Identifier{Kind: IdentNumeric, ID: id} }

// NamedID returns the identifier of name.
func NamedID(name string) Identifier { return Identifier{Kind: IdentString, Name: name} }

// IsNumeric reports whether the identifier is a numeric id.
func (i Identifier) IsNumeric() bool { return i.Kind == IdentNumeric }

// String returns the id as a number or the name quoted.
func (i Identifier) String() string {
	if i.Kind == IdentNumeric {
		return strconv.FormatUint(uint64(i.ID), 10)
	}
	return strconv.Quote(i.Name)
}

// EncodedSize is the identifier's size on the wire.
func (i Identifier) EncodedSize() int {
	if i.Kind == IdentNumeric {
		return 6
	}
	return 2 + len(i.Name)
}

// AppendTo appends the identifier.
func (i Identifier) AppendTo(dst []byte) []byte {
	if i.Kind == IdentNumeric {
		dst = append(dst, byte(IdentNumeric), 4)
		return appendU32(dst, i.ID)
	}
	dst = append(dst, byte(IdentString))
	return appendStr8(dst, i.Name)
}

// ident reads an identifier. A numeric one whose length is not 4 or an
// empty name is ErrInvalidFormat; an unknown kind is ErrInvalidCommand.
func (r *reader) ident() Identifier {
	kind := IdentKind(r.u8())
	n := int(r.u8())
	if r.err != nil {
		return Identifier{}
	}
	switch kind {
	case IdentNumeric:
		if n != 4 {
			r.fail(ErrInvalidFormat)
			return Identifier{}
		}
		b := r.take(4)
		if b == nil {
			return Identifier{}
		}
		return NumericID(binary.LittleEndian.Uint32(b))
	case IdentString:
		if n == 0 {
			r.fail(ErrInvalidFormat)
			return Identifier{}
		}
		return NamedID(r.text(n))
	default:
		r.fail(ErrInvalidCommand)
		return Identifier{}
	}
}

// DecodeIdentifier reads one identifier from the front of b and returns
// the bytes after it.
func DecodeIdentifier(b []byte) (Identifier, []byte, error) {
	r := reader{b: b}
	id := r.ident()
	return id, r.rest(), r.err
}
