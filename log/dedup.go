package log

import (
	"github.com/shalemq/shale/kv"
	"github.com/shalemq/shale/wire"
)

// dedupCache remembers recently stored message ids of one partition
// (docs/protocol/binary.md §5.4). Unlike Iggy's in-memory cache it survives a restart: it is
// rebuilt from the newest stored messages, which carry their ids, the first
// time it is needed after the log opens. Guarded by Partition.mu.
type dedupCache struct {
	max    int    // 0 = no count cap
	expiry uint64 // µs; 0 = no time cap
	seen   map[[16]byte]uint64
	order  []dedupEntry // oldest first; order[head:] is live
	head   int
}

type dedupEntry struct {
	id [16]byte
	ts uint64
}

func newDedupCache(o DedupOptions) *dedupCache {
	return &dedupCache{max: o.MaxEntries, expiry: uint64(o.Expiry.Microseconds()), seen: make(map[[16]byte]uint64)}
}

// evict drops entries beyond the count cap or older than the expiry.
func (d *dedupCache) evict(now uint64) {
	for d.head < len(d.order) {
		e := d.order[d.head]
		tooMany := d.max > 0 && len(d.order)-d.head > d.max
		tooOld := d.expiry > 0 && e.ts+d.expiry <= now
		if !tooMany && !tooOld {
			break
		}
		if ts, ok := d.seen[e.id]; ok && ts == e.ts {
			delete(d.seen, e.id)
		}
		d.head++
	}
	if d.head > 1024 && d.head > len(d.order)/2 {
		d.order = append(d.order[:0], d.order[d.head:]...)
		d.head = 0
	}
}

func (d *dedupCache) contains(id [16]byte, now uint64) bool {
	ts, ok := d.seen[id]
	return ok && (d.expiry == 0 || ts+d.expiry > now)
}

func (d *dedupCache) add(id [16]byte, ts uint64) {
	d.seen[id] = ts
	d.order = append(d.order, dedupEntry{id, ts})
}

// addKept records the non-zero ids of a stored batch.
func (d *dedupCache) addKept(msgs []byte, kept *keptMessages, ts uint64) {
	for _, r := range kept.runs {
		it := wire.NewMessageIter(msgs[r[0]:r[1]])
		for m, ok := it.Next(); ok; m, ok = it.Next() {
			if !m.IDIsZero() {
				d.add([16]byte(m.ID()), ts)
			}
		}
	}
	d.evict(ts)
}

// dedupFilterLocked returns the messages of msgs to store: those with id 0
// (they get a fresh random id) and those whose id was neither seen within the
// window nor earlier in the same batch. REQUIRES: p.mu held.
func (p *Partition) dedupFilterLocked(msgs []byte, now uint64) (*keptMessages, error) {
	if p.mu.dedup == nil {
		d, err := p.loadDedupLocked(now)
		if err != nil {
			return nil, err
		}
		p.mu.dedup = d
	}
	d := p.mu.dedup
	d.evict(now)
	kept := &keptMessages{}
	var inBatch map[[16]byte]struct{}
	pos := 0
	it := wire.NewMessageIter(msgs)
	for m, ok := it.Next(); ok; m, ok = it.Next() {
		start := pos
		pos += len(m)
		if !m.IDIsZero() {
			id := [16]byte(m.ID())
			if d.contains(id, now) {
				continue
			}
			if _, dup := inBatch[id]; dup {
				continue
			}
			if inBatch == nil {
				inBatch = make(map[[16]byte]struct{})
			}
			inBatch[id] = struct{}{}
		}
		if k := len(kept.runs); k > 0 && kept.runs[k-1][1] == start {
			kept.runs[k-1][1] = pos
		} else {
			kept.runs = append(kept.runs, [2]int{start, pos})
		}
		kept.count++
		kept.size += len(m)
	}
	return kept, it.Err()
}

// loadDedupLocked rebuilds the cache from the newest stored messages: it walks
// chunks backwards until it has MaxEntries ids or reaches messages older than
// the expiry. REQUIRES: p.mu held.
func (p *Partition) loadDedupLocked(now uint64) (*dedupCache, error) {
	d := newDedupCache(p.log.opts.Dedup)
	lower, upper := partitionSpan(kv.TagMessages, p.streamID, p.topicID, p.id)
	it, err := p.log.db.NewIter(lower, upper)
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var newestFirst [][]dedupEntry // per chunk, newest chunk first
	n := 0
	first := p.first.Load()
scan:
	for ok := it.Last(); ok; ok = it.Prev() {
		v, err := it.Value()
		if err != nil {
			return nil, err
		}
		var entries []dedupEntry
		mi := wire.NewMessageIter(v)
		for m, ok := mi.Next(); ok; m, ok = mi.Next() {
			if m.Offset() < first {
				continue
			}
			entries = append(entries, dedupEntry{[16]byte(m.ID()), m.Timestamp()})
		}
		newestFirst = append(newestFirst, entries)
		n += len(entries)
		if d.max > 0 && n >= d.max {
			break
		}
		if len(entries) > 0 && d.expiry > 0 && entries[0].ts+d.expiry <= now {
			break scan
		}
	}
	if err := it.Error(); err != nil {
		return nil, err
	}
	for i := len(newestFirst) - 1; i >= 0; i-- {
		for _, e := range newestFirst[i] {
			d.add(e.id, e.ts)
		}
	}
	d.evict(now)
	return d, nil
}
