package wire

// Permissions is the permissions block of BINARY.md §2.6: ten global flags and
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
