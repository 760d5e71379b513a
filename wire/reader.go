package wire

import (
	"encoding/binary"
	"unicode/utf8"
)

// reader decodes a payload from the front with a sticky error: once a read
// fails every later read returns zero values, so a decoder can read all its
// fields and check r.err once at the end. A short payload is
// ErrInvalidCommand, as Iggy answers a truncated frame (docs/protocol/binary.md §1.2).
type reader struct {
	b   []byte
	err error
}

func (r *reader) fail(err error) {
	if r.err == nil {
		r.err = err
	}
}

func (r *reader) take(n int) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || len(r.b) < n {
		r.fail(ErrInvalidCommand)
		return nil
	}
	v := r.b[:n:n]
	r.b = r.b[n:]
	return v
}

func (r *reader) u8() uint8 {
	if b := r.take(1); b != nil {
		return b[0]
	}
	return 0
}

func (r *reader) u16() uint16 {
	if b := r.take(2); b != nil {
		return binary.LittleEndian.Uint16(b)
	}
	return 0
}

func (r *reader) u32() uint32 {
	if b := r.take(4); b != nil {
		return binary.LittleEndian.Uint32(b)
	}
	return 0
}

func (r *reader) u64() uint64 {
	if b := r.take(8); b != nil {
		return binary.LittleEndian.Uint64(b)
	}
	return 0
}

func (r *reader) f32() float32 {
	return float32frombits(r.u32())
}

func (r *reader) bool8() bool { return r.u8() != 0 }

// text returns n bytes as a string, failing with ErrInvalidCommand on
// invalid UTF-8 (Iggy answers 3 there).
func (r *reader) text(n int) string {
	b := r.take(n)
	if b == nil {
		return ""
	}
	if !utf8.Valid(b) {
		r.fail(ErrInvalidCommand)
		return ""
	}
	return string(b)
}

// name8 reads a u8-length name that must not be empty (docs/protocol/binary.md §1.2: an
// empty name is ErrInvalidFormat).
func (r *reader) name8() string {
	n := int(r.u8())
	if r.err == nil && n == 0 {
		r.fail(ErrInvalidFormat)
		return ""
	}
	return r.text(n)
}

// str8 reads a u8-length string that may be empty; its rules (password
// lengths) are the broker's to check.
func (r *reader) str8() string { return r.text(int(r.u8())) }

// str32 reads a u32-length string.
func (r *reader) str32() string {
	n := r.u32()
	if r.err == nil && uint64(n) > uint64(len(r.b)) {
		r.fail(ErrInvalidCommand)
		return ""
	}
	return r.text(int(n))
}

// rest returns the unread bytes.
func (r *reader) rest() []byte { return r.b }

// decodeAll runs dec over b and reports the first error. Trailing bytes are
// ignored, as Iggy ignores them (docs/protocol/binary.md §12 trap 11).
func decodeAll(b []byte, dec func(r *reader)) error {
	r := reader{b: b}
	dec(&r)
	return r.err
}
