// Package brokertest builds a real Broker on an in-memory Pebble for tests,
// with the root user logged in.
//
// Imported only by tests.
package brokertest
