package config

import (
	"encoding/base64"
	"fmt"
	"log/slog"
	"math"
	"net"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Validate checks every setting and returns every problem at once, as
// Problems (nil when there is none), so an operator fixes a config in one
// round. Problems found by Load (unparsable values, unknown SHALE_
// variables) come first.
func (c *Config) Validate() error {
	v := &validator{problems: slices.Clone(c.loadProblems)}
	v.negativeDurations(c)

	s := &c.System
	v.check(s.Path != "", "system.path", "must not be empty")
	v.check(s.Runtime.Path != "" && filepath.IsLocal(s.Runtime.Path), "system.runtime.path",
		"must be a relative path inside system.path, got %q", s.Runtime.Path)

	switch s.Durability.Mode {
	case DurabilitySync:
	case DurabilityInterval:
		v.check(s.Durability.Interval > 0, "system.durability.interval", "must be more than 0 in interval mode")
	default:
		v.add("system.durability.mode", "unknown mode %q: want %q or %q", s.Durability.Mode, DurabilitySync, DurabilityInterval)
	}

	v.limited("system.storage.cache_size", s.Storage.CacheSize)
	if v.limited("system.storage.memtable_size", s.Storage.MemtableSize) {
		// Pebble's own bounds: below 1 MiB it thrashes, and it refuses 4 GiB.
		v.check(s.Storage.MemtableSize >= 1<<20 && s.Storage.MemtableSize < 4<<30,
			"system.storage.memtable_size", "must be at least 1 MiB and below 4 GiB, got %s", s.Storage.MemtableSize)
	}
	v.limited("system.storage.min_free_disk", s.Storage.MinFreeDisk)
	v.sizeBetween("system.storage.value_separation_min_size", s.Storage.ValueSeparationMinSize, 0, 1<<30)

	// Both sizes travel in u32 fields on the wire.
	v.sizeBetween("system.limits.max_message_size", s.Limits.MaxMessageSize, 1, math.MaxUint32)
	v.sizeBetween("system.limits.max_frame_size", s.Limits.MaxFrameSize, 1<<10, math.MaxUint32)
	v.check(s.Limits.MaxPartitionsPerTopic >= 1 && s.Limits.MaxPartitionsPerTopic <= math.MaxUint32,
		"system.limits.max_partitions_per_topic", "must be between 1 and %d, got %d", uint32(math.MaxUint32), s.Limits.MaxPartitionsPerTopic)
	v.check(s.Limits.MaxNameLength >= 1 && s.Limits.MaxNameLength <= 255,
		"system.limits.max_name_length", "must be between 1 and 255 (a one-byte length on the wire), got %d", s.Limits.MaxNameLength)

	if _, err := ParseLevel(s.Logging.Level); err != nil {
		v.add("system.logging.level", "%v", err)
	}
	v.check(s.Logging.Format == "text" || s.Logging.Format == "json",
		"system.logging.format", "unknown format %q: want \"text\" or \"json\"", s.Logging.Format)

	segmentOK := v.check(s.Segment.Size > 0 && s.Segment.Size <= 1<<30 && s.Segment.Size%512 == 0,
		"system.segment.size", "must be at most 1 GiB and a non-zero multiple of 512 bytes, got %s", s.Segment.Size)
	if segmentOK && !s.Topic.MaxSize.IsUnlimited() {
		v.check(s.Topic.MaxSize >= s.Segment.Size, "system.topic.max_size",
			"must be \"unlimited\" or at least system.segment.size (%s), got %s", s.Segment.Size, s.Topic.MaxSize)
	}
	v.check(s.MessageDeduplication.MaxEntries >= 0, "system.message_deduplication.max_entries",
		"must not be negative, got %d", s.MessageDeduplication.MaxEntries)
	v.check(!s.Encryption.Enabled, "system.encryption.enabled",
		"at-rest encryption is not implemented by shale; refusing to store in plaintext what was asked to be encrypted")

	v.tcp(&c.TCP)
	v.quic(&c.QUIC)
	v.http(&c.HTTP)
	if c.TCP.Enabled && c.HTTP.Enabled {
		v.check(!sameFixedAddress(c.TCP.Address, c.HTTP.Address), "http.address",
			"%q is also tcp.address; both listen on TCP", c.HTTP.Address)
	}

	v.positiveWhen(c.MessageSaver.Enabled, "message_saver.interval", c.MessageSaver.Interval)
	v.positiveWhen(c.DataMaintenance.Messages.CleanerEnabled, "data_maintenance.messages.interval", c.DataMaintenance.Messages.Interval)
	v.positiveWhen(c.Heartbeat.Enabled, "heartbeat.interval", c.Heartbeat.Interval)
	v.check(c.PersonalAccessToken.MaxTokensPerUser > 0, "personal_access_token.max_tokens_per_user",
		"must be more than 0, got %d", c.PersonalAccessToken.MaxTokensPerUser)
	v.positiveWhen(c.PersonalAccessToken.Cleaner.Enabled, "personal_access_token.cleaner.interval", c.PersonalAccessToken.Cleaner.Interval)
	v.positiveWhen(true, "consumer_group.rebalancing_timeout", c.ConsumerGroup.RebalancingTimeout)
	v.positiveWhen(true, "consumer_group.rebalancing_check_interval", c.ConsumerGroup.RebalancingCheckInterval)

	v.backup(&c.Backup)
	v.loginThrottle(&c.Admin.LoginThrottle)
	v.limits(c)
	v.cluster(&c.Cluster)
	v.raft(&c.Cluster, c.System.Durability.Mode)
	v.address("websocket.address", c.Websocket.Address)
	if c.Admin.Profiling.Address != "" {
		v.address("admin.profiling.address", c.Admin.Profiling.Address)
	}
	v.check(c.File.UnknownKeys == UnknownKeysError || c.File.UnknownKeys == UnknownKeysWarn, "config.unknown_keys",
		"unknown policy %q: want %q or %q", c.File.UnknownKeys, UnknownKeysError, UnknownKeysWarn)

	if len(v.problems) == 0 {
		return nil
	}
	return v.problems
}

func (v *validator) tcp(t *TCP) {
	if !t.Enabled {
		return
	}
	v.address("tcp.address", t.Address)
	v.check(t.MaxConnections >= 0, "tcp.max_connections", "must not be negative (0 means no limit), got %d", t.MaxConnections)
	if t.TLS.Enabled && !t.TLS.SelfSigned {
		v.check(t.TLS.CertFile != "" && t.TLS.KeyFile != "", "tcp.tls",
			"enabled without cert_file and key_file and without self_signed")
	}
	if t.Socket.OverrideDefaults {
		// setsockopt takes an int.
		v.sizeBetween("tcp.socket.recv_buffer_size", t.Socket.RecvBufferSize, 1, math.MaxInt32)
		v.sizeBetween("tcp.socket.send_buffer_size", t.Socket.SendBufferSize, 1, math.MaxInt32)
	}
}

func (v *validator) quic(q *QUIC) {
	if !q.Enabled {
		return
	}
	v.address("quic.address", q.Address)
	v.check(q.MaxConcurrentBidiStreams >= 1, "quic.max_concurrent_bidi_streams",
		"must be at least 1, got %d", q.MaxConcurrentBidiStreams)
	// RFC 9000 §14: at least 1200 bytes; the UDP maximum is 65,527.
	v.sizeBetween("quic.initial_mtu", q.InitialMTU, 1200, 65527)
	v.sizeBetween("quic.send_window", q.SendWindow, 1, math.MaxInt64)
	v.sizeBetween("quic.receive_window", q.ReceiveWindow, 1, math.MaxInt64)
	v.limited("quic.datagram_send_buffer_size", q.DatagramSendBufferSize)
	if !q.Certificate.SelfSigned {
		v.check(q.Certificate.CertFile != "" && q.Certificate.KeyFile != "", "quic.certificate",
			"not self_signed but cert_file or key_file is empty")
	}
}

// jwtAlgorithms are the algorithms shale signs with. Iggy parses RS* too,
// but they cannot work with shared secrets.
var jwtAlgorithms = []string{"HS256", "HS384", "HS512"}

var corsMethods = []string{"GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "CONNECT", "PATCH", "TRACE"}

func (v *validator) http(h *HTTP) {
	if !h.Enabled {
		return
	}
	v.address("http.address", h.Address)
	v.sizeBetween("http.max_request_size", h.MaxRequestSize, 1, math.MaxInt32)
	if h.TLS.Enabled {
		v.check(h.TLS.CertFile != "" && h.TLS.KeyFile != "", "http.tls",
			"enabled without cert_file and key_file (HTTP has no self-signed option)")
	}
	for _, m := range h.CORS.AllowedMethods {
		v.check(slices.Contains(corsMethods, m), "http.cors.allowed_methods",
			"unknown method %q: want one of %s", m, strings.Join(corsMethods, ", "))
	}
	v.check(slices.Contains(jwtAlgorithms, h.JWT.Algorithm), "http.jwt.algorithm",
		"unsupported algorithm %q: want one of %s", h.JWT.Algorithm, strings.Join(jwtAlgorithms, ", "))
	if h.JWT.UseBase64Secret {
		// The message never includes the secret itself.
		_, err := base64.StdEncoding.DecodeString(h.JWT.EncodingSecret)
		v.check(err == nil, "http.jwt.encoding_secret", "is not valid base64 although use_base64_secret is set")
		_, err = base64.StdEncoding.DecodeString(h.JWT.DecodingSecret)
		v.check(err == nil, "http.jwt.decoding_secret", "is not valid base64 although use_base64_secret is set")
	}
	v.check(strings.HasPrefix(h.Metrics.Endpoint, "/"), "http.metrics.endpoint",
		"must be a path starting with /, got %q", h.Metrics.Endpoint)
}

// ParseLevel maps a log level to slog's. It accepts Iggy's names and filter
// directives ("warn,server=debug": the first bare level counts), since
// operators carry those over. "off" maps to LevelOff.
func ParseLevel(s string) (slog.Level, error) {
	level := ""
	for part := range strings.SplitSeq(s, ",") {
		if part = strings.TrimSpace(part); part != "" && !strings.Contains(part, "=") {
			level = part
			break
		}
	}
	switch strings.ToLower(level) {
	case "trace":
		return slog.LevelDebug - 4, nil
	case "debug":
		return slog.LevelDebug, nil
	case "info":
		return slog.LevelInfo, nil
	case "warn", "warning":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	case "off":
		return LevelOff, nil
	}
	return 0, fmt.Errorf("unknown level %q: want trace, debug, info, warn, error or off", s)
}

// LevelOff is above every level a record can have, so nothing is logged.
const LevelOff = slog.Level(math.MaxInt32)

type validator struct {
	problems Problems
}

func (v *validator) add(key, format string, args ...any) {
	v.problems = append(v.problems, Problem{Key: key, Message: fmt.Sprintf(format, args...)})
}

// check adds a problem unless ok, and returns ok.
func (v *validator) check(ok bool, key, format string, args ...any) bool {
	if !ok {
		v.add(key, format, args...)
	}
	return ok
}

// limited rejects "unlimited" where a key has no such meaning.
func (v *validator) limited(key string, s ByteSize) bool {
	return v.check(!s.IsUnlimited(), key, "cannot be unlimited")
}

func (v *validator) sizeBetween(key string, s ByteSize, lo, hi uint64) {
	if v.limited(key, s) {
		v.check(uint64(s) >= lo && uint64(s) <= hi, key, "must be between %s and %s, got %s", ByteSize(lo), ByteSize(hi), s)
	}
}

func (v *validator) positiveWhen(enabled bool, key string, d Duration) {
	if enabled {
		v.check(d > 0, key, "must be more than 0 while enabled")
	}
}

// address checks a host:port listen address; port 0 means any free port.
func (v *validator) address(key, addr string) {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		v.add(key, "%q is not host:port (IPv6 as [::1]:8090)", addr)
		return
	}
	n, err := strconv.Atoi(port)
	if err != nil {
		v.add(key, "port %q in %q is not a number", port, addr)
		return
	}
	v.check(n >= 0 && n <= 65535, key, "port %d in %q is out of range 0-65535", n, addr)
}

// sameFixedAddress reports whether two listen addresses would collide:
// same host and the same non-zero port.
func sameFixedAddress(a, b string) bool {
	ha, pa, errA := net.SplitHostPort(a)
	hb, pb, errB := net.SplitHostPort(b)
	return errA == nil && errB == nil && pa == pb && pa != "0" && ha == hb
}

// negativeDurations reports any Duration below zero. Parsing never yields
// one, but a Config edited in code can.
func (v *validator) negativeDurations(c *Config) {
	idx, err := fieldTable()
	if err != nil {
		v.add("config", "%v", err)
		return
	}
	for i := range idx.all {
		f := &idx.all[i]
		if f.typ != durationType {
			continue
		}
		if d := time.Duration(fieldValue(c, f).Int()); d < 0 {
			v.add(f.key, "must not be negative, got %s", d)
		}
	}
}
