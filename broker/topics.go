package broker

import (
	"fmt"

	"github.com/shalemq/shale/broker/auth"
	"github.com/shalemq/shale/log"
	"github.com/shalemq/shale/wire"
)

// Compression algorithms a topic may declare (docs/protocol/binary.md §2.7). The server
// stores and reports the value; it never compresses.
const (
	CompressionNone uint8 = 1
	CompressionGzip uint8 = 2
)

// MaxNameLen bounds stream, topic and consumer-group names (bytes).
const MaxNameLen = 255

// checkName refuses an empty name or one over MaxNameLen bytes with the
// resource's own code. Both transports reach it: a binary frame cannot
// carry such a name, the REST API can.
func checkName(name string, code *wire.Error) error {
	if len(name) == 0 || len(name) > MaxNameLen {
		return fmt.Errorf("name of %d bytes: %w", len(name), code)
	}
	return nil
}

func checkCompression(c uint8) error {
	if c != CompressionNone && c != CompressionGzip {
		return fmt.Errorf("compression algorithm %d: %w", c, wire.ErrInvalidCommand)
	}
	return nil
}

// Topic returns a topic with its partitions; ok is false when the stream or
// topic does not exist.
func (b *Broker) Topic(s *Session, stream, topic Ident) (info TopicInfo, ok bool, err error) {
	p, err := b.permissions(s)
	if err != nil {
		return info, false, err
	}
	sid, tid, err := b.log.ResolveTopic(stream, topic)
	if err != nil {
		return info, false, emptyIfNotFound(err)
	}
	if err := allow(auth.ReadTopic(p, sid, tid), "read topic"); err != nil {
		return info, false, err
	}
	info, ok = b.log.Topic(sid, tid)
	return info, ok, nil
}

// Topics lists a stream's topics; ok is false when the stream does not exist.
func (b *Broker) Topics(s *Session, stream Ident) (list []TopicInfo, ok bool, err error) {
	p, err := b.permissions(s)
	if err != nil {
		return nil, false, err
	}
	sid, err := b.log.ResolveStream(stream)
	if err != nil {
		return nil, false, emptyIfNotFound(err)
	}
	if err := allow(auth.ReadTopics(p, sid), "read topics"); err != nil {
		return nil, false, err
	}
	list, ok = b.log.Topics(sid)
	return list, ok, nil
}

// CreateTopic creates a topic with spec.PartitionsCount partitions. Checks
// in Iggy's order: 40, the name (2013 over HTTP; a binary frame cannot
// carry a bad one), 2015, compression (3), 1009, 41, then 1019 and 2013.
func (b *Broker) CreateTopic(s *Session, stream Ident, spec TopicSpec) (TopicInfo, error) {
	p, err := b.permissions(s)
	if err != nil {
		return TopicInfo{}, err
	}
	if err := checkName(spec.Name, wire.ErrInvalidTopicName); err != nil {
		return TopicInfo{}, err
	}
	if spec.PartitionsCount > log.MaxPartitions {
		return TopicInfo{}, fmt.Errorf("%d partitions: %w", spec.PartitionsCount, wire.ErrTooManyPartitions)
	}
	if err := checkCompression(spec.Compression); err != nil {
		return TopicInfo{}, err
	}
	sid, err := b.log.ResolveStream(stream)
	if err != nil {
		return TopicInfo{}, err
	}
	if err := allow(auth.ManageTopics(p, sid), "create topic"); err != nil {
		return TopicInfo{}, err
	}
	return b.log.CreateTopic(sid, spec)
}

// UpdateTopic changes a topic's name and settings (0 stays "server
// default", as Iggy stores it).
func (b *Broker) UpdateTopic(s *Session, stream, topic Ident, spec TopicSpec) error {
	if err := authenticated(s); err != nil {
		return err
	}
	if err := checkName(spec.Name, wire.ErrInvalidTopicName); err != nil {
		return err
	}
	if err := checkCompression(spec.Compression); err != nil {
		return err
	}
	sid, tid, err := b.manageTopic(s, stream, topic)
	if err != nil {
		return err
	}
	return b.log.UpdateTopic(sid, tid, spec)
}

// DeleteTopic deletes a topic with its partitions, messages, groups and
// offsets.
func (b *Broker) DeleteTopic(s *Session, stream, topic Ident) error {
	sid, tid, err := b.manageTopic(s, stream, topic)
	if err != nil {
		return err
	}
	return b.log.DeleteTopic(sid, tid)
}

// PurgeTopic deletes a topic's messages and stored offsets.
func (b *Broker) PurgeTopic(s *Session, stream, topic Ident) error {
	sid, tid, err := b.manageTopic(s, stream, topic)
	if err != nil {
		return err
	}
	return b.log.PurgeTopic(sid, tid)
}

// CreatePartitions adds count partitions (1..=1000, checked before the
// lookups as Iggy does).
func (b *Broker) CreatePartitions(s *Session, stream, topic Ident, count uint32) error {
	if err := authenticated(s); err != nil {
		return err
	}
	if count == 0 || count > log.MaxPartitions {
		return fmt.Errorf("%d partitions: %w", count, wire.ErrTooManyPartitions)
	}
	sid, tid, err := b.manageTopic(s, stream, topic)
	if err != nil {
		return err
	}
	return b.log.CreatePartitions(sid, tid, count)
}

// DeletePartitions removes the count highest-numbered partitions.
func (b *Broker) DeletePartitions(s *Session, stream, topic Ident, count uint32) error {
	if err := authenticated(s); err != nil {
		return err
	}
	if count == 0 {
		return fmt.Errorf("0 partitions: %w", wire.ErrTooManyPartitions)
	}
	sid, tid, err := b.manageTopic(s, stream, topic)
	if err != nil {
		return err
	}
	return b.log.DeletePartitions(sid, tid, count)
}

// DeleteSegments validates like Iggy and answers OK. shale has no segments:
// retention deletes to the message instead (docs/compatibility.md).
func (b *Broker) DeleteSegments(s *Session, stream, topic Ident, partition, count uint32) error {
	p, err := b.permissions(s)
	if err != nil {
		return err
	}
	sid, tid, err := b.log.ResolveTopic(stream, topic)
	if err != nil {
		return err
	}
	if _, err := b.log.Partition(sid, tid, partition); err != nil {
		return err
	}
	return allow(auth.ManageTopic(p, sid, tid), "delete segments")
}

// manageTopic checks 40, 1009, 2010, then topic manage (41).
func (b *Broker) manageTopic(s *Session, stream, topic Ident) (uint32, uint32, error) {
	return b.topicWith(s, stream, topic, auth.ManageTopic, "manage topic")
}

// readTopic checks 40, 1009, 2010, then topic read (41).
func (b *Broker) readTopic(s *Session, stream, topic Ident) (uint32, uint32, error) {
	return b.topicWith(s, stream, topic, auth.ReadTopic, "read topic")
}

// topicWith checks login (40), resolves the stream and topic (1009, 2010)
// and then the permission (41): Iggy's order for every topic command.
func (b *Broker) topicWith(s *Session, stream, topic Ident, may func(*wire.Permissions, uint32, uint32) bool, what string) (uint32, uint32, error) {
	p, err := b.permissions(s)
	if err != nil {
		return 0, 0, err
	}
	sid, tid, err := b.log.ResolveTopic(stream, topic)
	if err != nil {
		return 0, 0, err
	}
	return sid, tid, allow(may(p, sid, tid), what)
}
