package http

import (
	"github.com/shalemq/shale/broker"
	"github.com/shalemq/shale/wire"
	"github.com/shalemq/shale/wire/rest"
)

// Conversions from the broker's types to the REST shapes of wire/rest.
// They rename fields and nothing else.

func compressionName(c uint8) string {
	if name, ok := wire.CompressionName(c); ok {
		return name
	}
	return "none"
}

func streamOf(s broker.StreamInfo) rest.Stream {
	return rest.Stream{ID: s.ID, CreatedAt: s.CreatedAt, Name: s.Name, Size: rest.Size(s.SizeBytes),
		MessagesCount: s.MessagesCount, TopicsCount: s.TopicsCount}
}

func topicOf(t broker.TopicInfo) rest.Topic {
	return rest.Topic{ID: t.ID, CreatedAt: t.CreatedAt, Name: t.Name, Size: rest.Size(t.SizeBytes),
		MessageExpiry: t.MessageExpiry, CompressionAlgorithm: compressionName(t.Compression),
		MaxTopicSize: t.MaxTopicSize, ReplicationFactor: t.ReplicationFactor, MessagesCount: t.MessagesCount,
		PartitionsCount: t.PartitionsCount}
}

// topicDetailsOf lists every partition with one segment, as Iggy's HTTP
// create response does too.
func topicDetailsOf(t broker.TopicInfo) rest.TopicDetails {
	d := rest.TopicDetails{Topic: topicOf(t), Partitions: []rest.Partition{}}
	for _, p := range t.Partitions {
		d.Partitions = append(d.Partitions, rest.Partition{ID: p.ID, CreatedAt: p.CreatedAt, SegmentsCount: 1,
			CurrentOffset: p.CurrentOffset, Size: rest.Size(p.SizeBytes), MessagesCount: p.MessagesCount})
	}
	d.PartitionsCount = uint32(len(d.Partitions))
	return d
}

func groupDetailsOf(g broker.GroupInfo) rest.GroupDetails {
	d := rest.GroupDetails{Group: rest.Group{ID: g.ID, Name: g.Name, PartitionsCount: g.PartitionsCount,
		MembersCount: uint32(len(g.Members))}, Members: []rest.GroupMember{}}
	for _, m := range g.Members {
		parts := m.Partitions
		if parts == nil {
			parts = []uint32{}
		}
		d.Members = append(d.Members, rest.GroupMember{ID: m.ID, PartitionsCount: uint32(len(parts)), Partitions: parts})
	}
	return d
}

func clientOf(c broker.ClientInfo) rest.ClientDetails {
	v := rest.ClientDetails{Client: rest.Client{ClientID: c.ID, Address: c.Addr, Transport: wire.TransportName(uint8(c.Transport)),
		ConsumerGroupsCount: uint32(len(c.Groups))}, ConsumerGroups: []rest.ClientGroup{}}
	if c.UserID != broker.NoUser {
		uid := c.UserID
		v.UserID = &uid
	}
	for _, g := range c.Groups {
		v.ConsumerGroups = append(v.ConsumerGroups, rest.ClientGroup{StreamID: g.StreamID, TopicID: g.TopicID, GroupID: g.GroupID})
	}
	return v
}

func userOf(u broker.User) rest.UserDetails {
	st := uint8(wire.UserActive)
	if !u.Active {
		st = wire.UserInactive
	}
	status, _ := wire.UserStatusName(st)
	return rest.UserDetails{User: rest.User{ID: u.ID, CreatedAt: u.CreatedAt, Status: status, Username: u.Name},
		Permissions: rest.PermissionsOf(u.Permissions)}
}
