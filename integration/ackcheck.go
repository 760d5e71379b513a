package integration

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"sort"
	"strings"
	"sync"

	"github.com/shalemq/shale/wire"
)

// The acknowledged-log checker. Producers give every message the id
// producer<<64|seq and a payload carrying producer, seq and a CRC, and
// record in a Ledger what the server acknowledged and what it may or may
// not have written (an error or a timeout: the ack was lost). After the
// run, every partition is read from offset 0 on every node (a Replica) and
// Check finds: no acknowledged message lost, offsets without gaps,
// per-producer order kept, duplicates only of ambiguous sends, reads never
// rolled back, and every node holding byte-identical partitions and
// consumer offsets.

// MsgKey names one message a test produced.
type MsgKey struct{ Producer, Seq uint64 }

func (k MsgKey) String() string { return fmt.Sprintf("p%d/s%d", k.Producer, k.Seq) }

// ID is the 16-byte message id, producer<<64|seq little-endian, as Iggy
// stores a u128.
func (k MsgKey) ID() []byte {
	id := make([]byte, 16)
	binary.LittleEndian.PutUint64(id[0:], k.Seq)
	binary.LittleEndian.PutUint64(id[8:], k.Producer)
	return id
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// checkedPayloadMin is producer, seq, filler length and CRC.
const checkedPayloadMin = 8 + 8 + 4 + 4

// CheckedPayload is the payload of k: producer u64, seq u64, filler length
// u32, filler bytes derived from k, then the CRC-32C of everything before.
// size (at least 24) is the whole payload length.
func CheckedPayload(k MsgKey, size int) []byte {
	size = max(size, checkedPayloadMin)
	b := make([]byte, size)
	binary.LittleEndian.PutUint64(b[0:], k.Producer)
	binary.LittleEndian.PutUint64(b[8:], k.Seq)
	fill := size - checkedPayloadMin
	binary.LittleEndian.PutUint32(b[16:], uint32(fill))
	x := k.Producer*0x9e3779b97f4a7c15 ^ k.Seq
	for i := range fill {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		b[20+i] = byte(x)
	}
	binary.LittleEndian.PutUint32(b[size-4:], crc32.Checksum(b[:size-4], castagnoli))
	return b
}

// ParseChecked returns the key a message carries after checking that its
// payload is intact and agrees with its id, and that its Iggy checksum is
// right.
func ParseChecked(m wire.Message) (MsgKey, error) {
	var k MsgKey
	if m.Checksum() != m.ComputeChecksum() {
		return k, fmt.Errorf("offset %d: header checksum %x, computed %x", m.Offset(), m.Checksum(), m.ComputeChecksum())
	}
	p := m.Payload()
	if len(p) < checkedPayloadMin {
		return k, fmt.Errorf("offset %d: payload of %d bytes, want at least %d", m.Offset(), len(p), checkedPayloadMin)
	}
	if fill := binary.LittleEndian.Uint32(p[16:]); int(fill) != len(p)-checkedPayloadMin {
		return k, fmt.Errorf("offset %d: filler length %d in a payload of %d bytes", m.Offset(), fill, len(p))
	}
	if got, want := binary.LittleEndian.Uint32(p[len(p)-4:]), crc32.Checksum(p[:len(p)-4], castagnoli); got != want {
		return k, fmt.Errorf("offset %d: payload CRC %08x, computed %08x", m.Offset(), got, want)
	}
	k = MsgKey{Producer: binary.LittleEndian.Uint64(p[0:]), Seq: binary.LittleEndian.Uint64(p[8:])}
	if !bytes.Equal(m.ID(), k.ID()) {
		return k, fmt.Errorf("offset %d: id %x, payload says %s", m.Offset(), m.ID(), k)
	}
	return k, nil
}

// OffsetKey names one stored consumer offset.
type OffsetKey struct {
	Consumer  uint32
	Partition uint32
}

// Ledger is what the clients of a test were told. Safe for concurrent use.
type Ledger struct {
	mu        sync.Mutex
	partition map[MsgKey]uint32 // where each key was sent
	acked     map[MsgKey]bool
	ambiguous map[MsgKey]bool
	forbidden map[MsgKey]bool // sent where nothing may be acknowledged
	observed  []observation
	offsets   map[OffsetKey][]offsetStore
	ackedRuns int
}

type observation struct {
	partition uint32
	offset    uint64
	key       MsgKey
	node      string
}

type offsetStore struct {
	value uint64
	acked bool
}

// NewLedger returns an empty ledger.
func NewLedger() *Ledger {
	return &Ledger{partition: map[MsgKey]uint32{}, acked: map[MsgKey]bool{},
		ambiguous: map[MsgKey]bool{}, forbidden: map[MsgKey]bool{}, offsets: map[OffsetKey][]offsetStore{}}
}

func (l *Ledger) sent(partition uint32, keys []MsgKey, into map[MsgKey]bool) {
	for _, k := range keys {
		l.partition[k] = partition
		into[k] = true
	}
}

// Acked records that a send of keys to partition was acknowledged.
func (l *Ledger) Acked(partition uint32, keys []MsgKey) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sent(partition, keys, l.acked)
	l.ackedRuns++
}

// Ambiguous records a send of keys to partition that failed or timed out:
// the server may or may not have written it, so each key may appear at
// most as many times as it was sent, and is not required.
func (l *Ledger) Ambiguous(partition uint32, keys []MsgKey) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sent(partition, keys, l.ambiguous)
}

// Forbidden records a send that nothing may acknowledge or keep: one to a
// node cut off from the majority.
func (l *Ledger) Forbidden(partition uint32, keys []MsgKey) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sent(partition, keys, l.forbidden)
}

// Observed records that a poll of node saw key at offset of partition.
func (l *Ledger) Observed(node string, partition uint32, offset uint64, key MsgKey) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.observed = append(l.observed, observation{partition, offset, key, node})
}

// OffsetStored records a consumer-offset store, acknowledged or ambiguous,
// in the order the test made them.
func (l *Ledger) OffsetStored(k OffsetKey, value uint64, acked bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.offsets[k] = append(l.offsets[k], offsetStore{value, acked})
}

// Counts returns how many keys were acknowledged and how many sends were.
func (l *Ledger) Counts() (keys, sends int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.acked), l.ackedRuns
}

// Replica is everything one node holds for the checked topic: every
// partition from offset 0 (messages as stored, copied) and the stored
// consumer offsets.
type Replica struct {
	Node       string
	Partitions map[uint32][]wire.Message
	Offsets    map[OffsetKey]uint64
}

// CheckReport is what Check found.
type CheckReport struct {
	Problems   []string
	Acked      int // distinct acknowledged keys
	Ambiguous  int // distinct keys of failed sends
	Duplicates int // extra copies, on the first replica (all ambiguous)
	Messages   int // messages on the first replica
	Replicas   int
}

// OK reports whether no problem was found.
func (r CheckReport) OK() bool { return len(r.Problems) == 0 }

func (r CheckReport) String() string {
	s := fmt.Sprintf("%d replicas, %d messages each, %d acked keys, %d ambiguous keys, %d duplicates",
		r.Replicas, r.Messages, r.Acked, r.Ambiguous, r.Duplicates)
	if len(r.Problems) == 0 {
		return s + ": ok"
	}
	return s + fmt.Sprintf(": %d problems:\n  %s", len(r.Problems), strings.Join(r.Problems, "\n  "))
}

const maxProblems = 40

func (r *CheckReport) problem(format string, args ...any) {
	if len(r.Problems) == maxProblems {
		r.Problems = append(r.Problems, "(more problems left out)")
	}
	if len(r.Problems) < maxProblems {
		r.Problems = append(r.Problems, fmt.Sprintf(format, args...))
	}
}

// Check runs every check of the ledger against the replicas.
func Check(l *Ledger, replicas []Replica) CheckReport {
	l.mu.Lock()
	defer l.mu.Unlock()
	r := CheckReport{Acked: len(l.acked), Ambiguous: len(l.ambiguous), Replicas: len(replicas)}
	if len(replicas) == 0 {
		r.problem("no replica to check")
		return r
	}
	for i, rep := range replicas {
		msgs, dups := l.checkReplica(&r, rep)
		if i == 0 {
			r.Messages, r.Duplicates = msgs, dups
		}
	}
	compareReplicas(&r, replicas)
	l.checkOffsets(&r, replicas)
	return r
}

func (l *Ledger) checkReplica(r *CheckReport, rep Replica) (messages, duplicates int) {
	seen := map[MsgKey]int{}
	where := map[MsgKey]uint32{}
	for _, pid := range sortedPartitions(rep.Partitions) {
		msgs := rep.Partitions[pid]
		messages += len(msgs)
		lastSeq := map[uint64]uint64{}
		hasLast := map[uint64]bool{}
		for i, m := range msgs {
			if m.Offset() != uint64(i) {
				r.problem("%s partition %d: message %d has offset %d (gap or reordering)", rep.Node, pid, i, m.Offset())
				break
			}
			k, err := ParseChecked(m)
			if err != nil {
				r.problem("%s partition %d: %v", rep.Node, pid, err)
				continue
			}
			sentTo, known := l.partition[k]
			switch {
			case !known:
				r.problem("%s partition %d offset %d: %s was never sent", rep.Node, pid, i, k)
				continue
			case sentTo != pid:
				r.problem("%s partition %d offset %d: %s was sent to partition %d", rep.Node, pid, i, k, sentTo)
			case l.forbidden[k]:
				r.problem("%s partition %d offset %d: %s was sent to a minority and is kept", rep.Node, pid, i, k)
			}
			seen[k]++
			where[k] = pid
			if seen[k] > 1 {
				duplicates++
				if !l.ambiguous[k] {
					r.problem("%s partition %d offset %d: duplicate of %s, whose every send was acknowledged", rep.Node, pid, i, k)
				}
				continue
			}
			if hasLast[k.Producer] && k.Seq <= lastSeq[k.Producer] {
				r.problem("%s partition %d offset %d: %s after seq %d of the same producer", rep.Node, pid, i, k, lastSeq[k.Producer])
			}
			lastSeq[k.Producer], hasLast[k.Producer] = k.Seq, true
		}
	}
	var lost []MsgKey
	for k := range l.acked {
		if seen[k] == 0 {
			lost = append(lost, k)
		}
	}
	if len(lost) > 0 {
		sort.Slice(lost, func(i, j int) bool {
			return lost[i].Producer < lost[j].Producer || lost[i].Producer == lost[j].Producer && lost[i].Seq < lost[j].Seq
		})
		r.problem("%s: %d acknowledged messages lost, first %s (partition %d)", rep.Node, len(lost), lost[0], l.partition[lost[0]])
	}
	var rolledBack int
	var first string
	for _, o := range l.observed {
		msgs := rep.Partitions[o.partition]
		what := ""
		if o.offset >= uint64(len(msgs)) {
			what = fmt.Sprintf("partition %d: offset %d read from %s (%s) is gone", o.partition, o.offset, o.node, o.key)
		} else if k, err := ParseChecked(msgs[o.offset]); err == nil && k != o.key {
			what = fmt.Sprintf("partition %d offset %d: holds %s, %s read %s there", o.partition, o.offset, k, o.node, o.key)
		}
		if what != "" {
			if rolledBack == 0 {
				first = what
			}
			rolledBack++
		}
	}
	if rolledBack > 0 {
		r.problem("%s: %d reads rolled back, first: %s", rep.Node, rolledBack, first)
	}
	return messages, duplicates
}

// compareReplicas checks that every replica holds the same bytes in every
// partition, naming the first offset where two differ.
func compareReplicas(r *CheckReport, replicas []Replica) {
	ref := replicas[0]
	for _, rep := range replicas[1:] {
		pids := sortedPartitions(ref.Partitions)
		if a, b := fmt.Sprint(pids), fmt.Sprint(sortedPartitions(rep.Partitions)); a != b {
			r.problem("%s has partitions %s, %s has %s", ref.Node, a, rep.Node, b)
		}
		for _, pid := range pids {
			a, b := ref.Partitions[pid], rep.Partitions[pid]
			if partitionHash(a) == partitionHash(b) {
				continue
			}
			n := min(len(a), len(b))
			at := n
			for i := range n {
				if !bytes.Equal(a[i], b[i]) {
					at = i
					break
				}
			}
			r.problem("partition %d differs between %s (%d messages) and %s (%d messages) from offset %d",
				pid, ref.Node, len(a), rep.Node, len(b), at)
		}
	}
}

func partitionHash(msgs []wire.Message) [32]byte {
	h := sha256.New()
	var n [8]byte
	for _, m := range msgs {
		binary.LittleEndian.PutUint64(n[:], uint64(len(m)))
		h.Write(n[:])
		h.Write(m)
	}
	var sum [32]byte
	copy(sum[:], h.Sum(nil))
	return sum
}

// checkOffsets checks that every replica stores the same consumer
// offsets, and that each is the last acknowledged store or an ambiguous
// one made after it (never an older value: offsets do not go back).
func (l *Ledger) checkOffsets(r *CheckReport, replicas []Replica) {
	keys := map[OffsetKey]bool{}
	for k := range l.offsets {
		keys[k] = true
	}
	for _, rep := range replicas {
		for k := range rep.Offsets {
			keys[k] = true
		}
	}
	for k := range keys {
		ref, refOK := replicas[0].Offsets[k]
		for _, rep := range replicas[1:] {
			if v, ok := rep.Offsets[k]; v != ref || ok != refOK {
				r.problem("consumer %d partition %d: offset %d (stored %v) on %s, %d (stored %v) on %s",
					k.Consumer, k.Partition, ref, refOK, replicas[0].Node, v, ok, rep.Node)
			}
		}
		stores := l.offsets[k]
		allowed := map[uint64]bool{}
		lastAcked := -1
		for i, s := range stores {
			if s.acked {
				lastAcked = i
			}
		}
		for i := max(lastAcked, 0); i < len(stores); i++ {
			if i == lastAcked || !stores[i].acked {
				allowed[stores[i].value] = true
			}
		}
		switch {
		case !refOK && lastAcked >= 0:
			r.problem("consumer %d partition %d: acknowledged offset %d lost on %s", k.Consumer, k.Partition, stores[lastAcked].value, replicas[0].Node)
		case refOK && len(stores) == 0:
			r.problem("consumer %d partition %d: offset %d stored on %s, never by the test", k.Consumer, k.Partition, ref, replicas[0].Node)
		case refOK && !allowed[ref]:
			r.problem("consumer %d partition %d: offset %d on %s is not the last acknowledged store", k.Consumer, k.Partition, ref, replicas[0].Node)
		}
	}
}

func sortedPartitions(m map[uint32][]wire.Message) []uint32 {
	ids := make([]uint32, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids
}
