package wire

// Ping checks liveness and refreshes the session's heartbeat.
type Ping struct{ noPayload }

func (*Ping) Code() Command { return CmdPing }

// GetStats asks for server statistics.
type GetStats struct{ noPayload }

func (*GetStats) Code() Command { return CmdGetStats }

// GetClusterMetadata asks for the cluster's nodes.
type GetClusterMetadata struct{ noPayload }

func (*GetClusterMetadata) Code() Command { return CmdGetClusterMetadata }

// GetMe asks for the calling connection's client details.
type GetMe struct{ noPayload }

func (*GetMe) Code() Command { return CmdGetMe }

// GetClients asks for every connected client.
type GetClients struct{ noPayload }

func (*GetClients) Code() Command { return CmdGetClients }

// GetClient asks for one client's details.
type GetClient struct{ ClientID uint32 }

func (*GetClient) Code() Command                { return CmdGetClient }
func (g *GetClient) AppendTo(dst []byte) []byte { return appendU32(dst, g.ClientID) }
func (g *GetClient) Decode(b []byte) error {
	return decodeAll(b, func(r *reader) { g.ClientID = r.u32() })
}

// Snapshot compressions and types (docs/protocol/binary.md §2.7).
const (
	SnapshotStored   = 1
	SnapshotDeflated = 2
	SnapshotAll      = 100
)

// GetSnapshot asks for a diagnostics ZIP archive.
type GetSnapshot struct {
	Compression uint8
	Types       []uint8
}

func (*GetSnapshot) Code() Command { return CmdGetSnapshot }
func (g *GetSnapshot) AppendTo(dst []byte) []byte {
	dst = append(dst, g.Compression, uint8(len(g.Types)))
	return append(dst, g.Types...)
}

// Decode reads the request; an unknown compression or type, or type 100
// next to another type, is ErrInvalidCommand as in Iggy.
func (g *GetSnapshot) Decode(b []byte) error {
	return decodeAll(b, func(r *reader) {
		g.Compression = r.u8()
		g.Types = append(g.Types[:0], r.take(int(r.u8()))...)
		if r.err != nil {
			return
		}
		if g.Compression < 1 || g.Compression > 6 {
			r.fail(ErrInvalidCommand)
		}
		for _, t := range g.Types {
			if (t < 1 || t > 6) && t != SnapshotAll || t == SnapshotAll && len(g.Types) > 1 {
				r.fail(ErrInvalidCommand)
			}
		}
	})
}

// Stats is the GetStats response (docs/protocol/binary.md §4.1).
type Stats struct {
	ProcessID           uint32
	CPUUsage            float32
	TotalCPUUsage       float32
	MemoryUsage         uint64
	TotalMemory         uint64
	AvailableMemory     uint64
	RunTime             uint64
	StartTime           uint64
	ReadBytes           uint64
	WrittenBytes        uint64
	MessagesSizeBytes   uint64
	StreamsCount        uint32
	TopicsCount         uint32
	PartitionsCount     uint32
	SegmentsCount       uint32
	MessagesCount       uint64
	ClientsCount        uint32
	ConsumerGroupsCount uint32
	Hostname            string
	OSName              string
	OSVersion           string
	KernelVersion       string
	ServerVersion       string
	ServerSemver        uint32
	CacheMetrics        []CacheMetric
	ThreadsCount        uint32
	FreeDiskSpace       uint64
	TotalDiskSpace      uint64
}

// CacheMetric is one per-partition cache entry of Stats.
type CacheMetric struct {
	StreamID, TopicID, PartitionID uint32
	Hits, Misses                   uint64
	HitRatio                       float32
}

// AppendTo appends the Stats payload.
func (s *Stats) AppendTo(dst []byte) []byte {
	dst = appendU32(dst, s.ProcessID)
	dst = appendF32(dst, s.CPUUsage)
	dst = appendF32(dst, s.TotalCPUUsage)
	for _, v := range [...]uint64{s.MemoryUsage, s.TotalMemory, s.AvailableMemory, s.RunTime,
		s.StartTime, s.ReadBytes, s.WrittenBytes, s.MessagesSizeBytes} {
		dst = appendU64(dst, v)
	}
	for _, v := range [...]uint32{s.StreamsCount, s.TopicsCount, s.PartitionsCount, s.SegmentsCount} {
		dst = appendU32(dst, v)
	}
	dst = appendU64(dst, s.MessagesCount)
	dst = appendU32(dst, s.ClientsCount)
	dst = appendU32(dst, s.ConsumerGroupsCount)
	for _, v := range [...]string{s.Hostname, s.OSName, s.OSVersion, s.KernelVersion, s.ServerVersion} {
		dst = appendStr32(dst, v)
	}
	dst = appendU32(dst, s.ServerSemver)
	dst = appendU32(dst, uint32(len(s.CacheMetrics)))
	for _, c := range s.CacheMetrics {
		dst = appendU32(dst, c.StreamID)
		dst = appendU32(dst, c.TopicID)
		dst = appendU32(dst, c.PartitionID)
		dst = appendU64(dst, c.Hits)
		dst = appendU64(dst, c.Misses)
		dst = appendF32(dst, c.HitRatio)
	}
	dst = appendU32(dst, s.ThreadsCount)
	dst = appendU64(dst, s.FreeDiskSpace)
	return appendU64(dst, s.TotalDiskSpace)
}

// Decode reads a Stats payload; every field must be present.
func (s *Stats) Decode(b []byte) error {
	return decodeAll(b, func(r *reader) {
		s.ProcessID = r.u32()
		s.CPUUsage, s.TotalCPUUsage = r.f32(), r.f32()
		for _, v := range [...]*uint64{&s.MemoryUsage, &s.TotalMemory, &s.AvailableMemory, &s.RunTime,
			&s.StartTime, &s.ReadBytes, &s.WrittenBytes, &s.MessagesSizeBytes} {
			*v = r.u64()
		}
		for _, v := range [...]*uint32{&s.StreamsCount, &s.TopicsCount, &s.PartitionsCount, &s.SegmentsCount} {
			*v = r.u32()
		}
		s.MessagesCount = r.u64()
		s.ClientsCount, s.ConsumerGroupsCount = r.u32(), r.u32()
		for _, v := range [...]*string{&s.Hostname, &s.OSName, &s.OSVersion, &s.KernelVersion, &s.ServerVersion} {
			*v = r.str32()
		}
		s.ServerSemver = r.u32()
		n := r.u32()
		if r.err == nil && uint64(n)*32 > uint64(len(r.b)) {
			r.fail(ErrInvalidCommand)
			return
		}
		s.CacheMetrics = s.CacheMetrics[:0]
		for range n {
			s.CacheMetrics = append(s.CacheMetrics, CacheMetric{StreamID: r.u32(), TopicID: r.u32(),
				PartitionID: r.u32(), Hits: r.u64(), Misses: r.u64(), HitRatio: r.f32()})
		}
		s.ThreadsCount = r.u32()
		s.FreeDiskSpace, s.TotalDiskSpace = r.u64(), r.u64()
	})
}

// Cluster node roles and statuses (docs/protocol/binary.md §2.7).
const (
	NodeLeader      = 0
	NodeFollower    = 1
	NodeHealthy     = 0
	NodeStarting    = 1
	NodeStopping    = 2
	NodeUnreachable = 3
	NodeMaintenance = 4
)

// ClusterMetadata is the GetClusterMetadata response.
type ClusterMetadata struct {
	Name  string
	Nodes []ClusterNode
}

// ClusterNode is one node of ClusterMetadata.
type ClusterNode struct {
	Name, IP                                   string
	TCPPort, QUICPort, HTTPPort, WebSocketPort uint16
	Role, Status                               uint8
}

// AppendTo appends the ClusterMetadata payload.
func (c *ClusterMetadata) AppendTo(dst []byte) []byte {
	dst = appendStr32(dst, c.Name)
	dst = appendU32(dst, uint32(len(c.Nodes)))
	for _, n := range c.Nodes {
		dst = appendStr32(dst, n.Name)
		dst = appendStr32(dst, n.IP)
		dst = appendU16(dst, n.TCPPort)
		dst = appendU16(dst, n.QUICPort)
		dst = appendU16(dst, n.HTTPPort)
		dst = appendU16(dst, n.WebSocketPort)
		dst = append(dst, n.Role, n.Status)
	}
	return dst
}

// Decode reads a ClusterMetadata payload.
func (c *ClusterMetadata) Decode(b []byte) error {
	return decodeAll(b, func(r *reader) {
		c.Name = r.str32()
		n := r.u32()
		c.Nodes = c.Nodes[:0]
		for i := uint32(0); i < n && r.err == nil; i++ {
			c.Nodes = append(c.Nodes, ClusterNode{Name: r.str32(), IP: r.str32(), TCPPort: r.u16(),
				QUICPort: r.u16(), HTTPPort: r.u16(), WebSocketPort: r.u16(), Role: r.u8(), Status: r.u8()})
		}
	})
}

// Client transports (docs/protocol/binary.md §2.7).
const (
	TransportTCP       = 1
	TransportQUIC      = 2
	TransportHTTP      = 3
	TransportWebSocket = 4
)

// NoUserID is the user id reported for a client that is not logged in.
const NoUserID = ^uint32(0)

// ClientInfo is one client of GetClients and the head of ClientDetails.
type ClientInfo struct {
	ClientID            uint32
	UserID              uint32
	Transport           uint8
	Address             string
	ConsumerGroupsCount uint32
}

// ClientGroup is one consumer group a client has joined.
type ClientGroup struct{ StreamID, TopicID, GroupID uint32 }

// ClientDetails is the GetMe/GetClient response.
type ClientDetails struct {
	ClientInfo
	Groups []ClientGroup
}

// AppendTo appends the ClientInfo entry.
func (c *ClientInfo) AppendTo(dst []byte) []byte {
	dst = appendU32(dst, c.ClientID)
	dst = appendU32(dst, c.UserID)
	dst = append(dst, c.Transport)
	dst = appendStr32(dst, c.Address)
	return appendU32(dst, c.ConsumerGroupsCount)
}

func (c *ClientInfo) read(r *reader) {
	c.ClientID, c.UserID, c.Transport = r.u32(), r.u32(), r.u8()
	c.Address = r.str32()
	c.ConsumerGroupsCount = r.u32()
}

// AppendTo appends the ClientDetails payload; the groups count written is
// the number of groups listed.
func (c *ClientDetails) AppendTo(dst []byte) []byte {
	info := c.ClientInfo
	info.ConsumerGroupsCount = uint32(len(c.Groups))
	dst = info.AppendTo(dst)
	for _, g := range c.Groups {
		dst = appendU32(dst, g.StreamID)
		dst = appendU32(dst, g.TopicID)
		dst = appendU32(dst, g.GroupID)
	}
	return dst
}

// Decode reads a ClientDetails payload.
func (c *ClientDetails) Decode(b []byte) error {
	return decodeAll(b, func(r *reader) {
		c.ClientInfo.read(r)
		c.Groups = c.Groups[:0]
		for i := uint32(0); i < c.ConsumerGroupsCount && r.err == nil; i++ {
			c.Groups = append(c.Groups, ClientGroup{StreamID: r.u32(), TopicID: r.u32(), GroupID: r.u32()})
		}
	})
}

// DecodeClients reads a GetClients payload: entries until the end.
func DecodeClients(b []byte) ([]ClientInfo, error) {
	return decodeList(b, func(r *reader) ClientInfo {
		var c ClientInfo
		c.read(r)
		return c
	})
}

// decodeList reads items back to back until the payload ends (list
// payloads have no count, docs/protocol/binary.md §3).
func decodeList[T any](b []byte, item func(r *reader) T) ([]T, error) {
	r := reader{b: b}
	var out []T
	for len(r.b) > 0 && r.err == nil {
		v := item(&r)
		if r.err == nil {
			out = append(out, v)
		}
	}
	return out, r.err
}
