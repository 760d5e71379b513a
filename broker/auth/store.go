package auth

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shalemq/shale/kv"
	"github.com/shalemq/shale/wire"
)

// Metadata kinds of auth's records, from kv's one registry.
const (
	metaUser      = kv.MetaUser      // user id u32 → userRecord (records.go)
	metaToken     = kv.MetaToken     // SHA-256 of the token → tokenRecord
	metaUserAlloc = kv.MetaUserAlloc // → allocRecord
	metaRevoked   = kv.MetaRevoked   // JWT id → expiry, µs u64
)

// RootID is the root user's id.
const RootID uint32 = 0

// Limits of names and secrets (docs/protocol/binary.md §4.2, §4.3).
const (
	MinUsernameLen, MaxUsernameLen   = 3, 50
	MinPasswordLen, MaxPasswordLen   = 3, 100
	MinTokenNameLen, MaxTokenNameLen = 3, 30
)

// User is a user as the broker sees it.
type User struct {
	ID          uint32
	Name        string
	Active      bool
	CreatedAt   uint64 // µs since the epoch
	Permissions *wire.Permissions
}

// TokenInfo describes a personal access token without its secret.
type TokenInfo struct {
	Name      string
	ExpiresAt uint64 // µs since the epoch; 0 = never
}

// Options configure a Store.
type Options struct {
	// Clock gives creation times and token expiry. Default time.Now.
	Clock func() time.Time
	// MaxTokensPerUser caps each user's tokens (52 beyond). Default 100.
	MaxTokensPerUser int
	// Hash are the argon2id parameters for new hashes. Default
	// DefaultHashParams.
	Hash HashParams
	// Logger hears of the one-time rewrite of JSON records. Default: none.
	Logger *slog.Logger
}

type user struct {
	id  uint32
	rec userRecord
	// perms is rec.Permissions decoded once.
	perms *wire.Permissions
}

func (u *user) public() User {
	return User{ID: u.id, Name: u.rec.Name, Active: u.rec.Active, CreatedAt: u.rec.CreatedAt, Permissions: u.perms}
}

// Store keeps users, personal access tokens and revoked JWT ids. Reads are
// served from memory; every change is committed to kv and durable before
// the method returns. It is safe for concurrent use.
type Store struct {
	db   *kv.DB
	opts Options

	mu      sync.RWMutex
	users   map[uint32]*user
	byName  map[string]*user
	tokens  map[[32]byte]*tokenRecord
	revoked map[string]uint64
	alloc   allocRecord
	// secrets are the generated secrets (metaSecret) by name, replaced
	// whole when one is added or the store reloads, so a reader (every
	// HTTP request checks its token with "jwt") takes no lock.
	secrets atomic.Pointer[map[string][]byte]
}

// Open loads every record from db.
func Open(db *kv.DB, opts Options) (*Store, error) {
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.MaxTokensPerUser == 0 {
		opts.MaxTokensPerUser = 100
	}
	if opts.Hash == (HashParams{}) {
		opts.Hash = DefaultHashParams
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s := &Store{db: db, opts: opts, users: map[uint32]*user{}, byName: map[string]*user{},
		tokens: map[[32]byte]*tokenRecord{}, revoked: map[string]uint64{}}
	if err := s.load(); err != nil {
		return nil, fmt.Errorf("auth: load: %w", err)
	}
	return s, nil
}

func metaPrefix(kind byte) []byte { return kv.NewKey(nil, kv.TagMeta).U8(kind) }

func userKey(id uint32) []byte { return kv.NewKey(nil, kv.TagMeta).U8(metaUser).U32(id) }

func tokenKey(h [32]byte) []byte { return kv.NewKey(nil, kv.TagMeta).U8(metaToken).Bytes(h[:]) }

func (s *Store) scan(kind byte, fn func(key, value []byte) error) error {
	prefix := metaPrefix(kind)
	it, err := s.db.NewIter(prefix, kv.PrefixEnd(nil, prefix))
	if err != nil {
		return err
	}
	defer it.Close()
	for ok := it.First(); ok; ok = it.Next() {
		v, err := it.Value()
		if err != nil {
			return err
		}
		if err := fn(it.Key()[len(prefix):], v); err != nil {
			return err
		}
	}
	return it.Error()
}

// load reads every record. Records an earlier shale wrote as JSON are
// rewritten in the record encoding (records.go).
func (s *Store) load() error {
	legacy := map[string][]byte{}
	err := s.scan(metaUser, func(k, v []byte) error {
		u := &user{id: binary.BigEndian.Uint32(k)}
		var old bool
		var err error
		if u.rec, old, err = decodeUser(v); err != nil {
			return fmt.Errorf("user %d: %w", u.id, err)
		}
		if old {
			legacy[string(userKey(u.id))] = u.rec.encode()
		}
		if u.rec.Permissions != nil {
			p, err := wire.DecodePermissions(u.rec.Permissions)
			if err != nil {
				return fmt.Errorf("user %d permissions: %w", u.id, err)
			}
			u.perms = p
		}
		s.users[u.id] = u
		s.byName[u.rec.Name] = u
		return nil
	})
	if err != nil {
		return err
	}
	err = s.scan(metaToken, func(k, v []byte) error {
		var h [32]byte
		copy(h[:], k)
		t, old, err := decodeToken(v)
		if err != nil {
			return fmt.Errorf("token %x: %w", h[:4], err)
		}
		if old {
			legacy[string(tokenKey(h))] = t.encode()
		}
		s.tokens[h] = &t
		return nil
	})
	if err != nil {
		return err
	}
	now := s.nowMicros()
	err = s.scan(metaRevoked, func(k, v []byte) error {
		if len(v) == 8 && binary.BigEndian.Uint64(v) > now {
			s.revoked[string(k)] = binary.BigEndian.Uint64(v)
		}
		return nil
	})
	if err != nil {
		return err
	}
	secrets := map[string][]byte{}
	err = s.scan(metaSecret, func(k, v []byte) error {
		secrets[string(k)] = slices.Clone(v)
		return nil
	})
	if err != nil {
		return err
	}
	s.secrets.Store(&secrets)
	b, ok, err := s.db.Get(nil, metaPrefix(metaUserAlloc))
	if err != nil {
		return err
	}
	if ok {
		var old bool
		if s.alloc, old, err = decodeAlloc(b); err != nil {
			return fmt.Errorf("user-id allocator: %w", err)
		}
		if old {
			legacy[string(metaPrefix(metaUserAlloc))] = s.alloc.encode()
		}
	}
	return s.migrateLegacy(legacy)
}

func (s *Store) nowMicros() uint64 { return uint64(s.opts.Clock().UnixMicro()) }

// commit writes the batch and waits until it is durable.
func (s *Store) commit(fill func(b *kv.Batch) error) error {
	b := s.db.NewBatch()
	if err := fill(b); err != nil {
		b.Close()
		return err
	}
	d, err := s.db.Commit(b)
	if err != nil {
		return storageErr(err)
	}
	return storageErr(d.Wait())
}

// storageErr gives kv's refusals the protocol codes log gives them
// (log/storage.go): a full disk 10006, a failed WAL 10009.
func storageErr(err error) error {
	switch {
	case errors.Is(err, kv.ErrDiskFull):
		return fmt.Errorf("%w: %w", wire.ErrCannotWriteToFile, err)
	case errors.Is(err, kv.ErrFailed):
		return fmt.Errorf("%w: %w", wire.ErrCannotSyncFile, err)
	}
	return err
}

func encodePerms(p *wire.Permissions) []byte {
	if p == nil {
		return nil
	}
	return p.AppendTo(nil)
}

// CheckUsername refuses a username outside MinUsernameLen..MaxUsernameLen
// bytes (45).
func CheckUsername(name string) error {
	if len(name) < MinUsernameLen || len(name) > MaxUsernameLen {
		return fmt.Errorf("username of %d bytes (want %d..%d): %w", len(name), MinUsernameLen, MaxUsernameLen, wire.ErrInvalidUsername)
	}
	return nil
}

// CheckPassword refuses a password outside MinPasswordLen..MaxPasswordLen
// bytes (44).
func CheckPassword(pw string) error {
	if len(pw) < MinPasswordLen || len(pw) > MaxPasswordLen {
		return fmt.Errorf("password of %d bytes (want %d..%d): %w", len(pw), MinPasswordLen, MaxPasswordLen, wire.ErrInvalidPassword)
	}
	return nil
}

// User returns the user with id.
func (s *Store) User(id uint32) (User, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	u, ok := s.users[id]
	if !ok {
		return User{}, false
	}
	return u.public(), true
}

// UserByName returns the user with the exact name.
func (s *Store) UserByName(name string) (User, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	u, ok := s.byName[name]
	if !ok {
		return User{}, false
	}
	return u.public(), true
}

// Users returns every user in ascending id.
func (s *Store) Users() []User {
	s.mu.RLock()
	out := make([]User, 0, len(s.users))
	for _, u := range s.users {
		out = append(out, u.public())
	}
	s.mu.RUnlock()
	slices.SortFunc(out, func(a, b User) int { return int(int64(a.ID) - int64(b.ID)) })
	return out
}

// CreateUser creates a user: 43/44 for bad lengths, 46 when the name is
// taken.
func (s *Store) CreateUser(name, password string, active bool, perms *wire.Permissions) (User, error) {
	if err := CheckUsername(name); err != nil {
		return User{}, err
	}
	if err := CheckPassword(password); err != nil {
		return User{}, err
	}
	// Hash outside the lock: it is the slow part.
	hash, err := HashPassword(password, s.opts.Hash)
	if err != nil {
		return User{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.createLocked(name, hash, active, perms)
}

func (s *Store) createLocked(name, hash string, active bool, perms *wire.Permissions) (User, error) {
	if _, taken := s.byName[name]; taken {
		return User{}, fmt.Errorf("user %q: %w", name, wire.ErrUserAlreadyExists)
	}
	alloc := allocRecord{Next: s.alloc.Next, Freed: slices.Clone(s.alloc.Freed)}
	var id uint32
	if n := len(alloc.Freed); n > 0 {
		id, alloc.Freed = alloc.Freed[n-1], alloc.Freed[:n-1]
	} else {
		id = alloc.Next
		alloc.Next++
	}
	u := &user{id: id, perms: perms, rec: userRecord{Name: name, Hash: hash, Active: active,
		CreatedAt: s.nowMicros(), Permissions: encodePerms(perms)}}
	err := s.commit(func(b *kv.Batch) error {
		if err := b.Set(userKey(id), u.rec.encode()); err != nil {
			return err
		}
		return b.Set(metaPrefix(metaUserAlloc), alloc.encode())
	})
	if err != nil {
		return User{}, err
	}
	s.alloc = alloc
	s.users[id] = u
	s.byName[name] = u
	return u.public(), nil
}

// EnsureRoot creates the root user (id 0, every global permission) when
// the store has none. An empty password is replaced by a generated one,
// returned so the caller can print it once. An existing root is left as
// it is: a restart never resets its password.
func (s *Store) EnsureRoot(name, password string) (generated string, created bool, err error) {
	s.mu.RLock()
	_, exists := s.users[RootID]
	s.mu.RUnlock()
	if exists {
		return "", false, nil
	}
	if err := CheckUsername(name); err != nil {
		return "", false, err
	}
	if password == "" {
		if password, err = NewPassword(); err != nil {
			return "", false, err
		}
		generated = password
	} else if err := CheckPassword(password); err != nil {
		return "", false, err
	}
	hash, err := HashPassword(password, s.opts.Hash)
	if err != nil {
		return "", false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, exists := s.users[RootID]; exists {
		return "", false, nil
	}
	if s.alloc.Next != 0 {
		return "", false, fmt.Errorf("auth: root user missing but ids already allocated")
	}
	if _, err := s.createLocked(name, hash, true, wire.AllPermissions()); err != nil {
		return "", false, err
	}
	return generated, true, nil
}

// UpdateUser renames and/or (de)activates a user: 43 bad name, 20 unknown,
// 46 name taken by another user.
func (s *Store) UpdateUser(id uint32, name *string, active *bool) error {
	if name != nil {
		if err := CheckUsername(*name); err != nil {
			return err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[id]
	if !ok {
		return fmt.Errorf("user %d: %w", id, wire.ErrResourceNotFound)
	}
	rec := u.rec
	if name != nil {
		if other, taken := s.byName[*name]; taken && other != u {
			return fmt.Errorf("user %q: %w", *name, wire.ErrUserAlreadyExists)
		}
		rec.Name = *name
	}
	if active != nil {
		rec.Active = *active
	}
	if err := s.commit(func(b *kv.Batch) error { return b.Set(userKey(id), rec.encode()) }); err != nil {
		return err
	}
	delete(s.byName, u.rec.Name)
	u.rec = rec
	s.byName[rec.Name] = u
	return nil
}

// UpdatePermissions replaces a user's permissions: 20 unknown, 49 root.
func (s *Store) UpdatePermissions(id uint32, perms *wire.Permissions) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[id]
	if !ok {
		return fmt.Errorf("user %d: %w", id, wire.ErrResourceNotFound)
	}
	if id == RootID {
		return fmt.Errorf("root's permissions are fixed: %w", wire.ErrCannotChangePermissions)
	}
	rec := u.rec
	rec.Permissions = encodePerms(perms)
	if err := s.commit(func(b *kv.Batch) error { return b.Set(userKey(id), rec.encode()) }); err != nil {
		return err
	}
	u.rec, u.perms = rec, perms
	return nil
}

// DeleteUser deletes a user and its tokens: 20 unknown, 48 root.
func (s *Store) DeleteUser(id uint32) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[id]
	if !ok {
		return fmt.Errorf("user %d: %w", id, wire.ErrResourceNotFound)
	}
	if id == RootID {
		return fmt.Errorf("the root user cannot be deleted: %w", wire.ErrCannotDeleteUser)
	}
	alloc := allocRecord{Next: s.alloc.Next, Freed: append(slices.Clone(s.alloc.Freed), id)}
	var owned [][32]byte
	for h, t := range s.tokens {
		if t.UserID == id {
			owned = append(owned, h)
		}
	}
	err := s.commit(func(b *kv.Batch) error {
		if err := b.Delete(userKey(id)); err != nil {
			return err
		}
		for _, h := range owned {
			if err := b.Delete(tokenKey(h)); err != nil {
				return err
			}
		}
		return b.Set(metaPrefix(metaUserAlloc), alloc.encode())
	})
	if err != nil {
		return err
	}
	for _, h := range owned {
		delete(s.tokens, h)
	}
	s.alloc = alloc
	delete(s.users, id)
	delete(s.byName, u.rec.Name)
	return nil
}

// ChangePassword checks current and sets next: 44 bad lengths, 20
// unknown, 42 wrong current password.
func (s *Store) ChangePassword(id uint32, current, next string) error {
	if err := CheckPassword(current); err != nil {
		return err
	}
	if err := CheckPassword(next); err != nil {
		return err
	}
	s.mu.RLock()
	u, ok := s.users[id]
	var oldHash string
	if ok {
		oldHash = u.rec.Hash
	}
	s.mu.RUnlock()
	if !ok {
		return fmt.Errorf("user %d: %w", id, wire.ErrResourceNotFound)
	}
	if !VerifyPassword(oldHash, current) {
		return fmt.Errorf("current password: %w", wire.ErrInvalidCredentials)
	}
	hash, err := HashPassword(next, s.opts.Hash)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if u, ok = s.users[id]; !ok {
		return fmt.Errorf("user %d: %w", id, wire.ErrResourceNotFound)
	}
	rec := u.rec
	rec.Hash = hash
	if err := s.commit(func(b *kv.Batch) error { return b.Set(userKey(id), rec.encode()) }); err != nil {
		return err
	}
	u.rec = rec
	return nil
}

// Authenticate checks a username and password: 43/44 bad lengths, 42
// unknown user or wrong password (the same code, so names cannot be
// probed), 47 inactive.
func (s *Store) Authenticate(name, password string) (User, error) {
	if err := CheckUsername(name); err != nil {
		return User{}, err
	}
	if err := CheckPassword(password); err != nil {
		return User{}, err
	}
	s.mu.RLock()
	u, ok := s.byName[name]
	var hash string
	var pub User
	if ok {
		hash, pub = u.rec.Hash, u.public()
	}
	s.mu.RUnlock()
	if !ok {
		// Spend the time a real check would, so timing does not tell
		// whether the user exists.
		VerifyPassword(dummyHash(s.opts.Hash), password)
		return User{}, fmt.Errorf("user %q: %w", name, wire.ErrInvalidCredentials)
	}
	if !VerifyPassword(hash, password) {
		return User{}, fmt.Errorf("user %q: %w", name, wire.ErrInvalidCredentials)
	}
	if !pub.Active {
		return User{}, fmt.Errorf("user %q: %w", name, wire.ErrUserInactive)
	}
	return pub, nil
}

var (
	dummyOnce sync.Once
	dummy     string
)

func dummyHash(p HashParams) string {
	dummyOnce.Do(func() { dummy, _ = HashPassword("shale-dummy-password", p) })
	return dummy
}

// CreateToken creates a personal access token for a user and returns the
// secret (shown only now) and its expiry in µs (0 = never). expiry 0 means
// never. Errors: 50 bad name, 52 too many tokens, 51 name taken.
func (s *Store) CreateToken(userID uint32, name string, expiry time.Duration) (string, uint64, error) {
	if len(name) < MinTokenNameLen || len(name) > MaxTokenNameLen {
		return "", 0, fmt.Errorf("token name of %d bytes (want %d..%d): %w", len(name), MinTokenNameLen, MaxTokenNameLen, wire.ErrInvalidPersonalAccessTokenName)
	}
	token, err := NewToken()
	if err != nil {
		return "", 0, err
	}
	var expiresAt uint64
	if expiry > 0 {
		expiresAt = s.nowMicros() + uint64(expiry/time.Microsecond)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.users[userID]; !ok {
		return "", 0, fmt.Errorf("user %d: %w", userID, wire.ErrResourceNotFound)
	}
	n := 0
	for _, t := range s.tokens {
		if t.UserID == userID {
			if t.Name == name {
				return "", 0, fmt.Errorf("token %q: %w", name, wire.ErrPersonalAccessTokenAlreadyExists)
			}
			n++
		}
	}
	if n >= s.opts.MaxTokensPerUser {
		return "", 0, fmt.Errorf("%d tokens: %w", n, wire.ErrPersonalAccessTokensLimitReached)
	}
	h := HashToken(token)
	rec := &tokenRecord{UserID: userID, Name: name, ExpiresAt: expiresAt}
	if err := s.commit(func(b *kv.Batch) error { return b.Set(tokenKey(h), rec.encode()) }); err != nil {
		return "", 0, err
	}
	s.tokens[h] = rec
	return token, expiresAt, nil
}

// Tokens lists a user's tokens by name.
func (s *Store) Tokens(userID uint32) []TokenInfo {
	s.mu.RLock()
	var out []TokenInfo
	for _, t := range s.tokens {
		if t.UserID == userID {
			out = append(out, TokenInfo{Name: t.Name, ExpiresAt: t.ExpiresAt})
		}
	}
	s.mu.RUnlock()
	slices.SortFunc(out, func(a, b TokenInfo) int { return bytes.Compare([]byte(a.Name), []byte(b.Name)) })
	return out
}

// DeleteToken deletes a user's token by name (20 when unknown).
func (s *Store) DeleteToken(userID uint32, name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for h, t := range s.tokens {
		if t.UserID == userID && t.Name == name {
			if err := s.commit(func(b *kv.Batch) error { return b.Delete(tokenKey(h)) }); err != nil {
				return err
			}
			delete(s.tokens, h)
			return nil
		}
	}
	return fmt.Errorf("token %q: %w", name, wire.ErrResourceNotFound)
}

// AuthenticateToken finds the user of a raw token: 20 unknown (Iggy's code,
// not 42), 54 expired, 47 inactive user.
func (s *Store) AuthenticateToken(token string) (User, error) {
	h := HashToken(token)
	s.mu.RLock()
	defer s.mu.RUnlock()
	t, ok := s.tokens[h]
	if !ok {
		return User{}, fmt.Errorf("personal access token: %w", wire.ErrResourceNotFound)
	}
	if t.ExpiresAt != 0 && t.ExpiresAt <= s.nowMicros() {
		return User{}, fmt.Errorf("personal access token %q: %w", t.Name, wire.ErrPersonalAccessTokenExpired)
	}
	u, ok := s.users[t.UserID]
	if !ok {
		return User{}, fmt.Errorf("personal access token: %w", wire.ErrResourceNotFound)
	}
	if !u.rec.Active {
		return User{}, fmt.Errorf("user %q: %w", u.rec.Name, wire.ErrUserInactive)
	}
	return u.public(), nil
}

// RevokeJWT records a logged-out JWT id until its expiry, durably, so a
// restart does not revive it.
func (s *Store) RevokeJWT(jti string, expiresAt time.Time) error {
	exp := uint64(expiresAt.UnixMicro())
	s.mu.Lock()
	defer s.mu.Unlock()
	key := append(metaPrefix(metaRevoked), jti...)
	err := s.commit(func(b *kv.Batch) error { return b.Set(key, binary.BigEndian.AppendUint64(nil, exp)) })
	if err != nil {
		return err
	}
	s.revoked[jti] = exp
	return nil
}

// JWTRevoked reports whether a JWT id was revoked and has not expired yet.
func (s *Store) JWTRevoked(jti string) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	exp, ok := s.revoked[jti]
	return ok && exp > s.nowMicros()
}

// metaSecret keys secrets the server generates once and keeps: the JWT
// signing key when none is configured.
const metaSecret = kv.MetaSecret

// Secret returns the stored secret called name, generating n random bytes
// and storing them durably on first use. With a stored JWT key, tokens stay
// valid across restarts, and so does their revocation.
func (s *Store) Secret(name string, n int) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if v := s.StoredSecret(name); v != nil {
		return v, nil
	}
	secret := make([]byte, n)
	if _, err := rand.Read(secret); err != nil {
		return nil, err
	}
	key := append(metaPrefix(metaSecret), name...)
	if err := s.commit(func(b *kv.Batch) error { return b.Set(key, secret) }); err != nil {
		return nil, err
	}
	s.setSecretsLocked(map[string][]byte{name: secret})
	return secret, nil
}

// StoredSecret returns the secret called name as the store last loaded or
// wrote it, nil when there is none. It takes no lock.
func (s *Store) StoredSecret(name string) []byte {
	return (*s.secrets.Load())[name]
}

// setSecretsLocked adds secrets to the published set. REQUIRES: s.mu held.
func (s *Store) setSecretsLocked(add map[string][]byte) {
	next := maps.Clone(*s.secrets.Load())
	maps.Copy(next, add)
	s.secrets.Store(&next)
}
