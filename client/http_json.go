package client

import (
	"encoding/json"
	"strconv"

	"github.com/shalemq/shale/wire"
)

// Conversions from Iggy's REST JSON (HTTP.md §2.3) to binary payloads.

type sizeString uint64

func (s *sizeString) UnmarshalJSON(b []byte) error {
	var str string
	if err := json.Unmarshal(b, &str); err != nil {
		var n uint64
		if err := json.Unmarshal(b, &n); err != nil {
			return err
		}
		*s = sizeString(n)
		return nil
	}
	n, err := ParseByteSize(str)
	*s = sizeString(n)
	return err
}

func compressionCode(name string) uint8 {
	if name == "gzip" {
		return wire.CompressionGzip
	}
	return wire.CompressionNone
}

func statusCode(name string) uint8 {
	if name == "inactive" {
		return wire.UserInactive
	}
	return wire.UserActive
}

func decodeJSON[T any](b []byte) (T, error) {
	var v T
	err := json.Unmarshal(b, &v)
	return v, err
}

type streamJSON struct {
	ID            uint32      `json:"id"`
	CreatedAt     uint64      `json:"created_at"`
	Name          string      `json:"name"`
	Size          sizeString  `json:"size"`
	MessagesCount uint64      `json:"messages_count"`
	TopicsCount   uint32      `json:"topics_count"`
	Topics        []topicJSON `json:"topics"`
}

func (s streamJSON) wire() wire.StreamInfo {
	return wire.StreamInfo{ID: s.ID, CreatedAt: s.CreatedAt, TopicsCount: s.TopicsCount, SizeBytes: uint64(s.Size),
		MessagesCount: s.MessagesCount, Name: s.Name}
}

type partitionJSON struct {
	ID            uint32     `json:"id"`
	CreatedAt     uint64     `json:"created_at"`
	SegmentsCount uint32     `json:"segments_count"`
	CurrentOffset uint64     `json:"current_offset"`
	Size          sizeString `json:"size"`
	MessagesCount uint64     `json:"messages_count"`
}

type topicJSON struct {
	ID                   uint32          `json:"id"`
	CreatedAt            uint64          `json:"created_at"`
	Name                 string          `json:"name"`
	Size                 sizeString      `json:"size"`
	MessageExpiry        uint64          `json:"message_expiry"`
	CompressionAlgorithm string          `json:"compression_algorithm"`
	MaxTopicSize         uint64          `json:"max_topic_size"`
	ReplicationFactor    uint8           `json:"replication_factor"`
	MessagesCount        uint64          `json:"messages_count"`
	PartitionsCount      uint32          `json:"partitions_count"`
	Partitions           []partitionJSON `json:"partitions"`
}

func (t topicJSON) wire() wire.TopicInfo {
	return wire.TopicInfo{ID: t.ID, CreatedAt: t.CreatedAt, PartitionsCount: t.PartitionsCount, MessageExpiry: t.MessageExpiry,
		Compression: compressionCode(t.CompressionAlgorithm), MaxTopicSize: t.MaxTopicSize, ReplicationFactor: t.ReplicationFactor,
		SizeBytes: uint64(t.Size), MessagesCount: t.MessagesCount, Name: t.Name}
}

func streamFromJSON(b []byte) ([]byte, error) {
	s, err := decodeJSON[streamJSON](b)
	if err != nil {
		return nil, err
	}
	si := s.wire()
	return si.AppendTo(nil), nil
}

func streamDetailsFromJSON(b []byte) ([]byte, error) {
	s, err := decodeJSON[streamJSON](b)
	if err != nil {
		return nil, err
	}
	d := wire.StreamDetails{StreamInfo: s.wire()}
	for _, t := range s.Topics {
		d.Topics = append(d.Topics, t.wire())
	}
	return d.AppendTo(nil), nil
}

func streamsFromJSON(b []byte) ([]byte, error) {
	list, err := decodeJSON[[]streamJSON](b)
	var out []byte
	for _, s := range list {
		si := s.wire()
		out = si.AppendTo(out)
	}
	return out, err
}

// topicDetailsFromJSON converts a topic; created reports 0 segments per
// partition, as the binary CreateTopic answer does.
func topicDetailsFromJSON(created bool) func([]byte) ([]byte, error) {
	return func(b []byte) ([]byte, error) {
		t, err := decodeJSON[topicJSON](b)
		if err != nil {
			return nil, err
		}
		d := wire.TopicDetails{TopicInfo: t.wire()}
		for _, p := range t.Partitions {
			segs := p.SegmentsCount
			if created {
				segs = 0
			}
			d.Partitions = append(d.Partitions, wire.PartitionInfo{ID: p.ID, CreatedAt: p.CreatedAt, SegmentsCount: segs,
				CurrentOffset: p.CurrentOffset, SizeBytes: uint64(p.Size), MessagesCount: p.MessagesCount})
		}
		return d.AppendTo(nil), nil
	}
}

func topicsFromJSON(b []byte) ([]byte, error) {
	list, err := decodeJSON[[]topicJSON](b)
	var out []byte
	for _, t := range list {
		ti := t.wire()
		out = ti.AppendTo(out)
	}
	return out, err
}

type groupJSON struct {
	ID              uint32 `json:"id"`
	Name            string `json:"name"`
	PartitionsCount uint32 `json:"partitions_count"`
	MembersCount    uint32 `json:"members_count"`
	Members         []struct {
		ID         uint32   `json:"id"`
		Partitions []uint32 `json:"partitions"`
	} `json:"members"`
}

func (g groupJSON) wire() wire.ConsumerGroupDetails {
	d := wire.ConsumerGroupDetails{ConsumerGroupInfo: wire.ConsumerGroupInfo{ID: g.ID, PartitionsCount: g.PartitionsCount,
		MembersCount: g.MembersCount, Name: g.Name}}
	for _, m := range g.Members {
		d.Members = append(d.Members, wire.ConsumerGroupMember{ID: m.ID, Partitions: m.Partitions})
	}
	return d
}

func groupFromJSON(b []byte) ([]byte, error) {
	g, err := decodeJSON[groupJSON](b)
	if err != nil {
		return nil, err
	}
	d := g.wire()
	return d.ConsumerGroupInfo.AppendTo(nil), nil
}

func groupDetailsFromJSON(b []byte) ([]byte, error) {
	g, err := decodeJSON[groupJSON](b)
	if err != nil {
		return nil, err
	}
	d := g.wire()
	return d.AppendTo(nil), nil
}

func groupsFromJSON(b []byte) ([]byte, error) {
	list, err := decodeJSON[[]groupJSON](b)
	var out []byte
	for _, g := range list {
		d := g.wire()
		out = d.ConsumerGroupInfo.AppendTo(out)
	}
	return out, err
}

func offsetFromJSON(b []byte) ([]byte, error) {
	o, err := decodeJSON[struct {
		PartitionID   uint32 `json:"partition_id"`
		CurrentOffset uint64 `json:"current_offset"`
		StoredOffset  uint64 `json:"stored_offset"`
	}](b)
	return (&wire.ConsumerOffset{PartitionID: o.PartitionID, CurrentOffset: o.CurrentOffset, StoredOffset: o.StoredOffset}).AppendTo(nil), err
}

type clientJSON struct {
	ClientID            uint32  `json:"client_id"`
	UserID              *uint32 `json:"user_id"`
	Address             string  `json:"address"`
	Transport           string  `json:"transport"`
	ConsumerGroupsCount uint32  `json:"consumer_groups_count"`
	ConsumerGroups      []struct {
		StreamID uint32 `json:"stream_id"`
		TopicID  uint32 `json:"topic_id"`
		GroupID  uint32 `json:"group_id"`
	} `json:"consumer_groups"`
}

func (c clientJSON) wire() wire.ClientDetails {
	transports := map[string]uint8{"tcp": wire.TransportTCP, "quic": wire.TransportQUIC, "http": wire.TransportHTTP, "ws": wire.TransportWebSocket}
	d := wire.ClientDetails{ClientInfo: wire.ClientInfo{ClientID: c.ClientID, UserID: wire.NoUserID, Transport: transports[c.Transport],
		Address: c.Address, ConsumerGroupsCount: c.ConsumerGroupsCount}}
	if c.UserID != nil {
		d.UserID = *c.UserID
	}
	for _, g := range c.ConsumerGroups {
		d.Groups = append(d.Groups, wire.ClientGroup{StreamID: g.StreamID, TopicID: g.TopicID, GroupID: g.GroupID})
	}
	return d
}

func clientFromJSON(b []byte) ([]byte, error) {
	c, err := decodeJSON[clientJSON](b)
	if err != nil {
		return nil, err
	}
	d := c.wire()
	return d.AppendTo(nil), nil
}

func clientsFromJSON(b []byte) ([]byte, error) {
	list, err := decodeJSON[[]clientJSON](b)
	var out []byte
	for _, c := range list {
		d := c.wire()
		out = d.ClientInfo.AppendTo(out)
	}
	return out, err
}

func clusterFromJSON(b []byte) ([]byte, error) {
	m, err := decodeJSON[struct {
		Name  string `json:"name"`
		Nodes []struct {
			Name      string `json:"name"`
			IP        string `json:"ip"`
			Endpoints struct {
				TCP, QUIC, HTTP, WebSocket uint16
			} `json:"endpoints"`
			Role   string `json:"role"`
			Status string `json:"status"`
		} `json:"nodes"`
	}](b)
	md := wire.ClusterMetadata{Name: m.Name}
	for _, n := range m.Nodes {
		role := uint8(wire.NodeLeader)
		if n.Role != "leader" {
			role = wire.NodeFollower
		}
		md.Nodes = append(md.Nodes, wire.ClusterNode{Name: n.Name, IP: n.IP, TCPPort: n.Endpoints.TCP, QUICPort: n.Endpoints.QUIC,
			HTTPPort: n.Endpoints.HTTP, WebSocketPort: n.Endpoints.WebSocket, Role: role})
	}
	return md.AppendTo(nil), err
}

func statsFromJSON(b []byte) ([]byte, error) {
	s, err := decodeJSON[struct {
		ProcessID           uint32     `json:"process_id"`
		CPUUsage            float32    `json:"cpu_usage"`
		TotalCPUUsage       float32    `json:"total_cpu_usage"`
		MemoryUsage         sizeString `json:"memory_usage"`
		TotalMemory         sizeString `json:"total_memory"`
		AvailableMemory     sizeString `json:"available_memory"`
		RunTime             uint64     `json:"run_time"`
		StartTime           uint64     `json:"start_time"`
		ReadBytes           sizeString `json:"read_bytes"`
		WrittenBytes        sizeString `json:"written_bytes"`
		MessagesSizeBytes   sizeString `json:"messages_size_bytes"`
		StreamsCount        uint32     `json:"streams_count"`
		TopicsCount         uint32     `json:"topics_count"`
		PartitionsCount     uint32     `json:"partitions_count"`
		SegmentsCount       uint32     `json:"segments_count"`
		MessagesCount       uint64     `json:"messages_count"`
		ClientsCount        uint32     `json:"clients_count"`
		ConsumerGroupsCount uint32     `json:"consumer_groups_count"`
		Hostname            string     `json:"hostname"`
		OSName              string     `json:"os_name"`
		OSVersion           string     `json:"os_version"`
		KernelVersion       string     `json:"kernel_version"`
		ServerVersion       string     `json:"iggy_server_version"`
		ServerSemver        *uint32    `json:"iggy_server_semver"`
		ThreadsCount        uint32     `json:"threads_count"`
		FreeDiskSpace       sizeString `json:"free_disk_space"`
		TotalDiskSpace      sizeString `json:"total_disk_space"`
	}](b)
	st := wire.Stats{ProcessID: s.ProcessID, CPUUsage: s.CPUUsage, TotalCPUUsage: s.TotalCPUUsage, MemoryUsage: uint64(s.MemoryUsage),
		TotalMemory: uint64(s.TotalMemory), AvailableMemory: uint64(s.AvailableMemory), RunTime: s.RunTime, StartTime: s.StartTime,
		ReadBytes: uint64(s.ReadBytes), WrittenBytes: uint64(s.WrittenBytes), MessagesSizeBytes: uint64(s.MessagesSizeBytes),
		StreamsCount: s.StreamsCount, TopicsCount: s.TopicsCount, PartitionsCount: s.PartitionsCount, SegmentsCount: s.SegmentsCount,
		MessagesCount: s.MessagesCount, ClientsCount: s.ClientsCount, ConsumerGroupsCount: s.ConsumerGroupsCount,
		Hostname: s.Hostname, OSName: s.OSName, OSVersion: s.OSVersion, KernelVersion: s.KernelVersion, ServerVersion: s.ServerVersion,
		ThreadsCount: s.ThreadsCount, FreeDiskSpace: uint64(s.FreeDiskSpace), TotalDiskSpace: uint64(s.TotalDiskSpace)}
	if s.ServerSemver != nil {
		st.ServerSemver = *s.ServerSemver
	}
	return st.AppendTo(nil), err
}

type userJSON struct {
	ID          uint32           `json:"id"`
	CreatedAt   uint64           `json:"created_at"`
	Status      string           `json:"status"`
	Username    string           `json:"username"`
	Permissions *permissionsJSON `json:"permissions"`
}

func (u userJSON) info() wire.UserInfo {
	return wire.UserInfo{ID: u.ID, CreatedAt: u.CreatedAt, Status: statusCode(u.Status), Username: u.Username}
}

func userFromJSON(b []byte) ([]byte, error) {
	u, err := decodeJSON[userJSON](b)
	if err != nil {
		return nil, err
	}
	return (&wire.UserDetails{UserInfo: u.info(), Permissions: u.Permissions.wire()}).AppendTo(nil), nil
}

func usersFromJSON(b []byte) ([]byte, error) {
	list, err := decodeJSON[[]userJSON](b)
	var out []byte
	for _, u := range list {
		ui := u.info()
		out = ui.AppendTo(out)
	}
	return out, err
}

func tokensFromJSON(b []byte) ([]byte, error) {
	list, err := decodeJSON[[]struct {
		Name     string  `json:"name"`
		ExpiryAt *uint64 `json:"expiry_at"`
	}](b)
	var out []byte
	for _, t := range list {
		info := wire.PersonalAccessTokenInfo{Name: t.Name}
		if t.ExpiryAt != nil {
			info.ExpiresAt = *t.ExpiryAt
		}
		out = info.AppendTo(out)
	}
	return out, err
}

func rawTokenFromJSON(b []byte) ([]byte, error) {
	t, err := decodeJSON[struct {
		Token string `json:"token"`
	}](b)
	return (&wire.RawPersonalAccessToken{Token: t.Token}).AppendTo(nil), err
}

// permissionsJSON mirrors HTTP.md §2.2.
type permissionsJSON struct {
	Global     map[string]bool            `json:"global"`
	RawStreams map[string]json.RawMessage `json:"streams"`
}

var globalFlags = []string{"manage_servers", "read_servers", "manage_users", "read_users", "manage_streams", "read_streams",
	"manage_topics", "read_topics", "poll_messages", "send_messages"}
var streamFlags = []string{"manage_stream", "read_stream", "manage_topics", "read_topics", "poll_messages", "send_messages"}
var topicFlags = []string{"manage_topic", "read_topic", "poll_messages", "send_messages"}

func (p *permissionsJSON) wire() *wire.Permissions {
	if p == nil {
		return nil
	}
	g := p.Global
	out := &wire.Permissions{Global: wire.GlobalPermissions{ManageServers: g["manage_servers"], ReadServers: g["read_servers"],
		ManageUsers: g["manage_users"], ReadUsers: g["read_users"], ManageStreams: g["manage_streams"], ReadStreams: g["read_streams"],
		ManageTopics: g["manage_topics"], ReadTopics: g["read_topics"], PollMessages: g["poll_messages"], SendMessages: g["send_messages"]}}
	for key, raw := range p.RawStreams {
		var s map[string]json.RawMessage
		if json.Unmarshal(raw, &s) != nil {
			continue
		}
		flag := func(m map[string]json.RawMessage, name string) bool { return string(m[name]) == "true" }
		sp := &wire.StreamPermissions{ManageStream: flag(s, "manage_stream"), ReadStream: flag(s, "read_stream"),
			ManageTopics: flag(s, "manage_topics"), ReadTopics: flag(s, "read_topics"), PollMessages: flag(s, "poll_messages"),
			SendMessages: flag(s, "send_messages")}
		var topics map[string]map[string]json.RawMessage
		if t, ok := s["topics"]; ok && json.Unmarshal(t, &topics) == nil {
			for tkey, tp := range topics {
				tid, _ := strconv.ParseUint(tkey, 10, 32)
				if sp.Topics == nil {
					sp.Topics = map[uint32]*wire.TopicPermissions{}
				}
				sp.Topics[uint32(tid)] = &wire.TopicPermissions{ManageTopic: flag(tp, "manage_topic"), ReadTopic: flag(tp, "read_topic"),
					PollMessages: flag(tp, "poll_messages"), SendMessages: flag(tp, "send_messages")}
			}
		}
		sid, _ := strconv.ParseUint(key, 10, 32)
		if out.Streams == nil {
			out.Streams = map[uint32]*wire.StreamPermissions{}
		}
		out.Streams[uint32(sid)] = sp
	}
	return out
}

// permsToJSON renders permissions for a request body (nil → null).
func permsToJSON(p *wire.Permissions) any {
	if p == nil {
		return nil
	}
	g := p.Global
	global := map[string]bool{}
	for i, v := range []bool{g.ManageServers, g.ReadServers, g.ManageUsers, g.ReadUsers, g.ManageStreams, g.ReadStreams,
		g.ManageTopics, g.ReadTopics, g.PollMessages, g.SendMessages} {
		global[globalFlags[i]] = v
	}
	out := map[string]any{"global": global, "streams": nil}
	if len(p.Streams) > 0 {
		streams := map[string]any{}
		for id, s := range p.Streams {
			sm := map[string]any{}
			for i, v := range []bool{s.ManageStream, s.ReadStream, s.ManageTopics, s.ReadTopics, s.PollMessages, s.SendMessages} {
				sm[streamFlags[i]] = v
			}
			if len(s.Topics) > 0 {
				topics := map[string]any{}
				for tid, t := range s.Topics {
					tm := map[string]bool{}
					for i, v := range []bool{t.ManageTopic, t.ReadTopic, t.PollMessages, t.SendMessages} {
						tm[topicFlags[i]] = v
					}
					topics[strconv.FormatUint(uint64(tid), 10)] = tm
				}
				sm["topics"] = topics
			}
			streams[strconv.FormatUint(uint64(id), 10)] = sm
		}
		out["streams"] = streams
	}
	return out
}
