package binproto

import (
	"github.com/shalemq/shale/broker"
	"github.com/shalemq/shale/wire"
)

// Topics, partitions and segments.
var topicCommands = []command{
	handle(wire.CmdGetTopic, needsLogin, func(s *Server, sess *broker.Session, r *wire.GetTopic, out []byte) ([]byte, error) {
		t, ok, err := s.broker.Topic(sess, ident(r.Stream), ident(r.Topic))
		if err != nil || !ok {
			return out, err
		}
		return topicDetails(t, false).AppendTo(out), nil
	}),
	handle(wire.CmdGetTopics, needsLogin, func(s *Server, sess *broker.Session, r *wire.GetTopics, out []byte) ([]byte, error) {
		list, ok, err := s.broker.Topics(sess, ident(r.Stream))
		if err != nil || !ok {
			return out, err
		}
		for _, t := range list {
			ti := topicInfo(t)
			out = ti.AppendTo(out)
		}
		return out, nil
	}),
	handle(wire.CmdCreateTopic, needsLogin, func(s *Server, sess *broker.Session, r *wire.CreateTopic, out []byte) ([]byte, error) {
		t, err := s.broker.CreateTopic(sess, ident(r.Stream), broker.TopicSpec{Name: r.Name, PartitionsCount: r.PartitionsCount,
			Compression: r.Compression, MessageExpiry: r.MessageExpiry, MaxTopicSize: r.MaxTopicSize,
			ReplicationFactor: r.ReplicationFactor})
		if err != nil {
			return out, err
		}
		return topicDetails(t, true).AppendTo(out), nil
	}),
	handle(wire.CmdUpdateTopic, needsLogin, func(s *Server, sess *broker.Session, r *wire.UpdateTopic, out []byte) ([]byte, error) {
		return out, s.broker.UpdateTopic(sess, ident(r.Stream), ident(r.Topic), broker.TopicSpec{Name: r.Name,
			Compression: r.Compression, MessageExpiry: r.MessageExpiry, MaxTopicSize: r.MaxTopicSize,
			ReplicationFactor: r.ReplicationFactor})
	}),
	handle(wire.CmdDeleteTopic, needsLogin, func(s *Server, sess *broker.Session, r *wire.DeleteTopic, out []byte) ([]byte, error) {
		return out, s.broker.DeleteTopic(sess, ident(r.Stream), ident(r.Topic))
	}),
	handle(wire.CmdPurgeTopic, needsLogin, func(s *Server, sess *broker.Session, r *wire.PurgeTopic, out []byte) ([]byte, error) {
		return out, s.broker.PurgeTopic(sess, ident(r.Stream), ident(r.Topic))
	}),
	handle(wire.CmdCreatePartitions, needsLogin, func(s *Server, sess *broker.Session, r *wire.CreatePartitions, out []byte) ([]byte, error) {
		return out, s.broker.CreatePartitions(sess, ident(r.Stream), ident(r.Topic), r.Count)
	}),
	handle(wire.CmdDeletePartitions, needsLogin, func(s *Server, sess *broker.Session, r *wire.DeletePartitions, out []byte) ([]byte, error) {
		return out, s.broker.DeletePartitions(sess, ident(r.Stream), ident(r.Topic), r.Count)
	}),
	handle(wire.CmdDeleteSegments, needsLogin, func(s *Server, sess *broker.Session, r *wire.DeleteSegments, out []byte) ([]byte, error) {
		return out, s.broker.DeleteSegments(sess, ident(r.Stream), ident(r.Topic), r.PartitionID, r.SegmentsCount)
	}),
}
