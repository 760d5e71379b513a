//go:build race

package retention_test

// raceEnabled skips tests that write a gigabyte: the race detector makes
// them take minutes. `make test` runs them in a separate non-race step.
const raceEnabled = true
