package config

// Config is shale's whole configuration. Every field's key is its koanf tag
// path; every field has its default, and its documentation, in
// defaults.toml. A field tagged secret:"true" is masked by Redacted and TOML
// and in the list of applied environment variables.
//
// Key names are Iggy 0.8.0's where the setting exists in Iggy
// (config/defaults.toml), so an Iggy config file and IGGY_*
// environment carry over; shale's own settings sit next to them.
type Config struct {
	System              System              `koanf:"system"`
	TCP                 TCP                 `koanf:"tcp"`
	QUIC                QUIC                `koanf:"quic"`
	HTTP                HTTP                `koanf:"http"`
	MessageSaver        MessageSaver        `koanf:"message_saver"`
	DataMaintenance     DataMaintenance     `koanf:"data_maintenance"`
	Heartbeat           Heartbeat           `koanf:"heartbeat"`
	PersonalAccessToken PersonalAccessToken `koanf:"personal_access_token"`
	ConsumerGroup       ConsumerGroup       `koanf:"consumer_group"`
	Admin               Admin               `koanf:"admin"`
	Limits              ResourceLimits      `koanf:"limits"` // limits.go
	Backup              Backup              `koanf:"backup"`
	Cluster             Cluster             `koanf:"cluster"`
	Websocket           Websocket           `koanf:"websocket"`
	File                File                `koanf:"config"`

	// Filled by Load; reported by Validate, Warnings and AppliedEnv.
	loadProblems Problems
	warnings     []string
	appliedEnv   []string
}

// System is the [system] table: data directory, durability, storage engine,
// limits, logging and topic defaults.
type System struct {
	Path                 string               `koanf:"path"`
	Runtime              Runtime              `koanf:"runtime"`
	Durability           Durability           `koanf:"durability"`
	Storage              Storage              `koanf:"storage"`
	Limits               Limits               `koanf:"limits"`
	Logging              Logging              `koanf:"logging"`
	Topic                Topic                `koanf:"topic"`
	Segment              Segment              `koanf:"segment"`
	MessageDeduplication MessageDeduplication `koanf:"message_deduplication"`
	Encryption           Encryption           `koanf:"encryption"`
}

// Runtime is [system.runtime]: the directory, under system.path, that
// holds current_config.toml.
type Runtime struct {
	Path string `koanf:"path"`
}

// Durability is [system.durability]: when a send is acknowledged.
type Durability struct {
	Mode     string   `koanf:"mode"`
	Interval Duration `koanf:"interval"`
}

// Durability modes.
const (
	DurabilitySync     = "sync"
	DurabilityInterval = "interval"
)

// Storage is [system.storage]: the Pebble engine's memory and disk guards.
type Storage struct {
	CacheSize    ByteSize `koanf:"cache_size"`
	MemtableSize ByteSize `koanf:"memtable_size"`
	MinFreeDisk  ByteSize `koanf:"min_free_disk"`
	// ValueSeparationMinSize: values this large or larger are kept in
	// Pebble's blob files; 0 keeps them all in the tables.
	ValueSeparationMinSize ByteSize `koanf:"value_separation_min_size"`
}

// Limits is [system.limits]: bounds checked before allocating.
type Limits struct {
	MaxMessageSize        ByteSize `koanf:"max_message_size"`
	MaxFrameSize          ByteSize `koanf:"max_frame_size"`
	MaxPartitionsPerTopic int      `koanf:"max_partitions_per_topic"`
	MaxNameLength         int      `koanf:"max_name_length"`
}

// Logging is [system.logging].
type Logging struct {
	Level  string `koanf:"level"`
	Format string `koanf:"format"`
}

// Topic is [system.topic]: values a CreateTopic of 0 ("server default")
// resolves to.
type Topic struct {
	MaxSize       ByteSize `koanf:"max_size"`
	MessageExpiry Duration `koanf:"message_expiry" zero:"none"`
}

// Segment is [system.segment]. shale has no segment files; the size is kept
// because Iggy clients see it as the smallest custom max topic size.
type Segment struct {
	Size ByteSize `koanf:"size"`
}

// MessageDeduplication is [system.message_deduplication].
type MessageDeduplication struct {
	Enabled    bool     `koanf:"enabled"`
	MaxEntries int      `koanf:"max_entries"`
	Expiry     Duration `koanf:"expiry"`
}

// Encryption is [system.encryption], Iggy's at-rest encryption.
type Encryption struct {
	Enabled bool   `koanf:"enabled"`
	Key     string `koanf:"key" secret:"true"`
}

// TCP is the [tcp] table.
type TCP struct {
	Enabled        bool      `koanf:"enabled"`
	Address        string    `koanf:"address"`
	MaxConnections int       `koanf:"max_connections"`
	TLS            TLS       `koanf:"tls"`
	Socket         TCPSocket `koanf:"socket"`
}

// TLS is a listener's [*.tls] table.
type TLS struct {
	Enabled    bool   `koanf:"enabled"`
	SelfSigned bool   `koanf:"self_signed"`
	CertFile   string `koanf:"cert_file"`
	KeyFile    string `koanf:"key_file"`
}

// TCPSocket is [tcp.socket]. The options apply only when OverrideDefaults
// is set, as in Iggy; otherwise Go's defaults stay (TCP_NODELAY on,
// keepalive 15 s).
type TCPSocket struct {
	OverrideDefaults bool     `koanf:"override_defaults"`
	RecvBufferSize   ByteSize `koanf:"recv_buffer_size"`
	SendBufferSize   ByteSize `koanf:"send_buffer_size"`
	Keepalive        bool     `koanf:"keepalive"`
	Nodelay          bool     `koanf:"nodelay"`
	Linger           Duration `koanf:"linger"`
}

// QUIC is the [quic] table (docs/protocol/quic.md).
type QUIC struct {
	Enabled                  bool            `koanf:"enabled"`
	Address                  string          `koanf:"address"`
	MaxConcurrentBidiStreams int             `koanf:"max_concurrent_bidi_streams"`
	DatagramSendBufferSize   ByteSize        `koanf:"datagram_send_buffer_size"`
	InitialMTU               ByteSize        `koanf:"initial_mtu"`
	SendWindow               ByteSize        `koanf:"send_window"`
	ReceiveWindow            ByteSize        `koanf:"receive_window"`
	KeepAliveInterval        Duration        `koanf:"keep_alive_interval"`
	MaxIdleTimeout           Duration        `koanf:"max_idle_timeout"`
	Certificate              QUICCertificate `koanf:"certificate"`
}

// QUICCertificate is [quic.certificate]. QUIC is always TLS.
type QUICCertificate struct {
	SelfSigned bool   `koanf:"self_signed"`
	CertFile   string `koanf:"cert_file"`
	KeyFile    string `koanf:"key_file"`
}

// HTTP is the [http] table (docs/protocol/http.md).
type HTTP struct {
	Enabled        bool        `koanf:"enabled"`
	Address        string      `koanf:"address"`
	MaxRequestSize ByteSize    `koanf:"max_request_size"`
	CORS           CORS        `koanf:"cors"`
	JWT            JWT         `koanf:"jwt"`
	Metrics        HTTPMetrics `koanf:"metrics"`
	TLS            HTTPTLS     `koanf:"tls"`
}

// CORS is [http.cors].
type CORS struct {
	Enabled             bool     `koanf:"enabled"`
	AllowedMethods      []string `koanf:"allowed_methods"`
	AllowedOrigins      []string `koanf:"allowed_origins"`
	AllowedHeaders      []string `koanf:"allowed_headers"`
	ExposedHeaders      []string `koanf:"exposed_headers"`
	AllowCredentials    bool     `koanf:"allow_credentials"`
	AllowPrivateNetwork bool     `koanf:"allow_private_network"`
}

// JWT is [http.jwt].
type JWT struct {
	Algorithm         string   `koanf:"algorithm"`
	Issuer            string   `koanf:"issuer"`
	Audience          string   `koanf:"audience"`
	ValidIssuers      []string `koanf:"valid_issuers"`
	ValidAudiences    []string `koanf:"valid_audiences"`
	AccessTokenExpiry Duration `koanf:"access_token_expiry"`
	ClockSkew         Duration `koanf:"clock_skew"`
	NotBefore         Duration `koanf:"not_before"`
	EncodingSecret    string   `koanf:"encoding_secret" secret:"true"`
	DecodingSecret    string   `koanf:"decoding_secret" secret:"true"`
	UseBase64Secret   bool     `koanf:"use_base64_secret"`
}

// HTTPMetrics is [http.metrics].
type HTTPMetrics struct {
	Enabled  bool   `koanf:"enabled"`
	Endpoint string `koanf:"endpoint"`
}

// HTTPTLS is [http.tls]. Unlike TCP, Iggy's HTTP has no self-signed option.
type HTTPTLS struct {
	Enabled  bool   `koanf:"enabled"`
	CertFile string `koanf:"cert_file"`
	KeyFile  string `koanf:"key_file"`
}

// MessageSaver is Iggy's [message_saver]. shale acknowledges a send only
// once it is durable (system.durability), so there is nothing to save in
// the background; the keys are accepted so Iggy files load unchanged.
type MessageSaver struct {
	Enabled      bool     `koanf:"enabled"`
	EnforceFsync bool     `koanf:"enforce_fsync"`
	Interval     Duration `koanf:"interval"`
}

// DataMaintenance is [data_maintenance].
type DataMaintenance struct {
	Messages MessagesMaintenance `koanf:"messages"`
}

// MessagesMaintenance is [data_maintenance.messages]: the retention sweeper.
type MessagesMaintenance struct {
	CleanerEnabled         bool     `koanf:"cleaner_enabled"`
	Interval               Duration `koanf:"interval"`
	RespectConsumerOffsets bool     `koanf:"respect_consumer_offsets"`
}

// Heartbeat is [heartbeat]: eviction of clients that stop pinging.
type Heartbeat struct {
	Enabled  bool     `koanf:"enabled"`
	Interval Duration `koanf:"interval"`
}

// PersonalAccessToken is [personal_access_token].
type PersonalAccessToken struct {
	MaxTokensPerUser int        `koanf:"max_tokens_per_user"`
	Cleaner          PATCleaner `koanf:"cleaner"`
}

// PATCleaner is [personal_access_token.cleaner].
type PATCleaner struct {
	Enabled  bool     `koanf:"enabled"`
	Interval Duration `koanf:"interval"`
}

// ConsumerGroup is [consumer_group].
type ConsumerGroup struct {
	RebalancingTimeout       Duration `koanf:"rebalancing_timeout"`
	RebalancingCheckInterval Duration `koanf:"rebalancing_check_interval"`
}

// File is [config], shale's own table: how the configuration file itself
// is read.
type File struct {
	// UnknownKeys is what a key in the file that neither shale nor Iggy
	// 0.8 knows does: "error" (a typo stops the server) or "warn" (for a
	// file shared with a newer Iggy).
	UnknownKeys string `koanf:"unknown_keys"`
}

// Unknown-key policies.
const (
	UnknownKeysError = "error"
	UnknownKeysWarn  = "warn"
)

// Admin is [admin], shale's own table.
type Admin struct {
	Dashboard     Dashboard     `koanf:"dashboard"`
	Metrics       AdminMetrics  `koanf:"metrics"`
	LoginThrottle LoginThrottle `koanf:"login_throttle"` // login.go
	Profiling     Profiling     `koanf:"profiling"`
}

// Profiling is [admin.profiling]: Go's pprof endpoints on an address of
// their own, off unless an address is set.
type Profiling struct {
	Address string `koanf:"address"`
}

// AdminMetrics is [admin.metrics].
type AdminMetrics struct {
	MaxTopicSeries int `koanf:"max_topic_series"`
	// Token, when set, is required as a bearer token by the metrics endpoint.
	Token string `koanf:"token" secret:"true"`
}

// Dashboard is [admin.dashboard].
type Dashboard struct {
	Enabled bool `koanf:"enabled"`
}

// Warnings lists what Load ignored but an operator should hear about:
// unknown IGGY_ variables and file keys shale does not use. cmd/shale logs
// them; they do not stop the server.
func (c *Config) Warnings() []string { return c.warnings }

// AppliedEnv lists the environment variables Load applied, as NAME=value in
// the order applied, with secret values masked, for the start-up log.
func (c *Config) AppliedEnv() []string { return c.appliedEnv }
