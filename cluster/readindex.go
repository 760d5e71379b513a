package cluster

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"sync"
	"time"

	"go.etcd.io/raft/v3"

	"github.com/shalemq/shale/wire"
)

// Linearizable reads (docs/cluster.md "Linearizable reads"). A read that
// must not answer stale data first passes ReadBarrier: the node asks raft
// for a read index (ReadIndex, ReadOnlySafe: the leader confirms with a
// heartbeat round that a majority still follows it, and a follower asks the
// leader), waits until it has applied that index, and only then lets the
// read run against its database. Readers that arrive while a round is in
// flight share the next round, so a burst of reads costs one heartbeat
// round trip, not one per read.

// ErrReadUnconfirmed is the answer to a read that must be linearizable
// when the node could not confirm within a bound that its data is current:
// no leader is known, the leader did not confirm with a majority (a leader
// cut off from the others), or the leadership changed meanwhile. It
// carries Iggy's code 8 (disconnected), as a write refused by a follower
// does, so clients reconnect and find the leader.
var ErrReadUnconfirmed = fmt.Errorf("this node could not confirm with a majority of the cluster that its data is current; read refused: %w", wire.ErrDisconnected)

// readRound is one ReadIndex request and the readers waiting on it.
type readRound struct {
	done    chan struct{} // closed when err is final
	err     error
	key     uint64    // the request context raft hands back in a ReadState
	index   uint64    // the read index, once confirmed
	issued  time.Time // when asked
	since   time.Time // when its first reader came
	readers int
}

// reads is the node's ReadIndex state.
type reads struct {
	wake chan struct{} // a reader is waiting: the driver issues a round

	mu      sync.Mutex
	next    *readRound // readers gathering for the next round
	stopped error      // the node stopped: readers fail at once

	// Owned by the driver goroutine.
	inflight  *readRound   // asked, no ReadState yet (one at a time)
	confirmed []*readRound // read index known, waiting to be applied
	base, seq uint64
}

func (r *reads) init() {
	r.wake = make(chan struct{}, 1)
	var seed [8]byte
	_, _ = rand.Read(seed[:])
	r.base = binary.LittleEndian.Uint64(seed[:])
}

// ReadBarrier returns once this node's database holds everything committed
// before the call: state read after it is at least as new as any write the
// cluster acknowledged before the call. It fails with ErrReadUnconfirmed
// (code 8) when that cannot be confirmed within two election timeouts (and
// a tick) or before ctx ends, and with ErrStopped after Stop. It works on the leader
// (one heartbeat round to a majority) and on a follower (one round trip to
// the leader, then its own apply). Concurrent callers share one round.
func (n *Node) ReadBarrier(ctx context.Context) error {
	r := &n.reads
	n.metrics.readBarriers.Inc()
	r.mu.Lock()
	if err := r.stopped; err != nil {
		r.mu.Unlock()
		n.metrics.readFailures.Inc()
		return err
	}
	rr := r.next
	if rr == nil {
		rr = &readRound{done: make(chan struct{}), since: time.Now()}
		r.next = rr
	}
	rr.readers++
	r.mu.Unlock()
	select {
	case r.wake <- struct{}{}:
	default:
	}
	select {
	case <-rr.done:
		if rr.err != nil {
			n.metrics.readFailures.Inc()
		}
		return rr.err
	case <-ctx.Done():
		n.metrics.readFailures.Inc()
		return fmt.Errorf("read barrier abandoned (%v): %w", ctx.Err(), ErrReadUnconfirmed)
	}
}

// readTimeout bounds a round from its request to its apply.
func (n *Node) readTimeout() time.Duration {
	return 2 * n.cfg.Tick * time.Duration(n.cfg.ElectionTicks)
}

func finishRead(rr *readRound, err error) {
	rr.err = err
	close(rr.done)
}

// issueRead asks raft for a read index for the readers gathered since the
// last round, unless a round is in flight (they wait for it to end: a
// round asked before a reader arrived cannot serve it). A node that knows
// no leader fails them at once: raft would drop the request.
func (n *Node) issueRead() {
	r := &n.reads
	if r.inflight != nil {
		return
	}
	r.mu.Lock()
	rr := r.next
	r.next = nil
	r.mu.Unlock()
	if rr == nil {
		return
	}
	if n.lead == 0 {
		finishRead(rr, ErrReadUnconfirmed)
		return
	}
	r.seq++
	rr.key, rr.issued = r.base+r.seq, time.Now()
	r.inflight = rr
	n.metrics.readRounds.Inc()
	n.rn.ReadIndex(binary.BigEndian.AppendUint64(make([]byte, 0, 8), rr.key))
}

// readStates takes the read indexes a Ready confirmed, releases every round
// whose index is applied, and starts the next round. It runs after the
// Ready's entries were applied and the broker reloaded (settle), so a
// released reader sees the catalog of that index too.
func (n *Node) readStates(states []raft.ReadState) {
	r := &n.reads
	for _, s := range states {
		if r.inflight != nil && len(s.RequestCtx) == 8 && binary.BigEndian.Uint64(s.RequestCtx) == r.inflight.key {
			r.inflight.index = s.Index
			r.confirmed = append(r.confirmed, r.inflight)
			r.inflight = nil
		}
	}
	if len(r.confirmed) > 0 {
		r.finishConfirmed(func(rr *readRound) bool { return n.applied >= rr.index }, nil)
	}
	n.issueRead()
}

// finishConfirmed finishes with err every confirmed round for which done
// holds and keeps the others, in order.
func (r *reads) finishConfirmed(done func(*readRound) bool, err error) {
	keep := r.confirmed[:0]
	for _, rr := range r.confirmed {
		if done(rr) {
			finishRead(rr, err)
		} else {
			keep = append(keep, rr)
		}
	}
	clear(r.confirmed[len(keep):])
	r.confirmed = keep
}

// expireReads fails rounds older than the read timeout (a request or its
// answer lost on the way, a follower that cannot catch up, readers kept
// waiting behind a round that never ends), then starts the next round. The
// driver calls it every tick.
func (n *Node) expireReads() {
	r := &n.reads
	limit := n.readTimeout()
	r.mu.Lock()
	next := r.next
	if next != nil && time.Since(next.since) > limit {
		r.next = nil
	} else {
		next = nil
	}
	r.mu.Unlock()
	if next != nil {
		finishRead(next, ErrReadUnconfirmed)
	}
	if r.inflight != nil && time.Since(r.inflight.issued) > limit {
		finishRead(r.inflight, ErrReadUnconfirmed)
		r.inflight = nil
	}
	if len(r.confirmed) > 0 && time.Since(r.confirmed[0].issued) > limit {
		r.finishConfirmed(func(rr *readRound) bool { return time.Since(rr.issued) > limit }, ErrReadUnconfirmed)
	}
	n.issueRead()
}

// leaderChangedReads fails the round in flight when the leader changes: a
// leader that lost its role drops its pending reads, and a follower's
// request went to a leader that may never answer. Confirmed rounds stay:
// their index was confirmed while the leadership held.
func (n *Node) leaderChangedReads() {
	if rr := n.reads.inflight; rr != nil {
		finishRead(rr, ErrReadUnconfirmed)
		n.reads.inflight = nil
	}
}

// stopReads fails every waiting reader and every later one with err.
func (n *Node) stopReads(err error) {
	r := &n.reads
	r.mu.Lock()
	if r.stopped == nil {
		r.stopped = err
	}
	next := r.next
	r.next = nil
	r.mu.Unlock()
	if next != nil {
		finishRead(next, err)
	}
	if r.inflight != nil {
		finishRead(r.inflight, err)
		r.inflight = nil
	}
	for _, rr := range r.confirmed {
		finishRead(rr, err)
	}
	r.confirmed = nil
}
