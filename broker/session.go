package broker

import (
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/OneOfOne/xxhash"

	"github.com/shalemq/shale/log"
	"github.com/shalemq/shale/wire"
)

// Transport is how a client reached the server; the values are Iggy's
// (docs/protocol/binary.md §4.1 ClientInfo).
type Transport uint8

const (
	TransportTCP       Transport = 1
	TransportQUIC      Transport = 2
	TransportHTTP      Transport = 3
	TransportWebSocket Transport = 4
)

func (t Transport) String() string {
	if t == TransportWebSocket {
		return "websocket"
	}
	return wire.TransportName(uint8(t))
}

// NoUser is the user id Iggy reports for a session that is not logged in.
const NoUser = ^uint32(0)

// Session is one client connection (or one HTTP token holder). It starts
// unauthenticated; Login binds it to a user. A Session is safe for
// concurrent use: QUIC runs a connection's streams in parallel.
type Session struct {
	id        uint32
	transport Transport
	addr      string
	broker    *Broker

	user      atomic.Uint32 // NoUser until login
	heartbeat atomic.Int64  // unix µs of the last ping
	closed    atomic.Bool
	stale     atomic.Bool // dropped by EvictStale

	mu struct {
		sync.Mutex
		groups []*log.Group // joined groups, left on Close
	}
}

// ID is the client id GetMe and GetClients report.
func (s *Session) ID() uint32 { return s.id }

// Transport is how the client connected.
func (s *Session) Transport() Transport { return s.transport }

// Addr is the peer address as Iggy prints it (ip:port).
func (s *Session) Addr() string { return s.addr }

// UserID is the logged-in user, or NoUser.
func (s *Session) UserID() uint32 { return s.user.Load() }

// Authenticated reports whether a user is logged in on this session.
func (s *Session) Authenticated() bool { return s.user.Load() != NoUser }

func (s *Session) joined(g *log.Group) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !slices.Contains(s.mu.groups, g) {
		s.mu.groups = append(s.mu.groups, g)
	}
}

func (s *Session) left(g *log.Group) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mu.groups = slices.DeleteFunc(s.mu.groups, func(x *log.Group) bool { return x == g })
}

// groups lists the joined groups still alive, dropping deleted ones.
func (s *Session) groups() []*log.Group {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mu.groups = slices.DeleteFunc(s.mu.groups, (*log.Group).Deleted)
	return slices.Clone(s.mu.groups)
}

// sessions is the client table. Ids follow Iggy (XXH32 of the peer address)
// so they look familiar in tooling, probing forward on a collision because
// an id must be unique and non-zero for the life of the connection.
type sessions struct {
	mu   sync.RWMutex
	byID map[uint32]*Session
}

func (t *sessions) add(s *Session) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.byID == nil {
		t.byID = make(map[uint32]*Session)
	}
	id := xxhash.Checksum32([]byte(s.addr))
	for id == 0 || t.byID[id] != nil {
		id++
	}
	s.id = id
	t.byID[id] = s
}

func (t *sessions) remove(s *Session) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.byID[s.id] == s {
		delete(t.byID, s.id)
	}
}

func (t *sessions) get(id uint32) *Session {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.byID[id]
}

// list returns the sessions ordered by client id, for stable listings.
func (t *sessions) list() []*Session {
	t.mu.RLock()
	out := make([]*Session, 0, len(t.byID))
	for _, s := range t.byID {
		out = append(out, s)
	}
	t.mu.RUnlock()
	slices.SortFunc(out, func(a, b *Session) int { return int(int64(a.id) - int64(b.id)) })
	return out
}

func (t *sessions) count() int {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return len(t.byID)
}

// OpenSession registers a new client connection.
func (b *Broker) OpenSession(transport Transport, addr string) *Session {
	s := &Session{transport: transport, addr: addr, broker: b}
	s.user.Store(NoUser)
	s.heartbeat.Store(b.now().UnixMicro())
	b.sessions.add(s)
	b.metrics.clients.Inc()
	return s
}

// CloseSession ends a connection: it leaves every consumer group it joined
// (which rebalances them) and drops it from the client table. Idempotent.
func (b *Broker) CloseSession(s *Session) {
	if s.closed.Swap(true) {
		return
	}
	for _, g := range s.groups() {
		b.log.Leave(g, s.id)
	}
	b.sessions.remove(s)
	b.metrics.clients.Dec()
}

// Heartbeat records a ping.
func (s *Session) touch(now time.Time) { s.heartbeat.Store(now.UnixMicro()) }

// RequestSession returns a session for one stateless request (HTTP). As in
// Iggy, such requests act with client id 0 and never appear in the client
// table, so the session needs no CloseSession; it cannot join groups.
func (b *Broker) RequestSession(transport Transport, addr string) *Session {
	s := &Session{transport: transport, addr: addr, broker: b}
	s.user.Store(NoUser)
	s.closed.Store(true) // not in the table: group membership is refused
	return s
}

// AssumeUser binds a request session to the user a verified token names,
// without checking that the user still exists: as in Iggy, a token of a
// deleted user still authenticates and its commands then fail with 41.
func (b *Broker) AssumeUser(s *Session, userID uint32) {
	if userID != NoUser {
		s.user.Store(userID)
	}
}

// Stale reports whether the session was dropped for missing heartbeats;
// its connection is then answered 30 and closed (docs/protocol/binary.md §1.6).
func (s *Session) Stale() bool { return s.stale.Load() }

// EvictStale drops every session whose last ping is older than maxIdle
// (Iggy: 1.2 × heartbeat.interval when heartbeat.enabled): it leaves its
// groups and the client table, and its next command gets 30. It returns
// how many were dropped.
func (b *Broker) EvictStale(maxIdle time.Duration) int {
	cutoff := b.now().Add(-maxIdle).UnixMicro()
	n := 0
	for _, s := range b.sessions.list() {
		if s.heartbeat.Load() < cutoff {
			s.stale.Store(true)
			b.CloseSession(s)
			n++
		}
	}
	if n > 0 {
		b.opts.Logger.Info("dropped stale clients", "count", n, "max_idle", maxIdle)
	}
	return n
}
