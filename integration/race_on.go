//go:build race

package integration

// raceEnabled builds the server under test with -race when the tests run
// with it, so data races in the server fail the suite too.
const raceEnabled = true
