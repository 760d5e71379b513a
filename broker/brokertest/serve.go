package brokertest

import (
	"context"
	"testing"
)

// Serve runs a listener's serve loop until the test ends, then shuts it
// down and fails the test if either the shutdown or the loop reports an
// error: how a listener test over an Env keeps its server for the test's
// whole length.
func Serve(t testing.TB, serve func() error, shutdown func(context.Context) error) {
	t.Helper()
	served := make(chan error, 1)
	go func() { served <- serve() }()
	t.Cleanup(func() {
		if err := shutdown(context.Background()); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		if err := <-served; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
}
