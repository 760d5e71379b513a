package broker

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Limits bound what clients can make the server hold: connections per
// transport and per client address, and the memory of request payloads
// being read or handled at once (docs/reliability.md, "Resource limits").
// The listeners ask before they take a connection (AdmitConnection) and
// before they read a large payload (ReserveRequestMemory).
type Limits struct {
	// MaxConnections caps the open connections of each transport; a
	// transport missing from the map (or 0) has no cap.
	MaxConnections map[Transport]int
	// MaxConnectionsPerAddress caps the open connections of one client IP
	// address (any port) on each transport. 0 means no cap.
	MaxConnectionsPerAddress int
	// RequestMemory caps the bytes of large request payloads (those over
	// SmallRequest) held at once by every binary connection together. 0
	// means no cap.
	RequestMemory int64
	// RequestMemoryWait is how long a payload waits for room before it is
	// refused. Default 10 s.
	RequestMemoryWait time.Duration
	// PollAnswerBytes caps the messages of one poll answer, in bytes
	// (answer.go). 0 means no cap.
	PollAnswerBytes int
}

// SmallRequest is the payload size below which ReserveRequestMemory
// accounts nothing: such payloads are read into each connection's pooled
// buffer, bounded by the number of connections.
const SmallRequest = 64 << 10

// limiter enforces Limits.
type limiter struct {
	opts    Limits
	logger  *slog.Logger
	refused *prometheus.CounterVec
	waited  prometheus.Counter
	// polls counts poll answers the limits shaped, per reason (answer.go).
	polls                                     *prometheus.CounterVec
	pollCutByCap, pollCutByMemory, pollWaited prometheus.Counter

	mu    sync.Mutex
	open  map[Transport]int
	perIP map[connKey]int
	// lastLog and quiet rate-limit the refusal log to one line a second.
	lastLog time.Time
	quiet   int

	mem memBudget
}

type connKey struct {
	t  Transport
	ip string
}

func newLimiter(opts Limits, logger *slog.Logger, r prometheus.Registerer) *limiter {
	if opts.RequestMemoryWait <= 0 {
		opts.RequestMemoryWait = 10 * time.Second
	}
	l := &limiter{opts: opts, logger: logger, open: map[Transport]int{}, perIP: map[connKey]int{},
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "shale", Name: "connections_refused_total",
			Help: "Connections closed at once because a limit was reached, per transport and reason (max_connections, per_address).",
		}, []string{"transport", "reason"}),
		waited: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "shale", Name: "request_memory_waits_total",
			Help: "Large request payloads that had to wait for room under limits.request_memory before being read.",
		}),
	}
	l.polls = newPollLimitCounter()
	l.pollCutByCap, l.pollCutByMemory = l.polls.WithLabelValues(pollCutByCap), l.polls.WithLabelValues(pollCutByMemory)
	l.pollWaited = l.polls.WithLabelValues(pollWaited)
	l.mem.capacity = opts.RequestMemory
	for _, t := range []Transport{TransportTCP, TransportQUIC, TransportHTTP} {
		for _, reason := range []string{"max_connections", "per_address"} {
			l.refused.WithLabelValues(t.String(), reason)
		}
	}
	if r != nil {
		r.MustRegister(l.refused, l.waited, l.polls)
	}
	return l
}

// AdmitConnection decides whether a new connection from remote (host:port)
// over transport t may be served. When it may, release must be called
// once the connection is closed. When it may not, the listener closes the
// connection at once; the refusal is counted in
// shale_connections_refused_total and logged (at most one line a second,
// with how many were not logged).
func (b *Broker) AdmitConnection(t Transport, remote string) (release func(), ok bool) {
	l := b.limits
	k := connKey{t, clientIP(remote)}
	l.mu.Lock()
	reason := ""
	if max := l.opts.MaxConnections[t]; max > 0 && l.open[t] >= max {
		reason = "max_connections"
	} else if max := l.opts.MaxConnectionsPerAddress; max > 0 && l.perIP[k] >= max {
		reason = "per_address"
	}
	if reason != "" {
		now := time.Now()
		logIt := now.Sub(l.lastLog) >= time.Second
		quiet := l.quiet
		if logIt {
			l.lastLog, l.quiet = now, 0
		} else {
			l.quiet++
		}
		open, fromIP := l.open[t], l.perIP[k]
		l.mu.Unlock()
		l.refused.WithLabelValues(t.String(), reason).Inc()
		if logIt {
			l.logger.Warn("connection refused", "transport", t.String(), "remote", remote, "reason", reason,
				"open", open, "open_from_address", fromIP, "not_logged_since_last", quiet)
		}
		return nil, false
	}
	l.open[t]++
	l.perIP[k]++
	l.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			l.mu.Lock()
			l.open[t]--
			if l.perIP[k]--; l.perIP[k] <= 0 {
				delete(l.perIP, k)
			}
			l.mu.Unlock()
		})
	}, true
}

// ReserveRequestMemory takes room for a request payload of n bytes before
// a listener reads it. Payloads up to SmallRequest, and every payload when
// Limits.RequestMemory is 0, take nothing. Otherwise the call waits until
// the payloads already held leave room, at most Limits.RequestMemoryWait
// or until ctx ends, and then fails; release gives the room back once the
// request is answered. A payload larger than the whole budget fails at
// once.
func (b *Broker) ReserveRequestMemory(ctx context.Context, n int64) (release func(), ok bool) {
	m := &b.limits.mem
	if n <= SmallRequest || m.capacity <= 0 {
		return noRelease, true
	}
	if m.tryAcquire(n) {
		return func() { m.release(n) }, true
	}
	if n > m.capacity {
		return nil, false
	}
	b.limits.waited.Inc()
	ctx, cancel := context.WithTimeout(ctx, b.limits.opts.RequestMemoryWait)
	defer cancel()
	if !m.acquire(ctx, n) {
		return nil, false
	}
	return func() { m.release(n) }, true
}

// RequestMemoryHeld is the bytes ReserveRequestMemory has handed out and
// not yet taken back.
func (b *Broker) RequestMemoryHeld() int64 {
	m := &b.limits.mem
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.used
}

func noRelease() {}

// memBudget is a weighted semaphore served in arrival order, so a large
// payload is not starved by a stream of smaller ones.
type memBudget struct {
	capacity int64

	mu      sync.Mutex
	used    int64
	waiters []*memWaiter
}

type memWaiter struct {
	n     int64
	ready chan struct{}
}

func (m *memBudget) tryAcquire(n int64) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.waiters) == 0 && m.used+n <= m.capacity {
		m.used += n
		return true
	}
	return false
}

func (m *memBudget) acquire(ctx context.Context, n int64) bool {
	m.mu.Lock()
	if len(m.waiters) == 0 && m.used+n <= m.capacity {
		m.used += n
		m.mu.Unlock()
		return true
	}
	w := &memWaiter{n: n, ready: make(chan struct{})}
	m.waiters = append(m.waiters, w)
	m.mu.Unlock()
	select {
	case <-w.ready:
		return true
	case <-ctx.Done():
		m.mu.Lock()
		select {
		case <-w.ready:
			// Granted while giving up: hand the room back.
			m.used -= n
			m.grant()
		default:
			for i, o := range m.waiters {
				if o == w {
					m.waiters = append(m.waiters[:i], m.waiters[i+1:]...)
					break
				}
			}
			// The head may have been blocking smaller waiters behind it.
			m.grant()
		}
		m.mu.Unlock()
		return false
	}
}

// charge takes n bytes whether or not they fit (AnswerHold.Settle): used
// may pass capacity, and waiters are served again once it falls back.
func (m *memBudget) charge(n int64) {
	m.mu.Lock()
	m.used += n
	m.mu.Unlock()
}

func (m *memBudget) release(n int64) {
	m.mu.Lock()
	m.used -= n
	m.grant()
	m.mu.Unlock()
}

// grant wakes waiters from the head while they fit. m.mu is held.
func (m *memBudget) grant() {
	for len(m.waiters) > 0 {
		w := m.waiters[0]
		if m.used+w.n > m.capacity {
			return
		}
		m.used += w.n
		m.waiters = m.waiters[1:]
		close(w.ready)
	}
}
