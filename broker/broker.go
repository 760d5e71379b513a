package broker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/shalemq/shale/broker/auth"
	"github.com/shalemq/shale/log"
	"github.com/shalemq/shale/wire"
)

// Version is the Iggy server version shale answers as: clients compare it,
// so it is Iggy's, not ours.
const (
	Version       = "0.8.0"
	VersionSemver = 8000 // major·1,000,000 + minor·1,000 + patch (docs/protocol/binary.md §4.1)
)

// Options configure a Broker.
type Options struct {
	// Clock is the broker's time source (heartbeats, token expiry, stats).
	// Default time.Now.
	Clock func() time.Time
	// Logger receives broker events. Default slog.Default().
	Logger *slog.Logger
	// Registerer receives the broker's metrics. Default: none.
	Registerer prometheus.Registerer
	// Cluster is what GetClusterMetadata reports; cmd/shale fills the
	// bound ports in once the listeners are up (SetCluster). Default: Iggy's
	// answer with clustering off and nothing bound.
	Cluster Cluster
	// DataDir is the data directory, for disk figures in GetStats.
	DataDir string
	// Config renders the effective configuration for GetSnapshot (secrets
	// masked by the caller). Optional.
	Config func() []byte
	// MaxTopicSeries caps the per-topic and per-partition-lag series in
	// /metrics (past it, one "_other" series). Default 1,000.
	MaxTopicSeries int
	// LoginThrottle slows repeated failed logins (loginguard.go).
	LoginThrottle LoginThrottle
	// Limits bound connections and request memory (limits.go).
	Limits Limits
}

// Cluster is what GetClusterMetadata answers (docs/protocol/binary.md §4.1): with
// clustering off, cluster "single-node" with one leader "iggy-node".
type Cluster struct {
	Name  string
	Nodes []Node
}

// Node is one node of Cluster.
type Node struct {
	Name     string
	IP       string
	TCPPort  uint16
	QUICPort uint16
	HTTPPort uint16
	WSPort   uint16
	Follower bool // role follower rather than leader
	// Status is wire.NodeHealthy (the zero value) or another
	// wire.Node* status; only a raft cluster reports others.
	Status uint8
}

// DefaultCluster is Iggy's answer with clustering off, before any port is
// bound.
func DefaultCluster() Cluster {
	return Cluster{Name: "single-node", Nodes: []Node{{Name: "iggy-node", IP: "127.0.0.1"}}}
}

// Broker executes every Iggy command for every transport. It owns the
// sessions and the authorisation decision; state lives in log (streams and
// messages) and auth (users and tokens).
type Broker struct {
	log     *log.Log
	users   *auth.Store
	opts    Options
	started time.Time

	sessions sessions
	cluster  atomic.Pointer[Cluster]
	// readBarrier makes offset reads linearizable on a cluster node
	// (readbarrier.go); nil on a single node.
	readBarrier atomic.Pointer[func(context.Context) error]
	stopping    atomic.Bool
	// previewer answers RetentionPreview (retention_preview.go).
	previewer atomic.Pointer[func() RetentionPreview]
	metrics   *metrics
	cpu       cpuSampler
	guard     *loginGuard // loginguard.go
	limits    *limiter    // limits.go
}

// New returns a broker over an open log and user store.
func New(l *log.Log, users *auth.Store, opts Options) *Broker {
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if len(opts.Cluster.Nodes) == 0 {
		opts.Cluster = DefaultCluster()
	}
	b := &Broker{log: l, users: users, opts: opts, started: opts.Clock()}
	b.metrics = newMetrics(b, opts.Registerer, opts.MaxTopicSeries)
	b.guard = newLoginGuard(opts.LoginThrottle, b.now, opts.Logger, opts.Registerer)
	b.limits = newLimiter(opts.Limits, opts.Logger, opts.Registerer)
	b.SetCluster(opts.Cluster)
	return b
}

// SetCluster replaces what GetClusterMetadata reports (the bound ports are
// only known after the listeners start).
func (b *Broker) SetCluster(c Cluster) {
	c.Nodes = slices.Clone(c.Nodes)
	b.cluster.Store(&c)
}

// RevokeJWT records an access token as revoked until it expires (HTTP
// logout and refresh).
func (b *Broker) RevokeJWT(jti string, expiresAt time.Time) error {
	return b.users.RevokeJWT(jti, expiresAt)
}

// JWTRevoked reports whether an access token was revoked.
func (b *Broker) JWTRevoked(jti string) bool { return b.users.JWTRevoked(jti) }

// Stopping marks the server as shutting down: new logins answer 8
// (disconnected), as Iggy's do.
func (b *Broker) Stopping() { b.stopping.Store(true) }

func (b *Broker) now() time.Time { return b.opts.Clock() }

// Sentinel errors of our own for the cases Iggy answers with a plain code
// but a log line should say more.
var errNoClient = fmt.Errorf("client session is gone: %w", wire.ErrStaleClient)

// permissions returns the logged-in user's permissions: 40 when nobody is
// logged in, 41 when the user has been deleted since login (docs/protocol/binary.md §1.6).
func (b *Broker) permissions(s *Session) (*wire.Permissions, error) {
	id := s.UserID()
	if id == NoUser {
		return nil, wire.ErrUnauthenticated
	}
	u, ok := b.users.User(id)
	if !ok {
		return nil, fmt.Errorf("user %d no longer exists: %w", id, wire.ErrUnauthorized)
	}
	if u.Permissions == nil {
		return &wire.Permissions{}, nil
	}
	return u.Permissions, nil
}

// authenticated answers 40 for a session that is not logged in.
func authenticated(s *Session) error {
	if !s.Authenticated() {
		return wire.ErrUnauthenticated
	}
	return nil
}

// allow turns a permission decision into Iggy's 41.
func allow(ok bool, what string) error {
	if !ok {
		return fmt.Errorf("%s: %w", what, wire.ErrUnauthorized)
	}
	return nil
}

// notFound reports whether err is one of the lookups that read commands
// answer with an empty OK rather than an error (docs/protocol/binary.md §4 intro).
func notFound(err error) bool {
	return errors.Is(err, wire.ErrStreamIDNotFound) || errors.Is(err, wire.ErrStreamNameNotFound) ||
		errors.Is(err, wire.ErrTopicIDNotFound) || errors.Is(err, wire.ErrTopicNameNotFound) ||
		errors.Is(err, wire.ErrConsumerGroupIDNotFound) || errors.Is(err, wire.ErrConsumerGroupNameNotFound) ||
		errors.Is(err, wire.ErrPartitionNotFound)
}
