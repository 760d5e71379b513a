// Package wiretest loads the golden frames in wire/wiretest/golden (request
// frames captured from the real Iggy Go SDK) for tests.
//
// Imported only by tests.
package wiretest
