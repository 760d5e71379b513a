// Package wiretest loads the golden frames of shared/protocol/golden for
// tests.
//
// Imported only by tests.
package wiretest
