package log

import (
	"encoding/binary"
	"errors"
)

// Metadata records are small versioned binary encodings. Every record starts
// with a version byte so a later shale can read what an earlier one wrote.
const recordVersion = 1

var errCorruptRecord = errors.New("log: corrupt metadata record")

// recordWriter appends little-endian fields.
type recordWriter []byte

func newRecord() recordWriter                    { return recordWriter{recordVersion} }
func (w recordWriter) u8(v uint8) recordWriter   { return append(w, v) }
func (w recordWriter) u32(v uint32) recordWriter { return binary.LittleEndian.AppendUint32(w, v) }
func (w recordWriter) u64(v uint64) recordWriter { return binary.LittleEndian.AppendUint64(w, v) }
func (w recordWriter) str(s string) recordWriter {
	return append(binary.LittleEndian.AppendUint32(w, uint32(len(s))), s...)
}

// recordReader reads little-endian fields with a sticky error.
type recordReader struct {
	b   []byte
	err error
}

func readRecord(b []byte) *recordReader {
	r := &recordReader{b: b}
	if len(b) == 0 || b[0] != recordVersion {
		r.err = errCorruptRecord
		return r
	}
	r.b = b[1:]
	return r
}

func (r *recordReader) take(n int) []byte {
	if r.err != nil || len(r.b) < n {
		r.err = errCorruptRecord
		return nil
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

func (r *recordReader) u8() uint8 {
	if v := r.take(1); v != nil {
		return v[0]
	}
	return 0
}

func (r *recordReader) u32() uint32 {
	if v := r.take(4); v != nil {
		return binary.LittleEndian.Uint32(v)
	}
	return 0
}

func (r *recordReader) u64() uint64 {
	if v := r.take(8); v != nil {
		return binary.LittleEndian.Uint64(v)
	}
	return 0
}

func (r *recordReader) str() string {
	n := r.u32()
	return string(r.take(int(n)))
}

// streamRecord is a stream's stored metadata.
type streamRecord struct {
	createdAt uint64
	name      string
}

func (s streamRecord) encode() []byte { return newRecord().u64(s.createdAt).str(s.name) }

func decodeStream(b []byte) (streamRecord, error) {
	r := readRecord(b)
	s := streamRecord{createdAt: r.u64(), name: r.str()}
	return s, r.err
}

// topicRecord is a topic's stored metadata; the partitions are their own
// records.
type topicRecord struct {
	createdAt   uint64
	compression uint8
	expiry      uint64
	maxSize     uint64
	replication uint8
	name        string
}

func (t topicRecord) encode() []byte {
	return newRecord().u64(t.createdAt).u8(t.compression).u64(t.expiry).u64(t.maxSize).u8(t.replication).str(t.name)
}

func decodeTopic(b []byte) (topicRecord, error) {
	r := readRecord(b)
	t := topicRecord{createdAt: r.u64(), compression: r.u8(), expiry: r.u64(), maxSize: r.u64(), replication: r.u8(), name: r.str()}
	return t, r.err
}

func encodePartition(createdAt uint64) []byte { return newRecord().u64(createdAt) }

func decodePartition(b []byte) (uint64, error) {
	r := readRecord(b)
	return r.u64(), r.err
}

func encodeGroup(name string) []byte { return newRecord().str(name) }

func decodeGroup(b []byte) (string, error) {
	r := readRecord(b)
	return r.str(), r.err
}

// counters are a partition's counters, stored under its 's' key in the same
// batch as every append, so after a crash they agree with the messages.
type counters struct {
	next  uint64 // offset the next message will get
	first uint64 // lowest retained offset (the low-water mark)
	bytes uint64 // bytes of retained messages in wire form
}

func (c counters) encode(dst []byte) []byte {
	return recordWriter(append(dst, recordVersion)).u64(c.next).u64(c.first).u64(c.bytes)
}

func decodeCounters(b []byte) (counters, error) {
	r := readRecord(b)
	c := counters{next: r.u64(), first: r.u64(), bytes: r.u64()}
	return c, r.err
}

// idAlloc hands out ids the way Iggy does: the most recently freed id first,
// otherwise the next never-used one (docs/protocol/binary.md §6).
type idAlloc struct {
	next  uint32
	freed []uint32
}

func (a *idAlloc) take() uint32 {
	if n := len(a.freed); n > 0 {
		id := a.freed[n-1]
		a.freed = a.freed[:n-1]
		return id
	}
	id := a.next
	a.next++
	return id
}

func (a *idAlloc) free(id uint32) { a.freed = append(a.freed, id) }

func (a *idAlloc) clone() idAlloc {
	return idAlloc{next: a.next, freed: append([]uint32(nil), a.freed...)}
}

func (a *idAlloc) encode() []byte {
	w := newRecord().u32(a.next).u32(uint32(len(a.freed)))
	for _, id := range a.freed {
		w = w.u32(id)
	}
	return w
}

func decodeAlloc(b []byte) (idAlloc, error) {
	r := readRecord(b)
	a := idAlloc{next: r.u32()}
	n := r.u32()
	if r.err == nil && int(n) > len(r.b)/4 {
		return idAlloc{}, errCorruptRecord
	}
	for range n {
		a.freed = append(a.freed, r.u32())
	}
	return a, r.err
}
