package binproto

import (
	"fmt"
	"runtime/debug"
	"sync/atomic"

	"github.com/shalemq/shale/wire"
)

// panicHook, when set, runs before every handler with the command's name.
// Only in-process tests set it (export_test.go), to make a handler panic
// and prove the boundary below holds on every transport.
var panicHook atomic.Pointer[func(command string)]

func injectPanic(command string) {
	if h := panicHook.Load(); h != nil {
		(*h)(command)
	}
}

// recovered turns a handler's panic p into the request's answer: logged
// with the command and the stack, counted in shale_handler_panics_total,
// and answered 1 (Iggy's generic error) with nothing of the panic in it.
// The connection goes on.
func (s *Server) recovered(command string, p any) error {
	s.opts.Logger.Error("handler panicked", "transport", s.opts.Transport, "command", command,
		"panic", fmt.Sprint(p), "stack", string(debug.Stack()))
	s.broker.HandlerPanicked(s.opts.Transport, command)
	return fmt.Errorf("%s panicked: %w", command, wire.ErrError)
}
