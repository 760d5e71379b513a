// Package rest holds the JSON request and response shapes of Iggy's REST
// API (docs/protocol/http.md), in the field order Iggy emits them. It is
// the one definition both sides use: listeners/http renders and parses
// with it, and client decodes the server's answers with it, so the two
// cannot drift apart.
//
// It imports only wire (for the enum names and the binary shapes some
// conversions produce) and the standard library; no server package may be
// imported here, because client must stay free of server code.
package rest
