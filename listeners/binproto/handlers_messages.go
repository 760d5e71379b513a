package binproto

import (
	"github.com/shalemq/shale/broker"
	"github.com/shalemq/shale/wire"
)

var messageCommands = []command{
	handle(wire.CmdSendMessages, needsLogin, func(s *Server, sess *broker.Session, r *wire.SendMessages, out []byte) ([]byte, error) {
		return out, s.broker.Send(sess, ident(r.Stream), ident(r.Topic), partitioning(r.Partitioning), r.Messages, int(r.Count))
	}),
	handleHeld(wire.CmdPollMessages, needsLogin, func(s *Server, sess *broker.Session, r *wire.PollMessages, out []byte, hold *broker.AnswerHold) ([]byte, error) {
		head := len(out)
		out = wire.AppendPolledHeader(out, 0, 0, 0)
		res, out, err := s.broker.PollMessages(sess, broker.Poll{
			Consumer:   consumer(r.Consumer),
			Stream:     ident(r.Stream),
			Topic:      ident(r.Topic),
			Partition:  optPartition(r.Partition),
			Strategy:   broker.Strategy(r.Strategy.Kind),
			Value:      r.Strategy.Value,
			Count:      r.Count,
			AutoCommit: r.AutoCommit,
			Hold:       hold,
		}, out)
		if err != nil {
			return out[:head], err
		}
		wire.AppendPolledHeader(out[head:head], res.PartitionID, res.CurrentOffset, res.Count)
		return out, nil
	}),
	handle(wire.CmdFlushUnsavedBuffer, needsLogin, func(s *Server, sess *broker.Session, r *wire.FlushUnsavedBuffer, out []byte) ([]byte, error) {
		return out, s.broker.FlushUnsavedBuffer(sess, ident(r.Stream), ident(r.Topic), r.PartitionID, r.Fsync)
	}),
}
