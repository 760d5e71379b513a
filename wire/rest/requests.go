package rest

import (
	"encoding/json"
	"errors"
)

// Request bodies (docs/protocol/http.md, "Routes"). Fields the server must
// tell apart from zero are pointers; the client leaves out what it does
// not send.

// Login is POST /users/login.
type Login struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// CreateUser is POST /users.
type CreateUser struct {
	Username    string       `json:"username"`
	Password    string       `json:"password"`
	Status      string       `json:"status"`
	Permissions *Permissions `json:"permissions"`
}

// UpdateUser is PUT /users/{id}; absent fields stay as they are.
type UpdateUser struct {
	Username *string `json:"username,omitempty"`
	Status   *string `json:"status,omitempty"`
}

// UpdatePermissions is PUT /users/{id}/permissions.
type UpdatePermissions struct {
	Permissions *Permissions `json:"permissions"`
}

// ChangePassword is PUT /users/{id}/password.
type ChangePassword struct {
	CurrentPassword string `json:"current_password"`
	NewPassword     string `json:"new_password"`
}

// CreateToken is POST /personal-access-tokens; expiry is required (0 is
// "never").
type CreateToken struct {
	Name   string  `json:"name"`
	Expiry *uint64 `json:"expiry"`
}

// Name is the body of creating or renaming a stream and of creating a
// consumer group.
type Name struct {
	Name string `json:"name"`
}

// TopicRequest is POST .../topics and PUT .../topics/{id}; partitions_count is
// required on create only.
type TopicRequest struct {
	Name                 string  `json:"name"`
	PartitionsCount      *uint32 `json:"partitions_count,omitempty"`
	CompressionAlgorithm *string `json:"compression_algorithm"`
	MessageExpiry        *uint64 `json:"message_expiry"`
	MaxTopicSize         *uint64 `json:"max_topic_size"`
	ReplicationFactor    *uint8  `json:"replication_factor,omitempty"`
}

// CreatePartitions is POST .../partitions.
type CreatePartitions struct {
	PartitionsCount *uint32 `json:"partitions_count"`
}

// StoreOffset is PUT .../consumer-offsets.
type StoreOffset struct {
	ConsumerID  FlexID  `json:"consumer_id"`
	PartitionID *uint32 `json:"partition_id,omitempty"`
	Offset      *uint64 `json:"offset"`
}

// Snapshot is POST /snapshot.
type Snapshot struct {
	Compression   string   `json:"compression"`
	SnapshotTypes []string `json:"snapshot_types"`
}

// SendMessages is POST .../messages. The server decodes the top level by
// hand, to refuse unknown keys; the client writes this.
type SendMessages struct {
	Partitioning Partitioning  `json:"partitioning"`
	Messages     []SendMessage `json:"messages"`
}

// Partitioning picks the partition of a send: kind is a
// wire.PartitioningKind name, value its base64 bytes.
type Partitioning struct {
	Kind  string  `json:"kind"`
	Value *string `json:"value"`
}

// SendMessage is one message to send. The id is a JSON number, a decimal
// u128 string or a UUID; user_headers an array of entries or base64 bytes.
type SendMessage struct {
	ID          json.RawMessage `json:"id"`
	Payload     *string         `json:"payload"`
	UserHeaders json.RawMessage `json:"user_headers,omitempty"`
}

// HeaderValue is one typed key or value of a user header: kind is a
// wire.HeaderKind name, value its base64 bytes.
type HeaderValue struct {
	Kind  string `json:"kind"`
	Value string `json:"value"`
}

// Header is one user-header entry.
type Header struct {
	Key   *HeaderValue `json:"key"`
	Value *HeaderValue `json:"value"`
}

// FlexID is a consumer id sent as a JSON number or string; it marshals as
// a string.
type FlexID string

// UnmarshalJSON accepts a number or a string.
func (f *FlexID) UnmarshalJSON(b []byte) error {
	var n json.Number
	if err := json.Unmarshal(b, &n); err == nil {
		*f = FlexID(n.String())
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return errors.New("consumer_id must be a number or a string")
	}
	*f = FlexID(s)
	return nil
}
