package auth

import (
	"encoding/binary"

	"github.com/shalemq/shale/kv"
)

// DeleteExpired deletes, in one commit, every personal access token whose
// expiry has passed (Iggy's [personal_access_token.cleaner]) and every
// record of a logged-out JWT that has expired since (it can no longer be
// presented). It reports how many of each went. Nothing to delete writes
// nothing. In a cluster only the leader calls it; the deletion reaches the
// others through replication (docs/cluster.md).
func (s *Store) DeleteExpired() (tokens, revoked int, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.nowMicros()
	var gone [][32]byte
	for h, t := range s.tokens {
		if t.ExpiresAt != 0 && t.ExpiresAt <= now {
			gone = append(gone, h)
		}
	}
	// The store keeps only live revocations in memory; expired ones are
	// found on disk.
	var stale [][]byte
	err = s.scan(metaRevoked, func(k, v []byte) error {
		if len(v) != 8 || binary.BigEndian.Uint64(v) <= now {
			stale = append(stale, append([]byte(nil), k...))
		}
		return nil
	})
	if err != nil || len(gone)+len(stale) == 0 {
		return 0, 0, err
	}
	err = s.commit(func(b *kv.Batch) error {
		for _, h := range gone {
			if err := b.Delete(tokenKey(h)); err != nil {
				return err
			}
		}
		for _, jti := range stale {
			if err := b.Delete(append(metaPrefix(metaRevoked), jti...)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, 0, err
	}
	for _, h := range gone {
		delete(s.tokens, h)
	}
	for _, jti := range stale {
		delete(s.revoked, string(jti))
	}
	return len(gone), len(stale), nil
}
