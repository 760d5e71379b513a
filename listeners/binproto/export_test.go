package binproto

import "testing"

// SetPanicHook makes every handler call hook first, until t ends; the
// external test package (panic_test.go) uses it to inject panics over
// the real TCP and QUIC listeners.
func SetPanicHook(t testing.TB, hook func(command string)) {
	t.Helper()
	panicHook.Store(&hook)
	t.Cleanup(func() { panicHook.Store(nil) })
}
