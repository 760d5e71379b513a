package config

// ResourceLimits is [limits], shale's own table: what clients together may make
// the server hold (connections, stalled reads and writes, request memory),
// as opposed to [system.limits], the size of any one thing
// (docs/reliability.md, "Resource limits").
type ResourceLimits struct {
	// MaxConnectionsPerAddress caps one client IP's open connections on
	// each transport; 0 means no cap.
	MaxConnectionsPerAddress int `koanf:"max_connections_per_address"`
	// RequestMemory caps the bytes of large request payloads (over 64 KiB)
	// the binary transports hold at once; 0 means no cap.
	RequestMemory ByteSize `koanf:"request_memory"`
	// RequestMemoryWait is how long a payload waits for room.
	RequestMemoryWait Duration `koanf:"request_memory_wait"`
	// PollAnswerBytes caps the messages of one poll answer, whatever the
	// count asked (a first message larger than it still goes out whole).
	PollAnswerBytes ByteSize     `koanf:"poll_answer_bytes"`
	Binary          BinaryLimits `koanf:"binary"`
	QUIC            QUICLimits   `koanf:"quic"`
	HTTP            HTTPLimits   `koanf:"http"`
}

// BinaryLimits is [limits.binary]: TCP and QUIC request timeouts.
type BinaryLimits struct {
	FrameTimeout Duration `koanf:"frame_timeout"`
	WriteTimeout Duration `koanf:"write_timeout"`
	IdleTimeout  Duration `koanf:"idle_timeout"`
}

// QUICLimits is [limits.quic].
type QUICLimits struct {
	MaxConnections int `koanf:"max_connections"`
}

// HTTPLimits is [limits.http].
type HTTPLimits struct {
	MaxConnections int      `koanf:"max_connections"`
	ReadTimeout    Duration `koanf:"read_timeout"`
	IdleTimeout    Duration `koanf:"idle_timeout"`
	WriteTimeout   Duration `koanf:"write_timeout"`
}

// maxSendFrame is the largest SendMessages payload a binary listener
// accepts: one message of the largest size plus room for its metadata.
func (c *Config) maxSendFrame() uint64 { return uint64(c.System.Limits.MaxMessageSize) + 2<<20 }

func (v *validator) limits(c *Config) {
	l := &c.Limits
	v.check(l.MaxConnectionsPerAddress >= 0, "limits.max_connections_per_address",
		"must not be negative (0 means no limit), got %d", l.MaxConnectionsPerAddress)
	v.check(l.QUIC.MaxConnections >= 0, "limits.quic.max_connections",
		"must not be negative (0 means no limit), got %d", l.QUIC.MaxConnections)
	v.check(l.HTTP.MaxConnections >= 0, "limits.http.max_connections",
		"must not be negative (0 means no limit), got %d", l.HTTP.MaxConnections)
	if l.RequestMemory != 0 {
		// Otherwise the largest send could never be read.
		v.check(uint64(l.RequestMemory) >= c.maxSendFrame(), "limits.request_memory",
			"must be 0 or at least system.limits.max_message_size + 2 MiB (%d bytes), got %s", c.maxSendFrame(), l.RequestMemory)
		v.positiveWhen(true, "limits.request_memory_wait", l.RequestMemoryWait)
	}
	// An answer is sent in one frame whose length is a u32; 1 GiB keeps
	// any answer (the cap plus one message past it) well inside it.
	v.sizeBetween("limits.poll_answer_bytes", l.PollAnswerBytes, 64<<10, 1<<30)
	v.positiveWhen(true, "limits.http.read_timeout", l.HTTP.ReadTimeout)
	v.positiveWhen(true, "limits.http.idle_timeout", l.HTTP.IdleTimeout)
}
