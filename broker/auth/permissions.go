package auth

import "github.com/shalemq/shale/wire"

// Permission checks over a user's permissions, as Iggy 0.8.0 evaluates them
// (docs/protocol/binary.md §8). A nil *wire.Permissions grants nothing. A broader flag
// implies the narrower ones: manage implies read, a global flag covers
// every stream, a stream flag covers every topic of that stream.

// ReadServers allows GetStats, GetClient(s).
func ReadServers(p *wire.Permissions) bool {
	return p != nil && (p.Global.ManageServers || p.Global.ReadServers)
}

// ReadUsers allows GetUsers and reading other users.
func ReadUsers(p *wire.Permissions) bool {
	return p != nil && (p.Global.ManageUsers || p.Global.ReadUsers)
}

// ManageUsers allows creating, changing and deleting users.
func ManageUsers(p *wire.Permissions) bool { return p != nil && p.Global.ManageUsers }

// ReadStreams allows GetStreams (stream-level flags do not count there).
func ReadStreams(p *wire.Permissions) bool {
	return p != nil && (p.Global.ManageStreams || p.Global.ReadStreams)
}

// ManageStreams allows CreateStream.
func ManageStreams(p *wire.Permissions) bool { return p != nil && p.Global.ManageStreams }

func stream(p *wire.Permissions, s uint32) *wire.StreamPermissions {
	if p == nil {
		return nil
	}
	return p.Streams[s]
}

func topic(p *wire.Permissions, s, t uint32) *wire.TopicPermissions {
	if sp := stream(p, s); sp != nil {
		return sp.Topics[t]
	}
	return nil
}

// ReadStream allows GetStream.
func ReadStream(p *wire.Permissions, s uint32) bool {
	if ReadStreams(p) {
		return true
	}
	sp := stream(p, s)
	return sp != nil && (sp.ManageStream || sp.ReadStream)
}

// ManageStream allows UpdateStream, DeleteStream and PurgeStream.
func ManageStream(p *wire.Permissions, s uint32) bool {
	if ManageStreams(p) {
		return true
	}
	sp := stream(p, s)
	return sp != nil && sp.ManageStream
}

// ReadTopics allows GetTopics on stream s.
func ReadTopics(p *wire.Permissions, s uint32) bool {
	if p == nil {
		return false
	}
	g := p.Global
	if g.ManageStreams || g.ReadStreams || g.ManageTopics || g.ReadTopics {
		return true
	}
	sp := stream(p, s)
	return sp != nil && (sp.ManageStream || sp.ReadStream || sp.ManageTopics || sp.ReadTopics)
}

// ManageTopics allows CreateTopic on stream s.
func ManageTopics(p *wire.Permissions, s uint32) bool {
	if p == nil {
		return false
	}
	if p.Global.ManageStreams || p.Global.ManageTopics {
		return true
	}
	sp := stream(p, s)
	return sp != nil && (sp.ManageStream || sp.ManageTopics)
}

// ReadTopic allows GetTopic and the consumer-group commands on topic t.
func ReadTopic(p *wire.Permissions, s, t uint32) bool {
	if ReadTopics(p, s) {
		return true
	}
	tp := topic(p, s, t)
	return tp != nil && (tp.ManageTopic || tp.ReadTopic)
}

// ManageTopic allows UpdateTopic, DeleteTopic, PurgeTopic and partition
// and segment changes on topic t.
func ManageTopic(p *wire.Permissions, s, t uint32) bool {
	if ManageTopics(p, s) {
		return true
	}
	tp := topic(p, s, t)
	return tp != nil && tp.ManageTopic
}

// PollMessages allows polling and consumer offsets on topic t. Reading a
// stream or topic is enough, as in Iggy.
func PollMessages(p *wire.Permissions, s, t uint32) bool {
	if p == nil {
		return false
	}
	if p.Global.PollMessages || ReadTopic(p, s, t) {
		return true
	}
	if sp := stream(p, s); sp != nil && sp.PollMessages {
		return true
	}
	tp := topic(p, s, t)
	return tp != nil && tp.PollMessages
}

// SendMessages allows sending to topic t. Managing the stream or topic is
// enough, as in Iggy.
func SendMessages(p *wire.Permissions, s, t uint32) bool {
	if p == nil {
		return false
	}
	if p.Global.SendMessages || ManageTopic(p, s, t) {
		return true
	}
	if sp := stream(p, s); sp != nil && sp.SendMessages {
		return true
	}
	tp := topic(p, s, t)
	return tp != nil && tp.SendMessages
}
