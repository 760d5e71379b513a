package broker

import (
	"fmt"

	"github.com/OneOfOne/xxhash"

	"github.com/shalemq/shale/broker/auth"
	"github.com/shalemq/shale/log"
	"github.com/shalemq/shale/wire"
)

// Consumer says whose offsets a poll or offset command uses (docs/protocol/binary.md
// §2.2): a single consumer named by number or name, or a consumer group of
// the topic.
type Consumer struct {
	Group bool
	ID    Ident
}

// ConsumerOffset is a stored offset with the partition's newest offset.
type ConsumerOffset struct {
	PartitionID   uint32
	CurrentOffset uint64
	StoredOffset  uint64
}

// singleConsumerID numbers a single consumer: a numeric id as is, a name as
// XXH32 of its bytes, so "worker-1" and that number share offsets as in Iggy.
func singleConsumerID(id Ident) uint32 {
	if id.ByName {
		return xxhash.Checksum32([]byte(id.Name))
	}
	return id.ID
}

// target is a resolved offset or poll target.
type target struct {
	sid, tid uint32
	consumer log.Consumer
	// groupMember is set for group consumers: the partition choice depends
	// on the caller's assignment.
	groupMember bool
}

// resolveTarget checks 40, 1009, 2010 and the poll permission (41).
func (b *Broker) resolveTarget(s *Session, c Consumer, stream, topic Ident) (target, error) {
	p, err := b.permissions(s)
	if err != nil {
		return target{}, err
	}
	sid, tid, err := b.log.ResolveTopic(stream, topic)
	if err != nil {
		return target{}, err
	}
	if err := allow(auth.PollMessages(p, sid, tid), "poll messages"); err != nil {
		return target{}, err
	}
	t := target{sid: sid, tid: tid}
	if !c.Group {
		t.consumer = log.Consumer{ID: singleConsumerID(c.ID)}
		return t, nil
	}
	t.groupMember = true
	return t, nil
}

// memberPartition resolves a group consumer's partition for an offset
// command: 30 when the session is gone, 5000, 5006, 3022 when the named
// partition is not the caller's or the caller has none.
func (b *Broker) memberPartition(s *Session, t *target, group Ident, partition *uint32) (uint32, error) {
	if s.closed.Load() {
		return 0, errNoClient
	}
	gid, err := b.log.ResolveGroup(t.sid, t.tid, group)
	if err != nil {
		return 0, err
	}
	t.consumer = log.Consumer{Group: true, ID: gid}
	if partition != nil {
		owns, err := b.log.GroupOwns(t.sid, t.tid, gid, s.id, *partition)
		if err != nil {
			return 0, err
		}
		if !owns {
			return 0, fmt.Errorf("partition %d is not assigned to client %d: %w", *partition, s.id, wire.ErrNotResolvedConsumer)
		}
		return *partition, nil
	}
	pid, ok, err := b.log.GroupPartition(t.sid, t.tid, gid, s.id, false)
	if err != nil {
		return 0, err
	}
	if !ok {
		return 0, fmt.Errorf("client %d has no partitions in group %d: %w", s.id, gid, wire.ErrNotResolvedConsumer)
	}
	return pid, nil
}

// ConsumerOffset returns a stored offset; ok is false when the stream, topic,
// group or partition does not exist or nothing is stored (an empty OK).
func (b *Broker) ConsumerOffset(s *Session, c Consumer, stream, topic Ident, partition *uint32) (off ConsumerOffset, ok bool, err error) {
	// Before the catalog too: a stream the cluster created meanwhile must
	// not read as "nothing stored".
	if err := b.linearizable(s); err != nil {
		return off, false, err
	}
	t, err := b.resolveTarget(s, c, stream, topic)
	if err != nil {
		return off, false, emptyIfNotFound(err)
	}
	if t.groupMember {
		// Reading a group's offset needs no membership (docs/protocol/binary.md §4.8).
		gid, err := b.log.ResolveGroup(t.sid, t.tid, c.ID)
		if err != nil {
			return off, false, emptyIfNotFound(err)
		}
		t.consumer = log.Consumer{Group: true, ID: gid}
	}
	var pid uint32
	if partition != nil {
		pid = *partition
	}
	part, err := b.log.Partition(t.sid, t.tid, pid)
	if err != nil {
		return off, false, emptyIfNotFound(err)
	}
	stored, ok, err := part.Offset(t.consumer)
	if err != nil || !ok {
		return off, false, err
	}
	return ConsumerOffset{PartitionID: pid, CurrentOffset: part.Info().CurrentOffset, StoredOffset: stored}, true, nil
}

// StoreConsumerOffset stores offset as the consumer's position.
func (b *Broker) StoreConsumerOffset(s *Session, c Consumer, stream, topic Ident, partition *uint32, offset uint64) error {
	part, consumer, err := b.offsetPartition(s, c, stream, topic, partition)
	if err != nil {
		return err
	}
	return part.StoreOffset(consumer, offset)
}

// DeleteConsumerOffset deletes the consumer's stored offset (3021 when none).
func (b *Broker) DeleteConsumerOffset(s *Session, c Consumer, stream, topic Ident, partition *uint32) error {
	part, consumer, err := b.offsetPartition(s, c, stream, topic, partition)
	if err != nil {
		return err
	}
	return part.DeleteOffset(consumer)
}

func (b *Broker) offsetPartition(s *Session, c Consumer, stream, topic Ident, partition *uint32) (*log.Partition, log.Consumer, error) {
	t, err := b.resolveTarget(s, c, stream, topic)
	if err != nil {
		return nil, log.Consumer{}, err
	}
	var pid uint32
	if t.groupMember {
		if pid, err = b.memberPartition(s, &t, c.ID, partition); err != nil {
			return nil, log.Consumer{}, err
		}
	} else if partition != nil {
		pid = *partition
	}
	part, err := b.log.Partition(t.sid, t.tid, pid)
	if err != nil {
		return nil, log.Consumer{}, err
	}
	return part, t.consumer, nil
}
