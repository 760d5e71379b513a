// Package quic serves Iggy binary frames over QUIC (quic-go): one session per
// connection, one bidirectional stream per request, no ALPN.
//
// Imported by cmd/shale. Imports listeners/binproto, broker and wire.
package quic
