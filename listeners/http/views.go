package http

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"

	"github.com/shalemq/shale/broker"
	"github.com/shalemq/shale/wire"
)

// JSON views of HTTP.md §2.3, fields in the order Iggy emits them.

type streamView struct {
	ID            uint32 `json:"id"`
	CreatedAt     uint64 `json:"created_at"`
	Name          string `json:"name"`
	Size          string `json:"size"`
	MessagesCount uint64 `json:"messages_count"`
	TopicsCount   uint32 `json:"topics_count"`
}

type streamDetailsView struct {
	streamView
	Topics []topicView `json:"topics"`
}

type topicView struct {
	ID                   uint32 `json:"id"`
	CreatedAt            uint64 `json:"created_at"`
	Name                 string `json:"name"`
	Size                 string `json:"size"`
	MessageExpiry        uint64 `json:"message_expiry"`
	CompressionAlgorithm string `json:"compression_algorithm"`
	MaxTopicSize         uint64 `json:"max_topic_size"`
	ReplicationFactor    uint8  `json:"replication_factor"`
	MessagesCount        uint64 `json:"messages_count"`
	PartitionsCount      uint32 `json:"partitions_count"`
}

type topicDetailsView struct {
	topicView
	Partitions []partitionView `json:"partitions"`
}

type partitionView struct {
	ID            uint32 `json:"id"`
	CreatedAt     uint64 `json:"created_at"`
	SegmentsCount uint32 `json:"segments_count"`
	CurrentOffset uint64 `json:"current_offset"`
	Size          string `json:"size"`
	MessagesCount uint64 `json:"messages_count"`
}

type groupView struct {
	ID              uint32 `json:"id"`
	Name            string `json:"name"`
	PartitionsCount uint32 `json:"partitions_count"`
	MembersCount    uint32 `json:"members_count"`
}

type memberView struct {
	ID              uint32   `json:"id"`
	PartitionsCount uint32   `json:"partitions_count"`
	Partitions      []uint32 `json:"partitions"`
}

type groupDetailsView struct {
	groupView
	Members []memberView `json:"members"`
}

type offsetView struct {
	PartitionID   uint32 `json:"partition_id"`
	CurrentOffset uint64 `json:"current_offset"`
	StoredOffset  uint64 `json:"stored_offset"`
}

type clientView struct {
	ClientID            uint32  `json:"client_id"`
	UserID              *uint32 `json:"user_id"`
	Address             string  `json:"address"`
	Transport           string  `json:"transport"`
	ConsumerGroupsCount uint32  `json:"consumer_groups_count"`
}

type clientGroupView struct {
	StreamID uint32 `json:"stream_id"`
	TopicID  uint32 `json:"topic_id"`
	GroupID  uint32 `json:"group_id"`
}

type clientDetailsView struct {
	clientView
	ConsumerGroups []clientGroupView `json:"consumer_groups"`
}

type userView struct {
	ID        uint32 `json:"id"`
	CreatedAt uint64 `json:"created_at"`
	Status    string `json:"status"`
	Username  string `json:"username"`
}

type userDetailsView struct {
	userView
	Permissions *permissionsJSON `json:"permissions"`
}

type identityView struct {
	UserID      uint32    `json:"user_id"`
	AccessToken tokenView `json:"access_token"`
}

type tokenView struct {
	Token  string `json:"token"`
	Expiry int64  `json:"expiry"`
}

type patView struct {
	Name     string  `json:"name"`
	ExpiryAt *uint64 `json:"expiry_at"`
}

func compressionName(c uint8) string {
	if c == wire.CompressionGzip {
		return "gzip"
	}
	return "none"
}

func streamOf(s broker.StreamInfo) streamView {
	return streamView{ID: s.ID, CreatedAt: s.CreatedAt, Name: s.Name, Size: ByteSize(s.SizeBytes),
		MessagesCount: s.MessagesCount, TopicsCount: s.TopicsCount}
}

func topicOf(t broker.TopicInfo) topicView {
	return topicView{ID: t.ID, CreatedAt: t.CreatedAt, Name: t.Name, Size: ByteSize(t.SizeBytes),
		MessageExpiry: t.MessageExpiry, CompressionAlgorithm: compressionName(t.Compression),
		MaxTopicSize: t.MaxTopicSize, ReplicationFactor: t.ReplicationFactor, MessagesCount: t.MessagesCount,
		PartitionsCount: t.PartitionsCount}
}

// topicDetailsOf lists every partition with one segment, as Iggy's HTTP
// create response does too.
func topicDetailsOf(t broker.TopicInfo) topicDetailsView {
	d := topicDetailsView{topicView: topicOf(t), Partitions: []partitionView{}}
	for _, p := range t.Partitions {
		d.Partitions = append(d.Partitions, partitionView{ID: p.ID, CreatedAt: p.CreatedAt, SegmentsCount: 1,
			CurrentOffset: p.CurrentOffset, Size: ByteSize(p.SizeBytes), MessagesCount: p.MessagesCount})
	}
	d.PartitionsCount = uint32(len(d.Partitions))
	return d
}

func groupDetailsOf(g broker.GroupInfo) groupDetailsView {
	d := groupDetailsView{groupView: groupView{ID: g.ID, Name: g.Name, PartitionsCount: g.PartitionsCount,
		MembersCount: uint32(len(g.Members))}, Members: []memberView{}}
	for _, m := range g.Members {
		parts := m.Partitions
		if parts == nil {
			parts = []uint32{}
		}
		d.Members = append(d.Members, memberView{ID: m.ID, PartitionsCount: uint32(len(parts)), Partitions: parts})
	}
	return d
}

func clientOf(c broker.ClientInfo) clientDetailsView {
	v := clientDetailsView{clientView: clientView{ClientID: c.ID, Address: c.Addr, Transport: c.Transport.String(),
		ConsumerGroupsCount: uint32(len(c.Groups))}, ConsumerGroups: []clientGroupView{}}
	if c.Transport == broker.TransportWebSocket {
		v.Transport = "ws"
	}
	if c.UserID != broker.NoUser {
		uid := c.UserID
		v.UserID = &uid
	}
	for _, g := range c.Groups {
		v.ConsumerGroups = append(v.ConsumerGroups, clientGroupView{StreamID: g.StreamID, TopicID: g.TopicID, GroupID: g.GroupID})
	}
	return v
}

func userOf(u broker.User) userDetailsView {
	status := "active"
	if !u.Active {
		status = "inactive"
	}
	return userDetailsView{userView: userView{ID: u.ID, CreatedAt: u.CreatedAt, Status: status, Username: u.Name},
		Permissions: permissionsToJSON(u.Permissions)}
}

// permissionsJSON is the permissions object of HTTP.md §2.2. Decoding
// requires every flag, so the flag fields are pointers.
type permissionsJSON struct {
	Global  globalJSON                  `json:"global"`
	Streams map[string]*streamPermsJSON `json:"streams"`
}

type globalJSON struct {
	ManageServers *bool `json:"manage_servers"`
	ReadServers   *bool `json:"read_servers"`
	ManageUsers   *bool `json:"manage_users"`
	ReadUsers     *bool `json:"read_users"`
	ManageStreams *bool `json:"manage_streams"`
	ReadStreams   *bool `json:"read_streams"`
	ManageTopics  *bool `json:"manage_topics"`
	ReadTopics    *bool `json:"read_topics"`
	PollMessages  *bool `json:"poll_messages"`
	SendMessages  *bool `json:"send_messages"`
}

type streamPermsJSON struct {
	ManageStream *bool                      `json:"manage_stream"`
	ReadStream   *bool                      `json:"read_stream"`
	ManageTopics *bool                      `json:"manage_topics"`
	ReadTopics   *bool                      `json:"read_topics"`
	PollMessages *bool                      `json:"poll_messages"`
	SendMessages *bool                      `json:"send_messages"`
	Topics       map[string]*topicPermsJSON `json:"topics"`
}

type topicPermsJSON struct {
	ManageTopic  *bool `json:"manage_topic"`
	ReadTopic    *bool `json:"read_topic"`
	PollMessages *bool `json:"poll_messages"`
	SendMessages *bool `json:"send_messages"`
}

func b(v bool) *bool { return &v }

func permissionsToJSON(p *wire.Permissions) *permissionsJSON {
	if p == nil {
		return nil
	}
	g := p.Global
	out := &permissionsJSON{Global: globalJSON{b(g.ManageServers), b(g.ReadServers), b(g.ManageUsers), b(g.ReadUsers),
		b(g.ManageStreams), b(g.ReadStreams), b(g.ManageTopics), b(g.ReadTopics), b(g.PollMessages), b(g.SendMessages)}}
	if len(p.Streams) > 0 {
		out.Streams = map[string]*streamPermsJSON{}
		for id, s := range p.Streams {
			sj := &streamPermsJSON{b(s.ManageStream), b(s.ReadStream), b(s.ManageTopics), b(s.ReadTopics),
				b(s.PollMessages), b(s.SendMessages), nil}
			if len(s.Topics) > 0 {
				sj.Topics = map[string]*topicPermsJSON{}
				for tid, t := range s.Topics {
					sj.Topics[strconv.FormatUint(uint64(tid), 10)] = &topicPermsJSON{b(t.ManageTopic), b(t.ReadTopic), b(t.PollMessages), b(t.SendMessages)}
				}
			}
			out.Streams[strconv.FormatUint(uint64(id), 10)] = sj
		}
	}
	return out
}

// MarshalJSON writes streams in ascending numeric id (encoding/json would
// sort the keys as text: "10" before "2").
func (p *permissionsJSON) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	g, err := json.Marshal(p.Global)
	if err != nil {
		return nil, err
	}
	buf.WriteString(`{"global":`)
	buf.Write(g)
	buf.WriteString(`,"streams":`)
	if p.Streams == nil {
		buf.WriteString("null}")
		return buf.Bytes(), nil
	}
	buf.WriteByte('{')
	for i, id := range numericKeys(p.Streams) {
		if i > 0 {
			buf.WriteByte(',')
		}
		s := p.Streams[id]
		head, _ := json.Marshal(struct {
			ManageStream *bool `json:"manage_stream"`
			ReadStream   *bool `json:"read_stream"`
			ManageTopics *bool `json:"manage_topics"`
			ReadTopics   *bool `json:"read_topics"`
			PollMessages *bool `json:"poll_messages"`
			SendMessages *bool `json:"send_messages"`
		}{s.ManageStream, s.ReadStream, s.ManageTopics, s.ReadTopics, s.PollMessages, s.SendMessages})
		fmt.Fprintf(&buf, "%q:", id)
		buf.Write(head[:len(head)-1])
		buf.WriteString(`,"topics":`)
		if s.Topics == nil {
			buf.WriteString("null")
		} else {
			buf.WriteByte('{')
			for j, tid := range numericKeys(s.Topics) {
				if j > 0 {
					buf.WriteByte(',')
				}
				t, _ := json.Marshal(s.Topics[tid])
				fmt.Fprintf(&buf, "%q:", tid)
				buf.Write(t)
			}
			buf.WriteByte('}')
		}
		buf.WriteByte('}')
	}
	buf.WriteString("}}")
	return buf.Bytes(), nil
}

func numericKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		x, _ := strconv.ParseUint(a, 10, 64)
		y, _ := strconv.ParseUint(b, 10, 64)
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	})
	return keys
}

// toWire converts a decoded permissions object, requiring every flag.
func (p *permissionsJSON) toWire() (*wire.Permissions, error) {
	if p == nil {
		return nil, nil
	}
	var missing bool
	flag := func(v *bool) bool {
		if v == nil {
			missing = true
			return false
		}
		return *v
	}
	g := p.Global
	out := &wire.Permissions{Global: wire.GlobalPermissions{
		ManageServers: flag(g.ManageServers), ReadServers: flag(g.ReadServers), ManageUsers: flag(g.ManageUsers),
		ReadUsers: flag(g.ReadUsers), ManageStreams: flag(g.ManageStreams), ReadStreams: flag(g.ReadStreams),
		ManageTopics: flag(g.ManageTopics), ReadTopics: flag(g.ReadTopics), PollMessages: flag(g.PollMessages),
		SendMessages: flag(g.SendMessages)}}
	for key, s := range p.Streams {
		id, err := strconv.ParseUint(key, 10, 32)
		if err != nil || s == nil {
			return nil, unprocessable("permissions: stream key " + strconv.Quote(key))
		}
		sp := &wire.StreamPermissions{ManageStream: flag(s.ManageStream), ReadStream: flag(s.ReadStream),
			ManageTopics: flag(s.ManageTopics), ReadTopics: flag(s.ReadTopics), PollMessages: flag(s.PollMessages),
			SendMessages: flag(s.SendMessages)}
		for tkey, t := range s.Topics {
			tid, err := strconv.ParseUint(tkey, 10, 32)
			if err != nil || t == nil {
				return nil, unprocessable("permissions: topic key " + strconv.Quote(tkey))
			}
			if sp.Topics == nil {
				sp.Topics = map[uint32]*wire.TopicPermissions{}
			}
			sp.Topics[uint32(tid)] = &wire.TopicPermissions{ManageTopic: flag(t.ManageTopic), ReadTopic: flag(t.ReadTopic),
				PollMessages: flag(t.PollMessages), SendMessages: flag(t.SendMessages)}
		}
		if out.Streams == nil {
			out.Streams = map[uint32]*wire.StreamPermissions{}
		}
		out.Streams[uint32(id)] = sp
	}
	if missing {
		return nil, unprocessable("permissions: every flag is required")
	}
	return out, nil
}
