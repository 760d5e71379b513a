package kv

import (
	"errors"
	"slices"
	"testing"
)

func TestRecordRoundTrip(t *testing.T) {
	v := NewRecord([]byte("prefix")).U8(7).Bool(true).Bool(false).U32(1 << 30).U64(1 << 60).
		Str("name").Bytes(nil).Bytes([]byte{1, 2}).U32s([]uint32{5, 0, 9}).U32s(nil)
	r := ReadRecord(v[len("prefix"):])
	if got := r.U8(); got != 7 {
		t.Errorf("U8 = %d", got)
	}
	if !r.Bool() || r.Bool() {
		t.Error("Bool did not read true, false")
	}
	if got := r.U32(); got != 1<<30 {
		t.Errorf("U32 = %d", got)
	}
	if got := r.U64(); got != 1<<60 {
		t.Errorf("U64 = %d", got)
	}
	if got := r.Str(); got != "name" {
		t.Errorf("Str = %q", got)
	}
	if got := r.Bytes(); got != nil {
		t.Errorf("empty Bytes = %v, want nil", got)
	}
	if got := r.Bytes(); !slices.Equal(got, []byte{1, 2}) {
		t.Errorf("Bytes = %v", got)
	}
	if got := r.U32s(); !slices.Equal(got, []uint32{5, 0, 9}) {
		t.Errorf("U32s = %v", got)
	}
	if got := r.U32s(); got != nil {
		t.Errorf("empty U32s = %v", got)
	}
	if r.Err() != nil {
		t.Fatal(r.Err())
	}
}

func TestRecordCorrupt(t *testing.T) {
	full := NewRecord(nil).U64(1).Str("abc").U32s([]uint32{1, 2})
	read := func(b []byte) error {
		r := ReadRecord(b)
		r.U64()
		r.Str()
		r.U32s()
		return r.Err()
	}
	if err := read(full); err != nil {
		t.Fatalf("whole record: %v", err)
	}
	// Every truncation fails, none panics.
	for n := range len(full) {
		if err := read(full[:n]); !errors.Is(err, ErrCorruptRecord) {
			t.Errorf("record cut to %d bytes: err %v", n, err)
		}
	}
	if err := read(append([]byte{RecordVersion + 1}, full[1:]...)); !errors.Is(err, ErrCorruptRecord) {
		t.Errorf("unknown version: err %v", err)
	}
	// A count no record of this size could hold allocates nothing.
	huge := NewRecord(nil).U32(1 << 31)
	if r := ReadRecord(huge); r.U32s() != nil || !errors.Is(r.Err(), ErrCorruptRecord) {
		t.Errorf("huge count: err %v", r.Err())
	}
	if r := ReadRecord(NewRecord(nil).U8(2)); r.Bool() || !errors.Is(r.Err(), ErrCorruptRecord) {
		t.Errorf("bool 2: err %v", r.Err())
	}
}
