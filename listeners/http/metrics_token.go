package http

import (
	"crypto/subtle"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/shalemq/shale/wire"
)

// metricsGate answers for the metrics endpoint when Options.MetricsToken
// is set: the request must carry "Authorization: Bearer <MetricsToken>"
// (a user's access token is not enough), or it is answered 401. It
// reports whether the path was the metrics endpoint and the gate decided.
func (s *Server) metricsGate(c *fiber.Ctx) (decided bool, err error) {
	if s.opts.MetricsToken == "" || s.opts.Metrics == nil || c.Path() != s.opts.MetricsPath {
		return false, nil
	}
	got, ok := strings.CutPrefix(c.Get(fiber.HeaderAuthorization), "Bearer ")
	if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(s.opts.MetricsToken)) != 1 {
		return true, authFailed(c, &authError{wire.ErrInvalidAccessToken,
			"the metrics endpoint needs \"Authorization: Bearer <admin.metrics.token>\""})
	}
	return true, c.Next()
}
