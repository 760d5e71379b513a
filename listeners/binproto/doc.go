// Package binproto is the binary request loop that TCP and QUIC share: read one
// frame (checking its length against the limits before allocating), look up the
// command, decode it, call the broker, encode one response.
//
// It holds no command logic: every decision is the broker's.
//
// Imported by listeners/tcp and listeners/quic. Imports broker and wire.
package binproto
