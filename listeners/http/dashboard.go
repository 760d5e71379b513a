package http

import (
	"strings"
	"time"

	"github.com/shalemq/shale/admin"
)

// dashTokens lends the dashboard this listener's JWT machinery: a
// dashboard session is an ordinary access token kept in a cookie, so
// revocation and expiry work as for REST clients.
type dashTokens struct{ s *Server }

func (t dashTokens) Issue(userID uint32) (string, time.Time, error) {
	tok, exp, err := t.s.issue(userID)
	return tok, time.Unix(exp, 0), err
}

func (t dashTokens) Verify(token string) (uint32, string, time.Time, error) {
	v, err := t.s.verify(token)
	return v.userID, v.jti, v.exp, err
}

func (t dashTokens) Revoke(id string, expires time.Time) error {
	return t.s.b.RevokeJWT(id, expires)
}

// mountDashboard registers /ui when Options.Dashboard is set.
func (s *Server) mountDashboard() error {
	if s.opts.Dashboard == nil {
		return nil
	}
	o := *s.opts.Dashboard
	o.Secure = s.opts.TLS != nil
	d, err := admin.New(s.b, dashTokens{s}, o)
	if err != nil {
		return err
	}
	s.dash = d
	d.Register(s.app)
	return nil
}

// dashboardPath reports whether the dashboard answers path; it
// authenticates with its own cookie, not the bearer token.
func (s *Server) dashboardPath(path string) bool {
	return s.dash != nil && (path == admin.Prefix || strings.HasPrefix(path, admin.Prefix+"/"))
}
