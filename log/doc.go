// Package log is the message log: streams → topics → partitions with Iggy 0.8
// semantics (0-based ids, freed ids reused, name rules), appends that assign
// contiguous offsets under a per-partition lock, polls bounded by the
// partition's durable watermark, consumer offsets and consumer groups.
//
// log stores everything through kv and reuses wire's 64-byte message header
// view to stamp offsets, timestamps, ids and checksums into the stored wire
// form. It knows nothing of sessions, users or permissions.
//
// Imported by broker, retention and cmd/shale. Imports kv and wire.
package log
