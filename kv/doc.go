// Package kv is shale's storage engine: one Pebble database, the keyspace
// encoding (docs/architecture.md "Keyspace"), batch commits with the two
// durability modes (sync and interval), iterators, range deletes with compaction, checkpoints and metrics.
//
// kv knows tags and big-endian tuples, not streams or topics: what a key means
// is decided by the packages above it. It is the only package that imports
// Pebble.
//
// Imported by log, retention (through log), broker/auth and cmd/shale.
// kv imports nothing of shale's.
package kv
