package retention

import "github.com/shalemq/shale/log"

// Chunk summarises consecutive messages of one partition that share a
// server timestamp (log.ChunkSummary): the unit retention deletes.
type Chunk = log.ChunkSummary

// PartitionFacts is what the boundary computation knows of one partition.
type PartitionFacts struct {
	ID uint32
	// First and Next bound the retained, durable offsets: [First, Next).
	First, Next uint64
	// Bytes is the partition's retained size in bytes (its counter).
	Bytes uint64
	// Chunks tile [First, …) oldest first, without gaps. They may stop
	// before Next: a caller reads only as many as ScanMore asks for.
	Chunks []Chunk
	// MinStored is the lowest offset any consumer or group has stored on
	// the partition; HasStored is false when none has.
	MinStored uint64
	HasStored bool
}

// Policy is a topic's effective retention at one instant.
type Policy struct {
	// Now is the current time in µs since the epoch.
	Now uint64
	// Expiry is in µs; log.Unlimited (and 0, which callers must have
	// resolved already) means never.
	Expiry uint64
	// MaxSize caps the topic (all partitions together) in bytes;
	// log.Unlimited (and an unresolved 0) means no cap.
	MaxSize uint64
	// Barrier keeps every message above a partition's lowest stored
	// consumer offset, as Iggy does (docs/protocol/binary.md §7.4).
	Barrier bool
}

// Plan is what retention deletes from one partition.
type Plan struct {
	ID uint32
	// From and To bound the offsets to delete, [From, To); To == From when
	// nothing goes.
	From, To uint64
	// Messages and Bytes are the count and size of [From, To).
	Messages, Bytes uint64
	// HeldMessages and HeldBytes are what the expiry and size rules would
	// delete from this partition without the barrier but keep with it.
	HeldMessages, HeldBytes uint64
}

// Expired reports whether a message stamped ts (µs) has outlived expiry at
// now: Iggy's "newest timestamp + expiry ≤ now", without overflow.
func Expired(ts, now, expiry uint64) bool {
	if expiry == 0 || expiry == log.Unlimited {
		return false
	}
	return now >= ts && now-ts >= expiry
}

// capped reports whether maxSize is a real cap.
func capped(maxSize uint64) bool { return maxSize != 0 && maxSize != log.Unlimited }

// Excess is how many bytes a topic of size bytes holds above the policy's
// cap (0 when under it or uncapped).
func Excess(bytes uint64, pol Policy) uint64 {
	if !capped(pol.MaxSize) || bytes <= pol.MaxSize {
		return 0
	}
	return bytes - pol.MaxSize
}

// ScanMore tells a caller reading a partition's chunks, oldest first,
// whether it needs the chunk after c: when c is expired (so may the next
// be), or when the chunks read so far, c included (scanned bytes), are
// fewer than the topic's excess (no partition can lose more than that).
func ScanMore(c Chunk, scanned, excess uint64, pol Policy) bool {
	return Expired(c.Timestamp, pol.Now, pol.Expiry) || scanned < excess
}

// limit is the first offset of f that must stay: Next, or just above the
// lowest stored consumer offset under the barrier. A limit inside a chunk
// is rounded down to the chunk's start, so every plan stays at chunk edges
// and its byte count exact; callers that want the barrier exact to the
// message split the chunk there (log.Partition.ScanChunks does).
func limit(f PartitionFacts, barrier bool) uint64 {
	if !barrier || !f.HasStored {
		return f.Next
	}
	l := min(f.MinStored+1, f.Next)
	for _, c := range f.Chunks {
		if c.First < l && l < c.End {
			return c.First
		}
	}
	return l
}

// PlanTopic computes, for each partition of one topic, the boundary below
// which retention deletes, and what the barrier holds back.
//
// Expiry works per partition and is exact to the chunk, hence to the
// message: every message of a chunk has the same timestamp.
//
// The size cap is per topic. Iggy deletes the oldest sealed segment across
// the topic's partitions until the topic is under 90 % of the cap; shale
// deletes the oldest chunk across the partitions (by timestamp, ties to the
// lower partition id) until the topic is at or under the cap, after expiry
// has taken its share. Oldest-first across the topic, rather than cap/N per
// partition, means a skewed topic loses its oldest data wherever it lives,
// and a partition the barrier blocks makes the others give up more instead
// of leaving the topic over its cap.
func PlanTopic(parts []PartitionFacts, pol Policy) []Plan {
	actual := planTopic(parts, pol, pol.Barrier)
	if !pol.Barrier {
		return actual
	}
	ideal := planTopic(parts, pol, false)
	for i := range actual {
		if ideal[i].To > actual[i].To {
			actual[i].HeldMessages = ideal[i].To - actual[i].To
			actual[i].HeldBytes = bytesIn(parts[i].Chunks, actual[i].To, ideal[i].To)
		}
	}
	return actual
}

func planTopic(parts []PartitionFacts, pol Policy, barrier bool) []Plan {
	taken := make([]int, len(parts)) // chunks of each partition planned to go
	limits := make([]uint64, len(parts))
	var total, removed uint64
	for i, f := range parts {
		limits[i] = limit(f, barrier)
		total += f.Bytes
		for taken[i] < len(f.Chunks) {
			c := f.Chunks[taken[i]]
			if c.End > limits[i] || !Expired(c.Timestamp, pol.Now, pol.Expiry) {
				break
			}
			removed += c.Bytes
			taken[i]++
		}
	}
	if capped(pol.MaxSize) {
		for total-removed > pol.MaxSize {
			oldest := -1
			for i, f := range parts {
				if taken[i] == len(f.Chunks) || f.Chunks[taken[i]].End > limits[i] {
					continue
				}
				if oldest < 0 || f.Chunks[taken[i]].Timestamp < parts[oldest].Chunks[taken[oldest]].Timestamp {
					oldest = i
				}
			}
			if oldest < 0 {
				break // everything left is held back or was not scanned
			}
			removed += parts[oldest].Chunks[taken[oldest]].Bytes
			taken[oldest]++
		}
	}
	plans := make([]Plan, len(parts))
	for i, f := range parts {
		p := Plan{ID: f.ID, From: f.First, To: f.First}
		for _, c := range f.Chunks[:taken[i]] {
			p.To = c.End
			p.Bytes += c.Bytes
		}
		p.Messages = p.To - p.From
		plans[i] = p
	}
	return plans
}

// bytesIn sums the chunks lying inside [from, to).
func bytesIn(chunks []Chunk, from, to uint64) uint64 {
	var n uint64
	for _, c := range chunks {
		if c.First >= from && c.End <= to {
			n += c.Bytes
		}
	}
	return n
}
