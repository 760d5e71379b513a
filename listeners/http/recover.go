package http

import (
	"fmt"
	"runtime/debug"

	"github.com/gofiber/fiber/v2"

	"github.com/shalemq/shale/wire"
)

// recoverPanics is the boundary around every route, the dashboard's
// included: a panic is logged with the command and the stack, counted in
// shale_handler_panics_total{transport="http"}, and answered 500 with a
// generic reason (errors.go); the server and the connection go on.
// Without it a panic would end the process, as fasthttp does not recover.
func (s *Server) recoverPanics(c *fiber.Ctx) (err error) {
	defer func() {
		p := recover()
		if p == nil {
			return
		}
		cmd := s.commandOf(c)
		s.opts.Logger.Error("handler panicked", "transport", "http", "command", cmd,
			"method", c.Method(), "path", c.Path(), "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
		s.b.HandlerPanicked("http", cmd)
		c.Response().Reset() // drop whatever the handler had begun to answer
		if s.dashboardPath(c.Path()) {
			err = fiber.NewError(fiber.StatusInternalServerError, "Internal Server Error")
			return
		}
		err = fmt.Errorf("%s panicked: %w", cmd, wire.ErrError)
	}()
	return c.Next()
}

// commandOf names the request by its route, as the metrics do: the Iggy
// command a REST route carries (routeName), http.metrics, http.dashboard,
// or unknown.
func (s *Server) commandOf(c *fiber.Ctx) string {
	r := c.Route()
	if r == nil {
		return "unknown"
	}
	if name, ok := routeName(r.Method + " " + r.Path); ok {
		return name
	}
	if r.Path == s.opts.MetricsPath {
		return "http.metrics"
	}
	if s.dashboardPath(c.Path()) {
		return "http.dashboard"
	}
	return "unknown"
}
