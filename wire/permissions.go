package wire

import "slices"

// Permissions is the permissions block of docs/protocol/binary.md §2.6: ten global flags and
// optional per-stream and per-topic entries. It is the one model of a user's
// rights: the codec reads and writes it, broker/auth evaluates it.
type Permissions struct {
	Global GlobalPermissions
	// Streams is keyed by stream id. The ids are not checked for existence
	// (Iggy does not either); encoding writes them in ascending order.
	Streams map[uint32]*StreamPermissions
}

// GlobalPermissions are the ten global flags, in wire order.
type GlobalPermissions struct {
	ManageServers bool
	ReadServers   bool
	ManageUsers   bool
	ReadUsers     bool
	ManageStreams bool
	ReadStreams   bool
	ManageTopics  bool
	ReadTopics    bool
	PollMessages  bool
	SendMessages  bool
}

// StreamPermissions are the six flags of one stream entry, in wire order,
// plus its topic entries keyed by topic id.
type StreamPermissions struct {
	ManageStream bool
	ReadStream   bool
	ManageTopics bool
	ReadTopics   bool
	PollMessages bool
	SendMessages bool
	Topics       map[uint32]*TopicPermissions
}

// TopicPermissions are the four flags of one topic entry, in wire order.
type TopicPermissions struct {
	ManageTopic  bool
	ReadTopic    bool
	PollMessages bool
	SendMessages bool
}

// AllPermissions returns the root user's rights: every global flag set.
func AllPermissions() *Permissions {
	return &Permissions{Global: GlobalPermissions{
		ManageServers: true, ReadServers: true, ManageUsers: true, ReadUsers: true,
		ManageStreams: true, ReadStreams: true, ManageTopics: true, ReadTopics: true,
		PollMessages: true, SendMessages: true,
	}}
}

// AppendTo appends the permissions block (docs/protocol/binary.md §2.6), streams and
// topics in ascending id.
func (p *Permissions) AppendTo(dst []byte) []byte {
	g := p.Global
	for _, f := range [...]bool{g.ManageServers, g.ReadServers, g.ManageUsers, g.ReadUsers,
		g.ManageStreams, g.ReadStreams, g.ManageTopics, g.ReadTopics, g.PollMessages, g.SendMessages} {
		dst = appendBool(dst, f)
	}
	streams := sortedKeys(p.Streams)
	if len(streams) == 0 {
		return append(dst, 0)
	}
	dst = append(dst, 1)
	for i, sid := range streams {
		s := p.Streams[sid]
		dst = appendU32(dst, sid)
		if s == nil {
			s = &StreamPermissions{}
		}
		for _, f := range [...]bool{s.ManageStream, s.ReadStream, s.ManageTopics, s.ReadTopics, s.PollMessages, s.SendMessages} {
			dst = appendBool(dst, f)
		}
		topics := sortedKeys(s.Topics)
		if len(topics) == 0 {
			dst = append(dst, 0)
		} else {
			dst = append(dst, 1)
			for j, tid := range topics {
				t := s.Topics[tid]
				if t == nil {
					t = &TopicPermissions{}
				}
				dst = appendU32(dst, tid)
				dst = appendBool(dst, t.ManageTopic)
				dst = appendBool(dst, t.ReadTopic)
				dst = appendBool(dst, t.PollMessages)
				dst = appendBool(dst, t.SendMessages)
				dst = appendBool(dst, j < len(topics)-1)
			}
		}
		dst = appendBool(dst, i < len(streams)-1)
	}
	return dst
}

// DecodePermissions reads a whole permissions block. Bytes left over after
// the block are ErrInvalidFormat: the length in front of a block must equal
// the size of what it holds (docs/protocol/binary.md §4.2).
func DecodePermissions(b []byte) (*Permissions, error) {
	r := reader{b: b}
	p := r.permissions()
	if r.err != nil {
		if r.err == ErrInvalidCommand {
			// A block shorter than its length says is a length mismatch.
			return nil, ErrInvalidFormat
		}
		return nil, r.err
	}
	if len(r.b) != 0 {
		return nil, ErrInvalidFormat
	}
	return p, nil
}

func (r *reader) permissions() *Permissions {
	p := &Permissions{}
	g := &p.Global
	for _, f := range [...]*bool{&g.ManageServers, &g.ReadServers, &g.ManageUsers, &g.ReadUsers,
		&g.ManageStreams, &g.ReadStreams, &g.ManageTopics, &g.ReadTopics, &g.PollMessages, &g.SendMessages} {
		*f = r.bool8()
	}
	more := r.u8() == 1
	for more && r.err == nil {
		sid := r.u32()
		s := &StreamPermissions{}
		for _, f := range [...]*bool{&s.ManageStream, &s.ReadStream, &s.ManageTopics, &s.ReadTopics, &s.PollMessages, &s.SendMessages} {
			*f = r.bool8()
		}
		moreTopics := r.u8() == 1
		for moreTopics && r.err == nil {
			tid := r.u32()
			t := &TopicPermissions{ManageTopic: r.bool8(), ReadTopic: r.bool8(), PollMessages: r.bool8(), SendMessages: r.bool8()}
			if s.Topics == nil {
				s.Topics = make(map[uint32]*TopicPermissions)
			}
			s.Topics[tid] = t
			moreTopics = r.u8() == 1
		}
		if p.Streams == nil {
			p.Streams = make(map[uint32]*StreamPermissions)
		}
		p.Streams[sid] = s
		more = r.u8() == 1
	}
	return p
}

// optPermissions reads `u8 has`, then `u32 length` and a block when has is
// 1. A block whose decoded size differs from its length is ErrInvalidFormat.
func (r *reader) optPermissions() *Permissions {
	if r.u8() != 1 || r.err != nil {
		return nil
	}
	n := r.u32()
	if r.err != nil {
		return nil
	}
	if uint64(n) > uint64(len(r.b)) {
		r.fail(ErrInvalidFormat)
		return nil
	}
	p, err := DecodePermissions(r.take(int(n)))
	if err != nil {
		r.fail(err)
	}
	return p
}

// appendOptPermissions appends `u8 1, u32 length, block`, or a single 0
// byte when p is nil (the request form; UserDetails uses four zero bytes).
func appendOptPermissions(dst []byte, p *Permissions) []byte {
	if p == nil {
		return append(dst, 0)
	}
	dst = append(dst, 1)
	at := len(dst)
	dst = appendU32(dst, 0)
	dst = p.AppendTo(dst)
	putU32(dst[at:], uint32(len(dst)-at-4))
	return dst
}

func sortedKeys[V any](m map[uint32]V) []uint32 {
	keys := make([]uint32, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
