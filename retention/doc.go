// Package retention enforces topics' message expiry and size caps: a sweeper
// that, per partition, finds the boundary offset and deletes everything before
// it with one range delete, then compacts so the disk space actually returns.
//
// The boundary computations are pure functions; the sweeper takes an injected
// clock.
//
// Imported by cmd/shale. Imports log.
package retention
