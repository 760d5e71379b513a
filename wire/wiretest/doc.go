// Package wiretest loads the golden frames in wire/wiretest/golden (request
// frames captured from the real Iggy Go SDK) for tests, and builds and
// checks numbered messages, whose payload names the offset they are
// stored at (NumberedPayload, NumberedOffsets).
//
// Imported only by tests.
package wiretest
