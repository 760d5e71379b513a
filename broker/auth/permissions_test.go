package auth

import (
	"testing"

	"github.com/shalemq/shale/wire"
)

// checks names every rule, evaluated on stream 1 / topic 2.
var checks = []struct {
	name string
	fn   func(p *wire.Permissions) bool
}{
	{"read servers", ReadServers},
	{"read users", ReadUsers},
	{"manage users", ManageUsers},
	{"read streams", ReadStreams},
	{"manage streams", ManageStreams},
	{"read stream", func(p *wire.Permissions) bool { return ReadStream(p, 1) }},
	{"manage stream", func(p *wire.Permissions) bool { return ManageStream(p, 1) }},
	{"read topics", func(p *wire.Permissions) bool { return ReadTopics(p, 1) }},
	{"manage topics", func(p *wire.Permissions) bool { return ManageTopics(p, 1) }},
	{"read topic", func(p *wire.Permissions) bool { return ReadTopic(p, 1, 2) }},
	{"manage topic", func(p *wire.Permissions) bool { return ManageTopic(p, 1, 2) }},
	{"poll", func(p *wire.Permissions) bool { return PollMessages(p, 1, 2) }},
	{"send", func(p *wire.Permissions) bool { return SendMessages(p, 1, 2) }},
}

// TestPermissionTable sets each flag alone and checks exactly which rules
// pass, per docs/protocol/binary.md §8.
func TestPermissionTable(t *testing.T) {
	global := func(set func(g *wire.GlobalPermissions)) *wire.Permissions {
		p := &wire.Permissions{}
		set(&p.Global)
		return p
	}
	onStream := func(set func(s *wire.StreamPermissions)) *wire.Permissions {
		s := &wire.StreamPermissions{}
		set(s)
		return &wire.Permissions{Streams: map[uint32]*wire.StreamPermissions{1: s}}
	}
	onTopic := func(set func(tp *wire.TopicPermissions)) *wire.Permissions {
		tp := &wire.TopicPermissions{}
		set(tp)
		return &wire.Permissions{Streams: map[uint32]*wire.StreamPermissions{1: {Topics: map[uint32]*wire.TopicPermissions{2: tp}}}}
	}
	cases := []struct {
		flag string
		p    *wire.Permissions
		pass []string
	}{
		{"nil", nil, nil},
		{"none", &wire.Permissions{}, nil},
		{"global manage_servers", global(func(g *wire.GlobalPermissions) { g.ManageServers = true }), []string{"read servers"}},
		{"global read_servers", global(func(g *wire.GlobalPermissions) { g.ReadServers = true }), []string{"read servers"}},
		{"global manage_users", global(func(g *wire.GlobalPermissions) { g.ManageUsers = true }), []string{"read users", "manage users"}},
		{"global read_users", global(func(g *wire.GlobalPermissions) { g.ReadUsers = true }), []string{"read users"}},
		{"global manage_streams", global(func(g *wire.GlobalPermissions) { g.ManageStreams = true }),
			[]string{"read streams", "manage streams", "read stream", "manage stream", "read topics", "manage topics", "read topic", "manage topic", "poll", "send"}},
		{"global read_streams", global(func(g *wire.GlobalPermissions) { g.ReadStreams = true }),
			[]string{"read streams", "read stream", "read topics", "read topic", "poll"}},
		{"global manage_topics", global(func(g *wire.GlobalPermissions) { g.ManageTopics = true }),
			[]string{"read topics", "manage topics", "read topic", "manage topic", "poll", "send"}},
		{"global read_topics", global(func(g *wire.GlobalPermissions) { g.ReadTopics = true }), []string{"read topics", "read topic", "poll"}},
		{"global poll_messages", global(func(g *wire.GlobalPermissions) { g.PollMessages = true }), []string{"poll"}},
		{"global send_messages", global(func(g *wire.GlobalPermissions) { g.SendMessages = true }), []string{"send"}},
		{"stream manage_stream", onStream(func(s *wire.StreamPermissions) { s.ManageStream = true }),
			[]string{"read stream", "manage stream", "read topics", "manage topics", "read topic", "manage topic", "poll", "send"}},
		{"stream read_stream", onStream(func(s *wire.StreamPermissions) { s.ReadStream = true }),
			[]string{"read stream", "read topics", "read topic", "poll"}},
		{"stream manage_topics", onStream(func(s *wire.StreamPermissions) { s.ManageTopics = true }),
			[]string{"read topics", "manage topics", "read topic", "manage topic", "poll", "send"}},
		{"stream read_topics", onStream(func(s *wire.StreamPermissions) { s.ReadTopics = true }), []string{"read topics", "read topic", "poll"}},
		{"stream poll_messages", onStream(func(s *wire.StreamPermissions) { s.PollMessages = true }), []string{"poll"}},
		{"stream send_messages", onStream(func(s *wire.StreamPermissions) { s.SendMessages = true }), []string{"send"}},
		{"topic manage_topic", onTopic(func(tp *wire.TopicPermissions) { tp.ManageTopic = true }),
			[]string{"read topic", "manage topic", "poll", "send"}},
		{"topic read_topic", onTopic(func(tp *wire.TopicPermissions) { tp.ReadTopic = true }), []string{"read topic", "poll"}},
		{"topic poll_messages", onTopic(func(tp *wire.TopicPermissions) { tp.PollMessages = true }), []string{"poll"}},
		{"topic send_messages", onTopic(func(tp *wire.TopicPermissions) { tp.SendMessages = true }), []string{"send"}},
	}
	for _, c := range cases {
		want := map[string]bool{}
		for _, n := range c.pass {
			want[n] = true
		}
		for _, ch := range checks {
			if got := ch.fn(c.p); got != want[ch.name] {
				t.Errorf("%s: %s = %v, want %v", c.flag, ch.name, got, want[ch.name])
			}
		}
	}
	// Rights on another stream or topic do not leak.
	other := onStream(func(s *wire.StreamPermissions) { s.ManageStream = true })
	if ManageStream(other, 5) || SendMessages(other, 5, 2) {
		t.Error("stream 1 rights apply to stream 5")
	}
}
