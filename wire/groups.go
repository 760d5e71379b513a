package wire

// GetConsumerGroup asks for a group with its members.
type GetConsumerGroup struct{ GroupRef }

func (*GetConsumerGroup) Code() Command { return CmdGetConsumerGroup }

// GetConsumerGroups asks for every group of a topic.
type GetConsumerGroups struct{ TopicRef }

func (*GetConsumerGroups) Code() Command { return CmdGetConsumerGroups }

// DeleteConsumerGroup deletes a group.
type DeleteConsumerGroup struct{ GroupRef }

func (*DeleteConsumerGroup) Code() Command { return CmdDeleteConsumerGroup }

// JoinConsumerGroup makes the calling connection a member.
type JoinConsumerGroup struct{ GroupRef }

func (*JoinConsumerGroup) Code() Command { return CmdJoinConsumerGroup }

// LeaveConsumerGroup removes the calling connection from a group.
type LeaveConsumerGroup struct{ GroupRef }

func (*LeaveConsumerGroup) Code() Command { return CmdLeaveConsumerGroup }

// CreateConsumerGroup creates a group; the server assigns its id.
type CreateConsumerGroup struct {
	Stream, Topic Identifier
	Name          string
}

func (*CreateConsumerGroup) Code() Command { return CmdCreateConsumerGroup }
func (c *CreateConsumerGroup) AppendTo(dst []byte) []byte {
	return appendStr8(c.Topic.AppendTo(c.Stream.AppendTo(dst)), c.Name)
}
func (c *CreateConsumerGroup) Decode(b []byte) error {
	return decodeAll(b, func(r *reader) { c.Stream, c.Topic, c.Name = r.ident(), r.ident(), r.name8() })
}

// ConsumerGroupInfo is one group of GetConsumerGroups, the
// CreateConsumerGroup response and the head of ConsumerGroupDetails.
type ConsumerGroupInfo struct {
	ID              uint32
	PartitionsCount uint32
	MembersCount    uint32
	Name            string
}

func (g *ConsumerGroupInfo) AppendTo(dst []byte) []byte {
	dst = appendU32(dst, g.ID)
	dst = appendU32(dst, g.PartitionsCount)
	dst = appendU32(dst, g.MembersCount)
	return appendStr8(dst, g.Name)
}

func (g *ConsumerGroupInfo) read(r *reader) {
	g.ID, g.PartitionsCount, g.MembersCount = r.u32(), r.u32(), r.u32()
	g.Name = r.name8()
}

func (g *ConsumerGroupInfo) Decode(b []byte) error { return decodeAll(b, g.read) }

// DecodeConsumerGroups reads a GetConsumerGroups payload.
func DecodeConsumerGroups(b []byte) ([]ConsumerGroupInfo, error) {
	return decodeList(b, func(r *reader) ConsumerGroupInfo {
		var g ConsumerGroupInfo
		g.read(r)
		return g
	})
}

// ConsumerGroupMember is one member: a per-group sequence number (not the
// client id) and its partitions.
type ConsumerGroupMember struct {
	ID         uint32
	Partitions []uint32
}

// ConsumerGroupDetails is a group with its members (GetConsumerGroup).
type ConsumerGroupDetails struct {
	ConsumerGroupInfo
	Members []ConsumerGroupMember
}

// AppendTo appends the payload; members_count is the number listed.
func (g *ConsumerGroupDetails) AppendTo(dst []byte) []byte {
	head := g.ConsumerGroupInfo
	head.MembersCount = uint32(len(g.Members))
	dst = head.AppendTo(dst)
	for _, m := range g.Members {
		dst = appendU32(dst, m.ID)
		dst = appendU32(dst, uint32(len(m.Partitions)))
		for _, p := range m.Partitions {
			dst = appendU32(dst, p)
		}
	}
	return dst
}

func (g *ConsumerGroupDetails) Decode(b []byte) error {
	return decodeAll(b, func(r *reader) {
		g.ConsumerGroupInfo.read(r)
		g.Members = g.Members[:0]
		for i := uint32(0); i < g.MembersCount && r.err == nil; i++ {
			m := ConsumerGroupMember{ID: r.u32()}
			n := r.u32()
			if r.err == nil && uint64(n)*4 > uint64(len(r.b)) {
				r.fail(ErrInvalidCommand)
				return
			}
			for range n {
				m.Partitions = append(m.Partitions, r.u32())
			}
			g.Members = append(g.Members, m)
		}
	})
}
