package log

import (
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/shalemq/shale/kv"
	"github.com/shalemq/shale/wire"
)

// Log is the catalog of streams, topics, partitions and consumer groups, and
// the entry point to every partition's messages. It is safe for concurrent
// use.
//
// Metadata changes (create, update, delete, purge) hold mu for writing while
// they commit, so they are serialised and their effect is durable before the
// new state is visible. Lookups hold mu for reading only as long as a map
// lookup; the message path then works on the *Partition alone.
type Log struct {
	db   *kv.DB
	opts Options
	log  *slog.Logger

	mu struct {
		sync.RWMutex
		streams map[uint32]*stream
		byName  map[string]*stream
		alloc   idAlloc // stream ids
	}
}

type stream struct {
	id        uint32
	name      string
	createdAt uint64
	topics    map[uint32]*topic
	byName    map[string]*topic
	alloc     idAlloc // topic ids
}

type topic struct {
	streamID   uint32
	id         uint32
	rec        topicRecord
	partitions []*Partition
	groups     map[uint32]*Group
	groupNames map[string]*Group
	galloc     idAlloc       // group ids
	balanced   atomic.Uint64 // round-robin counter for balanced sends
}

// Open loads the catalog from db and returns the Log.
func Open(db *kv.DB, opts Options) (*Log, error) {
	opts.EnsureDefaults()
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	l := &Log{db: db, opts: opts, log: opts.Logger.With("component", "log")}
	l.mu.streams = make(map[uint32]*stream)
	l.mu.byName = make(map[string]*stream)
	if err := l.load(); err != nil {
		return nil, fmt.Errorf("log: load catalog: %w", err)
	}
	return l, nil
}

// Flush writes the memtable and syncs the WAL (FlushUnsavedBuffer fsync).
func (l *Log) Flush() error { return l.db.Flush() }

// Dir is the database directory.
func (l *Log) Dir() string { return l.db.Dir() }

// Durability names the database's durability mode ("sync", "interval").
func (l *Log) Durability() string { return l.db.Durability().String() }

// DiskUsage is the database's size on disk in bytes.
func (l *Log) DiskUsage() uint64 { return l.db.DiskUsage() }

// Options returns the options the log runs with (defaults filled in).
func (l *Log) Options() Options { return l.opts }

// load reads every metadata record and partition counter.
func (l *Log) load() error {
	scan := func(kind byte, fn func(key, value []byte) error) error {
		lower, upper := metaSpan(kind)
		it, err := l.db.NewIter(lower, upper)
		if err != nil {
			return err
		}
		defer it.Close()
		for ok := it.First(); ok; ok = it.Next() {
			v, err := it.Value()
			if err != nil {
				return err
			}
			if err := fn(it.Key(), v); err != nil {
				return fmt.Errorf("record %x: %w", it.Key(), err)
			}
		}
		return it.Error()
	}
	const ids = 2 // tag + kind
	err := scan(metaStream, func(k, v []byte) error {
		rec, err := decodeStream(v)
		if err != nil {
			return err
		}
		s := &stream{id: kv.U32At(k, ids), name: rec.name, createdAt: rec.createdAt,
			topics: make(map[uint32]*topic), byName: make(map[string]*topic)}
		l.mu.streams[s.id] = s
		l.mu.byName[s.name] = s
		return nil
	})
	if err != nil {
		return err
	}
	err = scan(metaTopic, func(k, v []byte) error {
		rec, err := decodeTopic(v)
		if err != nil {
			return err
		}
		s := l.mu.streams[kv.U32At(k, ids)]
		if s == nil {
			return errCorruptRecord
		}
		t := newTopic(s.id, kv.U32At(k, ids+4), rec)
		s.topics[t.id] = t
		s.byName[rec.name] = t
		return nil
	})
	if err != nil {
		return err
	}
	err = scan(metaPartition, func(k, v []byte) error {
		createdAt, err := decodePartition(v)
		if err != nil {
			return err
		}
		sid, tid, pid := kv.U32At(k, ids), kv.U32At(k, ids+4), kv.U32At(k, ids+8)
		t := l.topicLocked(sid, tid)
		if t == nil || int(pid) != len(t.partitions) {
			return errCorruptRecord
		}
		c, err := l.readCounters(sid, tid, pid)
		if err != nil {
			return err
		}
		p := newPartition(l, sid, tid, pid, createdAt, c)
		if err := p.verifyTail(c); err != nil {
			return err
		}
		t.partitions = append(t.partitions, p)
		return nil
	})
	if err != nil {
		return err
	}
	err = scan(metaGroup, func(k, v []byte) error {
		name, err := decodeGroup(v)
		if err != nil {
			return err
		}
		t := l.topicLocked(kv.U32At(k, ids), kv.U32At(k, ids+4))
		if t == nil {
			return errCorruptRecord
		}
		g := newGroup(t, kv.U32At(k, ids+8), name)
		t.groups[g.id] = g
		t.groupNames[name] = g
		return nil
	})
	if err != nil {
		return err
	}
	return scan(metaAlloc, func(k, v []byte) error {
		a, err := decodeAlloc(v)
		if err != nil {
			return err
		}
		switch k[ids] {
		case allocStreams:
			l.mu.alloc = a
		case allocTopics:
			if s := l.mu.streams[kv.U32At(k, ids+1)]; s != nil {
				s.alloc = a
			}
		case allocGroups:
			if t := l.topicLocked(kv.U32At(k, ids+1), kv.U32At(k, ids+5)); t != nil {
				t.galloc = a
			}
		}
		return nil
	})
}

func (l *Log) readCounters(s, t, p uint32) (counters, error) {
	v, ok, err := l.db.Get(nil, countersKey(s, t, p))
	if err != nil || !ok {
		return counters{}, err
	}
	return decodeCounters(v)
}

// verifyTail checks at open that the stored messages end where the counters
// say: the last message's offset is next-1. They are written in one batch, so
// a mismatch means corruption, and serving would hand out duplicate offsets.
func (p *Partition) verifyTail(c counters) error {
	it, err := p.log.db.NewIter(partitionSpan(kv.TagMessages, p.streamID, p.topicID, p.id))
	if err != nil {
		return err
	}
	defer it.Close()
	if !it.Last() {
		if err := it.Error(); err != nil {
			return err
		}
		if c.next != c.first {
			return fmt.Errorf("partition %d/%d/%d: counters say offsets [%d, %d) but no messages are stored", p.streamID, p.topicID, p.id, c.first, c.next)
		}
		return nil
	}
	v, err := it.Value()
	if err != nil {
		return err
	}
	last := kv.U64At(it.Key(), msgKeyOffsetAt)
	mi := wire.NewMessageIter(v)
	for m, ok := mi.Next(); ok; m, ok = mi.Next() {
		last = m.Offset()
	}
	if mi.Err() != nil || last+1 != c.next {
		return fmt.Errorf("partition %d/%d/%d: last stored offset %d does not match next offset %d", p.streamID, p.topicID, p.id, last, c.next)
	}
	return nil
}

func newTopic(s, id uint32, rec topicRecord) *topic {
	return &topic{streamID: s, id: id, rec: rec, groups: make(map[uint32]*Group), groupNames: make(map[string]*Group)}
}

// topicLocked returns a topic by ids. REQUIRES: l.mu held.
func (l *Log) topicLocked(s, t uint32) *topic {
	if st := l.mu.streams[s]; st != nil {
		return st.topics[t]
	}
	return nil
}

// streamByIdentLocked resolves a stream. REQUIRES: l.mu held.
func (l *Log) streamByIdentLocked(id Ident) (*stream, error) {
	var s *stream
	if id.ByName {
		s = l.mu.byName[id.Name]
	} else {
		s = l.mu.streams[id.ID]
	}
	if s == nil {
		return nil, fmt.Errorf("stream %s: %w", id, wire.ErrStreamIDNotFound)
	}
	return s, nil
}

func (s *stream) topicByIdent(id Ident) (*topic, error) {
	var t *topic
	if id.ByName {
		t = s.byName[id.Name]
	} else {
		t = s.topics[id.ID]
	}
	if t == nil {
		return nil, fmt.Errorf("topic %s in stream %d: %w", id, s.id, wire.ErrTopicIDNotFound)
	}
	return t, nil
}

func (l *Log) streamLocked(s uint32) (*stream, error) {
	st := l.mu.streams[s]
	if st == nil {
		return nil, fmt.Errorf("stream %d: %w", s, wire.ErrStreamIDNotFound)
	}
	return st, nil
}

func (l *Log) topicByIDLocked(s, t uint32) (*topic, error) {
	st, err := l.streamLocked(s)
	if err != nil {
		return nil, err
	}
	tp := st.topics[t]
	if tp == nil {
		return nil, fmt.Errorf("topic %d in stream %d: %w", t, s, wire.ErrTopicIDNotFound)
	}
	return tp, nil
}

// ResolveStream turns an identifier into a stream id (error 1009 when there
// is no such stream).
func (l *Log) ResolveStream(id Ident) (uint32, error) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	s, err := l.streamByIdentLocked(id)
	if err != nil {
		return 0, err
	}
	return s.id, nil
}

// ResolveTopic turns identifiers into stream and topic ids (1009, 2010).
func (l *Log) ResolveTopic(s, t Ident) (streamID, topicID uint32, err error) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	st, err := l.streamByIdentLocked(s)
	if err != nil {
		return 0, 0, err
	}
	tp, err := st.topicByIdent(t)
	if err != nil {
		return 0, 0, err
	}
	return st.id, tp.id, nil
}

// Partition returns a partition (1009, 2010, 3007).
func (l *Log) Partition(s, t, p uint32) (*Partition, error) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	tp, err := l.topicByIDLocked(s, t)
	if err != nil {
		return nil, err
	}
	if int(p) >= len(tp.partitions) {
		return nil, fmt.Errorf("partition %d of topic %d in stream %d: %w", p, t, s, wire.ErrPartitionNotFound)
	}
	return tp.partitions[p], nil
}

// PartitionsCount returns how many partitions a topic has.
func (l *Log) PartitionsCount(s, t uint32) (int, error) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	tp, err := l.topicByIDLocked(s, t)
	if err != nil {
		return 0, err
	}
	return len(tp.partitions), nil
}

// BalancedPartition picks the partition for a balanced send: a per-topic
// counter modulo the partition count, advanced once per call (docs/protocol/binary.md
// §2.3). A topic without partitions answers 2010, as Iggy does.
func (l *Log) BalancedPartition(s, t uint32) (*Partition, error) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	tp, err := l.topicByIDLocked(s, t)
	if err != nil {
		return nil, err
	}
	n := len(tp.partitions)
	if n == 0 {
		return nil, fmt.Errorf("topic %d in stream %d has no partitions: %w", t, s, wire.ErrTopicIDNotFound)
	}
	return tp.partitions[(tp.balanced.Add(1)-1)%uint64(n)], nil
}

// KeyedPartition picks the partition for a messages-key send:
// XXH32(key) mod the partition count (docs/protocol/binary.md §2.3). A topic without
// partitions answers 2010 (Iggy crashes the handler there).
func (l *Log) KeyedPartition(s, t uint32, key []byte) (*Partition, error) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	tp, err := l.topicByIDLocked(s, t)
	if err != nil {
		return nil, err
	}
	n := len(tp.partitions)
	if n == 0 {
		return nil, fmt.Errorf("topic %d in stream %d has no partitions: %w", t, s, wire.ErrTopicIDNotFound)
	}
	return tp.partitions[wire.PartitionForKey(key, uint32(n))], nil
}

// Partitions returns every partition of every topic, for background work
// such as retention. The slice is the caller's.
func (l *Log) Partitions() []*Partition {
	l.mu.RLock()
	defer l.mu.RUnlock()
	var ps []*Partition
	for _, s := range l.mu.streams {
		for _, t := range s.topics {
			ps = append(ps, t.partitions...)
		}
	}
	return ps
}

// commitAndWait commits b and waits for durability. Metadata changes use it
// while holding l.mu, so a change is durable before anyone can observe it.
func (l *Log) commitAndWait(b *kv.Batch) error {
	d, err := l.db.Commit(b)
	if err != nil {
		return storageErr(err)
	}
	return storageErr(d.Wait())
}

// errGone builds the error appends see on a deleted partition.
func errGone(what string, s, t, p uint32, code *wire.Error) error {
	return fmt.Errorf("%s (partition %d of topic %d in stream %d was deleted): %w", what, p, t, s, code)
}
