package rest

import "encoding/json"

// PolledMessages is the answer to a poll (docs/protocol/http.md §4.10.1).
// The server writes this layout by hand, for speed (listeners/http
// appendPolledJSON, tested against this type); clients decode it with
// UseNumber, as an id is a u128.
type PolledMessages struct {
	PartitionID   uint32          `json:"partition_id"`
	CurrentOffset uint64          `json:"current_offset"`
	Count         uint32          `json:"count"`
	Messages      []PolledMessage `json:"messages"`
}

// PolledMessage is one message of a poll: payload in standard base64, user
// headers as Header objects (or null).
type PolledMessage struct {
	Header      PolledHeader    `json:"header"`
	Payload     string          `json:"payload"`
	UserHeaders json.RawMessage `json:"user_headers"`
}

// PolledHeader is a polled message's header.
type PolledHeader struct {
	Checksum          uint64      `json:"checksum"`
	ID                json.Number `json:"id"` // u128 in decimal
	Offset            uint64      `json:"offset"`
	Timestamp         uint64      `json:"timestamp"`
	OriginTimestamp   uint64      `json:"origin_timestamp"`
	UserHeadersLength uint32      `json:"user_headers_length"`
	PayloadLength     uint32      `json:"payload_length"`
	Reserved          uint64      `json:"reserved"`
}
