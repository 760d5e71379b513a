package log

import (
	"encoding/binary"
	"sort"

	"github.com/shalemq/shale/kv"
)

// Description is everything a backup manifest says about the log: every
// stream, topic and partition with its offsets, the consumer groups and the
// stored consumer offsets. The JSON names are the manifest's (admin/backup).
type Description struct {
	Streams []StreamDesc `json:"streams"`
}

// StreamDesc describes one stream.
type StreamDesc struct {
	ID     uint32      `json:"id"`
	Name   string      `json:"name"`
	Topics []TopicDesc `json:"topics"`
}

// TopicDesc describes one topic.
type TopicDesc struct {
	ID         uint32          `json:"id"`
	Name       string          `json:"name"`
	Partitions []PartitionDesc `json:"partitions"`
	Groups     []GroupDesc     `json:"consumer_groups"`
}

// PartitionDesc describes one partition. LastOffset is meaningful only when
// MessagesCount > 0; NextOffset is the offset the next message gets.
type PartitionDesc struct {
	ID              uint32         `json:"id"`
	FirstOffset     uint64         `json:"first_offset"`
	LastOffset      uint64         `json:"last_offset"`
	NextOffset      uint64         `json:"next_offset"`
	MessagesCount   uint64         `json:"messages_count"`
	SizeBytes       uint64         `json:"size_bytes"`
	ConsumerOffsets []StoredOffset `json:"consumer_offsets,omitempty"`
}

// GroupDesc describes one consumer group's definition. Membership belongs to
// connected clients and is not stored.
type GroupDesc struct {
	ID   uint32 `json:"id"`
	Name string `json:"name"`
}

// StoredOffset is one stored offset: a consumer's or a group's.
type StoredOffset struct {
	Kind     string `json:"kind"` // "consumer" or "consumer_group"
	Consumer uint32 `json:"consumer_id"`
	Offset   uint64 `json:"offset"`
}

// Describe returns the whole catalog with the partitions' durable counters
// and the stored consumer offsets, in ascending ids. It holds l.mu for
// reading throughout, so metadata changes wait; on a live log the offsets
// are each read at a slightly different moment, so it is exact only on a
// database nobody writes to, such as a checkpoint opened read-only.
func (l *Log) Describe() (Description, error) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	ids := make([]uint32, 0, len(l.mu.streams))
	for id := range l.mu.streams {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	d := Description{Streams: []StreamDesc{}}
	for _, id := range ids {
		s := l.mu.streams[id]
		sd := StreamDesc{ID: s.id, Name: s.name, Topics: []TopicDesc{}}
		for _, t := range s.sortedTopics() {
			td := TopicDesc{ID: t.id, Name: t.rec.name, Partitions: []PartitionDesc{}, Groups: []GroupDesc{}}
			for _, p := range t.partitions {
				pd, err := p.describe()
				if err != nil {
					return Description{}, err
				}
				td.Partitions = append(td.Partitions, pd)
			}
			for _, g := range t.groups {
				td.Groups = append(td.Groups, GroupDesc{ID: g.id, Name: g.name})
			}
			sort.Slice(td.Groups, func(i, j int) bool { return td.Groups[i].ID < td.Groups[j].ID })
			sd.Topics = append(sd.Topics, td)
		}
		d.Streams = append(d.Streams, sd)
	}
	return d, nil
}

func (p *Partition) describe() (PartitionDesc, error) {
	info := p.Info()
	pd := PartitionDesc{ID: p.id, FirstOffset: info.FirstOffset, NextOffset: info.NextOffset,
		MessagesCount: info.MessagesCount, SizeBytes: info.SizeBytes, LastOffset: info.CurrentOffset}
	it, err := p.log.db.NewIter(partitionSpan(kv.TagOffsets, p.streamID, p.topicID, p.id))
	if err != nil {
		return PartitionDesc{}, err
	}
	defer it.Close()
	for ok := it.First(); ok; ok = it.Next() {
		k := it.Key()
		v, err := it.Value()
		if err != nil {
			return PartitionDesc{}, err
		}
		if len(v) != 8 || len(k) != offsetKeyIDAt+4 {
			continue
		}
		kind := "consumer"
		if k[offsetKeyKindAt] == consumerGroup {
			kind = "consumer_group"
		}
		pd.ConsumerOffsets = append(pd.ConsumerOffsets, StoredOffset{Kind: kind,
			Consumer: kv.U32At(k, offsetKeyIDAt), Offset: binary.LittleEndian.Uint64(v)})
	}
	return pd, it.Error()
}
