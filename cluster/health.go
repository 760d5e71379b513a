package cluster

import (
	"slices"
	"sync"
	"time"

	"go.etcd.io/raft/v3"
	pb "go.etcd.io/raft/v3/raftpb"
	"go.etcd.io/raft/v3/tracker"

	"github.com/shalemq/shale/wire"
)

// Node health (docs/cluster.md "Clients"). Every node knows when it last
// heard from each peer: any frame a peer sends counts, and every node
// pings every peer once per heartbeat interval from its driver goroutine,
// so followers, which exchange no raft messages with each other, still
// see each other, and a node whose driver is stuck stops being heard. A
// ping is a raft MsgBeat addressed to the peer: a message type raft only
// accepts from the node itself, so a peer that does not filter it (the
// transport's receiver does) drops it in RawNode.Step.
//
// A ping also says whether its sender is a leader ready to serve: its
// Term field is the term in which the sender leads and accepts writes
// (it has committed and applied an entry of that term, and reloaded),
// zero otherwise. Raft's own messages tell a follower who leads as soon
// as the election is won; the ping tells it when that leader can take a
// client, so no node names a leader that would still refuse writes. A
// leader pings at once when it starts or stops accepting writes, not
// only at the next heartbeat.

// peerClock records when each peer was last heard from, and what its
// last ping said.
type peerClock struct {
	mu    sync.Mutex
	heard map[uint64]time.Time
	ready map[uint64]uint64 // the term of the last ping (0: not a ready leader)
}

func (c *peerClock) saw(id uint64, at time.Time) {
	c.mu.Lock()
	if c.heard == nil {
		c.heard = map[uint64]time.Time{}
	}
	c.heard[id] = at
	c.mu.Unlock()
}

// pinged records what a ping from id said: the term in which it leads
// and accepts writes, or 0.
func (c *peerClock) pinged(id, readyTerm uint64) {
	c.mu.Lock()
	if c.ready == nil {
		c.ready = map[uint64]uint64{}
	}
	c.ready[id] = readyTerm
	c.mu.Unlock()
}

func (c *peerClock) last(id uint64) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.heard[id]
}

// readyTerm is what id's last ping said (pinged).
func (c *peerClock) readyTerm(id uint64) uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ready[id]
}

func isPing(m *pb.Message) bool { return m.GetType() == pb.MessageType_MsgBeat }

// received is the transport's receiver: it notes the senders, drops the
// pings and hands the rest to the driver.
func (n *Node) received(msgs []*pb.Message) {
	now := time.Now()
	kept := msgs[:0]
	var from uint64
	for _, m := range msgs {
		f := m.GetFrom()
		if n.cfg.Peers[f] == "" {
			if !isPing(m) {
				kept = append(kept, m) // raft judges a stranger's message
			}
			continue
		}
		if f != from {
			from = f
			n.clock.saw(f, now)
		}
		if isPing(m) {
			n.clock.pinged(f, m.GetTerm())
		} else {
			kept = append(kept, m)
		}
	}
	if len(kept) > 0 {
		n.deliver(kept)
	}
}

// tickHealth pings every peer once per heartbeat interval; the driver
// calls it on each tick.
func (n *Node) tickHealth() {
	n.pingTicks++
	if n.pingTicks < n.cfg.HeartbeatTicks {
		return
	}
	n.pingAll()
}

// pingAll pings every peer now, with this node's readiness (readyTerm);
// the driver calls it once per heartbeat and whenever the node starts or
// stops accepting writes.
func (n *Node) pingAll() {
	n.pingTicks = 0
	ready := n.readyTerm()
	for id := range n.cfg.Peers {
		m := &pb.Message{Type: pb.MessageType_MsgBeat.Enum(), From: new(n.cfg.ID), To: new(id)}
		if ready != 0 {
			m.Term = new(ready)
		}
		n.tr.send(id, []*pb.Message{m})
	}
}

// readyTerm is the term in which this node leads and accepts writes, or
// 0 (driver goroutine).
func (n *Node) readyTerm() uint64 {
	n.mu.Lock()
	writable := n.writable
	n.mu.Unlock()
	if !writable || n.role != raft.StateLeader {
		return 0
	}
	return n.leaderTerm
}

// aliveWithin is how recently a peer must have been heard from to count
// as up: one election timeout, the time after which raft itself gives up
// on a silent leader.
func (n *Node) aliveWithin() time.Duration {
	return n.cfg.Tick * time.Duration(n.cfg.ElectionTicks)
}

// farBehind is how many entries a follower may trail the leader's last
// index and still count as healthy: more than a truncation's worth means
// it is catching up, not replicating.
func (n *Node) farBehind() uint64 { return n.cfg.CompactEvery }

// peerStatus is every peer's status for publish: whether it was heard
// from recently on every node, and its replication progress on the
// leader.
func (n *Node) peerStatus(leader bool, last uint64) []PeerStatus {
	now := time.Now()
	peers := make([]PeerStatus, 0, len(n.cfg.Peers))
	byID := map[uint64]int{}
	for id := range n.cfg.Peers {
		ps := PeerStatus{ID: id}
		if h := n.clock.last(id); !h.IsZero() {
			ps.Heard = now.Sub(h)
			ps.Alive = ps.Heard <= n.aliveWithin()
			ps.ReadyTerm = n.clock.readyTerm(id)
		}
		byID[id] = len(peers)
		peers = append(peers, ps)
	}
	if leader {
		n.rn.WithProgress(func(id uint64, _ raft.ProgressType, pr tracker.Progress) {
			i, ok := byID[id]
			if !ok {
				return
			}
			ps := &peers[i]
			ps.Match, ps.Active, ps.Replicating = pr.Match, pr.RecentActive, pr.State == tracker.StateReplicate
			if last > pr.Match {
				ps.Lag = last - pr.Match
			}
			ps.Progress = true
			ps.CatchingUp = !ps.Replicating || ps.Lag > n.farBehind()
		})
	}
	slices.SortFunc(peers, func(a, b PeerStatus) int { return int(a.ID) - int(b.ID) })
	return peers
}

// NodeView is one member of the cluster as this node reports it in
// GetClusterMetadata.
type NodeView struct {
	// Leader: this node may send clients there. Set only for a leader that
	// accepts writes: itself, or the leader it follows when that one's
	// latest ping, within an election timeout, said it accepts writes in
	// this node's current term; always with a Healthy status.
	Leader bool
	// Status is wire.NodeHealthy, NodeStarting or NodeUnreachable.
	Status uint8
}

// View is how this node sees member id. Iggy 0.8 clients move to the
// first node reported Leader and Healthy, so only a node this one has
// evidence is up and leading is reported so:
//   - itself: Leader and Healthy once it leads and accepts writes;
//     Starting while it leads but still catches up, or while it knows no
//     leader; Healthy otherwise (it answers, as a follower);
//   - a peer not heard from within an election timeout: Unreachable and
//     never Leader, even if it was the leader this node last followed;
//   - on the leader, a peer heard from but not replicating (probed, being
//     sent a snapshot) or more than a truncation's worth of entries
//     behind: Starting;
//   - the leader this node follows: Leader and Healthy once its pings say
//     it accepts writes in the current term; Starting until then (elected,
//     still applying its predecessor's entries), as it reports itself;
//   - any other peer: Healthy.
func (s Status) View(id uint64) NodeView {
	if id == s.ID {
		switch {
		case s.Role == RoleLeader && s.Writable:
			return NodeView{Leader: true, Status: wire.NodeHealthy}
		case s.Role == RoleLeader || s.Lead == 0:
			return NodeView{Status: wire.NodeStarting}
		default:
			return NodeView{Status: wire.NodeHealthy}
		}
	}
	i := slices.IndexFunc(s.Peers, func(p PeerStatus) bool { return p.ID == id })
	if i < 0 || !s.Peers[i].Alive {
		return NodeView{Status: wire.NodeUnreachable}
	}
	p := s.Peers[i]
	if s.Role == RoleLeader && p.CatchingUp {
		return NodeView{Status: wire.NodeStarting}
	}
	if id == s.Lead && s.Role != RoleLeader {
		if p.ReadyTerm == 0 || p.ReadyTerm != s.Term {
			return NodeView{Status: wire.NodeStarting}
		}
		return NodeView{Leader: true, Status: wire.NodeHealthy}
	}
	return NodeView{Status: wire.NodeHealthy}
}
