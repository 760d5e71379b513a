package http

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	nethttp "net/http"
	"slices"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"

	"github.com/shalemq/shale/admin"
	"github.com/shalemq/shale/broker"
)

// Options configure the REST listener; config's [http] table maps onto it.
type Options struct {
	// Address is host:port (port 0 picks a free one).
	Address string
	// Listener, when set, is an already bound socket Listen uses instead
	// of binding Address (cmd/shale binds every port first).
	Listener net.Listener
	// TLS, when set, serves HTTPS on the same address.
	TLS *tls.Config
	// MaxRequestSize bounds request bodies (413 beyond). Default 2 MB.
	MaxRequestSize int
	CORS           CORS
	JWT            JWT
	// Metrics, when set, is served at MetricsPath (default /metrics).
	Metrics     nethttp.Handler
	MetricsPath string
	// MetricsToken, when set, is the bearer token the metrics endpoint
	// requires (metrics_token.go); unset, /metrics is public as in Iggy.
	MetricsToken string
	// Dashboard, when set, serves the admin dashboard at /ui.
	Dashboard *admin.Options
	// ReadTimeout bounds reading one request, headers and body, so a
	// client sending them slowly (slowloris) is dropped. Default 1 m.
	ReadTimeout time.Duration
	// IdleTimeout closes a keep-alive connection with no request this
	// long. Default 2 m.
	IdleTimeout time.Duration
	// WriteTimeout: each write of an answer must make progress within it
	// (limits.go). 0 means no limit.
	WriteTimeout time.Duration
	// Logger receives request failures. Default slog.Default().
	Logger *slog.Logger
}

// CORS is Iggy's [http.cors] (docs/protocol/http.md §1.6).
type CORS struct {
	Enabled             bool
	AllowedMethods      []string
	AllowedOrigins      []string
	AllowedHeaders      []string
	ExposedHeaders      []string
	AllowCredentials    bool
	AllowPrivateNetwork bool
}

// JWT configures the access tokens (docs/protocol/http.md §3).
type JWT struct {
	// Algorithm is HS256, HS384 or HS512. Default HS256.
	Algorithm string
	// Issuer and Audience go into issued tokens; ValidIssuers and
	// ValidAudiences are what a presented token may carry.
	Issuer, Audience             string
	ValidIssuers, ValidAudiences []string
	// Expiry is a token's lifetime; 0 = never (Iggy: 10^9 s).
	Expiry time.Duration
	// ClockSkew is the leeway on expiry. NotBefore offsets nbf from iat.
	ClockSkew, NotBefore time.Duration
	// Secret is the HMAC key. Without one, SecretFunc gives it at each
	// use (a cluster node, whose generated key arrives by replication and
	// may be missing until the cluster's first leader wrote it).
	Secret     []byte
	SecretFunc func() []byte
}

// Server is the REST listener.
type Server struct {
	b    *broker.Broker
	opts Options
	app  *fiber.App
	ln   net.Listener
	// publicPaths need no token; routes.go fills it (Server.public).
	publicPaths []string
	dash        *admin.Dashboard
}

// New builds the app; Listen binds it.
func New(b *broker.Broker, opts Options) (*Server, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.MaxRequestSize == 0 {
		opts.MaxRequestSize = 2_000_000
	}
	if opts.ReadTimeout <= 0 {
		opts.ReadTimeout = time.Minute
	}
	if opts.IdleTimeout <= 0 {
		opts.IdleTimeout = 2 * time.Minute
	}
	if opts.MetricsPath == "" {
		opts.MetricsPath = "/metrics"
	}
	if opts.JWT.Algorithm == "" {
		opts.JWT.Algorithm = "HS256"
	}
	if len(opts.JWT.Secret) == 0 && opts.JWT.SecretFunc == nil {
		return nil, errors.New("http: a JWT secret is required")
	}
	if _, err := signingMethod(opts.JWT.Algorithm); err != nil {
		return nil, err
	}
	s := &Server{b: b, opts: opts}
	s.app = fiber.New(fiber.Config{
		BodyLimit:             opts.MaxRequestSize,
		DisableStartupMessage: true,
		UnescapePath:          true,
		CaseSensitive:         true, // as Iggy's router (and a trailing slash: jsonshape.go)
		ErrorHandler:          s.errorHandler,
		ReadTimeout:           opts.ReadTimeout,
		IdleTimeout:           opts.IdleTimeout,
	})
	s.app.Use(s.observe)
	s.app.Use(s.recoverPanics) // recover.go
	s.trackConnections()
	if opts.CORS.Enabled {
		s.app.Use(s.cors)
	}
	s.app.Use(s.authenticate)
	s.routes()
	if err := s.mountDashboard(); err != nil {
		return nil, err
	}
	// Unknown paths: 404 with an empty body, after authentication.
	s.app.Use(func(c *fiber.Ctx) error { return empty(c, fiber.StatusNotFound) })
	return s, nil
}

// App is the Fiber app, for tests (app.Test).
func (s *Server) App() *fiber.App { return s.app }

// Listen binds the address.
func (s *Server) Listen() error {
	ln := s.opts.Listener
	if ln == nil {
		var err error
		if ln, err = net.Listen("tcp", s.opts.Address); err != nil {
			return fmt.Errorf("http listen %s: %w", s.opts.Address, err)
		}
	}
	ln = &limitListener{Listener: ln, b: s.b, writeTimeout: s.opts.WriteTimeout} // limits.go
	if s.opts.TLS != nil {
		ln = tls.NewListener(ln, s.opts.TLS)
	}
	s.ln = ln
	return nil
}

// Addr is the bound address (after Listen).
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Serve answers requests until Shutdown, then returns nil.
func (s *Server) Serve() error {
	err := s.app.Listener(s.ln)
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}

// Shutdown stops accepting and waits for in-flight requests (until ctx).
func (s *Server) Shutdown(ctx context.Context) error {
	if s.dash != nil {
		defer s.dash.Close()
	}
	return s.app.ShutdownWithContext(ctx)
}

const sessionKey = "shale.session"

// authenticate checks the bearer token (failures: 401 with a JSON body
// saying why, autherr.go)
// and gives the request a broker session logged in as the token's user.
func (s *Server) authenticate(c *fiber.Ctx) error {
	path := c.Path()
	sess := s.b.RequestSession(broker.TransportHTTP, c.Context().RemoteAddr().String())
	c.Locals(sessionKey, sess)
	if decided, err := s.metricsGate(c); decided { // metrics_token.go
		return err
	}
	if slices.Contains(s.publicPaths, path) || s.dashboardPath(path) || (path == "/metrics" && s.opts.Metrics != nil && s.opts.MetricsPath == "/metrics") {
		return c.Next()
	}
	h := c.Get(fiber.HeaderAuthorization)
	if h == "" {
		return authFailed(c, errNoToken)
	}
	token, ok := strings.CutPrefix(h, "Bearer ")
	if !ok {
		return authFailed(c, errNotBearer)
	}
	cl, err := s.verify(token)
	if err != nil {
		return authFailed(c, err)
	}
	c.Locals(claimsKey, cl)
	// A token of a deleted user still authenticates (Iggy); the broker
	// then refuses its commands with 41.
	s.b.AssumeUser(sess, cl.userID)
	return c.Next()
}

func session(c *fiber.Ctx) *broker.Session { return c.Locals(sessionKey).(*broker.Session) }

// cors implements Iggy's CORS layer (docs/protocol/http.md §1.6).
func (s *Server) cors(c *fiber.Ctx) error {
	o := s.opts.CORS
	origins := nonEmpty(o.AllowedOrigins)
	if len(origins) > 0 {
		if origins[0] == "*" {
			c.Set(fiber.HeaderAccessControlAllowOrigin, "*")
		} else if origin := c.Get(fiber.HeaderOrigin); origin != "" && slices.Contains(origins, origin) {
			c.Set(fiber.HeaderAccessControlAllowOrigin, origin)
		}
	}
	c.Set(fiber.HeaderVary, "origin, access-control-request-method, access-control-request-headers")
	if exposed := nonEmpty(o.ExposedHeaders); len(exposed) > 0 {
		c.Set(fiber.HeaderAccessControlExposeHeaders, strings.Join(exposed, ","))
	}
	if c.Method() != fiber.MethodOptions {
		return c.Next()
	}
	c.Set(fiber.HeaderAccessControlAllowMethods, strings.Join(nonEmpty(o.AllowedMethods), ","))
	c.Set(fiber.HeaderAccessControlAllowHeaders, strings.Join(nonEmpty(o.AllowedHeaders), ","))
	if o.AllowCredentials {
		c.Set(fiber.HeaderAccessControlAllowCredentials, "true")
	}
	if o.AllowPrivateNetwork && c.Get("Access-Control-Request-Private-Network") == "true" {
		c.Set("Access-Control-Allow-Private-Network", "true")
	}
	return empty(c, fiber.StatusOK)
}

func nonEmpty(list []string) []string {
	out := make([]string, 0, len(list))
	for _, v := range list {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

func (s *Server) metrics() fiber.Handler { return adaptor.HTTPHandler(s.opts.Metrics) }
