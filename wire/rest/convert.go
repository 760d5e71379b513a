package rest

import "github.com/shalemq/shale/wire"

// Conversions between these shapes and wire's binary ones. The client
// uses them to turn a JSON answer into the payload the binary protocol
// would carry; the server uses the ones whose source is a wire type.

// StatsOf converts the binary stats.
func StatsOf(st wire.Stats) Stats {
	semver := st.ServerSemver
	return Stats{ProcessID: st.ProcessID, CPUUsage: st.CPUUsage, TotalCPUUsage: st.TotalCPUUsage,
		MemoryUsage: Size(st.MemoryUsage), TotalMemory: Size(st.TotalMemory),
		AvailableMemory: Size(st.AvailableMemory), RunTime: st.RunTime, StartTime: st.StartTime,
		ReadBytes: Size(st.ReadBytes), WrittenBytes: Size(st.WrittenBytes),
		MessagesSizeBytes: Size(st.MessagesSizeBytes), StreamsCount: st.StreamsCount, TopicsCount: st.TopicsCount,
		PartitionsCount: st.PartitionsCount, SegmentsCount: st.SegmentsCount, MessagesCount: st.MessagesCount,
		ClientsCount: st.ClientsCount, ConsumerGroupsCount: st.ConsumerGroupsCount, Hostname: st.Hostname,
		OSName: st.OSName, OSVersion: st.OSVersion, KernelVersion: st.KernelVersion, ServerVersion: st.ServerVersion,
		ServerSemver: &semver, CacheMetrics: map[string]any{}, ThreadsCount: st.ThreadsCount,
		FreeDiskSpace: Size(st.FreeDiskSpace), TotalDiskSpace: Size(st.TotalDiskSpace)}
}

// Wire converts back; a null semver reads as 0.
func (s Stats) Wire() wire.Stats {
	st := wire.Stats{ProcessID: s.ProcessID, CPUUsage: s.CPUUsage, TotalCPUUsage: s.TotalCPUUsage,
		MemoryUsage: uint64(s.MemoryUsage), TotalMemory: uint64(s.TotalMemory), AvailableMemory: uint64(s.AvailableMemory),
		RunTime: s.RunTime, StartTime: s.StartTime, ReadBytes: uint64(s.ReadBytes), WrittenBytes: uint64(s.WrittenBytes),
		MessagesSizeBytes: uint64(s.MessagesSizeBytes), StreamsCount: s.StreamsCount, TopicsCount: s.TopicsCount,
		PartitionsCount: s.PartitionsCount, SegmentsCount: s.SegmentsCount, MessagesCount: s.MessagesCount,
		ClientsCount: s.ClientsCount, ConsumerGroupsCount: s.ConsumerGroupsCount, Hostname: s.Hostname,
		OSName: s.OSName, OSVersion: s.OSVersion, KernelVersion: s.KernelVersion, ServerVersion: s.ServerVersion,
		ThreadsCount: s.ThreadsCount, FreeDiskSpace: uint64(s.FreeDiskSpace), TotalDiskSpace: uint64(s.TotalDiskSpace)}
	if s.ServerSemver != nil {
		st.ServerSemver = *s.ServerSemver
	}
	return st
}

// Wire converts a stream (its topics are dropped; see StreamDetails.Wire).
func (s Stream) Wire() wire.StreamInfo {
	return wire.StreamInfo{ID: s.ID, CreatedAt: s.CreatedAt, TopicsCount: s.TopicsCount, SizeBytes: uint64(s.Size),
		MessagesCount: s.MessagesCount, Name: s.Name}
}

// Wire converts a stream with its topics.
func (s StreamDetails) Wire() wire.StreamDetails {
	d := wire.StreamDetails{StreamInfo: s.Stream.Wire()}
	for _, t := range s.Topics {
		d.Topics = append(d.Topics, t.Wire())
	}
	return d
}

// Wire converts a topic; an unknown compression name reads as none.
func (t Topic) Wire() wire.TopicInfo {
	comp, ok := wire.ParseCompression(t.CompressionAlgorithm)
	if !ok {
		comp = wire.CompressionNone
	}
	return wire.TopicInfo{ID: t.ID, CreatedAt: t.CreatedAt, PartitionsCount: t.PartitionsCount, MessageExpiry: t.MessageExpiry,
		Compression: comp, MaxTopicSize: t.MaxTopicSize, ReplicationFactor: t.ReplicationFactor,
		SizeBytes: uint64(t.Size), MessagesCount: t.MessagesCount, Name: t.Name}
}

// Wire converts a topic with partitions.
func (t TopicDetails) Wire() wire.TopicDetails {
	d := wire.TopicDetails{TopicInfo: t.Topic.Wire()}
	for _, p := range t.Partitions {
		d.Partitions = append(d.Partitions, wire.PartitionInfo{ID: p.ID, CreatedAt: p.CreatedAt, SegmentsCount: p.SegmentsCount,
			CurrentOffset: p.CurrentOffset, SizeBytes: uint64(p.Size), MessagesCount: p.MessagesCount})
	}
	return d
}

// Wire converts a consumer group with members.
func (g GroupDetails) Wire() wire.ConsumerGroupDetails {
	d := wire.ConsumerGroupDetails{ConsumerGroupInfo: wire.ConsumerGroupInfo{ID: g.ID, PartitionsCount: g.PartitionsCount,
		MembersCount: g.MembersCount, Name: g.Name}}
	for _, m := range g.Members {
		d.Members = append(d.Members, wire.ConsumerGroupMember{ID: m.ID, Partitions: m.Partitions})
	}
	return d
}

// Wire converts a client with its groups; a null user is wire.NoUserID.
func (c ClientDetails) Wire() wire.ClientDetails {
	d := wire.ClientDetails{ClientInfo: wire.ClientInfo{ClientID: c.ClientID, UserID: wire.NoUserID,
		Transport: wire.ParseTransport(c.Transport), Address: c.Address, ConsumerGroupsCount: c.ConsumerGroupsCount}}
	if c.UserID != nil {
		d.UserID = *c.UserID
	}
	for _, g := range c.ConsumerGroups {
		d.Groups = append(d.Groups, wire.ClientGroup{StreamID: g.StreamID, TopicID: g.TopicID, GroupID: g.GroupID})
	}
	return d
}

// Wire converts a user; an unknown status reads as active.
func (u User) Wire() wire.UserInfo {
	st, ok := wire.ParseUserStatus(u.Status)
	if !ok {
		st = wire.UserActive
	}
	return wire.UserInfo{ID: u.ID, CreatedAt: u.CreatedAt, Status: st, Username: u.Username}
}

// Wire converts a user with permissions; missing flags read as false.
func (u UserDetails) Wire() wire.UserDetails {
	p, _ := u.Permissions.Wire()
	return wire.UserDetails{UserInfo: u.User.Wire(), Permissions: p}
}

// Wire converts the cluster metadata; a role other than "leader" is a
// follower.
func (m ClusterMetadata) Wire() wire.ClusterMetadata {
	md := wire.ClusterMetadata{Name: m.Name}
	for _, n := range m.Nodes {
		role := uint8(wire.NodeLeader)
		if n.Role != "leader" {
			role = wire.NodeFollower
		}
		status, _ := wire.ParseNodeStatus(n.Status)
		md.Nodes = append(md.Nodes, wire.ClusterNode{Name: n.Name, IP: n.IP, TCPPort: n.Endpoints.TCP, QUICPort: n.Endpoints.QUIC,
			HTTPPort: n.Endpoints.HTTP, WebSocketPort: n.Endpoints.WebSocket, Role: role, Status: status})
	}
	return md
}
