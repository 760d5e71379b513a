package retention

import (
	"testing"

	"github.com/shalemq/shale/log"
)

// run builds chunks starting at first: each spec is {messages, timestamp,
// bytes}.
func run(first uint64, specs ...[3]uint64) []Chunk {
	var cs []Chunk
	for _, s := range specs {
		cs = append(cs, Chunk{First: first, End: first + s[0], Timestamp: s[1], Bytes: s[2]})
		first += s[0]
	}
	return cs
}

// facts fills First, Next and Bytes from the chunks.
func facts(id uint32, cs []Chunk) PartitionFacts {
	f := PartitionFacts{ID: id}
	if len(cs) > 0 {
		f.First, f.Next = cs[0].First, cs[len(cs)-1].End
	}
	for _, c := range cs {
		f.Bytes += c.Bytes
	}
	return f.withChunks(cs)
}

func (f PartitionFacts) withChunks(cs []Chunk) PartitionFacts { f.Chunks = cs; return f }

func (f PartitionFacts) stored(o uint64) PartitionFacts {
	f.MinStored, f.HasStored = o, true
	return f
}

const never = log.Unlimited

func TestPlanTopic(t *testing.T) {
	// Three chunks of one partition at t=0, 10, 20: 3, 2 and 5 messages of
	// 100, 40 and 500 bytes.
	three := run(10, [3]uint64{3, 0, 100}, [3]uint64{2, 10, 40}, [3]uint64{5, 20, 500})
	// The same with its last chunk split at offset 17 (a barrier at 16).
	split := run(10, [3]uint64{3, 0, 100}, [3]uint64{2, 10, 40}, [3]uint64{2, 20, 200}, [3]uint64{3, 20, 300})
	other := run(0, [3]uint64{1, 5, 100}, [3]uint64{1, 15, 100}, [3]uint64{1, 25, 100})

	type want struct{ to, bytes, held, heldBytes uint64 }
	tests := []struct {
		name  string
		parts []PartitionFacts
		pol   Policy
		want  []want
	}{
		{"empty partition", []PartitionFacts{{First: 7, Next: 7}},
			Policy{Now: 100, Expiry: 1, MaxSize: 1, Barrier: true}, []want{{7, 0, 0, 0}}},
		{"no retention", []PartitionFacts{facts(0, three)},
			Policy{Now: 1000, Expiry: never, MaxSize: never}, []want{{10, 0, 0, 0}}},
		{"expiry 0 is never (unresolved server default)", []PartitionFacts{facts(0, three)},
			Policy{Now: 1000, Expiry: 0, MaxSize: never}, []want{{10, 0, 0, 0}}},
		{"max size 0 is no cap (unresolved server default)", []PartitionFacts{facts(0, three)},
			Policy{Now: 1000, Expiry: never, MaxSize: 0}, []want{{10, 0, 0, 0}}},
		{"expiry takes whole chunks", []PartitionFacts{facts(0, three)},
			Policy{Now: 25, Expiry: 10, MaxSize: never}, []want{{15, 140, 0, 0}}},
		{"expiry at exactly ts+expiry", []PartitionFacts{facts(0, three)},
			Policy{Now: 20, Expiry: 10, MaxSize: never}, []want{{15, 140, 0, 0}}},
		{"expiry one µs short", []PartitionFacts{facts(0, three)},
			Policy{Now: 19, Expiry: 10, MaxSize: never}, []want{{13, 100, 0, 0}}},
		{"everything expired", []PartitionFacts{facts(0, three)},
			Policy{Now: 1000, Expiry: 10, MaxSize: never}, []want{{20, 640, 0, 0}}},
		{"timestamps in the future never expire", []PartitionFacts{facts(0, three)},
			Policy{Now: 5, Expiry: 1, MaxSize: never}, []want{{13, 100, 0, 0}}},
		{"huge expiry does not overflow", []PartitionFacts{facts(0, three)},
			Policy{Now: 1000, Expiry: never - 1, MaxSize: never}, []want{{10, 0, 0, 0}}},
		{"barrier off ignores stored offsets", []PartitionFacts{facts(0, three).stored(10)},
			Policy{Now: 1000, Expiry: 10, MaxSize: never}, []want{{20, 640, 0, 0}}},
		{"barrier on without stored offsets", []PartitionFacts{facts(0, three)},
			Policy{Now: 1000, Expiry: 10, MaxSize: never, Barrier: true}, []want{{20, 640, 0, 0}}},
		{"barrier at a chunk edge", []PartitionFacts{facts(0, three).stored(14)},
			Policy{Now: 1000, Expiry: 10, MaxSize: never, Barrier: true}, []want{{15, 140, 5, 500}}},
		{"barrier inside an unsplit chunk rounds down", []PartitionFacts{facts(0, three).stored(16)},
			Policy{Now: 1000, Expiry: 10, MaxSize: never, Barrier: true}, []want{{15, 140, 5, 500}}},
		{"barrier on a split chunk is exact", []PartitionFacts{facts(0, split).stored(16)},
			Policy{Now: 1000, Expiry: 10, MaxSize: never, Barrier: true}, []want{{17, 340, 3, 300}}},
		{"barrier below first holds everything", []PartitionFacts{facts(0, three).stored(2)},
			Policy{Now: 1000, Expiry: 10, MaxSize: never, Barrier: true}, []want{{10, 0, 10, 640}}},
		{"barrier past the expiry boundary holds nothing", []PartitionFacts{facts(0, three).stored(19)},
			Policy{Now: 25, Expiry: 10, MaxSize: never, Barrier: true}, []want{{15, 140, 0, 0}}},
		{"size under the cap", []PartitionFacts{facts(0, three)},
			Policy{Now: 1000, Expiry: never, MaxSize: 640}, []want{{10, 0, 0, 0}}},
		{"size over the cap by one byte takes the oldest chunk", []PartitionFacts{facts(0, three)},
			Policy{Now: 1000, Expiry: never, MaxSize: 639}, []want{{13, 100, 0, 0}}},
		{"size takes chunks until at or under the cap", []PartitionFacts{facts(0, three)},
			Policy{Now: 1000, Expiry: never, MaxSize: 500}, []want{{15, 140, 0, 0}}},
		{"size cap smaller than the newest chunk empties the partition", []PartitionFacts{facts(0, three)},
			Policy{Now: 1000, Expiry: never, MaxSize: 499}, []want{{20, 640, 0, 0}}},
		{"size across partitions goes oldest first", []PartitionFacts{facts(0, three), facts(1, other)},
			// 940 bytes, cap 600: t=0 (p0, 100), t=5 (p1, 100), t=10 (p0,
			// 40), t=15 (p1, 100) → 600 left.
			Policy{Now: 1000, Expiry: never, MaxSize: 600}, []want{{15, 140, 0, 0}, {2, 200, 0, 0}}},
		{"size ties go to the lower partition", []PartitionFacts{
			facts(0, run(0, [3]uint64{1, 5, 10}, [3]uint64{1, 6, 10})), facts(1, run(0, [3]uint64{1, 5, 10}, [3]uint64{1, 6, 10}))},
			Policy{Now: 1000, Expiry: never, MaxSize: 30}, []want{{1, 10, 0, 0}, {0, 0, 0, 0}}},
		{"a blocked partition makes the others give more", []PartitionFacts{facts(0, three).stored(9), facts(1, other)},
			Policy{Now: 1000, Expiry: never, MaxSize: 600, Barrier: true},
			[]want{{10, 0, 5, 140}, {3, 300, 0, 0}}},
		{"expiry and size together", []PartitionFacts{facts(0, three), facts(1, other)},
			// Expiry 10 at 20 takes p0's t=0 and t=10 (140) and p1's t=5
			// (100): 700 left, cap 550. Oldest first: p1 t=15 (100) → 600,
			// then p0 t=20 (500) → 100.
			Policy{Now: 20, Expiry: 10, MaxSize: 550}, []want{{20, 640, 0, 0}, {2, 200, 0, 0}}},
		{"only the scanned prefix can go", []PartitionFacts{facts(0, three).withChunks(three[:1])},
			Policy{Now: 1000, Expiry: 10, MaxSize: never}, []want{{13, 100, 0, 0}}},
		{"a straddled first chunk counts from first", []PartitionFacts{facts(0, run(12, [3]uint64{1, 0, 33}, [3]uint64{2, 10, 40}))},
			Policy{Now: 15, Expiry: 10, MaxSize: never}, []want{{13, 33, 0, 0}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plans := PlanTopic(tt.parts, tt.pol)
			if len(plans) != len(tt.want) {
				t.Fatalf("%d plans, want %d", len(plans), len(tt.want))
			}
			for i, p := range plans {
				f := tt.parts[i]
				got := want{p.To, p.Bytes, p.HeldMessages, p.HeldBytes}
				if got != tt.want[i] || p.From != f.First || p.Messages != p.To-p.From || p.ID != f.ID {
					t.Errorf("partition %d: got %+v (from %d, messages %d), want %+v (from %d)",
						i, got, p.From, p.Messages, tt.want[i], f.First)
				}
			}
		})
	}
}

func TestExpired(t *testing.T) {
	tests := []struct {
		ts, now, expiry uint64
		want            bool
	}{
		{0, 10, 10, true},
		{1, 10, 10, false},
		{10, 5, 1, false}, // from the future
		{0, never, never, false},
		{0, never, never - 1, true},
		{0, 10, 0, false},
	}
	for _, tt := range tests {
		if got := Expired(tt.ts, tt.now, tt.expiry); got != tt.want {
			t.Errorf("Expired(%d, %d, %d) = %v, want %v", tt.ts, tt.now, tt.expiry, got, tt.want)
		}
	}
}

func TestExcessAndScanMore(t *testing.T) {
	pol := Policy{Now: 100, Expiry: 50, MaxSize: 1000}
	for _, tt := range []struct {
		bytes uint64
		pol   Policy
		want  uint64
	}{
		{999, pol, 0}, {1000, pol, 0}, {1500, pol, 500},
		{1500, Policy{MaxSize: never}, 0}, {1500, Policy{MaxSize: 0}, 0},
	} {
		if got := Excess(tt.bytes, tt.pol); got != tt.want {
			t.Errorf("Excess(%d, %+v) = %d, want %d", tt.bytes, tt.pol, got, tt.want)
		}
	}
	for i, tt := range []struct {
		c       Chunk
		scanned uint64
		excess  uint64
		want    bool
	}{
		{Chunk{Timestamp: 50}, 0, 0, true},     // expired: the next may be too
		{Chunk{Timestamp: 51}, 0, 0, false},    // fresh and nothing in excess
		{Chunk{Timestamp: 51}, 100, 500, true}, // not enough bytes seen yet
		{Chunk{Timestamp: 51}, 500, 500, false},
	} {
		if got := ScanMore(tt.c, tt.scanned, tt.excess, pol); got != tt.want {
			t.Errorf("case %d: ScanMore = %v, want %v", i, got, tt.want)
		}
	}
}
