// Package kvtest opens kv databases for tests: on an in-memory filesystem, and
// on a crashable one whose state after a simulated crash can be reopened.
//
// Imported only by tests.
package kvtest
