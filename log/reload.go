package log

import "fmt"

// Reload replaces the catalog with what the database holds now. A cluster
// node calls it when its database was written underneath it (entries a
// leader replicated, a snapshot installed) and before it starts deciding
// as leader (docs/cluster.md). Partitions and groups handed out before are
// left as they were and no longer reachable from the Log; sessions that
// hold them should be closed by the caller.
//
// REQUIRES: no change is being committed through this Log meanwhile (a
// follower's commits are refused; a new leader reloads before it accepts
// writes).
func (l *Log) Reload() error {
	fresh := &Log{db: l.db, opts: l.opts, log: l.log}
	fresh.mu.streams = make(map[uint32]*stream)
	fresh.mu.byName = make(map[string]*stream)
	if err := fresh.load(); err != nil {
		return fmt.Errorf("log: reload catalog: %w", err)
	}
	for _, s := range fresh.mu.streams {
		for _, t := range s.topics {
			for _, p := range t.partitions {
				p.log = l
			}
		}
	}
	l.mu.Lock()
	l.mu.streams, l.mu.byName, l.mu.alloc = fresh.mu.streams, fresh.mu.byName, fresh.mu.alloc
	l.mu.Unlock()
	return nil
}
