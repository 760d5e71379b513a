package http

import (
	"testing"

	"go.uber.org/goleak"
)

// fasthttp starts one clock goroutine per process, on the first request,
// and never stops it; its worker pool's cleaner sleeps out its 10 s idle
// period after a real listener stops. Neither is a leak of ours.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.updateServerDate.func1"),
		goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.(*workerPool).Start.func2"))
}
