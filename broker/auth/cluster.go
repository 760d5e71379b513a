package auth

import (
	"crypto/rand"
	"fmt"

	"github.com/shalemq/shale/kv"
	"github.com/shalemq/shale/wire"
)

// seedMarker names the generated secret whose presence says a cluster's
// shared auth records were written (SeedCluster): 16 random bytes, the
// cluster's identity.
const seedMarker = "cluster-id"

// Seeded reports whether SeedCluster's records are in the store.
func (s *Store) Seeded() bool { return s.StoredSecret(seedMarker) != nil }

// SeedCluster writes, once for a whole cluster, the records that a single
// node creates for itself at its first start: the root user and the
// generated secrets (name → length in bytes, e.g. the JWT signing key). A
// cluster node calls it when it starts accepting writes as leader; the
// commit goes through replication, so every node ends with the same
// records (docs/cluster.md "Shared state").
//
// In one batch it writes what the store holds, or what it lacks: the root
// user (created as EnsureRoot does, from rootName and rootPassword; an
// empty password is generated and returned), each secret, and the marker
// that makes later calls, on any node, do nothing. A store that already
// has a root user or a secret (a node started before its cluster shared
// them) keeps its own and hands it to every node. wrote is false when the
// records were already there.
func (s *Store) SeedCluster(rootName, rootPassword string, secrets map[string]int) (generated string, created, wrote bool, err error) {
	if s.Seeded() {
		return "", false, false, nil
	}
	s.mu.RLock()
	_, hasRoot := s.users[RootID]
	s.mu.RUnlock()
	var hash string
	if !hasRoot {
		// Hash outside the lock: it is the slow part.
		if err := CheckUsername(rootName); err != nil {
			return "", false, false, err
		}
		if rootPassword == "" {
			if rootPassword, err = NewPassword(); err != nil {
				return "", false, false, err
			}
			generated = rootPassword
		} else if err := CheckPassword(rootPassword); err != nil {
			return "", false, false, err
		}
		if hash, err = HashPassword(rootPassword, s.opts.Hash); err != nil {
			return "", false, false, err
		}
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Seeded() {
		return "", false, false, nil
	}
	root, hasRoot := s.users[RootID]
	alloc := s.alloc
	if hasRoot {
		generated = "" // made by another caller meanwhile
	} else {
		if hash == "" {
			return "", false, false, fmt.Errorf("auth: the root user was deleted while the cluster was seeded")
		}
		if alloc.Next != 0 {
			return "", false, false, fmt.Errorf("auth: root user missing but ids already allocated")
		}
		if _, taken := s.byName[rootName]; taken {
			return "", false, false, fmt.Errorf("user %q: %w", rootName, wire.ErrUserAlreadyExists)
		}
		perms := wire.AllPermissions()
		root = &user{id: RootID, perms: perms, rec: userRecord{Name: rootName, Hash: hash, Active: true,
			CreatedAt: s.nowMicros(), Permissions: encodePerms(perms)}}
		alloc = allocRecord{Next: RootID + 1}
	}
	add := map[string][]byte{}
	for name, n := range secrets {
		if v := s.StoredSecret(name); v != nil {
			add[name] = v
			continue
		}
		v := make([]byte, n)
		if _, err := rand.Read(v); err != nil {
			return "", false, false, err
		}
		add[name] = v
	}
	id := make([]byte, 16)
	if _, err := rand.Read(id); err != nil {
		return "", false, false, err
	}
	add[seedMarker] = id
	err = s.commit(func(b *kv.Batch) error {
		if err := b.Set(userKey(RootID), root.rec.encode()); err != nil {
			return err
		}
		if err := b.Set(metaPrefix(metaUserAlloc), alloc.encode()); err != nil {
			return err
		}
		for name, v := range add {
			if err := b.Set(append(metaPrefix(metaSecret), name...), v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return "", false, false, err
	}
	if !hasRoot {
		s.users[RootID] = root
		s.byName[root.rec.Name] = root
		s.alloc = alloc
	}
	s.setSecretsLocked(add)
	return generated, !hasRoot, true, nil
}
