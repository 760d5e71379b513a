package wire

// Payload shapes shared by many commands. Commands embed them, so GetStream
// and DeleteStream, say, differ only in their code.

// noPayload is the body of commands with an empty request.
type noPayload struct{}

func (noPayload) AppendTo(dst []byte) []byte { return dst }
func (noPayload) Decode([]byte) error        { return nil }

// StreamRef is a request holding one stream identifier.
type StreamRef struct{ Stream Identifier }

func (s *StreamRef) AppendTo(dst []byte) []byte { return s.Stream.AppendTo(dst) }
func (s *StreamRef) Decode(b []byte) error {
	return decodeAll(b, func(r *reader) { s.Stream = r.ident() })
}

// TopicRef is a request holding stream and topic identifiers.
type TopicRef struct{ Stream, Topic Identifier }

func (t *TopicRef) AppendTo(dst []byte) []byte { return t.Topic.AppendTo(t.Stream.AppendTo(dst)) }
func (t *TopicRef) Decode(b []byte) error      { return decodeAll(b, t.read) }
func (t *TopicRef) read(r *reader)             { t.Stream, t.Topic = r.ident(), r.ident() }

// GroupRef is a request holding stream, topic and consumer group
// identifiers.
type GroupRef struct{ Stream, Topic, Group Identifier }

func (g *GroupRef) AppendTo(dst []byte) []byte {
	return g.Group.AppendTo(g.Topic.AppendTo(g.Stream.AppendTo(dst)))
}
func (g *GroupRef) Decode(b []byte) error {
	return decodeAll(b, func(r *reader) { g.Stream, g.Topic, g.Group = r.ident(), r.ident(), r.ident() })
}

// UserRef is a request holding one user identifier (id or username).
type UserRef struct{ User Identifier }

func (u *UserRef) AppendTo(dst []byte) []byte { return u.User.AppendTo(dst) }
func (u *UserRef) Decode(b []byte) error {
	return decodeAll(b, func(r *reader) { u.User = r.ident() })
}

// NameRef is a request holding one name8.
type NameRef struct{ Name string }

func (n *NameRef) AppendTo(dst []byte) []byte { return appendStr8(dst, n.Name) }
func (n *NameRef) Decode(b []byte) error {
	return decodeAll(b, func(r *reader) { n.Name = r.name8() })
}
