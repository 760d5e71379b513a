package broker

import "context"

// SetReadBarrier installs what a read that must be linearizable passes
// first: a cluster node's ReadBarrier (docs/cluster.md "Linearizable
// reads"), which returns once the node's database holds every write
// acknowledged before the call, or fails with code 8 when it cannot tell.
// Without one, as on a single node, such reads run at once.
//
// The reads that pass it are those of a stored consumer offset:
// GetConsumerOffset (single consumers and groups) and a poll with the
// Next strategy, which starts after the stored offset. Other polls read
// committed messages by position; a node behind returns fewer of them,
// never others, as a poll a moment earlier would, so they skip the round
// trip. A poll's auto-commit is a replicated write, which a node that
// cannot reach a majority never acknowledges.
func (b *Broker) SetReadBarrier(f func(context.Context) error) {
	if f == nil {
		b.readBarrier.Store(nil)
		return
	}
	b.readBarrier.Store(&f)
}

// linearizable passes the read barrier of an authenticated session (an
// unauthenticated one is refused by the read itself, without a round).
func (b *Broker) linearizable(s *Session) error {
	f := b.readBarrier.Load()
	if f == nil || !s.Authenticated() {
		return nil
	}
	return (*f)(context.Background())
}
