package broker

import (
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// LoginThrottle slows password guessing: after Free failed logins from
// one client address, or for one user name, each further login attempt
// from that address or for that user first waits, InitialDelay after the
// first failure past Free and twice as long after each one after, up to
// MaxDelay. A success for the user clears both the user's and the
// address's count; a count is forgotten Forget after its last failure.
// The attempt is delayed, never refused, so a real user who mistyped
// still gets in, at most MaxDelay late. Token logins count per address
// only (the token names no user until it is accepted).
type LoginThrottle struct {
	// Disabled turns the throttle off.
	Disabled bool
	// Free failures before any delay. Default 5.
	Free int
	// InitialDelay is the first delay. Default 250 ms.
	InitialDelay time.Duration
	// MaxDelay caps the delay. Default 5 s.
	MaxDelay time.Duration
	// Forget drops a count this long after its last failure. Default 15 m.
	Forget time.Duration
}

func (o *LoginThrottle) ensureDefaults() {
	if o.Free <= 0 {
		o.Free = 5
	}
	if o.InitialDelay <= 0 {
		o.InitialDelay = 250 * time.Millisecond
	}
	if o.MaxDelay < o.InitialDelay {
		o.MaxDelay = max(5*time.Second, o.InitialDelay)
	}
	if o.Forget <= 0 {
		o.Forget = 15 * time.Minute
	}
}

// maxGuardKeys bounds the memory of each table: past it, counts whose
// last failure is older than the current delay are swept, and if that is
// not enough the table starts over (an attacker with that many addresses
// loses nothing by it, the per-user table still holds).
const maxGuardKeys = 100_000

// loginGuard keeps the failure counts. Keys are "addr" (the IP without
// the port) and "user" (the name as given).
type loginGuard struct {
	opts      LoginThrottle
	now       func() time.Time
	sleep     func(time.Duration) // tests replace it
	logger    *slog.Logger
	throttled *prometheus.CounterVec

	mu     sync.Mutex
	tables map[string]map[string]*failures
}

type failures struct {
	count int
	last  time.Time
}

func newLoginGuard(opts LoginThrottle, now func() time.Time, logger *slog.Logger, r prometheus.Registerer) *loginGuard {
	opts.ensureDefaults()
	g := &loginGuard{opts: opts, now: now, sleep: time.Sleep, logger: logger,
		tables: map[string]map[string]*failures{"addr": {}, "user": {}},
		throttled: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "shale", Name: "login_throttled_total",
			Help: "Login attempts delayed after repeated failures, by what was throttled (addr: the client address, user: the user name).",
		}, []string{"by"})}
	if r != nil {
		r.MustRegister(g.throttled)
	}
	return g
}

// clientIP is the address without its port.
func clientIP(addr string) string {
	if host, _, err := net.SplitHostPort(addr); err == nil {
		return host
	}
	return addr
}

// delayFor is how long a login now waits for this count, 0 if none.
func (g *loginGuard) delayFor(f *failures, now time.Time) time.Duration {
	if f == nil || f.count < g.opts.Free || now.Sub(f.last) >= g.opts.Forget {
		return 0
	}
	d := g.opts.InitialDelay
	for i := g.opts.Free; i < f.count && d < g.opts.MaxDelay; i++ {
		d *= 2
	}
	return min(d, g.opts.MaxDelay)
}

// wait delays a login from addr for user ("" for a token login) as the
// counts say, and logs and counts it when it does.
func (g *loginGuard) wait(addr, user string) {
	if g.opts.Disabled {
		return
	}
	ip, now := clientIP(addr), g.now()
	g.mu.Lock()
	byAddr := g.delayFor(g.tables["addr"][ip], now)
	var byUser time.Duration
	if user != "" {
		byUser = g.delayFor(g.tables["user"][user], now)
	}
	g.mu.Unlock()
	d, by := byAddr, "addr"
	if byUser > byAddr {
		d, by = byUser, "user"
	}
	if d == 0 {
		return
	}
	g.throttled.WithLabelValues(by).Inc()
	g.logger.Warn("login throttled after repeated failures", "addr", ip, "user", user, "by", by, "delay", d)
	g.sleep(d)
}

// failed counts a failed login.
func (g *loginGuard) failed(addr, user string) {
	if g.opts.Disabled {
		return
	}
	now := g.now()
	g.mu.Lock()
	defer g.mu.Unlock()
	g.bump("addr", clientIP(addr), now)
	if user != "" {
		g.bump("user", user, now)
	}
}

func (g *loginGuard) bump(table, key string, now time.Time) {
	t := g.tables[table]
	f := t[key]
	if f == nil || now.Sub(f.last) >= g.opts.Forget {
		if len(t) >= maxGuardKeys {
			g.sweep(table, now)
			t = g.tables[table]
		}
		f = &failures{}
		t[key] = f
	}
	f.count++
	f.last = now
}

// sweep drops counts that no longer delay anything; if the table is still
// full it starts over.
func (g *loginGuard) sweep(table string, now time.Time) {
	t := g.tables[table]
	for k, f := range t {
		if g.delayFor(f, now) == 0 {
			delete(t, k)
		}
	}
	if len(t) >= maxGuardKeys {
		g.tables[table] = map[string]*failures{}
	}
}

// succeeded clears the counts of a login that got in.
func (g *loginGuard) succeeded(addr, user string) {
	if g.opts.Disabled {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	delete(g.tables["addr"], clientIP(addr))
	if user != "" {
		delete(g.tables["user"], user)
	}
}
