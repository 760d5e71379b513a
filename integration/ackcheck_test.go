package integration

import (
	"strings"
	"testing"

	"github.com/shalemq/shale/wire"
)

// storedMessage is k as a server stores it at offset: id, origin
// timestamp, the checked payload, then offset, timestamp and checksum set.
func storedMessage(k MsgKey, offset uint64) wire.Message {
	m := wire.Message(wire.AppendSendMessage(nil, k.ID(), 1, CheckedPayload(k, 40), nil))
	m.SetOffset(offset)
	m.SetTimestamp(1_700_000_000_000_000 + offset)
	m.SetChecksum(m.ComputeChecksum())
	return m
}

func partitionOf(keys ...MsgKey) []wire.Message {
	var out []wire.Message
	for i, k := range keys {
		out = append(out, storedMessage(k, uint64(i)))
	}
	return out
}

// replicasOf is n identical replicas holding parts.
func replicasOf(n int, parts map[uint32][]wire.Message, offsets map[OffsetKey]uint64) []Replica {
	var out []Replica
	for i := range n {
		cp := map[uint32][]wire.Message{}
		for pid, msgs := range parts {
			for _, m := range msgs {
				cp[pid] = append(cp[pid], append(wire.Message(nil), m...))
			}
		}
		off := map[OffsetKey]uint64{}
		for k, v := range offsets {
			off[k] = v
		}
		out = append(out, Replica{Node: "node-" + string(rune('1'+i)), Partitions: cp, Offsets: off})
	}
	return out
}

func k(p, s uint64) MsgKey { return MsgKey{Producer: p, Seq: s} }

func wantProblem(t *testing.T, r CheckReport, substr string) {
	t.Helper()
	for _, p := range r.Problems {
		if strings.Contains(p, substr) {
			return
		}
	}
	t.Fatalf("want a problem containing %q, got %s", substr, r)
}

func wantOK(t *testing.T, r CheckReport) {
	t.Helper()
	if !r.OK() {
		t.Fatalf("want no problem, got %s", r)
	}
}

func TestCheckedPayloadRoundTrip(t *testing.T) {
	for _, size := range []int{0, 24, 25, 1000} {
		key := k(7, 1<<40+3)
		m := wire.Message(wire.AppendSendMessage(nil, key.ID(), 1, CheckedPayload(key, size), nil))
		m.SetChecksum(m.ComputeChecksum())
		got, err := ParseChecked(m)
		if err != nil || got != key {
			t.Fatalf("size %d: %v %v", size, got, err)
		}
		if len(m.Payload()) != max(size, checkedPayloadMin) {
			t.Fatalf("size %d: payload of %d bytes", size, len(m.Payload()))
		}
	}
	if id := k(1, 2).ID(); id[0] != 2 || id[8] != 1 {
		t.Fatalf("id %x: want seq in the low and producer in the high 64 bits, little-endian", id)
	}
}

func TestParseCheckedRejectsDamage(t *testing.T) {
	m := storedMessage(k(1, 1), 0)
	m.Payload()[20] ^= 1
	if _, err := ParseChecked(m); err == nil || !strings.Contains(err.Error(), "header checksum") {
		t.Fatalf("flipped payload bit, header checksum kept: %v", err)
	}
	m.SetChecksum(m.ComputeChecksum()) // a server that re-checksums damage
	if _, err := ParseChecked(m); err == nil || !strings.Contains(err.Error(), "payload CRC") {
		t.Fatalf("flipped payload bit: %v", err)
	}
	m = wire.Message(wire.AppendSendMessage(nil, k(1, 2).ID(), 1, CheckedPayload(k(1, 1), 40), nil))
	m.SetChecksum(m.ComputeChecksum())
	if _, err := ParseChecked(m); err == nil || !strings.Contains(err.Error(), "payload says") {
		t.Fatalf("id disagreeing with payload: %v", err)
	}
}

func TestCheckPassesCleanRun(t *testing.T) {
	l := NewLedger()
	l.Acked(0, []MsgKey{k(1, 1), k(1, 2)})
	l.Acked(1, []MsgKey{k(2, 1)})
	l.Ambiguous(0, []MsgKey{k(1, 3)}) // failed, retried and acked: one copy
	l.Acked(0, []MsgKey{k(1, 3)})
	l.Ambiguous(1, []MsgKey{k(2, 2)}) // failed and never written
	l.Observed("node-1", 0, 1, k(1, 2))
	l.OffsetStored(OffsetKey{1, 0}, 1, true)
	parts := map[uint32][]wire.Message{0: partitionOf(k(1, 1), k(1, 2), k(1, 3)), 1: partitionOf(k(2, 1))}
	r := Check(l, replicasOf(3, parts, map[OffsetKey]uint64{{1, 0}: 1}))
	wantOK(t, r)
	if r.Messages != 4 || r.Acked != 4 || r.Ambiguous != 2 || r.Duplicates != 0 || r.Replicas != 3 {
		t.Fatalf("counts: %s", r)
	}
}

func TestCheckFindsLoss(t *testing.T) {
	l := NewLedger()
	l.Acked(0, []MsgKey{k(1, 1), k(1, 2), k(1, 3)})
	r := Check(l, replicasOf(2, map[uint32][]wire.Message{0: partitionOf(k(1, 1), k(1, 2))}, nil))
	wantProblem(t, r, "1 acknowledged messages lost, first p1/s3")
}

func TestCheckFindsGap(t *testing.T) {
	l := NewLedger()
	l.Acked(0, []MsgKey{k(1, 1), k(1, 2)})
	msgs := []wire.Message{storedMessage(k(1, 1), 0), storedMessage(k(1, 2), 2)}
	wantProblem(t, Check(l, replicasOf(1, map[uint32][]wire.Message{0: msgs}, nil)), "has offset 2 (gap")
}

func TestCheckDuplicates(t *testing.T) {
	l := NewLedger()
	l.Acked(0, []MsgKey{k(1, 1)})
	l.Ambiguous(0, []MsgKey{k(1, 2)})
	l.Acked(0, []MsgKey{k(1, 2)})
	l.Acked(0, []MsgKey{k(1, 3)})
	// The lost ack's send was written, then retried: allowed, and counted.
	r := Check(l, replicasOf(2, map[uint32][]wire.Message{0: partitionOf(k(1, 1), k(1, 2), k(1, 2), k(1, 3))}, nil))
	wantOK(t, r)
	if r.Duplicates != 1 {
		t.Fatalf("duplicates %d, want 1", r.Duplicates)
	}
	// A copy of a message whose every send was acknowledged is not.
	r = Check(l, replicasOf(1, map[uint32][]wire.Message{0: partitionOf(k(1, 1), k(1, 1), k(1, 2), k(1, 3))}, nil))
	wantProblem(t, r, "duplicate of p1/s1, whose every send was acknowledged")
}

func TestCheckFindsReordering(t *testing.T) {
	l := NewLedger()
	l.Acked(0, []MsgKey{k(1, 1), k(1, 2), k(2, 1)})
	// Producers interleave freely; one producer's messages keep their order.
	wantOK(t, Check(l, replicasOf(1, map[uint32][]wire.Message{0: partitionOf(k(2, 1), k(1, 1), k(1, 2))}, nil)))
	wantProblem(t, Check(l, replicasOf(1, map[uint32][]wire.Message{0: partitionOf(k(1, 2), k(2, 1), k(1, 1))}, nil)),
		"p1/s1 after seq 2 of the same producer")
}

func TestCheckFindsStrangers(t *testing.T) {
	l := NewLedger()
	l.Acked(0, []MsgKey{k(1, 1)})
	l.Forbidden(0, []MsgKey{k(9, 1)})
	wantProblem(t, Check(l, replicasOf(1, map[uint32][]wire.Message{0: partitionOf(k(1, 1), k(3, 3))}, nil)), "p3/s3 was never sent")
	wantProblem(t, Check(l, replicasOf(1, map[uint32][]wire.Message{0: partitionOf(k(1, 1), k(9, 1))}, nil)), "sent to a minority and is kept")
	wantProblem(t, Check(l, replicasOf(1, map[uint32][]wire.Message{1: partitionOf(k(1, 1))}, nil)), "was sent to partition 0")
}

func TestCheckFindsDivergence(t *testing.T) {
	l := NewLedger()
	l.Acked(0, []MsgKey{k(1, 1), k(1, 2)})
	reps := replicasOf(3, map[uint32][]wire.Message{0: partitionOf(k(1, 1), k(1, 2))}, nil)
	m := reps[2].Partitions[0][1]
	m.SetTimestamp(m.Timestamp() + 1) // the same message, stamped differently
	m.SetChecksum(m.ComputeChecksum())
	wantProblem(t, Check(l, reps), "partition 0 differs between node-1 (2 messages) and node-3 (2 messages) from offset 1")

	reps = replicasOf(2, map[uint32][]wire.Message{0: partitionOf(k(1, 1), k(1, 2))}, nil)
	reps[1].Partitions[0] = reps[1].Partitions[0][:1] // a replica that lags
	r := Check(l, reps)
	wantProblem(t, r, "from offset 1")
	wantProblem(t, r, "node-2: 1 acknowledged messages lost")
}

func TestCheckFindsRolledBackRead(t *testing.T) {
	l := NewLedger()
	l.Ambiguous(0, []MsgKey{k(1, 1), k(1, 2)})
	l.Observed("node-2", 0, 1, k(1, 2))
	wantProblem(t, Check(l, replicasOf(1, map[uint32][]wire.Message{0: partitionOf(k(1, 1))}, nil)),
		"node-1: 1 reads rolled back, first: partition 0: offset 1 read from node-2 (p1/s2) is gone")
	wantProblem(t, Check(l, replicasOf(1, map[uint32][]wire.Message{0: partitionOf(k(1, 2), k(1, 1))}, nil)),
		"holds p1/s1, node-2 read p1/s2 there")
}

func TestCheckConsumerOffsets(t *testing.T) {
	key := OffsetKey{Consumer: 1, Partition: 0}
	l := NewLedger()
	l.OffsetStored(key, 5, true)
	l.OffsetStored(key, 9, true)
	l.OffsetStored(key, 12, false) // the last store's ack was lost
	parts := map[uint32][]wire.Message{}
	wantOK(t, Check(l, replicasOf(2, parts, map[OffsetKey]uint64{key: 9})))
	wantOK(t, Check(l, replicasOf(2, parts, map[OffsetKey]uint64{key: 12})))
	wantProblem(t, Check(l, replicasOf(2, parts, map[OffsetKey]uint64{key: 5})), "offset 5 on node-1 is not the last acknowledged store")
	wantProblem(t, Check(l, replicasOf(1, parts, nil)), "acknowledged offset 9 lost")

	reps := replicasOf(2, parts, map[OffsetKey]uint64{key: 9})
	reps[1].Offsets[key] = 12
	wantProblem(t, Check(l, reps), "offset 9 (stored true) on node-1, 12 (stored true) on node-2")
	wantProblem(t, Check(NewLedger(), replicasOf(1, parts, map[OffsetKey]uint64{key: 3})), "never by the test")
}
