package binproto

import (
	"github.com/shalemq/shale/broker"
	"github.com/shalemq/shale/wire"
)

var groupCommands = []command{
	handle(wire.CmdGetConsumerGroup, needsLogin, func(s *Server, sess *broker.Session, r *wire.GetConsumerGroup, out []byte) ([]byte, error) {
		g, ok, err := s.broker.Group(sess, ident(r.Stream), ident(r.Topic), ident(r.Group))
		if err != nil || !ok {
			return out, err
		}
		return groupDetails(g).AppendTo(out), nil
	}),
	handle(wire.CmdGetConsumerGroups, needsLogin, func(s *Server, sess *broker.Session, r *wire.GetConsumerGroups, out []byte) ([]byte, error) {
		list, ok, err := s.broker.Groups(sess, ident(r.Stream), ident(r.Topic))
		if err != nil || !ok {
			return out, err
		}
		for _, g := range list {
			out = groupDetails(g).ConsumerGroupInfo.AppendTo(out)
		}
		return out, nil
	}),
	handle(wire.CmdCreateConsumerGroup, needsLogin, func(s *Server, sess *broker.Session, r *wire.CreateConsumerGroup, out []byte) ([]byte, error) {
		g, err := s.broker.CreateGroup(sess, ident(r.Stream), ident(r.Topic), r.Name)
		if err != nil {
			return out, err
		}
		return groupDetails(g).ConsumerGroupInfo.AppendTo(out), nil
	}),
	handle(wire.CmdDeleteConsumerGroup, needsLogin, func(s *Server, sess *broker.Session, r *wire.DeleteConsumerGroup, out []byte) ([]byte, error) {
		return out, s.broker.DeleteGroup(sess, ident(r.Stream), ident(r.Topic), ident(r.Group))
	}),
	handle(wire.CmdJoinConsumerGroup, needsLogin, func(s *Server, sess *broker.Session, r *wire.JoinConsumerGroup, out []byte) ([]byte, error) {
		return out, s.broker.JoinGroup(sess, ident(r.Stream), ident(r.Topic), ident(r.Group))
	}),
	handle(wire.CmdLeaveConsumerGroup, needsLogin, func(s *Server, sess *broker.Session, r *wire.LeaveConsumerGroup, out []byte) ([]byte, error) {
		return out, s.broker.LeaveGroup(sess, ident(r.Stream), ident(r.Topic), ident(r.Group))
	}),
}

var offsetCommands = []command{
	handle(wire.CmdGetConsumerOffset, needsLogin, func(s *Server, sess *broker.Session, r *wire.GetConsumerOffset, out []byte) ([]byte, error) {
		off, ok, err := s.broker.ConsumerOffset(sess, consumer(r.Consumer), ident(r.Stream), ident(r.Topic), optPartition(r.Partition))
		if err != nil || !ok {
			return out, err
		}
		return (&wire.ConsumerOffset{PartitionID: off.PartitionID, CurrentOffset: off.CurrentOffset,
			StoredOffset: off.StoredOffset}).AppendTo(out), nil
	}),
	handle(wire.CmdStoreConsumerOffset, needsLogin, func(s *Server, sess *broker.Session, r *wire.StoreConsumerOffset, out []byte) ([]byte, error) {
		return out, s.broker.StoreConsumerOffset(sess, consumer(r.Consumer), ident(r.Stream), ident(r.Topic), optPartition(r.Partition), r.Offset)
	}),
	handle(wire.CmdDeleteConsumerOffset, needsLogin, func(s *Server, sess *broker.Session, r *wire.DeleteConsumerOffset, out []byte) ([]byte, error) {
		return out, s.broker.DeleteConsumerOffset(sess, consumer(r.Consumer), ident(r.Stream), ident(r.Topic), optPartition(r.Partition))
	}),
}
