// Package admin holds the operator's tools: backup by consistent snapshot
// (a Pebble checkpoint streamed as one tar.zst archive with a manifest and
// per-file checksums), offline verification, restore into a data directory,
// and scheduled backups; the dashboard and the Prometheus registry behind
// /metrics as they land.
//
// Imported by listeners/http and cmd/shale. Imports broker.
package admin
