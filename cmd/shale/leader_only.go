package main

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/shalemq/shale/broker/auth"
	"github.com/shalemq/shale/cluster"
	"github.com/shalemq/shale/retention"
	"github.com/shalemq/shale/wire"
)

// Background writers (the retention sweeper, the expired-token cleaner)
// change replicated state on their own. In a cluster only the leader runs
// them: its deletions reach the other nodes through raft, and a follower,
// which would only see its writes refused, neither attempts nor logs them
// (docs/cluster.md "Background work").

// writerGate says whether this process may run its background writers
// now: always on a single node; on a raft node only while it leads and
// accepts writes (never before the node has started).
type writerGate struct {
	clustered bool
	node      atomic.Pointer[cluster.Node]
}

func (g *writerGate) open() bool {
	if !g.clustered {
		return true
	}
	n := g.node.Load()
	return n != nil && n.Status().Writable
}

// refusedAfterDemotion tells a write refused because this node stopped
// leading while a background pass ran (logged as such, not as a failure).
func (g *writerGate) refusedAfterDemotion(err error) bool {
	return g.clustered && errors.Is(err, wire.ErrDisconnected) && !g.open()
}

// everyWhileOpen calls pass every interval while the gate is open, until
// ctx ends.
func (g *writerGate) everyWhileOpen(ctx context.Context, interval time.Duration, pass func()) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if g.open() {
				pass()
			}
		}
	}
}

// runRetention sweeps every interval while the gate is open.
func runRetention(ctx context.Context, s *server, sw *retention.Sweeper, interval time.Duration, logger *slog.Logger) {
	s.writers.everyWhileOpen(ctx, interval, func() {
		if _, err := sw.SweepOnce(ctx); err != nil && ctx.Err() == nil {
			if s.writers.refusedAfterDemotion(err) {
				logger.Info("retention sweep cut short: this node stopped leading; the new leader sweeps")
				return
			}
			logger.Error("retention sweep failed", "err", err)
		}
	})
}

// runTokenCleaner deletes expired personal access tokens (Iggy's
// [personal_access_token.cleaner]) and expired JWT revocations every
// interval while the gate is open.
func runTokenCleaner(ctx context.Context, s *server, users *auth.Store, interval time.Duration, logger *slog.Logger) {
	s.writers.everyWhileOpen(ctx, interval, func() {
		tokens, revoked, err := users.DeleteExpired()
		switch {
		case err != nil && s.writers.refusedAfterDemotion(err):
			logger.Info("expired-token cleanup cut short: this node stopped leading; the new leader cleans")
		case err != nil:
			logger.Error("expired-token cleanup failed", "err", err)
		case tokens+revoked > 0:
			logger.Info("deleted expired tokens", "personal_access_tokens", tokens, "jwt_revocations", revoked)
		}
	})
}
