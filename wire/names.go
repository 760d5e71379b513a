package wire

import "strings"

// The text names of the protocol's small enums, as Iggy's REST API and
// configuration spell them (docs/protocol/http.md). This is their only home:
// the HTTP listener renders and parses with them, and so does the client.

// headerKindNames is indexed by HeaderKind; 0 is no kind.
var headerKindNames = [...]string{"", "raw", "string", "bool", "int8", "int16", "int32", "int64", "int128",
	"uint8", "uint16", "uint32", "uint64", "uint128", "float32", "float64"}

// Name is the kind's JSON name ("string", "uint64"), or "" for an unknown
// kind.
func (k HeaderKind) Name() string {
	if int(k) < len(headerKindNames) {
		return headerKindNames[k]
	}
	return ""
}

// ParseHeaderKind reads a kind's JSON name.
func ParseHeaderKind(name string) (HeaderKind, bool) {
	for i, n := range headerKindNames {
		if i > 0 && n == name {
			return HeaderKind(i), true
		}
	}
	return 0, false
}

// CompressionName is a topic compression's JSON name; ok is false for a
// code that is neither none nor gzip.
func CompressionName(c uint8) (name string, ok bool) {
	switch c {
	case CompressionNone:
		return "none", true
	case CompressionGzip:
		return "gzip", true
	}
	return "", false
}

// ParseCompression reads a compression name, in any case ("Gzip").
func ParseCompression(name string) (uint8, bool) {
	switch strings.ToLower(name) {
	case "none":
		return CompressionNone, true
	case "gzip":
		return CompressionGzip, true
	}
	return 0, false
}

// UserStatusName is a user status's JSON name; ok is false for other codes.
func UserStatusName(st uint8) (name string, ok bool) {
	switch st {
	case UserActive:
		return "active", true
	case UserInactive:
		return "inactive", true
	}
	return "", false
}

// ParseUserStatus reads "active" or "inactive" (exact case).
func ParseUserStatus(name string) (uint8, bool) {
	switch name {
	case "active":
		return UserActive, true
	case "inactive":
		return UserInactive, true
	}
	return 0, false
}

// TransportName is a client transport's JSON name ("ws" for WebSocket, as
// Iggy's client list spells it).
func TransportName(t uint8) string {
	switch t {
	case TransportTCP:
		return "tcp"
	case TransportQUIC:
		return "quic"
	case TransportHTTP:
		return "http"
	case TransportWebSocket:
		return "ws"
	}
	return "unknown"
}

// ParseTransport reads a transport's JSON name; 0 if unknown.
func ParseTransport(name string) uint8 {
	for _, t := range []uint8{TransportTCP, TransportQUIC, TransportHTTP, TransportWebSocket} {
		if TransportName(t) == name {
			return t
		}
	}
	return 0
}

// pollKindNames is indexed by PollKind.
var pollKindNames = [...]string{"", "offset", "timestamp", "first", "last", "next"}

// Name is the strategy's query-string name ("offset", "next").
func (k PollKind) Name() string {
	if int(k) < len(pollKindNames) {
		return pollKindNames[k]
	}
	return ""
}

// ParsePollKind reads a strategy name or its one-letter short form ("o",
// "t", "f", "l", "n"), as Iggy's HTTP query parser accepts both.
func ParsePollKind(name string) (PollKind, bool) {
	for i, n := range pollKindNames {
		if i > 0 && (n == name || len(name) == 1 && n[:1] == name) {
			return PollKind(i), true
		}
	}
	return 0, false
}

// partitioningNames is indexed by PartitioningKind.
var partitioningNames = [...]string{"", "balanced", "partition_id", "messages_key"}

// Name is the partitioning's JSON name.
func (k PartitioningKind) Name() string {
	if int(k) < len(partitioningNames) {
		return partitioningNames[k]
	}
	return ""
}

// ParsePartitioningKind reads a partitioning's JSON name.
func ParsePartitioningKind(name string) (PartitioningKind, bool) {
	for i, n := range partitioningNames {
		if i > 0 && n == name {
			return PartitioningKind(i), true
		}
	}
	return 0, false
}

// snapshotCompressionNames is indexed by the snapshot compression code.
var snapshotCompressionNames = [...]string{"", "Stored", "Deflated", "Bzip2", "Zstd", "Lzma", "Xz"}

// SnapshotCompressionName is a snapshot compression's JSON name.
func SnapshotCompressionName(c uint8) string {
	if int(c) < len(snapshotCompressionNames) {
		return snapshotCompressionNames[c]
	}
	return ""
}

// ParseSnapshotCompression reads a snapshot compression name.
func ParseSnapshotCompression(name string) (uint8, bool) {
	for i, n := range snapshotCompressionNames {
		if i > 0 && n == name {
			return uint8(i), true
		}
	}
	return 0, false
}

var snapshotTypeNames = map[uint8]string{1: "FilesystemOverview", 2: "ProcessList", 3: "ResourceUsage", 4: "Test",
	5: "ServerLogs", 6: "ServerConfig", SnapshotAll: "All"}

// SnapshotTypeName is a snapshot type's JSON name.
func SnapshotTypeName(t uint8) string { return snapshotTypeNames[t] }

// ParseSnapshotType reads a snapshot type name.
func ParseSnapshotType(name string) (uint8, bool) {
	for code, n := range snapshotTypeNames {
		if n == name {
			return code, true
		}
	}
	return 0, false
}

var nodeStatusNames = [...]string{"healthy", "starting", "stopping", "unreachable", "maintenance"}

// NodeStatusName is a cluster node status's JSON name ("healthy",
// "unreachable"); an unknown value reads "unknown".
func NodeStatusName(st uint8) string {
	if int(st) < len(nodeStatusNames) {
		return nodeStatusNames[st]
	}
	return "unknown"
}

// ParseNodeStatus reads a cluster node status's JSON name.
func ParseNodeStatus(name string) (uint8, bool) {
	for i, n := range nodeStatusNames {
		if n == name {
			return uint8(i), true
		}
	}
	return 0, false
}
