package broker

import (
	"github.com/shalemq/shale/broker/auth"
	"github.com/shalemq/shale/wire"
)

// Group returns a consumer group with its members; ok is false when the
// stream, topic or group does not exist.
func (b *Broker) Group(s *Session, stream, topic, group Ident) (info GroupInfo, ok bool, err error) {
	sid, tid, err := b.readTopic(s, stream, topic)
	if err != nil {
		return info, false, emptyIfNotFound(err)
	}
	gid, err := b.log.ResolveGroup(sid, tid, group)
	if err != nil {
		return info, false, emptyIfNotFound(err)
	}
	info, ok = b.log.Group(sid, tid, gid)
	return info, ok, nil
}

// Groups lists a topic's consumer groups; ok is false when the stream or
// topic does not exist.
func (b *Broker) Groups(s *Session, stream, topic Ident) (list []GroupInfo, ok bool, err error) {
	sid, tid, err := b.readTopic(s, stream, topic)
	if err != nil {
		return nil, false, emptyIfNotFound(err)
	}
	list, ok = b.log.Groups(sid, tid)
	return list, ok, nil
}

// CreateGroup creates a consumer group (5004 when the name is taken).
func (b *Broker) CreateGroup(s *Session, stream, topic Ident, name string) (GroupInfo, error) {
	if err := authenticated(s); err != nil {
		return GroupInfo{}, err
	}
	if err := checkName(name, wire.ErrInvalidConsumerGroupName); err != nil {
		return GroupInfo{}, err
	}
	sid, tid, err := b.readTopic(s, stream, topic)
	if err != nil {
		return GroupInfo{}, err
	}
	return b.log.CreateGroup(sid, tid, name)
}

// DeleteGroup deletes a group, its memberships and its stored offsets.
func (b *Broker) DeleteGroup(s *Session, stream, topic, group Ident) error {
	sid, tid, gid, err := b.resolveGroup(s, stream, topic, group)
	if err != nil {
		return err
	}
	return b.log.DeleteGroup(sid, tid, gid)
}

// JoinGroup makes the session a member of the group (a no-op when it is
// already) and rebalances.
func (b *Broker) JoinGroup(s *Session, stream, topic, group Ident) error {
	sid, tid, gid, err := b.resolveGroup(s, stream, topic, group)
	if err != nil {
		return err
	}
	if s.closed.Load() {
		return errNoClient
	}
	g, err := b.log.JoinGroup(sid, tid, gid, s.id)
	if err != nil {
		return err
	}
	s.joined(g)
	return nil
}

// LeaveGroup removes the session from the group (5006 when not a member).
func (b *Broker) LeaveGroup(s *Session, stream, topic, group Ident) error {
	sid, tid, gid, err := b.resolveGroup(s, stream, topic, group)
	if err != nil {
		return err
	}
	if err := b.log.LeaveGroup(sid, tid, gid, s.id); err != nil {
		return err
	}
	for _, g := range s.groups() {
		if g.StreamID() == sid && g.TopicID() == tid && g.ID() == gid {
			s.left(g)
		}
	}
	return nil
}

// resolveGroup checks 40, 1009, 2010, 5000, then topic read (41): the
// group commands resolve the group before the permission (docs/protocol/binary.md §4.7).
func (b *Broker) resolveGroup(s *Session, stream, topic, group Ident) (sid, tid, gid uint32, err error) {
	p, err := b.permissions(s)
	if err != nil {
		return 0, 0, 0, err
	}
	sid, tid, err = b.log.ResolveTopic(stream, topic)
	if err != nil {
		return 0, 0, 0, err
	}
	gid, err = b.log.ResolveGroup(sid, tid, group)
	if err != nil {
		return 0, 0, 0, err
	}
	return sid, tid, gid, allow(auth.ReadTopic(p, sid, tid), "read topic")
}
