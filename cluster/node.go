package cluster

import (
	"crypto/rand"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.etcd.io/raft/v3"
	pb "go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"

	"github.com/shalemq/shale/kv"
	"github.com/shalemq/shale/wire"
)

// Config configures a Node.
type Config struct {
	// ID is this node's raft id (≥ 1, unique in the cluster).
	ID uint64
	// Address is the raft transport's listen address.
	Address string
	// Peers maps every other node's raft id to its transport address.
	Peers map[uint64]string
	// Tick is raft's clock; ElectionTicks and HeartbeatTicks count it.
	// Defaults 100 ms, 10, 1.
	Tick           time.Duration
	ElectionTicks  int
	HeartbeatTicks int
	// The log is truncated once CompactEvery entries precede the
	// applied index by more than LogKeep; LogKeep entries stay for
	// followers slightly behind. Defaults 1,000 and 200.
	CompactEvery, LogKeep uint64
	// MaxLogBytes also triggers the truncation once the entries after the
	// compaction point hold this much data. Default 64 MiB.
	MaxLogBytes uint64
	// FollowerRefresh is how stale a follower's view of the partitions
	// (their end offsets, which polls read up to) may get while entries
	// arrive: it reloads at most this often. Metadata changes reload at
	// once. Default 1 s.
	FollowerRefresh time.Duration
	// Reload is called, on the node's own goroutine, when the database
	// was written underneath the broker: after a follower applied
	// metadata or installed a snapshot, and when the node became leader
	// and applied everything before its term, before it accepts writes.
	Reload func() error
	// RoleChanged is called (on the node's goroutine) when the node starts
	// accepting writes as leader (true) and when it stops (false).
	RoleChanged func(leader bool)
	Logger      *slog.Logger
	Registerer  prometheus.Registerer
	// TLS, when set, is mutual TLS on the raft transport (TLSConfig).
	TLS *tls.Config
}

func (c *Config) defaults() {
	if c.Tick <= 0 {
		c.Tick = 100 * time.Millisecond
	}
	if c.ElectionTicks <= 0 {
		c.ElectionTicks = 10
	}
	if c.HeartbeatTicks <= 0 {
		c.HeartbeatTicks = 1
	}
	if c.CompactEvery == 0 {
		c.CompactEvery = 1000
	}
	if c.LogKeep == 0 {
		c.LogKeep = 200
	}
	if c.MaxLogBytes == 0 {
		c.MaxLogBytes = 64 << 20
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.FollowerRefresh <= 0 {
		c.FollowerRefresh = time.Second
	}
}

// Errors a write gets from a node that cannot take it. Both carry Iggy's
// code 8 (disconnected): Iggy 0.8 SDKs react to it by reconnecting,
// logging in and reading the cluster metadata, which sends them to the
// leader (docs/cluster.md "Clients").
var (
	// ErrNotLeader: nothing was proposed.
	ErrNotLeader = fmt.Errorf("this node is not the cluster leader: %w", wire.ErrDisconnected)
	// ErrLeadershipLost: proposed, but the leadership was lost before it
	// applied; the write may or may not be in the log.
	ErrLeadershipLost = fmt.Errorf("leadership lost before the write was applied; it may or may not have been kept: %w", wire.ErrDisconnected)
	// ErrStopped: the node is shutting down.
	ErrStopped = fmt.Errorf("cluster node stopped: %w", wire.ErrDisconnected)
)

// Role names.
const (
	RoleFollower  = "follower"
	RoleCandidate = "candidate"
	RoleLeader    = "leader"
)

// Status is a node's view of the cluster.
type Status struct {
	ID, Lead, Term, Commit, Applied, LastIndex uint64
	Role                                       string
	// Writable: leader, caught up and reloaded; writes are accepted.
	Writable bool
	// Peers: every other node, when it was last heard from and, on the
	// leader, its progress (health.go).
	Peers []PeerStatus
}

// PeerStatus is another node as this one sees it.
type PeerStatus struct {
	ID uint64
	// Heard is how long ago anything arrived from it (0: never); Alive:
	// within the last election timeout.
	Heard time.Duration
	Alive bool
	// The rest only on the leader (Progress set): the follower's
	// replication progress. CatchingUp: not replicating normally (probed,
	// sent a snapshot) or more than a log truncation's worth of entries
	// behind.
	Progress   bool
	Match, Lag uint64
	CatchingUp bool
	// Active: heard from within the last election timeout.
	Active bool
	// Replicating: receiving entries normally (not probing, not waiting
	// for a snapshot).
	Replicating bool
	// ReadyTerm: the term in which the peer, by its latest ping, leads and
	// accepts writes; 0 when it said it does not (health.go).
	ReadyTerm uint64
}

// Node is one member of the raft group.
type Node struct {
	cfg     Config
	db      *kv.DB
	log     *slog.Logger
	rn      *raft.RawNode
	ms      *raft.MemoryStorage
	tr      *transport
	metrics *metrics
	snaps   *snapshots // snapshot.go

	// Owned by the driver goroutine.
	applied    uint64
	lastStored uint64
	logBytes   uint64 // entry data after the compaction point, about
	hsTerm     uint64 // term and vote of the persisted hard state
	hsVote     uint64
	confState  *pb.ConfState
	pending    map[uint64]*proposal
	role       raft.StateType
	lead       uint64
	leaderTerm uint64
	catching   bool   // leader, not yet writable
	catchIndex uint64 // writable once applied reaches it (0: not known yet)
	dirty      bool   // a follower applied metadata: reload
	staleData  bool   // a follower applied messages since its last reload
	lastReload time.Time
	snapFailed map[uint64]bool

	mu       sync.Mutex
	queue    []*proposal
	writable bool
	idBase   uint64
	seq      uint64

	propc    chan struct{}
	recvc    chan []*pb.Message
	reportc  chan report
	transfer chan chan uint64
	stopc    chan struct{}
	done     chan struct{}
	stopOnce sync.Once
	failed   atomic.Pointer[error]

	status atomic.Pointer[Status]

	reads     reads     // readindex.go
	clock     peerClock // health.go
	pingTicks int
}

type proposal struct {
	id   uint64
	data []byte
	done chan error
}

type report struct {
	to   uint64
	snap bool
	err  error
}

// Start opens the raft state in db, starts the transport and the driver,
// and installs the node as db's Replicator. Writes made to db before Start
// stay local to this node.
func Start(db *kv.DB, cfg Config) (*Node, error) {
	cfg.defaults()
	if cfg.ID == 0 {
		return nil, errors.New("cluster: node id must be ≥ 1")
	}
	if _, self := cfg.Peers[cfg.ID]; self {
		return nil, fmt.Errorf("cluster: node id %d is also a peer's", cfg.ID)
	}
	voters := []uint64{cfg.ID}
	for id := range cfg.Peers {
		voters = append(voters, id)
	}
	slices.Sort(voters)
	st, err := loadState(db, voters)
	if err != nil {
		return nil, err
	}
	ms, err := st.memoryStorage()
	if err != nil {
		return nil, err
	}
	n := &Node{cfg: cfg, db: db, log: cfg.Logger.With("component", "cluster", "node", cfg.ID), ms: ms,
		applied: st.applied, confState: st.meta.GetConfState(), pending: map[uint64]*proposal{},
		snapFailed: map[uint64]bool{},
		propc:      make(chan struct{}, 1), recvc: make(chan []*pb.Message, 256), reportc: make(chan report, 256),
		transfer: make(chan chan uint64), stopc: make(chan struct{}), done: make(chan struct{})}
	n.reads.init()
	n.lastStored, _ = ms.LastIndex()
	n.hsTerm, n.hsVote = st.hs.GetTerm(), st.hs.GetVote()
	for _, e := range st.entries {
		n.logBytes += uint64(len(e.GetData()))
	}
	var seed [8]byte
	_, _ = rand.Read(seed[:])
	n.idBase = binary.LittleEndian.Uint64(seed[:])
	if !slices.Equal(st.meta.GetConfState().GetVoters(), voters) {
		return nil, fmt.Errorf("cluster: this database belongs to a cluster of nodes %v, the configuration names %v", st.meta.GetConfState().GetVoters(), voters)
	}
	rn, err := raft.NewRawNode(&raft.Config{
		ID: cfg.ID, ElectionTick: cfg.ElectionTicks, HeartbeatTick: cfg.HeartbeatTicks,
		Storage: ms, Applied: st.applied,
		MaxSizePerMsg: 4 << 20, MaxInflightMsgs: 256, MaxCommittedSizePerReady: 64 << 20,
		CheckQuorum: true, PreVote: true, ReadOnlyOption: raft.ReadOnlySafe,
		// The leader computes every entry from its own state; a proposal
		// must never be forwarded to another node.
		DisableProposalForwarding: true,
		Logger:                    raftLogger{n.log},
	})
	if err != nil {
		return nil, fmt.Errorf("cluster: %w", err)
	}
	n.rn = rn
	n.metrics = newMetrics(n)
	n.publish()
	if err := n.initSnapshots(); err != nil {
		return nil, err
	}
	n.tr, err = newTransport(cfg.ID, cfg.Address, cfg.Peers, cfg.TLS, n.log, n.received, n.reportSend)
	if err != nil {
		return nil, err
	}
	n.tr.onSnapshot(n.receiveSnapshot)
	if cfg.Registerer != nil {
		if err := n.metrics.register(cfg.Registerer); err != nil {
			n.tr.close()
			return nil, err
		}
	}
	db.SetReplicator(n)
	go n.run()
	n.log.Info("raft node started", "address", n.tr.Addr(), "peers", cfg.Peers, "applied", st.applied,
		"term", st.hs.GetTerm(), "first_index", st.meta.GetIndex()+1)
	return n, nil
}

// Addr is the transport's bound address.
func (n *Node) Addr() string { return n.tr.Addr() }

// Status is the node's latest view, refreshed every tick and Ready.
func (n *Node) Status() Status { return *n.status.Load() }

// Replicate implements kv.Replicator: it queues repr for proposal and
// returns at once; the wait reports the outcome.
func (n *Node) Replicate(repr []byte) (func() error, error) {
	n.mu.Lock()
	if !n.writable {
		n.mu.Unlock()
		return nil, ErrNotLeader
	}
	n.seq++
	p := &proposal{id: n.idBase + n.seq, done: make(chan error, 1)}
	p.data = binary.BigEndian.AppendUint64(make([]byte, 0, 8+len(repr)), p.id)
	p.data = append(p.data, repr...)
	n.queue = append(n.queue, p)
	n.mu.Unlock()
	select {
	case n.propc <- struct{}{}:
	default:
	}
	return func() error { return <-p.done }, nil
}

func (n *Node) deliver(msgs []*pb.Message) {
	select {
	case n.recvc <- msgs:
	case <-n.stopc:
	}
}

func (n *Node) reportSend(to uint64, snap bool, err error) {
	select {
	case n.reportc <- report{to: to, snap: snap, err: err}:
	default: // raft notices an unreachable peer on its own, later
	}
}

// Stop hands the leadership to the most caught-up follower when this node
// leads (waiting up to two election timeouts), then stops the driver and the
// transport. Writes still waiting fail with ErrStopped, later ones with
// ErrNotLeader.
func (n *Node) Stop() {
	n.stopOnce.Do(func() {
		if n.Status().Role == RoleLeader && len(n.cfg.Peers) > 0 {
			reply := make(chan uint64, 1)
			select {
			case n.transfer <- reply:
				if to := <-reply; to != 0 {
					deadline := time.Now().Add(2 * n.cfg.Tick * time.Duration(n.cfg.ElectionTicks))
					for time.Now().Before(deadline) && (n.Status().Lead == n.cfg.ID || n.Status().Lead == 0) {
						time.Sleep(n.cfg.Tick / 2)
					}
					n.log.Info("leadership handed over for shutdown", "to", to, "leader_now", n.Status().Lead)
				}
			case <-n.done:
			}
		}
		n.halt()
	})
}

// Kill stops the node abruptly, as a crash would (tests): no leadership
// transfer.
func (n *Node) Kill() {
	n.stopOnce.Do(n.halt)
}

// halt ends the driver, the transport and the metrics; Stop runs it after
// handing leadership over, Kill at once. It refuses writes first, so nothing
// new is queued behind the stop. The node stays the database's Replicator: a
// write after the stop must fail, never land on this node alone.
func (n *Node) halt() {
	n.mu.Lock()
	n.writable = false
	n.mu.Unlock()
	close(n.stopc)
	<-n.done
	n.stopSnapshots()
	n.tr.close()
	if n.cfg.Registerer != nil {
		n.metrics.unregister(n.cfg.Registerer)
	}
}

// Err is the error that stopped the driver, if any.
func (n *Node) Err() error {
	if e := n.failed.Load(); e != nil {
		return *e
	}
	return nil
}

func (n *Node) run() {
	defer close(n.done)
	t := time.NewTicker(n.cfg.Tick)
	defer t.Stop()
	ticked := false
	for {
		select {
		case <-t.C:
			n.rn.Tick()
			n.expireReads()
			n.tickHealth()
			ticked = true
		case msgs := <-n.recvc:
			for _, m := range msgs {
				_ = n.rn.Step(m) // a stale or foreign message is dropped by raft
			}
		case <-n.propc:
			n.propose()
		case <-n.reads.wake:
			n.issueRead()
		case r := <-n.reportc:
			if r.err != nil {
				n.rn.ReportUnreachable(r.to)
			}
			if r.snap {
				status := raft.SnapshotFinish
				if r.err != nil {
					status = raft.SnapshotFailure
				}
				n.rn.ReportSnapshot(r.to, status)
			}
		case reply := <-n.transfer:
			reply <- n.transferLeadership()
		case <-n.stopc:
			n.stopAll(ErrStopped)
			return
		}
		var err error
		for err == nil && n.rn.HasReady() {
			err = n.handleReady(n.rn.Ready())
		}
		if err == nil && ticked {
			// A follower's periodic refresh; the status after the Ready
			// a tick may have produced, never before it.
			ticked = false
			if err = n.settle(); err == nil {
				n.publish()
			}
		}
		if err != nil {
			n.log.Error("raft node stopped: its database write failed", "err", err)
			n.failed.Store(&err)
			n.stopAll(ErrStopped)
			n.publish()
			<-n.stopc
			return
		}
	}
}

// stopAll refuses further writes and fails every queued and pending one.
func (n *Node) stopAll(err error) {
	n.stopReads(err)
	n.mu.Lock()
	n.writable = false
	q := n.queue
	n.queue = nil
	n.mu.Unlock()
	for _, p := range q {
		p.done <- err
	}
	for id, p := range n.pending {
		p.done <- err
		delete(n.pending, id)
		n.metrics.proposalsFailed.Inc()
	}
}

func (n *Node) propose() {
	n.mu.Lock()
	q := n.queue
	n.queue = nil
	writable := n.writable
	n.mu.Unlock()
	for i, p := range q {
		if !writable {
			p.done <- ErrNotLeader
			continue
		}
		if err := n.rn.Propose(p.data); err != nil {
			// Dropped (a leadership transfer is under way): this and every
			// later write fail, and the leader's in-memory state, which
			// already counted them, is rebuilt before it writes again.
			n.log.Warn("proposal dropped; refusing writes until state is reloaded", "err", err)
			for _, rest := range q[i:] {
				rest.done <- ErrLeadershipLost
				n.metrics.proposalsFailed.Inc()
			}
			n.fence()
			return
		}
		n.pending[p.id] = p
	}
}

// fence stops writes on a leader whose state can no longer be trusted; it
// becomes writable again after applying everything in its log and
// reloading.
func (n *Node) fence() {
	n.mu.Lock()
	was := n.writable
	n.writable = false
	n.mu.Unlock()
	if n.role == raft.StateLeader {
		n.catching, n.catchIndex = true, 0
	}
	if was {
		n.pingAll() // the followers stop naming it at once
	}
	if was && n.cfg.RoleChanged != nil {
		n.cfg.RoleChanged(false)
	}
}

func (n *Node) transferLeadership() uint64 {
	st := n.rn.Status()
	if st.RaftState != raft.StateLeader {
		return 0
	}
	var best, match uint64
	for id, pr := range st.Progress {
		if id != n.cfg.ID && pr.RecentActive && pr.Match >= match {
			best, match = id, pr.Match
		}
	}
	if best != 0 {
		n.rn.TransferLeader(best)
	}
	return best
}

func (n *Node) handleReady(rd raft.Ready) error {
	if rd.SoftState != nil {
		n.softState(rd.SoftState)
	}
	if n.role == raft.StateLeader && n.rn.BasicStatus().GetTerm() != n.leaderTerm {
		// Lost and won again between two Readys: treat as both.
		n.softState(&raft.SoftState{Lead: 0, RaftState: raft.StateFollower})
		n.softState(&raft.SoftState{Lead: n.cfg.ID, RaftState: raft.StateLeader})
	}
	if !raft.IsEmptySnap(rd.Snapshot) {
		if err := n.installSnapshot(rd.Snapshot, rd.HardState); err != nil {
			return fmt.Errorf("install snapshot: %w", err)
		}
	}
	// A leader whose term and vote are already on disk sends before it
	// writes: the followers append while it does (raft thesis §10.2.1;
	// etcd's raft README allows messages of a Ready to go while that
	// Ready's entries are persisted). A commit index that counts these
	// entries only leaves in a later Ready, after this write. Anyone else
	// persists first (a vote or an append acknowledgement must be on
	// disk before it is sent).
	early := n.role == raft.StateLeader && (raft.IsEmptyHardState(rd.HardState) ||
		rd.HardState.GetTerm() == n.hsTerm && rd.HardState.GetVote() == n.hsVote)
	if early {
		n.send(rd.Messages)
	}
	if err := n.persist(rd.Entries, rd.HardState); err != nil {
		return fmt.Errorf("persist log: %w", err)
	}
	if !raft.IsEmptyHardState(rd.HardState) {
		n.hsTerm, n.hsVote = rd.HardState.GetTerm(), rd.HardState.GetVote()
	}
	if n.catching && n.catchIndex == 0 {
		n.catchIndex = n.lastStored
	}
	if !early {
		n.send(rd.Messages)
	}
	if err := n.apply(rd.CommittedEntries); err != nil {
		return fmt.Errorf("apply: %w", err)
	}
	n.rn.Advance(rd)
	n.dropStaleSnapshots()
	if err := n.compact(); err != nil {
		return fmt.Errorf("truncate log: %w", err)
	}
	if err := n.settle(); err != nil {
		return err
	}
	n.readStates(rd.ReadStates)
	n.publish()
	return nil
}

// softState follows role changes.
func (n *Node) softState(ss *raft.SoftState) {
	if ss.Lead != n.lead {
		n.leaderChangedReads()
		n.metrics.leaderChanges.Inc()
		n.log.Info("leader changed", "leader", ss.Lead, "term", n.rn.BasicStatus().GetTerm())
	}
	was := n.role
	n.role, n.lead = ss.RaftState, ss.Lead
	if was == raft.StateLeader && n.role != raft.StateLeader {
		n.mu.Lock()
		writable := n.writable
		n.writable = false
		q := n.queue
		n.queue = nil
		n.mu.Unlock()
		n.publish() // whoever hears of the failure sees the new role
		for _, p := range q {
			p.done <- ErrNotLeader
		}
		for id, p := range n.pending {
			p.done <- ErrLeadershipLost
			delete(n.pending, id)
			n.metrics.proposalsFailed.Inc()
		}
		n.catching = false
		if writable {
			n.pingAll()
		}
		if writable && n.cfg.RoleChanged != nil {
			n.cfg.RoleChanged(false)
		}
	}
	if was != raft.StateLeader && n.role == raft.StateLeader {
		n.metrics.elections.Inc()
		n.leaderTerm = n.rn.BasicStatus().GetTerm()
		n.catching, n.catchIndex = true, 0
	}
}

// settle finishes a new leader's catch-up (reload, then accept writes) and
// reloads a follower whose metadata changed.
func (n *Node) settle() error {
	switch {
	case n.role == raft.StateLeader && n.catching && n.catchIndex != 0 && n.applied >= n.catchIndex:
		if n.cfg.Reload != nil {
			if err := n.cfg.Reload(); err != nil {
				return fmt.Errorf("reload as leader: %w", err)
			}
		}
		n.catching, n.dirty, n.staleData = false, false, false
		n.mu.Lock()
		n.writable = true
		n.mu.Unlock()
		n.log.Info("leading; accepting writes", "term", n.leaderTerm, "applied", n.applied)
		if n.cfg.RoleChanged != nil {
			n.cfg.RoleChanged(true)
		}
		// The followers name it Leader from now (health.go): after
		// RoleChanged, which ends the connections of the old role, so a
		// client sent here is not cut off.
		n.pingAll()
	case n.role != raft.StateLeader && (n.dirty || n.staleData && time.Since(n.lastReload) >= n.cfg.FollowerRefresh):
		n.dirty, n.staleData = false, false
		n.lastReload = time.Now()
		if n.cfg.Reload != nil {
			if err := n.cfg.Reload(); err != nil {
				return fmt.Errorf("reload as follower: %w", err)
			}
		}
	}
	return nil
}

// send hands each peer its messages as one batch; a snapshot message goes
// its own way, with a checkpoint of the database (snapshot.go).
func (n *Node) send(msgs []*pb.Message) {
	if len(msgs) == 0 {
		return
	}
	byPeer := map[uint64][]*pb.Message{}
	for _, m := range msgs {
		if m.GetType() == pb.MessageType_MsgSnap {
			n.sendSnapshot(m)
			continue
		}
		byPeer[m.GetTo()] = append(byPeer[m.GetTo()], m)
	}
	for to, batch := range byPeer {
		n.tr.send(to, batch)
	}
}

// apply writes committed entries to the database in one batch with the
// new applied index, then completes the local writes among them.
func (n *Node) apply(ents []*pb.Entry) error {
	if len(ents) == 0 {
		return nil
	}
	b := n.db.NewBatch()
	var done []uint64
	var last, lastTerm uint64
	for _, e := range ents {
		last, lastTerm = e.GetIndex(), e.GetTerm()
		switch e.GetType() {
		case pb.EntryType_EntryNormal:
			data := e.GetData()
			if len(data) == 0 {
				continue // a new leader's empty entry
			}
			if len(data) < 8 {
				b.Close()
				return fmt.Errorf("entry %d: %d bytes, no proposal id", e.GetIndex(), len(data))
			}
			repr := data[8:]
			if err := b.AddRepr(repr); err != nil {
				b.Close()
				return fmt.Errorf("entry %d: %w", e.GetIndex(), err)
			}
			if n.role != raft.StateLeader {
				n.staleData = true
			}
			if !n.dirty && n.role != raft.StateLeader {
				if touched, err := kv.ReprTouches(repr, kv.TagMeta); err != nil || touched {
					n.dirty = true
				}
			}
			done = append(done, binary.BigEndian.Uint64(data))
		case pb.EntryType_EntryConfChange:
			var cc pb.ConfChange
			if err := proto.Unmarshal(e.GetData(), &cc); err != nil {
				b.Close()
				return err
			}
			n.confState = n.rn.ApplyConfChange(&cc)
		case pb.EntryType_EntryConfChangeV2:
			var cc pb.ConfChangeV2
			if err := proto.Unmarshal(e.GetData(), &cc); err != nil {
				b.Close()
				return err
			}
			n.confState = n.rn.ApplyConfChange(&cc)
		}
	}
	if err := b.Set(raftKey(keyApplied), encodeApplied(last, lastTerm)); err != nil {
		b.Close()
		return err
	}
	if err := n.db.ApplyNoSync(b); err != nil {
		return err
	}
	n.applied = last
	for _, id := range done {
		if p := n.pending[id]; p != nil {
			p.done <- nil
			delete(n.pending, id)
		}
	}
	return nil
}

// publish refreshes Status.
func (n *Node) publish() {
	bs := n.rn.BasicStatus()
	last, _ := n.ms.LastIndex()
	s := &Status{ID: n.cfg.ID, Lead: bs.Lead, Term: bs.GetTerm(), Commit: bs.GetCommit(), Applied: n.applied,
		LastIndex: last}
	switch bs.RaftState {
	case raft.StateLeader:
		s.Role = RoleLeader
	case raft.StateCandidate, raft.StatePreCandidate:
		s.Role = RoleCandidate
	default:
		s.Role = RoleFollower
	}
	n.mu.Lock()
	s.Writable = n.writable && s.Role == RoleLeader
	n.mu.Unlock()
	s.Peers = n.peerStatus(s.Role == RoleLeader, last)
	n.status.Store(s)
}
