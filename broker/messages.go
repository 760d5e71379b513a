package broker

import (
	"fmt"

	"github.com/shalemq/shale/broker/auth"
	"github.com/shalemq/shale/log"
	"github.com/shalemq/shale/wire"
)

// PartitionKind is how SendMessages picks a partition (docs/protocol/binary.md §2.3).
type PartitionKind uint8

const (
	PartitionBalanced    PartitionKind = 1 // round-robin per topic
	PartitionID          PartitionKind = 2 // explicit, 0-based
	PartitionMessagesKey PartitionKind = 3 // XXH32(key) mod partitions
)

// Partitioning is the partition choice of a send.
type Partitioning struct {
	Kind PartitionKind
	ID   uint32 // PartitionID
	Key  []byte // PartitionMessagesKey
}

// Strategy and poll types, as log defines them.
type (
	Strategy   = log.Strategy
	PollResult = log.PollResult
)

const (
	StrategyOffset    = log.StrategyOffset
	StrategyTimestamp = log.StrategyTimestamp
	StrategyFirst     = log.StrategyFirst
	StrategyLast      = log.StrategyLast
	StrategyNext      = log.StrategyNext
)

// Poll is one PollMessages request.
type Poll struct {
	Consumer   Consumer
	Stream     Ident
	Topic      Ident
	Partition  *uint32 // nil = not given
	Strategy   Strategy
	Value      uint64
	Count      uint32
	AutoCommit bool
	// Hold, when set, counts the answer under Limits.RequestMemory
	// (answer.go); the caller releases it once the answer is written.
	// Without it the answer is bounded by Limits.PollAnswerBytes alone.
	Hold *AnswerHold
}

// Send appends count messages, laid out back to back in wire form and
// already validated by the caller's codec (wire), to one partition of the
// topic. It returns once the batch is acknowledged under the log's
// durability mode.
func (b *Broker) Send(s *Session, stream, topic Ident, part Partitioning, msgs []byte, count int) error {
	if err := authenticated(s); err != nil {
		return err
	}
	if part.Kind == PartitionMessagesKey && (len(part.Key) == 0 || len(part.Key) > MaxNameLen) {
		// Iggy's REST API refuses an empty key; its binary server would
		// hash it. One answer for both (docs/compatibility.md).
		return fmt.Errorf("messages key of %d bytes: %w", len(part.Key), wire.ErrInvalidKeyValueLength)
	}
	sid, tid, err := b.topicWith(s, stream, topic, auth.SendMessages, "send messages")
	if err != nil {
		return err
	}
	var target *log.Partition
	switch part.Kind {
	case PartitionBalanced:
		target, err = b.log.BalancedPartition(sid, tid)
	case PartitionID:
		target, err = b.log.Partition(sid, tid, part.ID)
	case PartitionMessagesKey:
		target, err = b.log.KeyedPartition(sid, tid, part.Key)
	default:
		err = fmt.Errorf("partitioning kind %d: %w", part.Kind, wire.ErrInvalidCommand)
	}
	if err != nil {
		return err
	}
	if _, err := target.Append(msgs, count); err != nil {
		return err
	}
	b.metrics.messagesIn.Add(float64(count))
	b.metrics.bytesIn.Add(float64(len(msgs)))
	tc := b.metrics.topics.of(b.log, sid, tid)
	tc.msgsIn.Add(float64(count))
	tc.bytesIn.Add(float64(len(msgs)))
	return nil
}

// PollMessages appends up to req.Count stored messages to dst (each exactly
// as stored) and returns the result header values and the extended slice.
// The answer ends early at Limits.PollAnswerBytes or when the memory budget
// is full (answer.go); the result describes what it holds.
func (b *Broker) PollMessages(s *Session, req Poll, dst []byte) (PollResult, []byte, error) {
	if req.Strategy == StrategyNext {
		// Next starts after the stored offset (readbarrier.go).
		if err := b.linearizable(s); err != nil {
			return PollResult{}, dst, err
		}
	}
	t, err := b.resolveTarget(s, req.Consumer, req.Stream, req.Topic)
	if err != nil {
		return PollResult{}, dst, err
	}
	var pid uint32
	if t.groupMember {
		if s.closed.Load() {
			return PollResult{}, dst, errNoClient
		}
		gid, err := b.log.ResolveGroup(t.sid, t.tid, req.Consumer.ID)
		if err != nil {
			return PollResult{}, dst, err
		}
		t.consumer = log.Consumer{Group: true, ID: gid}
		if req.Partition != nil {
			owns, err := b.log.GroupOwns(t.sid, t.tid, gid, s.id, *req.Partition)
			if err != nil {
				return PollResult{}, dst, err
			}
			if !owns {
				return PollResult{}, dst, nil // empty result, partition 0 (Iggy)
			}
			pid = *req.Partition
		} else {
			var ok bool
			if pid, ok, err = b.log.GroupPartition(t.sid, t.tid, gid, s.id, true); err != nil {
				return PollResult{}, dst, err
			}
			if !ok {
				return PollResult{}, dst, nil
			}
		}
	} else if req.Partition != nil {
		pid = *req.Partition
	}
	part, err := b.log.Partition(t.sid, t.tid, pid)
	if err != nil {
		return PollResult{}, dst, err
	}
	before := len(dst)
	res, dst, err := b.pollPartition(part, log.PollRequest{
		Strategy: req.Strategy, Value: req.Value, Count: req.Count,
		Consumer: t.consumer, AutoCommit: req.AutoCommit,
	}, req.Hold, dst)
	if err != nil {
		return res, dst, err
	}
	b.metrics.messagesOut.Add(float64(res.Count))
	b.metrics.bytesOut.Add(float64(len(dst) - before))
	if res.Count > 0 {
		tc := b.metrics.topics.of(b.log, t.sid, t.tid)
		tc.msgsOut.Add(float64(res.Count))
		tc.bytesOut.Add(float64(len(dst) - before))
	}
	return res, dst, nil
}

// FlushUnsavedBuffer validates like Iggy and answers OK: shale acknowledges
// only durable writes in sync mode, and in interval mode it syncs now.
func (b *Broker) FlushUnsavedBuffer(s *Session, stream, topic Ident, partition uint32, fsync bool) error {
	sid, tid, err := b.topicWith(s, stream, topic, auth.SendMessages, "flush")
	if err != nil {
		return err
	}
	if _, err := b.log.Partition(sid, tid, partition); err != nil {
		return err
	}
	if fsync {
		return b.log.Flush()
	}
	return nil
}
