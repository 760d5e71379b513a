package http

import (
	"testing"

	"go.uber.org/goleak"
)

// fasthttp starts one clock goroutine per process, on the first request,
// and never stops it; it is not a leak of ours.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.updateServerDate.func1"))
}
