package auth

import "fmt"

// Reload replaces users, tokens, revoked JWT ids and generated secrets
// with what the database holds now (a cluster node whose database was written by replication;
// docs/cluster.md).
func (s *Store) Reload() error {
	fresh := &Store{db: s.db, opts: s.opts, users: map[uint32]*user{}, byName: map[string]*user{},
		tokens: map[[32]byte]*tokenRecord{}, revoked: map[string]uint64{}}
	if err := fresh.load(); err != nil {
		return fmt.Errorf("auth: reload: %w", err)
	}
	s.mu.Lock()
	s.users, s.byName, s.tokens, s.revoked, s.alloc = fresh.users, fresh.byName, fresh.tokens, fresh.revoked, fresh.alloc
	s.secrets.Store(fresh.secrets.Load())
	s.mu.Unlock()
	return nil
}
