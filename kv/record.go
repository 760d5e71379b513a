package kv

import (
	"encoding/binary"
	"errors"
)

// Metadata records (the values under TagMeta) share one encoding, whichever
// package owns them (log: the catalog; broker/auth: users and tokens): a
// version byte, then little-endian fields in a fixed order. Strings and byte
// strings carry a u32 length first; a list of u32s carries its count first.
// A reader ignores bytes after the fields it knows, so a later shale may
// append fields and an earlier one still reads what it understands.
const RecordVersion = 1

// ErrCorruptRecord is returned for a metadata record that does not decode:
// a wrong version byte, or fewer bytes than its fields need.
var ErrCorruptRecord = errors.New("kv: corrupt metadata record")

// Record builds a metadata record by appending to a byte slice:
//
//	v := kv.NewRecord(nil).U64(createdAt).Str(name)
type Record []byte

// NewRecord starts a record (its version byte), appending to dst.
func NewRecord(dst []byte) Record { return Record(append(dst, RecordVersion)) }

// U8 appends one byte.
func (w Record) U8(v uint8) Record { return append(w, v) }

// Bool appends 1 for true, 0 for false.
func (w Record) Bool(v bool) Record {
	if v {
		return append(w, 1)
	}
	return append(w, 0)
}

// U32 appends v little-endian.
func (w Record) U32(v uint32) Record { return Record(binary.LittleEndian.AppendUint32(w, v)) }

// U64 appends v little-endian.
func (w Record) U64(v uint64) Record { return Record(binary.LittleEndian.AppendUint64(w, v)) }

// Str appends a u32 length and the string's bytes.
func (w Record) Str(s string) Record { return append(w.U32(uint32(len(s))), s...) }

// Bytes appends a u32 length and b.
func (w Record) Bytes(b []byte) Record { return append(w.U32(uint32(len(b))), b...) }

// U32s appends a u32 count and every value.
func (w Record) U32s(vs []uint32) Record {
	w = w.U32(uint32(len(vs)))
	for _, v := range vs {
		w = w.U32(v)
	}
	return w
}

// RecordReader reads a record's fields in the order they were written. The
// first short read sets a sticky error (Err) and every later read returns
// zero values, so a decoder reads every field and checks Err once.
type RecordReader struct {
	b   []byte
	err error
}

// ReadRecord starts reading b; a missing or unknown version byte is
// ErrCorruptRecord.
func ReadRecord(b []byte) *RecordReader {
	if len(b) == 0 || b[0] != RecordVersion {
		return &RecordReader{err: ErrCorruptRecord}
	}
	return &RecordReader{b: b[1:]}
}

// Err is the first error met, nil when every read so far succeeded.
func (r *RecordReader) Err() error { return r.err }

func (r *RecordReader) take(n uint64) []byte {
	if r.err != nil || uint64(len(r.b)) < n {
		r.err = ErrCorruptRecord
		return nil
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

// U8 reads one byte.
func (r *RecordReader) U8() uint8 {
	if v := r.take(1); v != nil {
		return v[0]
	}
	return 0
}

// Bool reads a byte written by Record.Bool; any other value than 0 or 1 is
// ErrCorruptRecord.
func (r *RecordReader) Bool() bool {
	switch r.U8() {
	case 0:
		return false
	case 1:
		return true
	}
	r.err = ErrCorruptRecord
	return false
}

// U32 reads a little-endian u32.
func (r *RecordReader) U32() uint32 {
	if v := r.take(4); v != nil {
		return binary.LittleEndian.Uint32(v)
	}
	return 0
}

// U64 reads a little-endian u64.
func (r *RecordReader) U64() uint64 {
	if v := r.take(8); v != nil {
		return binary.LittleEndian.Uint64(v)
	}
	return 0
}

// Bytes reads a length-prefixed byte string. It aliases the record; copy it
// to keep it past the record's life. An empty string is nil.
func (r *RecordReader) Bytes() []byte {
	n := r.U32()
	if v := r.take(uint64(n)); n > 0 {
		return v
	}
	return nil
}

// Str reads a length-prefixed string.
func (r *RecordReader) Str() string { return string(r.Bytes()) }

// U32s reads a count and as many u32s. A count larger than the bytes left
// could hold is ErrCorruptRecord, before anything is allocated.
func (r *RecordReader) U32s() []uint32 {
	n := r.U32()
	if r.err != nil {
		return nil
	}
	if uint64(n) > uint64(len(r.b))/4 {
		r.err = ErrCorruptRecord
		return nil
	}
	var out []uint32
	if n > 0 {
		out = make([]uint32, n)
		for i := range out {
			out[i] = r.U32()
		}
	}
	return out
}
