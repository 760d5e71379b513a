package broker

import (
	"github.com/shalemq/shale/broker/auth"
	"github.com/shalemq/shale/log"
	"github.com/shalemq/shale/wire"
)

// Ident names a stream, topic or consumer group by id or by name. It is
// log's type; the alias lets listeners build one without importing log.
type Ident = log.Ident

// ByID and ByName build identifiers.
func ByID(id uint32) Ident     { return log.ID(id) }
func ByName(name string) Ident { return log.Name(name) }

// Snapshots returned by the broker, as log takes them.
type (
	StreamInfo    = log.StreamInfo
	TopicInfo     = log.TopicInfo
	TopicSpec     = log.TopicSpec
	PartitionInfo = log.PartitionInfo
	GroupInfo     = log.GroupInfo
	MemberInfo    = log.MemberInfo
)

// Unlimited is the special "never" / "no cap" value of message expiry and
// max topic size.
const Unlimited = log.Unlimited

// Stream returns a stream with its topics. ok is false when it does not
// exist (an empty OK on the wire, checked before the permission).
func (b *Broker) Stream(s *Session, id Ident) (info StreamInfo, ok bool, err error) {
	p, err := b.permissions(s)
	if err != nil {
		return info, false, err
	}
	sid, err := b.log.ResolveStream(id)
	if err != nil {
		return info, false, emptyIfNotFound(err)
	}
	if err := allow(auth.ReadStream(p, sid), "read stream"); err != nil {
		return info, false, err
	}
	info, ok = b.log.Stream(sid)
	return info, ok, nil
}

// Streams lists every stream, ascending id.
func (b *Broker) Streams(s *Session) ([]StreamInfo, error) {
	p, err := b.permissions(s)
	if err != nil {
		return nil, err
	}
	if err := allow(auth.ReadStreams(p), "read streams"); err != nil {
		return nil, err
	}
	return b.log.Streams(), nil
}

// CreateStream creates a stream; the server assigns its id.
func (b *Broker) CreateStream(s *Session, name string) (StreamInfo, error) {
	p, err := b.permissions(s)
	if err != nil {
		return StreamInfo{}, err
	}
	if err := checkName(name, wire.ErrInvalidStreamName); err != nil {
		return StreamInfo{}, err
	}
	if err := allow(auth.ManageStreams(p), "create stream"); err != nil {
		return StreamInfo{}, err
	}
	return b.log.CreateStream(name)
}

// UpdateStream renames a stream.
func (b *Broker) UpdateStream(s *Session, id Ident, name string) error {
	if err := authenticated(s); err != nil {
		return err
	}
	if err := checkName(name, wire.ErrInvalidStreamName); err != nil {
		return err
	}
	sid, err := b.manageStream(s, id)
	if err != nil {
		return err
	}
	return b.log.UpdateStream(sid, name)
}

// DeleteStream deletes a stream with everything in it.
func (b *Broker) DeleteStream(s *Session, id Ident) error {
	sid, err := b.manageStream(s, id)
	if err != nil {
		return err
	}
	return b.log.DeleteStream(sid)
}

// PurgeStream deletes every message and stored offset of a stream.
func (b *Broker) PurgeStream(s *Session, id Ident) error {
	sid, err := b.manageStream(s, id)
	if err != nil {
		return err
	}
	return b.log.PurgeStream(sid)
}

// manageStream checks 40, 1009, then stream manage (41).
func (b *Broker) manageStream(s *Session, id Ident) (uint32, error) {
	p, err := b.permissions(s)
	if err != nil {
		return 0, err
	}
	sid, err := b.log.ResolveStream(id)
	if err != nil {
		return 0, err
	}
	return sid, allow(auth.ManageStream(p, sid), "manage stream")
}

// emptyIfNotFound turns a failed lookup into "nothing, no error" for the
// read commands that Iggy answers with an empty OK.
func emptyIfNotFound(err error) error {
	if notFound(err) {
		return nil
	}
	return err
}
