package config

import (
	"strings"
	"sync"
)

// iggyKeyList is every key of Apache Iggy 0.8.0's server configuration
// (its shipped config.toml), dotted as koanf flattens them; arrays of
// tables are one key. A file key shale does not use but Iggy knows is
// reported as a warning, so an Iggy server.toml loads unchanged; a key
// neither knows is a mistake (config.unknown_keys).
const iggyKeyList = `
cluster.enabled
cluster.name
cluster.node.current.ip
cluster.node.current.name
cluster.node.others
consumer_group.rebalancing_check_interval
consumer_group.rebalancing_timeout
data_maintenance.messages.cleaner_enabled
data_maintenance.messages.interval
heartbeat.enabled
heartbeat.interval
http.address
http.cors.allow_credentials
http.cors.allow_private_network
http.cors.allowed_headers
http.cors.allowed_methods
http.cors.allowed_origins
http.cors.enabled
http.cors.exposed_headers
http.enabled
http.jwt.access_token_expiry
http.jwt.algorithm
http.jwt.audience
http.jwt.clock_skew
http.jwt.decoding_secret
http.jwt.encoding_secret
http.jwt.issuer
http.jwt.not_before
http.jwt.trusted_issuers
http.jwt.use_base64_secret
http.jwt.valid_audiences
http.jwt.valid_issuers
http.max_request_size
http.metrics.enabled
http.metrics.endpoint
http.tls.cert_file
http.tls.enabled
http.tls.key_file
http.web_ui
message_saver.enabled
message_saver.enforce_fsync
message_saver.interval
personal_access_token.cleaner.enabled
personal_access_token.cleaner.interval
personal_access_token.max_tokens_per_user
quic.address
quic.certificate.cert_file
quic.certificate.key_file
quic.certificate.self_signed
quic.datagram_send_buffer_size
quic.enabled
quic.initial_mtu
quic.keep_alive_interval
quic.max_concurrent_bidi_streams
quic.max_idle_timeout
quic.receive_window
quic.send_window
quic.socket.keepalive
quic.socket.override_defaults
quic.socket.recv_buffer_size
quic.socket.send_buffer_size
system.backup.compatibility.path
system.backup.path
system.compression.allow_override
system.compression.default_algorithm
system.encryption.enabled
system.encryption.key
system.logging.file_enabled
system.logging.level
system.logging.max_file_size
system.logging.max_total_size
system.logging.path
system.logging.retention
system.logging.rotation_check_interval
system.logging.sysinfo_print_interval
system.memory_pool.bucket_capacity
system.memory_pool.enabled
system.memory_pool.size
system.message_deduplication.enabled
system.message_deduplication.expiry
system.message_deduplication.max_entries
system.partition.enforce_fsync
system.partition.messages_required_to_save
system.partition.path
system.partition.size_of_messages_required_to_save
system.partition.validate_checksum
system.path
system.recovery.recreate_missing_state
system.runtime.path
system.segment.archive_expired
system.segment.cache_indexes
system.segment.size
system.sharding.cpu_allocation
system.state.enforce_fsync
system.state.max_file_operation_retries
system.state.retry_delay
system.stream.path
system.topic.max_size
system.topic.message_expiry
system.topic.path
tcp.address
tcp.enabled
tcp.ipv6
tcp.socket.keepalive
tcp.socket.linger
tcp.socket.nodelay
tcp.socket.override_defaults
tcp.socket.recv_buffer_size
tcp.socket.send_buffer_size
tcp.socket_migration
tcp.tls.cert_file
tcp.tls.enabled
tcp.tls.key_file
tcp.tls.self_signed
telemetry.enabled
telemetry.logs.endpoint
telemetry.logs.transport
telemetry.service_name
telemetry.traces.endpoint
telemetry.traces.transport
websocket.address
websocket.enabled
websocket.tls.cert_file
websocket.tls.enabled
websocket.tls.key_file
websocket.tls.self_signed
`

var iggyKeys = sync.OnceValue(func() map[string]bool {
	m := make(map[string]bool)
	for _, k := range strings.Fields(iggyKeyList) {
		m[k] = true
	}
	return m
})

// isIggyKey reports whether key is one of Iggy's, or lies inside one of
// Iggy's arrays of tables.
func isIggyKey(key string) bool {
	keys := iggyKeys()
	if keys[key] {
		return true
	}
	for k := range keys {
		if strings.HasPrefix(key, k+".") {
			return true
		}
	}
	return false
}
