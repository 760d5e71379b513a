// Package broker is the engine every listener shares: client sessions,
// authentication, authorisation, and the execution of every Iggy command.
//
// A command is authorised and executed here, once, for TCP, QUIC and HTTP
// alike; listeners only translate between their transport and broker calls.
//
// Imported by listeners/*, admin and cmd/shale. Imports broker/auth, log and
// wire.
package broker
