package wire

import (
	"encoding/binary"
	"unicode/utf8"
)

// HeaderKind is the kind of a user-header key or value (docs/protocol/binary.md §5.3).
type HeaderKind uint8

const (
	HeaderRaw     HeaderKind = 1
	HeaderString  HeaderKind = 2
	HeaderBool    HeaderKind = 3
	HeaderInt8    HeaderKind = 4
	HeaderInt16   HeaderKind = 5
	HeaderInt32   HeaderKind = 6
	HeaderInt64   HeaderKind = 7
	HeaderInt128  HeaderKind = 8
	HeaderUint8   HeaderKind = 9
	HeaderUint16  HeaderKind = 10
	HeaderUint32  HeaderKind = 11
	HeaderUint64  HeaderKind = 12
	HeaderUint128 HeaderKind = 13
	HeaderFloat32 HeaderKind = 14
	HeaderFloat64 HeaderKind = 15
)

// fixedSize is the value length a numeric kind requires, 0 for raw and
// string (1..=255).
func (k HeaderKind) fixedSize() int {
	switch k {
	case HeaderBool, HeaderInt8, HeaderUint8:
		return 1
	case HeaderInt16, HeaderUint16:
		return 2
	case HeaderInt32, HeaderUint32, HeaderFloat32:
		return 4
	case HeaderInt64, HeaderUint64, HeaderFloat64:
		return 8
	case HeaderInt128, HeaderUint128:
		return 16
	}
	return 0
}

// HeaderValue is one typed key or value. Bytes alias the decoded message.
type HeaderValue struct {
	Kind  HeaderKind
	Bytes []byte
}

// StringHeader returns a string key or value.
func StringHeader(s string) HeaderValue { return HeaderValue{Kind: HeaderString, Bytes: []byte(s)} }

// Uint32Header returns a uint32 value.
func Uint32Header(v uint32) HeaderValue {
	return HeaderValue{Kind: HeaderUint32, Bytes: binary.LittleEndian.AppendUint32(nil, v)}
}

// valid reports whether the item obeys the SDK decoders' rules.
func (v HeaderValue) valid() bool {
	if v.Kind < HeaderRaw || v.Kind > HeaderFloat64 || len(v.Bytes) == 0 || len(v.Bytes) > 255 {
		return false
	}
	if n := v.Kind.fixedSize(); n != 0 && len(v.Bytes) != n {
		return false
	}
	if v.Kind == HeaderBool && v.Bytes[0] > 1 {
		return false
	}
	return v.Kind != HeaderString || utf8.Valid(v.Bytes)
}

// UserHeader is one key/value entry.
type UserHeader struct{ Key, Value HeaderValue }

// AppendUserHeaders appends entries in the given order.
func AppendUserHeaders(dst []byte, hs ...UserHeader) []byte {
	for _, h := range hs {
		for _, v := range [2]HeaderValue{h.Key, h.Value} {
			dst = append(dst, byte(v.Kind))
			dst = appendU32(dst, uint32(len(v.Bytes)))
			dst = append(dst, v.Bytes...)
		}
	}
	return dst
}

// DecodeUserHeaders reads and validates user headers. Iggy's server stores
// them unchecked; this is for clients and for tools that show them. Errors
// are ErrInvalidHeaderKind / ErrInvalidHeaderValue / ErrInvalidCommand.
func DecodeUserHeaders(b []byte) ([]UserHeader, error) {
	r := reader{b: b}
	var out []UserHeader
	item := func() HeaderValue {
		kind := HeaderKind(r.u8())
		n := r.u32()
		if r.err != nil || uint64(n) > uint64(len(r.b)) {
			r.fail(ErrInvalidCommand)
			return HeaderValue{}
		}
		v := HeaderValue{Kind: kind, Bytes: r.take(int(n))}
		if kind < HeaderRaw || kind > HeaderFloat64 {
			r.fail(ErrInvalidHeaderKind)
		} else if !v.valid() {
			r.fail(ErrInvalidHeaderValue)
		}
		return v
	}
	for len(r.b) > 0 && r.err == nil {
		h := UserHeader{Key: item()}
		h.Value = item()
		out = append(out, h)
	}
	return out, r.err
}
