package admin

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"encoding/hex"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/filesystem"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/shalemq/shale/broker"
)

//go:embed static templates/*.html
var assets embed.FS

// Tokens issue and check the dashboard's session tokens. The HTTP listener
// implements it with its JWT machinery, so a dashboard session is an
// ordinary shale access token (and revocable like one).
type Tokens interface {
	// Issue makes a token for the user.
	Issue(userID uint32) (token string, expires time.Time, err error)
	// Verify checks a token and returns its user and token id.
	Verify(token string) (userID uint32, id string, expires time.Time, err error)
	// Revoke makes a token unusable before it expires.
	Revoke(id string, expires time.Time) error
}

// Options configure the dashboard. cmd/shale fills them from config.
type Options struct {
	// Gatherer is the registry behind /metrics; the dashboard's figures
	// come from it.
	Gatherer prometheus.Gatherer
	// Config renders the effective configuration with secrets masked.
	Config func() []byte
	// Durability is the durability mode, as configured ("sync",
	// "interval 5ms").
	Durability string
	// Version is shale's version line.
	Version string
	// Backups describes the backup schedule; nil when it is off.
	Backups *BackupSchedule
	// Secure marks the session cookie Secure (the listener serves TLS).
	Secure bool
	// SampleInterval is how often the overview charts sample the
	// counters. Default 2 s.
	SampleInterval time.Duration
	// Logger receives failures. Default slog.Default().
	Logger *slog.Logger
}

// Dashboard is the web dashboard served at /ui.
type Dashboard struct {
	b       *broker.Broker
	tokens  Tokens
	opts    Options
	pages   map[string]*template.Template
	csrfKey []byte
	series  *sampler
	seen    atomic.Int64 // Unix s of the last signed-in request
	cancel  context.CancelFunc
	done    sync.WaitGroup
}

// Prefix is where the dashboard is mounted.
const Prefix = "/ui"

const cookieName = "shale_ui"

// watchWindow is how long after the last signed-in request the overview
// keeps sampling (so its charts hold the recent minutes when reopened).
const watchWindow = 15 * time.Minute

// New builds the dashboard and starts its sampler; Close stops it.
func New(b *broker.Broker, tokens Tokens, opts Options) (*Dashboard, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.SampleInterval <= 0 {
		opts.SampleInterval = 2 * time.Second
	}
	d := &Dashboard{b: b, tokens: tokens, opts: opts, csrfKey: make([]byte, 32)}
	if _, err := rand.Read(d.csrfKey); err != nil {
		return nil, err
	}
	var err error
	if d.pages, err = parsePages(); err != nil {
		return nil, err
	}
	d.seen.Store(time.Now().Unix())
	d.series = newSampler(opts.Gatherer, 300, func() bool {
		return time.Since(time.Unix(d.seen.Load(), 0)) < watchWindow
	})
	ctx, cancel := context.WithCancel(context.Background())
	d.cancel = cancel
	d.done.Add(1)
	go func() {
		defer d.done.Done()
		d.series.run(ctx, opts.SampleInterval)
	}()
	return d, nil
}

// Close stops the sampler.
func (d *Dashboard) Close() {
	d.cancel()
	d.done.Wait()
}

// Register mounts the dashboard's routes on app under Prefix.
func (d *Dashboard) Register(app fiber.Router) {
	static, _ := fs.Sub(assets, "static")
	g := app.Group(Prefix)
	g.Use("/static", filesystem.New(filesystem.Config{Root: http.FS(static), MaxAge: 3600}))
	g.Get("/login", d.loginPage)
	g.Post("/login", d.login)
	g.Use(d.authenticate)
	g.Post("/logout", d.logout)
	g.Get("/", d.overview)
	g.Get("/api/series", d.seriesJSON)
	g.Get("/streams", d.streamsPage)
	g.Post("/streams", d.createStream)
	g.Get("/streams/:stream", d.streamPage)
	g.Post("/streams/:stream/:action", d.streamAction)
	g.Get("/streams/:stream/topics/:topic", d.topicPage)
	g.Post("/streams/:stream/topics/:topic/:action", d.topicAction)
	g.Get("/streams/:stream/topics/:topic/messages", d.messagesPage)
	g.Get("/groups", d.groupsPage)
	g.Get("/users", d.usersPage)
	g.Get("/backups", d.backupsPage)
	g.Post("/backups", d.takeBackup)
	g.Get("/backups/files/:name", d.downloadArchive)
	g.Get("/health", d.healthPage)
	g.Use(func(c *fiber.Ctx) error { return d.fail(c, fiber.StatusNotFound, "No such page.") })
}

// Routes lists every dashboard route that needs a signed-in user, as
// method and path with sample parameters, for the test that walks them.
func Routes() [][2]string {
	return [][2]string{
		{"POST", "/ui/logout"},
		{"GET", "/ui"},
		{"GET", "/ui/"},
		{"GET", "/ui/api/series"},
		{"GET", "/ui/streams"},
		{"POST", "/ui/streams"},
		{"GET", "/ui/streams/1"},
		{"POST", "/ui/streams/1/update"},
		{"POST", "/ui/streams/1/purge"},
		{"POST", "/ui/streams/1/delete"},
		{"POST", "/ui/streams/1/topics"},
		{"GET", "/ui/streams/1/topics/1"},
		{"POST", "/ui/streams/1/topics/1/update"},
		{"POST", "/ui/streams/1/topics/1/purge"},
		{"POST", "/ui/streams/1/topics/1/delete"},
		{"POST", "/ui/streams/1/topics/1/partitions"},
		{"POST", "/ui/streams/1/topics/1/send"},
		{"GET", "/ui/streams/1/topics/1/messages"},
		{"GET", "/ui/groups"},
		{"GET", "/ui/users"},
		{"GET", "/ui/backups"},
		{"POST", "/ui/backups"},
		{"GET", "/ui/backups/files/shale-backup-20260101T000000.000Z.tar.zst"},
		{"GET", "/ui/health"},
		{"GET", "/ui/no-such-page"},
	}
}

const (
	sessionLocal = "admin.session"
	userLocal    = "admin.user"
	csrfLocal    = "admin.csrf"
)

// authenticate admits requests with a valid session cookie. Others get 401
// (API and form posts) or a redirect to the sign-in page (page loads); no
// handler past this point runs for them.
func (d *Dashboard) authenticate(c *fiber.Ctx) error {
	uid, jti, ok := d.session(c)
	if !ok {
		c.ClearCookie(cookieName)
		if c.Method() == fiber.MethodGet && !strings.HasPrefix(c.Path(), Prefix+"/api/") {
			return c.Redirect(Prefix+"/login?next="+url.QueryEscape(c.OriginalURL()), fiber.StatusSeeOther)
		}
		return c.Status(fiber.StatusUnauthorized).SendString("sign in first")
	}
	sess := d.b.RequestSession(broker.TransportHTTP, c.Context().RemoteAddr().String())
	d.b.AssumeUser(sess, uid)
	d.seen.Store(time.Now().Unix())
	c.Locals(sessionLocal, sess)
	c.Locals(csrfLocal, d.csrfToken(jti))
	if u, ok, _ := d.b.User(sess, broker.ByID(uid)); ok {
		c.Locals(userLocal, u.Name)
	}
	c.Set("Cache-Control", "no-store")
	c.Set("X-Frame-Options", "DENY")
	c.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'")
	if c.Method() != fiber.MethodGet && c.Method() != fiber.MethodHead {
		if !d.sameOrigin(c) || !d.csrfOK(c, jti) {
			return c.Status(fiber.StatusForbidden).SendString("the form is stale or came from another site: reload the page")
		}
	}
	return c.Next()
}

func (d *Dashboard) session(c *fiber.Ctx) (uid uint32, jti string, ok bool) {
	tok := c.Cookies(cookieName)
	if tok == "" {
		return 0, "", false
	}
	uid, jti, _, err := d.tokens.Verify(tok)
	if err != nil {
		return 0, "", false
	}
	return uid, jti, true
}

// csrfToken binds a form token to the session token's id: a page from
// another site cannot read it, and it dies with the session.
func (d *Dashboard) csrfToken(jti string) string {
	m := hmac.New(sha256.New, d.csrfKey)
	m.Write([]byte(jti))
	return hex.EncodeToString(m.Sum(nil))
}

func (d *Dashboard) csrfOK(c *fiber.Ctx, jti string) bool {
	got := c.Get("X-CSRF-Token")
	if got == "" {
		got = c.FormValue("_csrf")
	}
	want := d.csrfToken(jti)
	return subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// sameOrigin refuses a state change whose Origin (or Referer) names
// another host; browsers send one of them on every POST.
func (d *Dashboard) sameOrigin(c *fiber.Ctx) bool {
	o := c.Get(fiber.HeaderOrigin)
	if o == "" {
		o = c.Get(fiber.HeaderReferer)
	}
	if o == "" || o == "null" {
		return o == ""
	}
	u, err := url.Parse(o)
	return err == nil && u.Host == c.Hostname()
}

func (d *Dashboard) loginPage(c *fiber.Ctx) error {
	if _, _, ok := d.session(c); ok {
		return c.Redirect(Prefix+"/", fiber.StatusSeeOther)
	}
	return d.render(c, "login", map[string]any{"Next": safeNext(c.Query("next"))})
}

func (d *Dashboard) login(c *fiber.Ctx) error {
	if !d.sameOrigin(c) {
		return c.Status(fiber.StatusForbidden).SendString("cross-site sign-in refused")
	}
	next := safeNext(c.FormValue("next"))
	sess := d.b.RequestSession(broker.TransportHTTP, c.Context().RemoteAddr().String())
	uid, err := d.b.Login(sess, c.FormValue("username"), c.FormValue("password"))
	if err != nil {
		c.Status(fiber.StatusUnauthorized)
		return d.render(c, "login", map[string]any{"Next": next, "Error": "Wrong username or password, or the user is inactive.",
			"Username": c.FormValue("username")})
	}
	tok, exp, err := d.tokens.Issue(uid)
	if err != nil {
		d.opts.Logger.Error("dashboard sign-in", "err", err)
		return d.fail(c, fiber.StatusInternalServerError, "Could not start a session.")
	}
	c.Cookie(&fiber.Cookie{Name: cookieName, Value: tok, Path: Prefix, Expires: exp, HTTPOnly: true,
		Secure: d.opts.Secure, SameSite: fiber.CookieSameSiteStrictMode})
	return c.Redirect(next, fiber.StatusSeeOther)
}

func (d *Dashboard) logout(c *fiber.Ctx) error {
	tok := c.Cookies(cookieName)
	if _, jti, exp, err := d.tokens.Verify(tok); err == nil {
		if err := d.tokens.Revoke(jti, exp); err != nil {
			d.opts.Logger.Error("dashboard sign-out", "err", err)
		}
	}
	c.Cookie(&fiber.Cookie{Name: cookieName, Value: "", Path: Prefix, Expires: time.Unix(0, 0), MaxAge: -1, HTTPOnly: true,
		Secure: d.opts.Secure, SameSite: fiber.CookieSameSiteStrictMode})
	return c.Redirect(Prefix+"/login", fiber.StatusSeeOther)
}

// safeNext keeps a post-login redirect inside the dashboard.
func safeNext(next string) string {
	if !strings.HasPrefix(next, Prefix) || strings.HasPrefix(next, "//") || strings.Contains(next, "\\") ||
		strings.HasPrefix(next, Prefix+"/login") {
		return Prefix + "/"
	}
	return next
}

func sess(c *fiber.Ctx) *broker.Session { return c.Locals(sessionLocal).(*broker.Session) }

var errBadInput = errors.New("bad input")
