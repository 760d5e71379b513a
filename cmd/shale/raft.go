package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/shalemq/shale/broker"
	"github.com/shalemq/shale/cluster"
	"github.com/shalemq/shale/config"
)

// startRaft joins this node to its raft cluster when [cluster.raft] is on
// (docs/cluster.md): from here every commit of the broker's layers is
// replicated, the broker is reloaded when replication writes underneath
// it, offset reads are linearizable, and GetClusterMetadata follows the
// real leader. It returns nil with raft off.
func startRaft(ctx context.Context, s *server, cfg *config.Config, bound boundPorts, tc *tls.Config, reg prometheus.Registerer, logger *slog.Logger) (*cluster.Node, error) {
	r := cfg.Cluster.Raft
	if !r.Enabled {
		return nil, nil
	}
	peers := map[uint64]string{}
	for _, p := range cfg.Cluster.Node.Others {
		peers[p.RaftID] = p.RaftAddress
	}
	node, err := cluster.Start(s.db, cluster.Config{
		ID: uint64(r.NodeID), Address: r.Address, Peers: peers,
		Tick: r.Tick.Std(), ElectionTicks: r.ElectionTicks, HeartbeatTicks: r.HeartbeatTicks,
		Reload: s.broker.Reload,
		RoleChanged: func(leader bool) {
			// Sessions on a node that changed role hold state of the old
			// role; their clients reconnect and read the metadata again.
			n := s.broker.DropSessions()
			// Each connection finishes its request in flight first
			// (a send waiting for replication answers 8), then closes.
			if s.tcp != nil {
				s.tcp.CloseConns()
			}
			if s.quic != nil {
				s.quic.CloseConns()
			}
			logger.Info("cluster role changed; client sessions dropped", "leader", leader, "sessions", n)
			if leader {
				s.seeder.leading()
			} else {
				s.seeder.following()
			}
		},
		Logger: logger, Registerer: reg, TLS: tc,
	})
	if err != nil {
		return nil, err
	}
	// Offset reads wait for a confirmed read index (docs/cluster.md
	// "Linearizable reads"); a node that cannot confirm answers 8.
	s.broker.SetReadBarrier(node.ReadBarrier)
	s.writers.node.Store(node) // background writers run while it leads
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		t := time.NewTicker(max(r.Tick.Std(), 50*time.Millisecond))
		defer t.Stop()
		for {
			if err := node.Err(); err != nil {
				// The node stopped on a failed database write: the process
				// stops too and is restarted over its data, as after kv's
				// own failures, rather than serving without replicating.
				select {
				case s.serveErr <- fmt.Errorf("raft node failed: %w", err):
				default:
				}
				return
			}
			s.broker.SetCluster(raftMetadata(cfg, bound, node.Status()))
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return node, nil
}

// raftMetadata is GetClusterMetadata's answer on a raft node: the nodes of
// [cluster], each with the role and health this node can vouch for
// (cluster.Status.View): a node is marked Leader, and Healthy, only when it
// is this node leading and accepting writes, or the leader this node
// follows, heard from within an election timeout, whose pings say it
// accepts writes in this term. Iggy clients move to the node marked Leader
// and Healthy, so they are never sent to a node that is down or still
// catching up.
func raftMetadata(cfg *config.Config, bound boundPorts, st cluster.Status) broker.Cluster {
	c := clusterMetadata(cfg, bound, true)
	ids := []uint64{uint64(cfg.Cluster.Raft.NodeID)}
	for _, p := range cfg.Cluster.Node.Others {
		ids = append(ids, p.RaftID)
	}
	for i := range c.Nodes {
		v := st.View(ids[i])
		c.Nodes[i].Follower = !v.Leader
		c.Nodes[i].Status = v.Status
	}
	return c
}
