// Package auth holds the mechanics of authentication: password hashing, personal
// access token generation and hashing, user and token records on kv, and
// permission evaluation as pure functions.
//
// The decision of whether a command may run is made in broker, which calls
// into this package. Listeners never import it.
//
// Imported by broker and cmd/shale. Imports kv and wire.
package auth
