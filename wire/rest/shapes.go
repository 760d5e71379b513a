package rest

// Response shapes (docs/protocol/http.md, "Resources"). Field order is the
// order Iggy writes them; the web console and the SDKs read them by name.

// Stream is one stream of GET /streams.
type Stream struct {
	ID            uint32 `json:"id"`
	CreatedAt     uint64 `json:"created_at"`
	Name          string `json:"name"`
	Size          Size   `json:"size"`
	MessagesCount uint64 `json:"messages_count"`
	TopicsCount   uint32 `json:"topics_count"`
}

// StreamDetails is a stream with its topics (GET /streams/{id}, POST
// /streams).
type StreamDetails struct {
	Stream
	Topics []Topic `json:"topics"`
}

// Topic is one topic of GET .../topics.
type Topic struct {
	ID                   uint32 `json:"id"`
	CreatedAt            uint64 `json:"created_at"`
	Name                 string `json:"name"`
	Size                 Size   `json:"size"`
	MessageExpiry        uint64 `json:"message_expiry"`
	CompressionAlgorithm string `json:"compression_algorithm"`
	MaxTopicSize         uint64 `json:"max_topic_size"`
	ReplicationFactor    uint8  `json:"replication_factor"`
	MessagesCount        uint64 `json:"messages_count"`
	PartitionsCount      uint32 `json:"partitions_count"`
}

// TopicDetails is a topic with its partitions.
type TopicDetails struct {
	Topic
	Partitions []Partition `json:"partitions"`
}

// Partition is one partition of a topic.
type Partition struct {
	ID            uint32 `json:"id"`
	CreatedAt     uint64 `json:"created_at"`
	SegmentsCount uint32 `json:"segments_count"`
	CurrentOffset uint64 `json:"current_offset"`
	Size          Size   `json:"size"`
	MessagesCount uint64 `json:"messages_count"`
}

// Group is one consumer group of a list.
type Group struct {
	ID              uint32 `json:"id"`
	Name            string `json:"name"`
	PartitionsCount uint32 `json:"partitions_count"`
	MembersCount    uint32 `json:"members_count"`
}

// GroupMember is one member of a consumer group.
type GroupMember struct {
	ID              uint32   `json:"id"`
	PartitionsCount uint32   `json:"partitions_count"`
	Partitions      []uint32 `json:"partitions"`
}

// GroupDetails is a consumer group with its members.
type GroupDetails struct {
	Group
	Members []GroupMember `json:"members"`
}

// ConsumerOffset is GET .../consumer-offsets.
type ConsumerOffset struct {
	PartitionID   uint32 `json:"partition_id"`
	CurrentOffset uint64 `json:"current_offset"`
	StoredOffset  uint64 `json:"stored_offset"`
}

// Client is one client of GET /clients.
type Client struct {
	ClientID            uint32  `json:"client_id"`
	UserID              *uint32 `json:"user_id"`
	Address             string  `json:"address"`
	Transport           string  `json:"transport"`
	ConsumerGroupsCount uint32  `json:"consumer_groups_count"`
}

// ClientGroup is a group a client has joined.
type ClientGroup struct {
	StreamID uint32 `json:"stream_id"`
	TopicID  uint32 `json:"topic_id"`
	GroupID  uint32 `json:"group_id"`
}

// ClientDetails is a client with its groups.
type ClientDetails struct {
	Client
	ConsumerGroups []ClientGroup `json:"consumer_groups"`
}

// User is one user of GET /users.
type User struct {
	ID        uint32 `json:"id"`
	CreatedAt uint64 `json:"created_at"`
	Status    string `json:"status"`
	Username  string `json:"username"`
}

// UserDetails is a user with permissions (null when none).
type UserDetails struct {
	User
	Permissions *Permissions `json:"permissions"`
}

// Identity answers a login.
type Identity struct {
	UserID      uint32      `json:"user_id"`
	AccessToken AccessToken `json:"access_token"`
}

// AccessToken is an issued JWT and its expiry (Unix seconds).
type AccessToken struct {
	Token  string `json:"token"`
	Expiry int64  `json:"expiry"`
}

// PersonalAccessToken is one token of GET /personal-access-tokens; a
// token that never expires has a null expiry_at.
type PersonalAccessToken struct {
	Name     string  `json:"name"`
	ExpiryAt *uint64 `json:"expiry_at"`
}

// RawToken carries a token's secret: the answer to creating a personal
// access token, and the body of a token login or a JWT refresh.
type RawToken struct {
	Token string `json:"token"`
}

// ClusterMetadata is GET /cluster/metadata.
type ClusterMetadata struct {
	Name  string        `json:"name"`
	Nodes []ClusterNode `json:"nodes"`
}

// ClusterNode is one node of the cluster metadata.
type ClusterNode struct {
	Name      string    `json:"name"`
	IP        string    `json:"ip"`
	Endpoints Endpoints `json:"endpoints"`
	Role      string    `json:"role"`
	Status    string    `json:"status"`
}

// Endpoints are a node's ports.
type Endpoints struct {
	TCP       uint16 `json:"tcp"`
	QUIC      uint16 `json:"quic"`
	HTTP      uint16 `json:"http"`
	WebSocket uint16 `json:"websocket"`
}

// Stats is GET /stats.
type Stats struct {
	ProcessID           uint32         `json:"process_id"`
	CPUUsage            float32        `json:"cpu_usage"`
	TotalCPUUsage       float32        `json:"total_cpu_usage"`
	MemoryUsage         Size           `json:"memory_usage"`
	TotalMemory         Size           `json:"total_memory"`
	AvailableMemory     Size           `json:"available_memory"`
	RunTime             uint64         `json:"run_time"`
	StartTime           uint64         `json:"start_time"`
	ReadBytes           Size           `json:"read_bytes"`
	WrittenBytes        Size           `json:"written_bytes"`
	MessagesSizeBytes   Size           `json:"messages_size_bytes"`
	StreamsCount        uint32         `json:"streams_count"`
	TopicsCount         uint32         `json:"topics_count"`
	PartitionsCount     uint32         `json:"partitions_count"`
	SegmentsCount       uint32         `json:"segments_count"`
	MessagesCount       uint64         `json:"messages_count"`
	ClientsCount        uint32         `json:"clients_count"`
	ConsumerGroupsCount uint32         `json:"consumer_groups_count"`
	Hostname            string         `json:"hostname"`
	OSName              string         `json:"os_name"`
	OSVersion           string         `json:"os_version"`
	KernelVersion       string         `json:"kernel_version"`
	ServerVersion       string         `json:"iggy_server_version"`
	ServerSemver        *uint32        `json:"iggy_server_semver"`
	CacheMetrics        map[string]any `json:"cache_metrics"`
	ThreadsCount        uint32         `json:"threads_count"`
	FreeDiskSpace       Size           `json:"free_disk_space"`
	TotalDiskSpace      Size           `json:"total_disk_space"`
	// shale's own version and commit, after Iggy's fields. Iggy's
	// iggy_server_version stays "0.8.0" (docs/compatibility.md).
	ShaleVersion string `json:"shale_version,omitempty"`
	ShaleCommit  string `json:"shale_commit,omitempty"`
}

// Error is Iggy's JSON error body: all four fields, always.
type Error struct {
	ID     uint32  `json:"id"`
	Code   string  `json:"code"`
	Reason string  `json:"reason"`
	Field  *string `json:"field"`
}
