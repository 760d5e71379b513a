package log

import (
	"fmt"
	"sort"

	"github.com/shalemq/shale/kv"
	"github.com/shalemq/shale/wire"
)

// StreamInfo is a snapshot of a stream.
type StreamInfo struct {
	ID            uint32
	Name          string
	CreatedAt     uint64
	TopicsCount   uint32
	SizeBytes     uint64
	MessagesCount uint64
	// Topics holds the topic headers (without partitions), ascending id;
	// only Stream fills it.
	Topics []TopicInfo
}

// TopicInfo is a snapshot of a topic.
type TopicInfo struct {
	StreamID        uint32
	ID              uint32
	Name            string
	CreatedAt       uint64
	PartitionsCount uint32
	// MessageExpiry is in µs: 0 = server default (only after an
	// UpdateTopic that sent 0), Unlimited = never.
	MessageExpiry uint64
	Compression   uint8
	// MaxTopicSize is in bytes: 0 = server default, Unlimited = no cap.
	MaxTopicSize      uint64
	ReplicationFactor uint8
	SizeBytes         uint64
	MessagesCount     uint64
	// Partitions holds every partition, ascending id; only Topic fills it.
	Partitions []PartitionInfo
}

// TopicSpec is what CreateTopic and UpdateTopic set.
type TopicSpec struct {
	Name              string
	PartitionsCount   uint32 // CreateTopic only
	Compression       uint8
	MessageExpiry     uint64
	MaxTopicSize      uint64
	ReplicationFactor uint8
}

// Stats are whole-log counts.
type Stats struct {
	Streams, Topics, Partitions, Groups int
	Messages, Bytes                     uint64
}

func (l *Log) now() uint64 { return micros(l.opts.Clock()) }

func (s *stream) info(withTopics bool) StreamInfo {
	si := StreamInfo{ID: s.id, Name: s.name, CreatedAt: s.createdAt, TopicsCount: uint32(len(s.topics))}
	for _, t := range s.sortedTopics() {
		ti := t.info(false)
		si.SizeBytes += ti.SizeBytes
		si.MessagesCount += ti.MessagesCount
		if withTopics {
			si.Topics = append(si.Topics, ti)
		}
	}
	return si
}

func (s *stream) sortedTopics() []*topic {
	ts := make([]*topic, 0, len(s.topics))
	for _, t := range s.topics {
		ts = append(ts, t)
	}
	sort.Slice(ts, func(i, j int) bool { return ts[i].id < ts[j].id })
	return ts
}

func (t *topic) info(withPartitions bool) TopicInfo {
	ti := TopicInfo{
		StreamID: t.streamID, ID: t.id, Name: t.rec.name, CreatedAt: t.rec.createdAt,
		PartitionsCount: uint32(len(t.partitions)), MessageExpiry: t.rec.expiry,
		Compression: t.rec.compression, MaxTopicSize: t.rec.maxSize, ReplicationFactor: t.rec.replication,
	}
	for _, p := range t.partitions {
		pi := p.Info()
		ti.SizeBytes += pi.SizeBytes
		ti.MessagesCount += pi.MessagesCount
		if withPartitions {
			ti.Partitions = append(ti.Partitions, pi)
		}
	}
	return ti
}

// Stream returns a stream with its topic headers.
func (l *Log) Stream(id uint32) (StreamInfo, bool) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	s := l.mu.streams[id]
	if s == nil {
		return StreamInfo{}, false
	}
	return s.info(true), true
}

// Streams returns every stream, ascending id, without topic headers.
func (l *Log) Streams() []StreamInfo {
	l.mu.RLock()
	defer l.mu.RUnlock()
	out := make([]StreamInfo, 0, len(l.mu.streams))
	for _, s := range l.mu.streams {
		out = append(out, s.info(false))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Topic returns a topic with its partitions.
func (l *Log) Topic(s, t uint32) (TopicInfo, bool) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	tp := l.topicLocked(s, t)
	if tp == nil {
		return TopicInfo{}, false
	}
	return tp.info(true), true
}

// Topics returns a stream's topics without partitions, ascending id; false
// when the stream does not exist.
func (l *Log) Topics(s uint32) ([]TopicInfo, bool) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	st := l.mu.streams[s]
	if st == nil {
		return nil, false
	}
	var out []TopicInfo
	for _, t := range st.sortedTopics() {
		out = append(out, t.info(false))
	}
	return out, true
}

// Stats counts everything in the log.
func (l *Log) Stats() Stats {
	l.mu.RLock()
	defer l.mu.RUnlock()
	var st Stats
	st.Streams = len(l.mu.streams)
	for _, s := range l.mu.streams {
		st.Topics += len(s.topics)
		for _, t := range s.topics {
			st.Partitions += len(t.partitions)
			st.Groups += len(t.groups)
			for _, p := range t.partitions {
				pi := p.Info()
				st.Messages += pi.MessagesCount
				st.Bytes += pi.SizeBytes
			}
		}
	}
	return st
}

// CreateStream creates a stream named name (1012 when the name is taken) and
// returns it. The id is the most recently freed one, else the next new one.
func (l *Log) CreateStream(name string) (StreamInfo, error) {
	if err := checkName("stream", name); err != nil {
		return StreamInfo{}, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.mu.byName[name] != nil {
		return StreamInfo{}, fmt.Errorf("stream %q: %w", name, wire.ErrStreamNameAlreadyExists)
	}
	alloc := l.mu.alloc.clone()
	id := alloc.take()
	s := &stream{id: id, name: name, createdAt: l.now(), topics: make(map[uint32]*topic), byName: make(map[string]*topic)}
	b := l.db.NewBatch()
	if err := firstErr(
		b.Set(streamMetaKey(id), streamRecord{createdAt: s.createdAt, name: name}.encode()),
		b.Set(allocKey(allocStreams), alloc.encode()),
	); err != nil {
		b.Close()
		return StreamInfo{}, err
	}
	if err := l.commitAndWait(b); err != nil {
		return StreamInfo{}, err
	}
	l.mu.alloc = alloc
	l.mu.streams[id] = s
	l.mu.byName[name] = s
	return s.info(true), nil
}

// UpdateStream renames a stream (1009; 1012 when another stream has the
// name — renaming to the current name is fine).
func (l *Log) UpdateStream(id uint32, name string) error {
	if err := checkName("stream", name); err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	s, err := l.streamLocked(id)
	if err != nil {
		return err
	}
	if other := l.mu.byName[name]; other != nil && other != s {
		return fmt.Errorf("stream %q: %w", name, wire.ErrStreamNameAlreadyExists)
	}
	b := l.db.NewBatch()
	if err := b.Set(streamMetaKey(id), streamRecord{createdAt: s.createdAt, name: name}.encode()); err != nil {
		b.Close()
		return err
	}
	if err := l.commitAndWait(b); err != nil {
		return err
	}
	delete(l.mu.byName, s.name)
	s.name = name
	l.mu.byName[name] = s
	return nil
}

// DeleteStream removes a stream with its topics, partitions, messages,
// groups and offsets, in one batch (1009).
func (l *Log) DeleteStream(id uint32) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	s, err := l.streamLocked(id)
	if err != nil {
		return err
	}
	var parts []*Partition
	for _, t := range s.topics {
		parts = append(parts, t.partitions...)
	}
	unlock, err := lockAndDrain(parts)
	if err != nil {
		return err
	}
	defer unlock()

	alloc := l.mu.alloc.clone()
	alloc.free(id)
	b := l.db.NewBatch()
	errs := []error{b.Delete(streamMetaKey(id)), b.Set(allocKey(allocStreams), alloc.encode())}
	for _, tag := range []byte{kv.TagMessages, kv.TagOffsets, kv.TagCounters} {
		lo, hi := streamSpan(tag, id)
		errs = append(errs, b.DeleteRange(lo, hi))
	}
	for _, kind := range []byte{metaTopic, metaPartition, metaGroup} {
		lo, hi := metaSpan(kind, id)
		errs = append(errs, b.DeleteRange(lo, hi))
	}
	errs = append(errs, b.Delete(allocKey(allocTopics, id)))
	lo, hi := allocSpan(allocGroups, id)
	errs = append(errs, b.DeleteRange(lo, hi))
	if err := firstErr(errs...); err != nil {
		b.Close()
		return err
	}
	b.MarkFreeing() // allowed under the free-space reserve (kv.Batch.MarkFreeing)
	if err := l.commitAndWait(b); err != nil {
		return err
	}
	l.reclaim(streamSpan(kv.TagMessages, id))
	for _, t := range s.topics {
		t.markDeleted()
	}
	l.mu.alloc = alloc
	delete(l.mu.streams, id)
	delete(l.mu.byName, s.name)
	return nil
}

// PurgeStream deletes every message and stored offset in every topic of a
// stream; topics, partitions and groups stay and partitions restart at
// offset 0 (1009).
func (l *Log) PurgeStream(id uint32) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	s, err := l.streamLocked(id)
	if err != nil {
		return err
	}
	var parts []*Partition
	for _, t := range s.topics {
		parts = append(parts, t.partitions...)
	}
	return l.purgeLocked(parts)
}

// purgeLocked empties parts in one batch. REQUIRES: l.mu held for writing.
func (l *Log) purgeLocked(parts []*Partition) error {
	unlock, err := lockAndDrain(parts)
	if err != nil {
		return err
	}
	defer unlock()
	b := l.db.NewBatch()
	var errs []error
	for _, p := range parts {
		for _, tag := range []byte{kv.TagMessages, kv.TagOffsets} {
			lo, hi := partitionSpan(tag, p.streamID, p.topicID, p.id)
			errs = append(errs, b.DeleteRange(lo, hi))
		}
		errs = append(errs, b.Set(countersKey(p.streamID, p.topicID, p.id), counters{}.encode(nil)))
	}
	if err := firstErr(errs...); err != nil {
		b.Close()
		return err
	}
	b.MarkFreeing() // allowed under the free-space reserve (kv.Batch.MarkFreeing)
	if err := l.commitAndWait(b); err != nil {
		return err
	}
	for _, p := range parts {
		l.reclaim(partitionSpan(kv.TagMessages, p.streamID, p.topicID, p.id))
	}
	for _, p := range parts {
		p.resetLocked()
	}
	return nil
}

// CreateTopic creates a topic in stream s with spec.PartitionsCount
// partitions (0 allowed). Checks in Iggy's order: partition count (2015),
// stream (1009), custom max size below the segment size (1019), name taken
// (2013). A message expiry or max size of 0 is resolved to the server default
// and a replication factor of 0 is stored as 1.
func (l *Log) CreateTopic(s uint32, spec TopicSpec) (TopicInfo, error) {
	if spec.PartitionsCount > MaxPartitions {
		return TopicInfo{}, fmt.Errorf("%d partitions: %w", spec.PartitionsCount, wire.ErrTooManyPartitions)
	}
	if err := checkName("topic", spec.Name); err != nil {
		return TopicInfo{}, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	st, err := l.streamLocked(s)
	if err != nil {
		return TopicInfo{}, err
	}
	if spec.MaxTopicSize != 0 && spec.MaxTopicSize != Unlimited && spec.MaxTopicSize < l.opts.SegmentSize {
		return TopicInfo{}, fmt.Errorf("max topic size %d is below the segment size %d: %w", spec.MaxTopicSize, l.opts.SegmentSize, wire.ErrInvalidTopicSize)
	}
	if st.byName[spec.Name] != nil {
		return TopicInfo{}, fmt.Errorf("topic %q in stream %d: %w", spec.Name, s, wire.ErrTopicNameAlreadyExists)
	}
	rec := topicRecord{
		createdAt:   l.now(),
		compression: spec.Compression,
		expiry:      spec.MessageExpiry,
		maxSize:     spec.MaxTopicSize,
		replication: max(spec.ReplicationFactor, 1),
		name:        spec.Name,
	}
	if rec.expiry == 0 {
		rec.expiry = l.opts.DefaultMessageExpiry
	}
	if rec.maxSize == 0 {
		rec.maxSize = l.opts.DefaultMaxTopicSize
	}
	alloc := st.alloc.clone()
	id := alloc.take()
	t := newTopic(s, id, rec)
	b := l.db.NewBatch()
	errs := []error{b.Set(topicMetaKey(s, id), rec.encode()), b.Set(allocKey(allocTopics, s), alloc.encode())}
	for i := range spec.PartitionsCount {
		p := newPartition(l, s, id, i, l.now(), counters{})
		errs = append(errs,
			b.Set(partitionMetaKey(s, id, i), encodePartition(p.createdAt)),
			b.Set(countersKey(s, id, i), counters{}.encode(nil)))
		t.partitions = append(t.partitions, p)
	}
	if err := firstErr(errs...); err != nil {
		b.Close()
		return TopicInfo{}, err
	}
	if err := l.commitAndWait(b); err != nil {
		return TopicInfo{}, err
	}
	st.alloc = alloc
	st.topics[id] = t
	st.byName[spec.Name] = t
	return t.info(true), nil
}

// UpdateTopic changes a topic's name and settings (1009, 2010, 2013). Values
// are stored as given — an expiry or max size of 0 stays 0 ("server
// default", resolved when retention reads it) — except a replication factor
// of 0, stored as 1.
func (l *Log) UpdateTopic(s, t uint32, spec TopicSpec) error {
	if err := checkName("topic", spec.Name); err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	tp, err := l.topicByIDLocked(s, t)
	if err != nil {
		return err
	}
	st := l.mu.streams[s]
	if other := st.byName[spec.Name]; other != nil && other != tp {
		return fmt.Errorf("topic %q in stream %d: %w", spec.Name, s, wire.ErrTopicNameAlreadyExists)
	}
	rec := tp.rec
	rec.name = spec.Name
	rec.compression = spec.Compression
	rec.expiry = spec.MessageExpiry
	rec.maxSize = spec.MaxTopicSize
	rec.replication = max(spec.ReplicationFactor, 1)
	b := l.db.NewBatch()
	if err := b.Set(topicMetaKey(s, t), rec.encode()); err != nil {
		b.Close()
		return err
	}
	if err := l.commitAndWait(b); err != nil {
		return err
	}
	delete(st.byName, tp.rec.name)
	tp.rec = rec
	st.byName[rec.name] = tp
	return nil
}

// DeleteTopic removes a topic with its partitions, messages, groups and
// offsets in one batch (1009, 2010).
func (l *Log) DeleteTopic(s, t uint32) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	tp, err := l.topicByIDLocked(s, t)
	if err != nil {
		return err
	}
	st := l.mu.streams[s]
	unlock, err := lockAndDrain(tp.partitions)
	if err != nil {
		return err
	}
	defer unlock()
	alloc := st.alloc.clone()
	alloc.free(t)
	b := l.db.NewBatch()
	errs := []error{b.Delete(topicMetaKey(s, t)), b.Set(allocKey(allocTopics, s), alloc.encode()), b.Delete(allocKey(allocGroups, s, t))}
	for _, tag := range []byte{kv.TagMessages, kv.TagOffsets, kv.TagCounters} {
		lo, hi := topicSpan(tag, s, t)
		errs = append(errs, b.DeleteRange(lo, hi))
	}
	for _, kind := range []byte{metaPartition, metaGroup} {
		lo, hi := metaSpan(kind, s, t)
		errs = append(errs, b.DeleteRange(lo, hi))
	}
	if err := firstErr(errs...); err != nil {
		b.Close()
		return err
	}
	b.MarkFreeing() // allowed under the free-space reserve (kv.Batch.MarkFreeing)
	if err := l.commitAndWait(b); err != nil {
		return err
	}
	l.reclaim(topicSpan(kv.TagMessages, s, t))
	tp.markDeleted()
	st.alloc = alloc
	delete(st.topics, t)
	delete(st.byName, tp.rec.name)
	return nil
}

// PurgeTopic deletes every message and stored offset of a topic; partitions
// restart at offset 0 (1009, 2010).
func (l *Log) PurgeTopic(s, t uint32) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	tp, err := l.topicByIDLocked(s, t)
	if err != nil {
		return err
	}
	return l.purgeLocked(tp.partitions)
}

// CreatePartitions adds count partitions after the highest (2015 outside
// 1..=1000; 1009; 2010) and rebalances the topic's groups.
func (l *Log) CreatePartitions(s, t uint32, count uint32) error {
	if count == 0 || count > MaxPartitions {
		return fmt.Errorf("%d partitions: %w", count, wire.ErrTooManyPartitions)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	tp, err := l.topicByIDLocked(s, t)
	if err != nil {
		return err
	}
	b := l.db.NewBatch()
	var errs []error
	var added []*Partition
	for i := range count {
		id := uint32(len(tp.partitions)) + i
		p := newPartition(l, s, t, id, l.now(), counters{})
		errs = append(errs,
			b.Set(partitionMetaKey(s, t, id), encodePartition(p.createdAt)),
			b.Set(countersKey(s, t, id), counters{}.encode(nil)))
		// A partition id freed by DeletePartitions may have left nothing
		// behind, but make sure: the new partition starts empty.
		for _, tag := range []byte{kv.TagMessages, kv.TagOffsets} {
			lo, hi := partitionSpan(tag, s, t, id)
			errs = append(errs, b.DeleteRange(lo, hi))
		}
		added = append(added, p)
	}
	if err := firstErr(errs...); err != nil {
		b.Close()
		return err
	}
	if err := l.commitAndWait(b); err != nil {
		return err
	}
	tp.partitions = append(tp.partitions, added...)
	tp.rebalanceGroups()
	return nil
}

// DeletePartitions removes the count highest-numbered partitions with their
// messages and offsets (2015 for 0; 1009; 2010; 2019 when count exceeds the
// partitions) and rebalances the topic's groups.
func (l *Log) DeletePartitions(s, t uint32, count uint32) error {
	if count == 0 {
		return fmt.Errorf("0 partitions: %w", wire.ErrTooManyPartitions)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	tp, err := l.topicByIDLocked(s, t)
	if err != nil {
		return err
	}
	if int(count) > len(tp.partitions) {
		return fmt.Errorf("delete %d of %d partitions: %w", count, len(tp.partitions), wire.ErrInvalidPartitionsCount)
	}
	keep := len(tp.partitions) - int(count)
	gone := tp.partitions[keep:]
	unlock, err := lockAndDrain(gone)
	if err != nil {
		return err
	}
	defer unlock()
	b := l.db.NewBatch()
	var errs []error
	for _, p := range gone {
		errs = append(errs, b.Delete(partitionMetaKey(s, t, p.id)))
		for _, tag := range []byte{kv.TagMessages, kv.TagOffsets, kv.TagCounters} {
			lo, hi := partitionSpan(tag, s, t, p.id)
			errs = append(errs, b.DeleteRange(lo, hi))
		}
	}
	if err := firstErr(errs...); err != nil {
		b.Close()
		return err
	}
	b.MarkFreeing() // allowed under the free-space reserve (kv.Batch.MarkFreeing)
	if err := l.commitAndWait(b); err != nil {
		return err
	}
	for _, p := range gone {
		l.reclaim(partitionSpan(kv.TagMessages, s, t, p.id))
	}
	for _, p := range gone {
		p.mu.gone = errGone("partition deleted", s, t, p.id, wire.ErrPartitionNotFound)
	}
	tp.partitions = tp.partitions[:keep:keep]
	tp.rebalanceGroups()
	return nil
}

// markDeleted makes every later append or offset store on the topic's
// partitions fail with 2010, and ends its groups. REQUIRES: the partitions'
// mu held (lockAndDrain) and l.mu held for writing.
func (t *topic) markDeleted() {
	for _, p := range t.partitions {
		p.mu.gone = errGone("topic deleted", t.streamID, t.id, p.id, wire.ErrTopicIDNotFound)
	}
	for _, g := range t.groups {
		g.markDeleted()
	}
}

// lockAndDrain takes the append lock of every partition in parts, in order,
// and waits until all their committed batches are durable. The returned
// function releases the locks.
func lockAndDrain(parts []*Partition) (func(), error) {
	for i, p := range parts {
		p.mu.Lock()
		if err := p.drainLocked(); err != nil {
			for _, q := range parts[:i+1] {
				q.mu.Unlock()
			}
			return nil, err
		}
	}
	return func() {
		for _, p := range parts {
			p.mu.Unlock()
		}
	}, nil
}

func allocSpan(scope byte, ids ...uint32) (lower, upper []byte) {
	lower = allocKey(scope, ids...)
	return lower, kv.PrefixEnd(nil, lower)
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
