package binproto

import (
	"github.com/shalemq/shale/broker"
	"github.com/shalemq/shale/wire"
)

// Conversions between wire's request and response shapes and the broker's
// types. They hold no logic beyond renaming fields.

func ident(i wire.Identifier) broker.Ident {
	if i.Kind == wire.IdentNumeric {
		return broker.ByID(i.ID)
	}
	return broker.ByName(i.Name)
}

func consumer(c wire.Consumer) broker.Consumer {
	return broker.Consumer{Group: c.Kind == wire.ConsumerGroup, ID: ident(c.ID)}
}

func optPartition(p wire.OptPartition) *uint32 {
	if !p.Set {
		return nil
	}
	id := p.ID
	return &id
}

func partitioning(p wire.Partitioning) broker.Partitioning {
	switch p.Kind {
	case wire.PartitionByID:
		return broker.Partitioning{Kind: broker.PartitionID, ID: p.ID()}
	case wire.PartitionByMessageKey:
		return broker.Partitioning{Kind: broker.PartitionMessagesKey, Key: p.Value}
	}
	return broker.Partitioning{Kind: broker.PartitionBalanced}
}

func clientDetails(c broker.ClientInfo) *wire.ClientDetails {
	d := &wire.ClientDetails{ClientInfo: wire.ClientInfo{ClientID: c.ID, UserID: c.UserID,
		Transport: uint8(c.Transport), Address: c.Addr}}
	for _, g := range c.Groups {
		d.Groups = append(d.Groups, wire.ClientGroup{StreamID: g.StreamID, TopicID: g.TopicID, GroupID: g.GroupID})
	}
	return d
}

func userDetails(u broker.User) *wire.UserDetails {
	status := uint8(wire.UserActive)
	if !u.Active {
		status = wire.UserInactive
	}
	return &wire.UserDetails{UserInfo: wire.UserInfo{ID: u.ID, CreatedAt: u.CreatedAt, Status: status,
		Username: u.Name}, Permissions: u.Permissions}
}

func streamInfo(s broker.StreamInfo) wire.StreamInfo {
	return wire.StreamInfo{ID: s.ID, CreatedAt: s.CreatedAt, TopicsCount: s.TopicsCount,
		SizeBytes: s.SizeBytes, MessagesCount: s.MessagesCount, Name: s.Name}
}

func topicInfo(t broker.TopicInfo) wire.TopicInfo {
	return wire.TopicInfo{ID: t.ID, CreatedAt: t.CreatedAt, PartitionsCount: t.PartitionsCount,
		MessageExpiry: t.MessageExpiry, Compression: t.Compression, MaxTopicSize: t.MaxTopicSize,
		ReplicationFactor: t.ReplicationFactor, SizeBytes: t.SizeBytes, MessagesCount: t.MessagesCount, Name: t.Name}
}

// topicDetails converts a topic with partitions. Every partition reports
// one segment (Iggy always has an active one), except in the CreateTopic
// response, where Iggy reports 0.
func topicDetails(t broker.TopicInfo, created bool) *wire.TopicDetails {
	d := &wire.TopicDetails{TopicInfo: topicInfo(t)}
	segments := uint32(1)
	if created {
		segments = 0
	}
	for _, p := range t.Partitions {
		d.Partitions = append(d.Partitions, wire.PartitionInfo{ID: p.ID, CreatedAt: p.CreatedAt,
			SegmentsCount: segments, CurrentOffset: p.CurrentOffset, SizeBytes: p.SizeBytes, MessagesCount: p.MessagesCount})
	}
	return d
}

func groupDetails(g broker.GroupInfo) *wire.ConsumerGroupDetails {
	d := &wire.ConsumerGroupDetails{ConsumerGroupInfo: wire.ConsumerGroupInfo{ID: g.ID,
		PartitionsCount: g.PartitionsCount, MembersCount: uint32(len(g.Members)), Name: g.Name}}
	for _, m := range g.Members {
		d.Members = append(d.Members, wire.ConsumerGroupMember{ID: m.ID, Partitions: m.Partitions})
	}
	return d
}
