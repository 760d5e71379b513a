// Package tcp serves Iggy binary frames over TCP, optionally wrapped in TLS on
// the same address: the accept loop, connection limits, and graceful close with
// Iggy's shutdown notice.
//
// Imported by cmd/shale. Imports listeners/binproto, broker and wire.
package tcp
