// Package client is a Go client for Iggy's binary protocol over TCP and QUIC,
// with the whole command set. shale's benchmark tool, CLI and integration tests
// use it; it is also usable against a real Iggy server.
//
// Imports wire only; never server code.
package client
