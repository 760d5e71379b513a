package log

import "github.com/shalemq/shale/kv"

// Metadata records use kv's one record encoding (kv/record.go): a version
// byte, then little-endian fields, the same as broker/auth's users and
// tokens.

var errCorruptRecord = kv.ErrCorruptRecord

// streamRecord is a stream's stored metadata.
type streamRecord struct {
	createdAt uint64
	name      string
}

func (s streamRecord) encode() []byte { return kv.NewRecord(nil).U64(s.createdAt).Str(s.name) }

func decodeStream(b []byte) (streamRecord, error) {
	r := kv.ReadRecord(b)
	s := streamRecord{createdAt: r.U64(), name: r.Str()}
	return s, r.Err()
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
	return kv.NewRecord(nil).U64(t.createdAt).U8(t.compression).U64(t.expiry).U64(t.maxSize).U8(t.replication).Str(t.name)
}

func decodeTopic(b []byte) (topicRecord, error) {
	r := kv.ReadRecord(b)
	t := topicRecord{createdAt: r.U64(), compression: r.U8(), expiry: r.U64(), maxSize: r.U64(), replication: r.U8(), name: r.Str()}
	return t, r.Err()
}

func encodePartition(createdAt uint64) []byte { return kv.NewRecord(nil).U64(createdAt) }

func decodePartition(b []byte) (uint64, error) {
	r := kv.ReadRecord(b)
	return r.U64(), r.Err()
}

func encodeGroup(name string) []byte { return kv.NewRecord(nil).Str(name) }

func decodeGroup(b []byte) (string, error) {
	r := kv.ReadRecord(b)
	return r.Str(), r.Err()
}

// counters are a partition's counters, stored under its 's' key in the same
// batch as every append, so after a crash they agree with the messages.
type counters struct {
	next  uint64 // offset the next message will get
	first uint64 // lowest retained offset (the low-water mark)
	bytes uint64 // bytes of retained messages in wire form
}

func (c counters) encode(dst []byte) []byte {
	return kv.NewRecord(dst).U64(c.next).U64(c.first).U64(c.bytes)
}

func decodeCounters(b []byte) (counters, error) {
	r := kv.ReadRecord(b)
	c := counters{next: r.U64(), first: r.U64(), bytes: r.U64()}
	return c, r.Err()
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

func (a *idAlloc) encode() []byte { return kv.NewRecord(nil).U32(a.next).U32s(a.freed) }

func decodeAlloc(b []byte) (idAlloc, error) {
	r := kv.ReadRecord(b)
	a := idAlloc{next: r.U32(), freed: r.U32s()}
	if r.Err() != nil {
		return idAlloc{}, r.Err()
	}
	return a, nil
}
