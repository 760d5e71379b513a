package binproto

import (
	"github.com/shalemq/shale/broker"
	"github.com/shalemq/shale/wire"
)

var systemCommands = []command{
	handle(wire.CmdPing, public, func(s *Server, sess *broker.Session, _ *wire.Ping, out []byte) ([]byte, error) {
		return out, s.broker.Ping(sess)
	}),
	handle(wire.CmdGetStats, needsLogin, func(s *Server, sess *broker.Session, _ *wire.GetStats, out []byte) ([]byte, error) {
		st, err := s.broker.Stats(sess)
		if err != nil {
			return out, err
		}
		return st.AppendTo(out), nil
	}),
	handle(wire.CmdGetSnapshot, needsLogin, func(s *Server, sess *broker.Session, r *wire.GetSnapshot, out []byte) ([]byte, error) {
		zip, err := s.broker.Snapshot(sess, r.Compression, r.Types)
		return append(out, zip...), err
	}),
	handle(wire.CmdGetClusterMetadata, needsLogin, func(s *Server, sess *broker.Session, _ *wire.GetClusterMetadata, out []byte) ([]byte, error) {
		cl, err := s.broker.ClusterMetadata(sess)
		if err != nil {
			return out, err
		}
		md := wire.ClusterMetadata{Name: cl.Name, Nodes: make([]wire.ClusterNode, len(cl.Nodes))}
		for i, n := range cl.Nodes {
			role := uint8(wire.NodeLeader)
			if n.Follower {
				role = wire.NodeFollower
			}
			md.Nodes[i] = wire.ClusterNode{Name: n.Name, IP: n.IP, TCPPort: n.TCPPort, QUICPort: n.QUICPort,
				HTTPPort: n.HTTPPort, WebSocketPort: n.WSPort, Role: role, Status: n.Status}
		}
		return md.AppendTo(out), nil
	}),
	handle(wire.CmdGetMe, needsLogin, func(s *Server, sess *broker.Session, _ *wire.GetMe, out []byte) ([]byte, error) {
		c, err := s.broker.Me(sess)
		if err != nil {
			return out, err
		}
		return clientDetails(c).AppendTo(out), nil
	}),
	handle(wire.CmdGetClient, needsLogin, func(s *Server, sess *broker.Session, r *wire.GetClient, out []byte) ([]byte, error) {
		c, ok, err := s.broker.Client(sess, r.ClientID)
		if err != nil || !ok {
			return out, err
		}
		return clientDetails(c).AppendTo(out), nil
	}),
	handle(wire.CmdGetClients, needsLogin, func(s *Server, sess *broker.Session, _ *wire.GetClients, out []byte) ([]byte, error) {
		list, err := s.broker.Clients(sess)
		for _, c := range list {
			d := clientDetails(c)
			d.ConsumerGroupsCount = uint32(len(d.Groups))
			out = d.ClientInfo.AppendTo(out)
		}
		return out, err
	}),
}
