package binproto

import (
	"github.com/shalemq/shale/broker"
	"github.com/shalemq/shale/wire"
)

var streamCommands = []command{
	handle(wire.CmdGetStream, needsLogin, func(s *Server, sess *broker.Session, r *wire.GetStream, out []byte) ([]byte, error) {
		st, ok, err := s.broker.Stream(sess, ident(r.Stream))
		if err != nil || !ok {
			return out, err
		}
		d := wire.StreamDetails{StreamInfo: streamInfo(st)}
		for _, t := range st.Topics {
			d.Topics = append(d.Topics, topicInfo(t))
		}
		return d.AppendTo(out), nil
	}),
	handle(wire.CmdGetStreams, needsLogin, func(s *Server, sess *broker.Session, _ *wire.GetStreams, out []byte) ([]byte, error) {
		list, err := s.broker.Streams(sess)
		for _, st := range list {
			si := streamInfo(st)
			out = si.AppendTo(out)
		}
		return out, err
	}),
	handle(wire.CmdCreateStream, needsLogin, func(s *Server, sess *broker.Session, r *wire.CreateStream, out []byte) ([]byte, error) {
		st, err := s.broker.CreateStream(sess, r.Name)
		if err != nil {
			return out, err
		}
		si := streamInfo(st)
		return si.AppendTo(out), nil
	}),
	handle(wire.CmdUpdateStream, needsLogin, func(s *Server, sess *broker.Session, r *wire.UpdateStream, out []byte) ([]byte, error) {
		return out, s.broker.UpdateStream(sess, ident(r.Stream), r.Name)
	}),
	handle(wire.CmdDeleteStream, needsLogin, func(s *Server, sess *broker.Session, r *wire.DeleteStream, out []byte) ([]byte, error) {
		return out, s.broker.DeleteStream(sess, ident(r.Stream))
	}),
	handle(wire.CmdPurgeStream, needsLogin, func(s *Server, sess *broker.Session, r *wire.PurgeStream, out []byte) ([]byte, error) {
		return out, s.broker.PurgeStream(sess, ident(r.Stream))
	}),
}
