package wire

// PollKind is a polling strategy (docs/protocol/binary.md §2.4).
type PollKind uint8

const (
	PollOffset    PollKind = 1
	PollTimestamp PollKind = 2
	PollFirst     PollKind = 3
	PollLast      PollKind = 4
	PollNext      PollKind = 5
)

// PollingStrategy says where a poll starts. Value is the offset or the
// timestamp (µs) and is ignored for the other kinds.
type PollingStrategy struct {
	Kind  PollKind
	Value uint64
}

// AppendTo appends the strategy.
func (s PollingStrategy) AppendTo(dst []byte) []byte {
	return appendU64(append(dst, byte(s.Kind)), s.Value)
}

func (r *reader) strategy() PollingStrategy {
	kind := PollKind(r.u8())
	v := r.u64()
	if r.err == nil && (kind < PollOffset || kind > PollNext) {
		r.fail(ErrInvalidCommand)
	}
	return PollingStrategy{Kind: kind, Value: v}
}

// OptPartition is a partition id that may be absent (docs/protocol/binary.md §2.5).
type OptPartition struct {
	Set bool
	ID  uint32
}

// SomePartition returns a present partition id.
func SomePartition(id uint32) OptPartition { return OptPartition{Set: true, ID: id} }

// AppendTo appends the flag and the id (0 when absent, as the SDKs send).
func (p OptPartition) AppendTo(dst []byte) []byte {
	if !p.Set {
		return appendU32(append(dst, 0), 0)
	}
	return appendU32(append(dst, 1), p.ID)
}

// optPartition reads the 5 bytes; only flag 1 means present (trap 13).
func (r *reader) optPartition() OptPartition {
	flag := r.u8()
	id := r.u32()
	if flag != 1 {
		return OptPartition{}
	}
	return OptPartition{Set: true, ID: id}
}
