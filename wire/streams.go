package wire

// GetStream asks for a stream with its topics.
type GetStream struct{ StreamRef }

func (*GetStream) Code() Command { return CmdGetStream }

// GetStreams asks for every stream.
type GetStreams struct{ noPayload }

func (*GetStreams) Code() Command { return CmdGetStreams }

// CreateStream creates a stream; the server assigns its id.
type CreateStream struct{ NameRef }

func (*CreateStream) Code() Command { return CmdCreateStream }

// DeleteStream deletes a stream with everything in it.
type DeleteStream struct{ StreamRef }

func (*DeleteStream) Code() Command { return CmdDeleteStream }

// PurgeStream deletes every message and stored offset of a stream.
type PurgeStream struct{ StreamRef }

func (*PurgeStream) Code() Command { return CmdPurgeStream }

// UpdateStream renames a stream.
type UpdateStream struct {
	Stream Identifier
	Name   string
}

func (*UpdateStream) Code() Command { return CmdUpdateStream }
func (u *UpdateStream) AppendTo(dst []byte) []byte {
	return appendStr8(u.Stream.AppendTo(dst), u.Name)
}
func (u *UpdateStream) Decode(b []byte) error {
	return decodeAll(b, func(r *reader) { u.Stream, u.Name = r.ident(), r.name8() })
}

// StreamInfo is one stream of GetStreams, the CreateStream response and the
// head of StreamDetails.
type StreamInfo struct {
	ID            uint32
	CreatedAt     uint64
	TopicsCount   uint32
	SizeBytes     uint64
	MessagesCount uint64
	Name          string
}

func (s *StreamInfo) AppendTo(dst []byte) []byte {
	dst = appendU32(dst, s.ID)
	dst = appendU64(dst, s.CreatedAt)
	dst = appendU32(dst, s.TopicsCount)
	dst = appendU64(dst, s.SizeBytes)
	dst = appendU64(dst, s.MessagesCount)
	return appendStr8(dst, s.Name)
}

func (s *StreamInfo) read(r *reader) {
	s.ID, s.CreatedAt, s.TopicsCount = r.u32(), r.u64(), r.u32()
	s.SizeBytes, s.MessagesCount = r.u64(), r.u64()
	s.Name = r.name8()
}

func (s *StreamInfo) Decode(b []byte) error { return decodeAll(b, s.read) }

// DecodeStreams reads a GetStreams payload.
func DecodeStreams(b []byte) ([]StreamInfo, error) {
	return decodeList(b, func(r *reader) StreamInfo {
		var s StreamInfo
		s.read(r)
		return s
	})
}

// StreamDetails is a stream with its topic headers (GetStream).
type StreamDetails struct {
	StreamInfo
	Topics []TopicInfo
}

// AppendTo appends the payload; topics_count is the number of topics
// listed, as the Rust SDK requires.
func (s *StreamDetails) AppendTo(dst []byte) []byte {
	head := s.StreamInfo
	head.TopicsCount = uint32(len(s.Topics))
	dst = head.AppendTo(dst)
	for i := range s.Topics {
		dst = s.Topics[i].AppendTo(dst)
	}
	return dst
}

func (s *StreamDetails) Decode(b []byte) error {
	return decodeAll(b, func(r *reader) {
		s.StreamInfo.read(r)
		s.Topics = s.Topics[:0]
		for i := uint32(0); i < s.TopicsCount && r.err == nil; i++ {
			var t TopicInfo
			t.read(r)
			s.Topics = append(s.Topics, t)
		}
	})
}
