package kvtest

import (
	"testing"
	"time"
)

// WaitFor polls cond until it returns nil, failing t with cond's last error
// once timeout has passed. It never asserts how long that took: the timeout
// only keeps a broken test from hanging. This is the one copy; tests of
// every package above kv use it.
func WaitFor(t testing.TB, timeout time.Duration, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
