package wire

// Topic settings (docs/protocol/binary.md §2.7).
const (
	CompressionNone = 1
	CompressionGzip = 2
	// Unlimited is u64 max: never expire, or no size cap.
	Unlimited = ^uint64(0)
	// MaxPartitionsPerRequest bounds CreateTopic and CreatePartitions.
	MaxPartitionsPerRequest = 1000
)

// GetTopic asks for a topic with its partitions.
type GetTopic struct{ TopicRef }

func (*GetTopic) Code() Command { return CmdGetTopic }

// GetTopics asks for every topic of a stream.
type GetTopics struct{ StreamRef }

func (*GetTopics) Code() Command { return CmdGetTopics }

// DeleteTopic deletes a topic.
type DeleteTopic struct{ TopicRef }

func (*DeleteTopic) Code() Command { return CmdDeleteTopic }

// PurgeTopic deletes every message and stored offset of a topic.
type PurgeTopic struct{ TopicRef }

func (*PurgeTopic) Code() Command { return CmdPurgeTopic }

// CreateTopic creates a topic; the server assigns its id.
type CreateTopic struct {
	Stream            Identifier
	PartitionsCount   uint32
	Compression       uint8
	MessageExpiry     uint64
	MaxTopicSize      uint64
	ReplicationFactor uint8
	Name              string
}

func (*CreateTopic) Code() Command { return CmdCreateTopic }
func (c *CreateTopic) AppendTo(dst []byte) []byte {
	dst = c.Stream.AppendTo(dst)
	dst = appendU32(dst, c.PartitionsCount)
	dst = append(dst, c.Compression)
	dst = appendU64(dst, c.MessageExpiry)
	dst = appendU64(dst, c.MaxTopicSize)
	dst = append(dst, c.ReplicationFactor)
	return appendStr8(dst, c.Name)
}

// Decode reads the request. The partition count and compression are
// checked by the broker, where Iggy's order puts them.
func (c *CreateTopic) Decode(b []byte) error {
	return decodeAll(b, func(r *reader) {
		c.Stream = r.ident()
		c.PartitionsCount = r.u32()
		c.Compression = r.u8()
		c.MessageExpiry, c.MaxTopicSize = r.u64(), r.u64()
		c.ReplicationFactor = r.u8()
		c.Name = r.name8()
	})
}

// UpdateTopic changes a topic's settings and name.
type UpdateTopic struct {
	Stream, Topic     Identifier
	Compression       uint8
	MessageExpiry     uint64
	MaxTopicSize      uint64
	ReplicationFactor uint8
	Name              string
}

func (*UpdateTopic) Code() Command { return CmdUpdateTopic }
func (u *UpdateTopic) AppendTo(dst []byte) []byte {
	dst = u.Topic.AppendTo(u.Stream.AppendTo(dst))
	dst = append(dst, u.Compression)
	dst = appendU64(dst, u.MessageExpiry)
	dst = appendU64(dst, u.MaxTopicSize)
	dst = append(dst, u.ReplicationFactor)
	return appendStr8(dst, u.Name)
}
func (u *UpdateTopic) Decode(b []byte) error {
	return decodeAll(b, func(r *reader) {
		u.Stream, u.Topic = r.ident(), r.ident()
		u.Compression = r.u8()
		u.MessageExpiry, u.MaxTopicSize = r.u64(), r.u64()
		u.ReplicationFactor = r.u8()
		u.Name = r.name8()
	})
}

// TopicInfo is a topic header (GetTopics items, StreamDetails, head of
// TopicDetails).
type TopicInfo struct {
	ID                uint32
	CreatedAt         uint64
	PartitionsCount   uint32
	MessageExpiry     uint64
	Compression       uint8
	MaxTopicSize      uint64
	ReplicationFactor uint8
	SizeBytes         uint64
	MessagesCount     uint64
	Name              string
}

func (t *TopicInfo) AppendTo(dst []byte) []byte {
	dst = appendU32(dst, t.ID)
	dst = appendU64(dst, t.CreatedAt)
	dst = appendU32(dst, t.PartitionsCount)
	dst = appendU64(dst, t.MessageExpiry)
	dst = append(dst, t.Compression)
	dst = appendU64(dst, t.MaxTopicSize)
	dst = append(dst, t.ReplicationFactor)
	dst = appendU64(dst, t.SizeBytes)
	dst = appendU64(dst, t.MessagesCount)
	return appendStr8(dst, t.Name)
}

func (t *TopicInfo) read(r *reader) {
	t.ID, t.CreatedAt, t.PartitionsCount = r.u32(), r.u64(), r.u32()
	t.MessageExpiry, t.Compression, t.MaxTopicSize = r.u64(), r.u8(), r.u64()
	t.ReplicationFactor = r.u8()
	t.SizeBytes, t.MessagesCount = r.u64(), r.u64()
	t.Name = r.name8()
}

// DecodeTopics reads a GetTopics payload.
func DecodeTopics(b []byte) ([]TopicInfo, error) {
	return decodeList(b, func(r *reader) TopicInfo {
		var t TopicInfo
		t.read(r)
		return t
	})
}

// PartitionInfo is one partition of TopicDetails (40 bytes).
type PartitionInfo struct {
	ID            uint32
	CreatedAt     uint64
	SegmentsCount uint32
	CurrentOffset uint64
	SizeBytes     uint64
	MessagesCount uint64
}

func (p *PartitionInfo) AppendTo(dst []byte) []byte {
	dst = appendU32(dst, p.ID)
	dst = appendU64(dst, p.CreatedAt)
	dst = appendU32(dst, p.SegmentsCount)
	dst = appendU64(dst, p.CurrentOffset)
	dst = appendU64(dst, p.SizeBytes)
	return appendU64(dst, p.MessagesCount)
}

// TopicDetails is a topic with its partitions (GetTopic, CreateTopic).
type TopicDetails struct {
	TopicInfo
	Partitions []PartitionInfo
}

// AppendTo appends the payload; partitions_count is the number listed.
func (t *TopicDetails) AppendTo(dst []byte) []byte {
	head := t.TopicInfo
	head.PartitionsCount = uint32(len(t.Partitions))
	dst = head.AppendTo(dst)
	for i := range t.Partitions {
		dst = t.Partitions[i].AppendTo(dst)
	}
	return dst
}

func (t *TopicDetails) Decode(b []byte) error {
	return decodeAll(b, func(r *reader) {
		t.TopicInfo.read(r)
		if r.err != nil {
			return
		}
		if uint64(t.PartitionsCount)*40 > uint64(len(r.b)) {
			r.fail(ErrInvalidCommand)
			return
		}
		t.Partitions = t.Partitions[:0]
		for range t.PartitionsCount {
			t.Partitions = append(t.Partitions, PartitionInfo{ID: r.u32(), CreatedAt: r.u64(),
				SegmentsCount: r.u32(), CurrentOffset: r.u64(), SizeBytes: r.u64(), MessagesCount: r.u64()})
		}
	})
}
