package broker

// RetentionPreview is what the retention sweeper would delete if it ran
// now, and what the consumer-offset barrier would hold back. The sweeper
// lives above the broker (retention imports log); the server wires its
// Preview in with SetRetentionPreviewer, so the listeners reach it through
// the broker like every other command. The JSON names are the answer of
// GET /admin/retention/preview and are stable (docs/cli.md).
type RetentionPreview struct {
	// Enabled is false when the sweeper is off ([data_maintenance.messages]
	// cleaner_enabled = false): nothing is ever deleted by age or size.
	Enabled      bool             `json:"enabled"`
	Messages     uint64           `json:"messages"`
	Bytes        uint64           `json:"bytes"`
	HeldMessages uint64           `json:"held_messages"`
	HeldBytes    uint64           `json:"held_bytes"`
	DurationUS   uint64           `json:"duration_us"`
	Topics       []RetentionTopic `json:"topics"`
	Errors       []string         `json:"errors,omitempty"`
}

// RetentionTopic is one topic with something to delete or hold back.
type RetentionTopic struct {
	StreamID          uint32               `json:"stream_id"`
	TopicID           uint32               `json:"topic_id"`
	Name              string               `json:"name"`
	MessageExpiryUS   uint64               `json:"message_expiry_us"`
	MaxTopicSizeBytes uint64               `json:"max_topic_size_bytes"`
	Partitions        []RetentionPartition `json:"partitions"`
}

// RetentionPartition is one partition's plan: offsets [FromOffset,
// ToOffset) go.
type RetentionPartition struct {
	PartitionID   uint32 `json:"partition_id"`
	FromOffset    uint64 `json:"from_offset"`
	ToOffset      uint64 `json:"to_offset"`
	Messages      uint64 `json:"messages"`
	Bytes         uint64 `json:"bytes"`
	HeldMessages  uint64 `json:"held_messages"`
	HeldBytes     uint64 `json:"held_bytes"`
	BarrierOffset uint64 `json:"barrier_offset"`
}

// SetRetentionPreviewer installs the function RetentionPreview calls; nil
// means no sweeper runs.
func (b *Broker) SetRetentionPreviewer(fn func() RetentionPreview) {
	if fn == nil {
		b.previewer.Store(nil)
		return
	}
	b.previewer.Store(&fn)
}

// RetentionPreview reports what retention would delete now, for a user who
// may read the server (read_servers), as stats asks. It deletes nothing.
func (b *Broker) RetentionPreview(s *Session) (RetentionPreview, error) {
	p, err := b.permissions(s)
	if err != nil {
		return RetentionPreview{}, err
	}
	if err := allow(p.Global.ReadServers || p.Global.ManageServers, "retention preview (needs read_servers)"); err != nil {
		return RetentionPreview{}, err
	}
	fn := b.previewer.Load()
	if fn == nil {
		return RetentionPreview{Topics: []RetentionTopic{}}, nil
	}
	rp := (*fn)()
	rp.Enabled = true
	if rp.Topics == nil {
		rp.Topics = []RetentionTopic{}
	}
	return rp, nil
}
