package brokertest

import (
	"github.com/shalemq/shale/wire"
)

// The permission matrix: a model of Iggy 0.8's permission rules written
// from its documented behaviour, the permission profiles to test and one
// request per command, shared by the binary and the HTTP matrix tests
// (docs/reliability.md). The model is deliberately separate from
// broker/auth so that a test compares two independent statements of the
// rules.

// Matrix ids: the fixture creates stream "a" (id 0) with topic "t" (0)
// and group "g" (0), then stream "b" (1) with topic "u" (0) and group
// "h" (0). Per-stream and per-topic profiles are granted on a/t only.
const (
	MatrixStream = 0
	MatrixTopic  = 0
	// MatrixUser and MatrixPassword sign in the profile under test;
	// MatrixVictim is the other user the user commands act on.
	MatrixUser     = "tester"
	MatrixPassword = "tester-pw"
	MatrixVictim   = "victim"
)

// PermProfile is one row of the matrix: a user's permissions.
type PermProfile struct {
	Name  string
	Perms *wire.Permissions
}

// PermProfiles returns one profile per global flag, per stream flag and
// per topic flag (granted on a and a/t), and one without permissions.
func PermProfiles() []PermProfile {
	g := func(name string, set func(*wire.GlobalPermissions)) PermProfile {
		p := &wire.Permissions{}
		set(&p.Global)
		return PermProfile{"global " + name, p}
	}
	s := func(name string, set func(*wire.StreamPermissions)) PermProfile {
		sp := &wire.StreamPermissions{}
		set(sp)
		return PermProfile{"stream " + name, &wire.Permissions{Streams: map[uint32]*wire.StreamPermissions{MatrixStream: sp}}}
	}
	tp := func(name string, set func(*wire.TopicPermissions)) PermProfile {
		t := &wire.TopicPermissions{}
		set(t)
		return PermProfile{"topic " + name, &wire.Permissions{Streams: map[uint32]*wire.StreamPermissions{
			MatrixStream: {Topics: map[uint32]*wire.TopicPermissions{MatrixTopic: t}}}}}
	}
	return []PermProfile{
		{"none", nil},
		g("manage_servers", func(p *wire.GlobalPermissions) { p.ManageServers = true }),
		g("read_servers", func(p *wire.GlobalPermissions) { p.ReadServers = true }),
		g("manage_users", func(p *wire.GlobalPermissions) { p.ManageUsers = true }),
		g("read_users", func(p *wire.GlobalPermissions) { p.ReadUsers = true }),
		g("manage_streams", func(p *wire.GlobalPermissions) { p.ManageStreams = true }),
		g("read_streams", func(p *wire.GlobalPermissions) { p.ReadStreams = true }),
		g("manage_topics", func(p *wire.GlobalPermissions) { p.ManageTopics = true }),
		g("read_topics", func(p *wire.GlobalPermissions) { p.ReadTopics = true }),
		g("poll_messages", func(p *wire.GlobalPermissions) { p.PollMessages = true }),
		g("send_messages", func(p *wire.GlobalPermissions) { p.SendMessages = true }),
		s("manage_stream", func(p *wire.StreamPermissions) { p.ManageStream = true }),
		s("read_stream", func(p *wire.StreamPermissions) { p.ReadStream = true }),
		s("manage_topics", func(p *wire.StreamPermissions) { p.ManageTopics = true }),
		s("read_topics", func(p *wire.StreamPermissions) { p.ReadTopics = true }),
		s("poll_messages", func(p *wire.StreamPermissions) { p.PollMessages = true }),
		s("send_messages", func(p *wire.StreamPermissions) { p.SendMessages = true }),
		tp("manage_topic", func(p *wire.TopicPermissions) { p.ManageTopic = true }),
		tp("read_topic", func(p *wire.TopicPermissions) { p.ReadTopic = true }),
		tp("poll_messages", func(p *wire.TopicPermissions) { p.PollMessages = true }),
		tp("send_messages", func(p *wire.TopicPermissions) { p.SendMessages = true }),
	}
}

// IggyAllows reports whether Iggy 0.8 lets a user holding p run cmd
// against the stream and topic ids given (ignored by commands that name
// neither), when the command acts on another user or on the server; known
// is false for a command the model does not cover.
func IggyAllows(p *wire.Permissions, cmd wire.Command, stream, topic uint32) (allowed, known bool) {
	m := model{p: p}
	if p == nil {
		m.p = &wire.Permissions{}
	}
	g := m.p.Global
	switch cmd {
	case wire.CmdPing, wire.CmdGetMe, wire.CmdGetClusterMetadata, wire.CmdGetSnapshot,
		wire.CmdLoginUser, wire.CmdLogoutUser, wire.CmdLoginWithPersonalAccessToken,
		wire.CmdGetPersonalAccessTokens, wire.CmdCreatePersonalAccessToken, wire.CmdDeletePersonalAccessToken:
		return true, true // no permission is checked (a user's own tokens)
	case wire.CmdGetStats, wire.CmdGetClients, wire.CmdGetClient:
		return g.ManageServers || g.ReadServers, true
	case wire.CmdGetUser, wire.CmdGetUsers:
		return g.ManageUsers || g.ReadUsers, true
	case wire.CmdCreateUser, wire.CmdDeleteUser, wire.CmdUpdateUser, wire.CmdUpdatePermissions, wire.CmdChangePassword:
		return g.ManageUsers, true
	case wire.CmdGetStreams:
		return g.ManageStreams || g.ReadStreams, true
	case wire.CmdCreateStream:
		return g.ManageStreams, true
	case wire.CmdGetStream:
		s := m.stream(stream)
		return g.ManageStreams || g.ReadStreams || s.ManageStream || s.ReadStream, true
	case wire.CmdUpdateStream, wire.CmdDeleteStream, wire.CmdPurgeStream:
		return g.ManageStreams || m.stream(stream).ManageStream, true
	case wire.CmdGetTopics:
		s := m.stream(stream)
		return g.ReadStreams || g.ManageStreams || g.ManageTopics || g.ReadTopics ||
			s.ManageStream || s.ReadStream || s.ManageTopics || s.ReadTopics, true
	case wire.CmdCreateTopic:
		s := m.stream(stream)
		return g.ManageStreams || g.ManageTopics || s.ManageStream || s.ManageTopics, true
	case wire.CmdGetTopic, wire.CmdGetConsumerGroup, wire.CmdGetConsumerGroups, wire.CmdCreateConsumerGroup,
		wire.CmdDeleteConsumerGroup, wire.CmdJoinConsumerGroup, wire.CmdLeaveConsumerGroup:
		s, t := m.stream(stream), m.topic(stream, topic)
		return g.ReadStreams || g.ManageStreams || g.ManageTopics || g.ReadTopics ||
			s.ManageStream || s.ReadStream || s.ManageTopics || s.ReadTopics || t.ManageTopic || t.ReadTopic, true
	case wire.CmdUpdateTopic, wire.CmdDeleteTopic, wire.CmdPurgeTopic, wire.CmdCreatePartitions,
		wire.CmdDeletePartitions, wire.CmdDeleteSegments:
		s, t := m.stream(stream), m.topic(stream, topic)
		return g.ManageStreams || g.ManageTopics || s.ManageStream || s.ManageTopics || t.ManageTopic, true
	case wire.CmdPollMessages, wire.CmdGetConsumerOffset, wire.CmdStoreConsumerOffset, wire.CmdDeleteConsumerOffset:
		s, t := m.stream(stream), m.topic(stream, topic)
		return g.PollMessages || g.ReadTopics || g.ManageTopics || g.ReadStreams || g.ManageStreams ||
			s.ManageStream || s.ReadStream || s.ManageTopics || s.ReadTopics || s.PollMessages ||
			t.ManageTopic || t.ReadTopic || t.PollMessages, true
	case wire.CmdSendMessages, wire.CmdFlushUnsavedBuffer:
		s, t := m.stream(stream), m.topic(stream, topic)
		return g.SendMessages || g.ManageStreams || g.ManageTopics ||
			s.ManageStream || s.ManageTopics || s.SendMessages || t.ManageTopic || t.SendMessages, true
	}
	return false, false
}

type model struct{ p *wire.Permissions }

func (m model) stream(id uint32) wire.StreamPermissions {
	if s := m.p.Streams[id]; s != nil {
		return *s
	}
	return wire.StreamPermissions{}
}

func (m model) topic(stream, topic uint32) wire.TopicPermissions {
	if s := m.p.Streams[stream]; s != nil {
		if t := s.Topics[topic]; t != nil {
			return *t
		}
	}
	return wire.TopicPermissions{}
}

// MatrixSetup is what root sends first: the streams, topics, groups, a
// message in each topic, a stored offset in each, the victim and the
// user under test with the profile's permissions.
func MatrixSetup(p PermProfile) []wire.Request {
	msg := wire.AppendSendMessage(nil, make([]byte, 16), 1, []byte("m"), nil)
	var out []wire.Request
	for _, st := range []struct{ stream, topic, group string }{{"a", "t", "g"}, {"b", "u", "h"}} {
		s, t := wire.NamedID(st.stream), wire.NamedID(st.topic)
		out = append(out,
			&wire.CreateStream{NameRef: wire.NameRef{Name: st.stream}},
			&wire.CreateTopic{Stream: s, Name: st.topic, PartitionsCount: 2, Compression: wire.CompressionNone},
			&wire.CreateConsumerGroup{Stream: s, Topic: t, Name: st.group},
			&wire.SendMessages{Stream: s, Topic: t, Partitioning: wire.Partitioning{Kind: wire.PartitionBalanced}, Count: 1, Messages: msg},
			&wire.StoreConsumerOffset{OffsetRef: matrixOffset(s, t), Offset: 0},
		)
	}
	return append(out,
		&wire.CreateUser{Username: MatrixVictim, Password: "victim-pw", Status: wire.UserActive},
		&wire.CreateUser{Username: MatrixUser, Password: MatrixPassword, Status: wire.UserActive, Permissions: p.Perms})
}

// MatrixStep is one request of the user under test and the stream and
// topic ids it acts on.
type MatrixStep struct {
	Req           wire.Request
	Stream, Topic uint32
	// Own marks a request on the user itself: Iggy checks no permission
	// to read oneself or change one's own password (it still checks
	// manage_users to update oneself).
	Own bool
}

// Allowed is IggyAllows for the step, with the exemptions of Own.
func (st MatrixStep) Allowed(p *wire.Permissions) (allowed, known bool) {
	allowed, known = IggyAllows(p, st.Req.Code(), st.Stream, st.Topic)
	if st.Own && (st.Req.Code() == wire.CmdGetUser || st.Req.Code() == wire.CmdChangePassword) {
		return true, known
	}
	return allowed, known
}

// MatrixSteps returns the user's requests: every command but the logins
// and logout, first against stream b (where no per-stream profile
// reaches), then against a. Within a pass reads come first and each
// deletion after everything that needs what it deletes, so that a refusal
// is never hidden by a missing entity.
func MatrixSteps() []MatrixStep {
	var out []MatrixStep
	for pass, st := range []struct {
		stream, topic, group string
		id                   uint32
	}{{"b", "u", "h", 1}, {"a", "t", "g", MatrixStream}} {
		s, t, g := wire.NamedID(st.stream), wire.NamedID(st.topic), wire.NamedID(st.group)
		tr, gr := wire.TopicRef{Stream: s, Topic: t}, wire.GroupRef{Stream: s, Topic: t, Group: g}
		add := func(reqs ...wire.Request) {
			for _, r := range reqs {
				out = append(out, MatrixStep{Req: r, Stream: st.id, Topic: MatrixTopic})
			}
		}
		suffix := "-" + st.stream
		msg := wire.AppendSendMessage(nil, make([]byte, 16), 1, []byte("m"), nil)
		if pass == 1 { // the commands that name no stream, once
			victim := wire.NamedID(MatrixVictim)
			name := "victim2"
			add(&wire.Ping{}, &wire.GetMe{}, &wire.GetClusterMetadata{}, &wire.GetStats{}, &wire.GetClients{},
				&wire.GetClient{ClientID: 1},
				&wire.GetSnapshot{Compression: wire.SnapshotDeflated, Types: []uint8{wire.SnapshotAll}},
				&wire.GetUsers{}, &wire.GetUser{UserRef: wire.UserRef{User: victim}},
				&wire.GetPersonalAccessTokens{},
				&wire.CreatePersonalAccessToken{Name: "tok", Expiry: 0},
				&wire.DeletePersonalAccessToken{NameRef: wire.NameRef{Name: "tok"}},
				&wire.GetStreams{},
				&wire.CreateStream{NameRef: wire.NameRef{Name: "new-stream"}},
				&wire.CreateUser{Username: "someone", Password: "someone-pw", Status: wire.UserActive},
				&wire.UpdatePermissions{User: victim},
				&wire.ChangePassword{User: victim, CurrentPassword: "victim-pw", NewPassword: "victim-pw2"},
				&wire.UpdateUser{User: victim, Username: &name},
				&wire.DeleteUser{UserRef: wire.UserRef{User: wire.NumericID(1)}}, // the victim, renamed or not
			)
			self := wire.NamedID(MatrixUser)
			same := MatrixUser
			for _, r := range []wire.Request{
				&wire.GetUser{UserRef: wire.UserRef{User: self}},
				&wire.ChangePassword{User: self, CurrentPassword: MatrixPassword, NewPassword: MatrixPassword + "2"},
				&wire.UpdateUser{User: self, Username: &same},
			} {
				out = append(out, MatrixStep{Req: r, Own: true})
			}
		}
		add(&wire.GetStream{StreamRef: wire.StreamRef{Stream: s}},
			&wire.GetTopics{StreamRef: wire.StreamRef{Stream: s}},
			&wire.GetTopic{TopicRef: tr},
			&wire.GetConsumerGroups{TopicRef: tr},
			&wire.GetConsumerGroup{GroupRef: gr},
			&wire.JoinConsumerGroup{GroupRef: gr},
			&wire.LeaveConsumerGroup{GroupRef: gr},
			&wire.PollMessages{Consumer: wire.Consumer{Kind: wire.ConsumerSingle, ID: wire.NumericID(1)}, Stream: s, Topic: t,
				Partition: wire.SomePartition(0), Strategy: wire.PollingStrategy{Kind: wire.PollFirst}, Count: 1},
			&wire.GetConsumerOffset{OffsetRef: matrixOffset(s, t)},
			&wire.StoreConsumerOffset{OffsetRef: matrixOffset(s, t), Offset: 0},
			&wire.SendMessages{Stream: s, Topic: t, Partitioning: wire.Partitioning{Kind: wire.PartitionBalanced}, Count: 1, Messages: msg},
			&wire.FlushUnsavedBuffer{Stream: s, Topic: t, PartitionID: 0},
			&wire.DeleteConsumerOffset{OffsetRef: matrixOffset(s, t)},
			&wire.CreateConsumerGroup{Stream: s, Topic: t, Name: "new-group" + suffix},
			&wire.DeleteConsumerGroup{GroupRef: gr},
			&wire.CreateTopic{Stream: s, Name: "new-topic" + suffix, PartitionsCount: 1, Compression: wire.CompressionNone},
			&wire.CreatePartitions{PartitionsChange: wire.PartitionsChange{Stream: s, Topic: t, Count: 1}},
			&wire.DeletePartitions{PartitionsChange: wire.PartitionsChange{Stream: s, Topic: t, Count: 1}},
			&wire.DeleteSegments{Stream: s, Topic: t, PartitionID: 0, SegmentsCount: 1},
			&wire.UpdateTopic{Stream: s, Topic: t, Name: st.topic, Compression: wire.CompressionNone},
			&wire.PurgeTopic{TopicRef: tr},
			&wire.UpdateStream{Stream: s, Name: st.stream},
			&wire.PurgeStream{StreamRef: wire.StreamRef{Stream: s}},
			&wire.DeleteTopic{TopicRef: tr},
			&wire.DeleteStream{StreamRef: wire.StreamRef{Stream: s}},
		)
	}
	return out
}

func matrixOffset(s, t wire.Identifier) wire.OffsetRef {
	return wire.OffsetRef{Consumer: wire.Consumer{Kind: wire.ConsumerSingle, ID: wire.NumericID(1)}, Stream: s, Topic: t,
		Partition: wire.SomePartition(0)}
}
