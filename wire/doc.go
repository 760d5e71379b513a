// Package wire is the Iggy 0.8.0 binary codec: request and response frames,
// identifiers, consumers, partitioning, polling strategies, permissions,
// message batches, the text names of the protocol's enums (names.go), and
// the protocol error codes generated from wire/testdata/error_codes.tsv
// (docs/protocol/errors.md). Subpackage rest holds the REST API's JSON
// shapes.
//
// wire does no I/O and holds no state. Encoders append to a caller's slice;
// decoders read with a sticky-error reader, never panic, and never allocate
// beyond the frame they are given.
//
// Imported by every layer that speaks the protocol (log, broker, listeners,
// client). wire imports only the standard library and hashing packages.
package wire
