package broker

import (
	"fmt"

	"github.com/shalemq/shale/broker/auth"
	"github.com/shalemq/shale/wire"
)

// ClientInfo describes a connected client (docs/protocol/binary.md §4.1).
type ClientInfo struct {
	ID        uint32
	UserID    uint32 // NoUser when not logged in
	Transport Transport
	Addr      string
	// Groups are the consumer groups the client has joined.
	Groups []GroupRef
}

// GroupRef names a consumer group by its ids.
type GroupRef struct{ StreamID, TopicID, GroupID uint32 }

func (s *Session) info() ClientInfo {
	ci := ClientInfo{ID: s.id, UserID: s.UserID(), Transport: s.transport, Addr: s.addr}
	for _, g := range s.groups() {
		ci.Groups = append(ci.Groups, GroupRef{StreamID: g.StreamID(), TopicID: g.TopicID(), GroupID: g.ID()})
	}
	return ci
}

// Ping records a heartbeat; it needs no login.
func (b *Broker) Ping(s *Session) error {
	s.touch(b.now())
	return nil
}

// Me describes the calling client (100 when its record is gone).
func (b *Broker) Me(s *Session) (ClientInfo, error) {
	if err := authenticated(s); err != nil {
		return ClientInfo{}, err
	}
	if b.sessions.get(s.id) != s {
		return ClientInfo{}, fmt.Errorf("client %d: %w", s.id, wire.ErrClientNotFound)
	}
	return s.info(), nil
}

// Client describes one client (server read; 101 for id 0; ok false when
// unknown, an empty OK).
func (b *Broker) Client(s *Session, id uint32) (ClientInfo, bool, error) {
	if err := b.readServers(s); err != nil {
		return ClientInfo{}, false, err
	}
	if id == 0 {
		return ClientInfo{}, false, fmt.Errorf("client id 0: %w", wire.ErrInvalidClientID)
	}
	other := b.sessions.get(id)
	if other == nil {
		return ClientInfo{}, false, nil
	}
	return other.info(), true, nil
}

// Clients lists every connected client, ascending id.
func (b *Broker) Clients(s *Session) ([]ClientInfo, error) {
	if err := b.readServers(s); err != nil {
		return nil, err
	}
	list := b.sessions.list()
	out := make([]ClientInfo, 0, len(list))
	for _, c := range list {
		out = append(out, c.info())
	}
	return out, nil
}

// ClusterMetadata is what SetCluster was given: with clustering off one
// healthy leader with the bound ports, as Iggy answers. SDKs ask for it
// after every login, stay connected when exactly one node answers and
// otherwise move to the leader. The caller must not modify the result.
func (b *Broker) ClusterMetadata(s *Session) (Cluster, error) {
	if err := authenticated(s); err != nil {
		return Cluster{}, err
	}
	return *b.cluster.Load(), nil
}

func (b *Broker) readServers(s *Session) error {
	p, err := b.permissions(s)
	if err != nil {
		return err
	}
	return allow(auth.ReadServers(p), "read server")
}
