package auth

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/shalemq/shale/kv"
	"github.com/shalemq/shale/wire"
)

type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// open opens a store on dir, closing the database at the end of the test
// unless reopened earlier.
func open(t *testing.T, dir string, clock *fakeClock) (*Store, *kv.DB) {
	t.Helper()
	db, err := kv.Open(dir, kv.Options{MinFreeDisk: 0})
	if err != nil {
		t.Fatal(err)
	}
	s, err := Open(db, Options{Hash: TestHashParams, Clock: clock.Now, MaxTokensPerUser: 3})
	if err != nil {
		t.Fatal(err)
	}
	return s, db
}

func wantErr(t *testing.T, what string, err error, want *wire.Error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: got %v, want %s", what, err, want.Name)
	}
}

func TestUsersLifecycleAndPersistence(t *testing.T) {
	dir := t.TempDir()
	clock := &fakeClock{now: time.Unix(1_700_000_000, 0)}
	s, db := open(t, dir, clock)

	gen, created, err := s.EnsureRoot("iggy", "")
	if err != nil || !created || len(gen) < 24 {
		t.Fatalf("root with generated password: %q %v %v", gen, created, err)
	}
	if _, err := s.Authenticate("iggy", gen); err != nil {
		t.Fatalf("root login with the generated password: %v", err)
	}
	if _, created, _ := s.EnsureRoot("iggy", "other-password"); created {
		t.Fatal("EnsureRoot created root twice")
	}

	perms := &wire.Permissions{Global: wire.GlobalPermissions{PollMessages: true}}
	alice, err := s.CreateUser("alice", "alice-pass", true, perms)
	if err != nil || alice.ID != 1 {
		t.Fatalf("alice: %+v %v", alice, err)
	}
	bob, err := s.CreateUser("bob", "bob-pass", false, nil)
	if err != nil || bob.ID != 2 {
		t.Fatalf("bob: %+v %v", bob, err)
	}
	_, err = s.CreateUser("alice", "x-pass", true, nil)
	wantErr(t, "duplicate user", err, wire.ErrUserAlreadyExists)
	_, err = s.CreateUser("al", "alice-pass", true, nil)
	wantErr(t, "short name", err, wire.ErrInvalidUsername)
	_, err = s.CreateUser("carol", "pw", true, nil)
	wantErr(t, "short password", err, wire.ErrInvalidPassword)

	_, err = s.Authenticate("alice", "wrong-pass")
	wantErr(t, "wrong password", err, wire.ErrInvalidCredentials)
	_, err = s.Authenticate("nobody", "whatever")
	wantErr(t, "unknown user", err, wire.ErrInvalidCredentials)
	_, err = s.Authenticate("bob", "bob-pass")
	wantErr(t, "inactive user", err, wire.ErrUserInactive)

	wantErr(t, "delete root", s.DeleteUser(RootID), wire.ErrCannotDeleteUser)
	wantErr(t, "root permissions", s.UpdatePermissions(RootID, nil), wire.ErrCannotChangePermissions)
	wantErr(t, "change with wrong current", s.ChangePassword(1, "nope-pass", "new-pass"), wire.ErrInvalidCredentials)
	if err := s.ChangePassword(1, "alice-pass", "alice-new"); err != nil {
		t.Fatal(err)
	}
	newName := "bob"
	wantErr(t, "rename onto bob", s.UpdateUser(1, &newName, nil), wire.ErrUserAlreadyExists)

	// Freed ids are reused, most recently freed first (Iggy).
	if err := s.DeleteUser(2); err != nil {
		t.Fatal(err)
	}
	dave, err := s.CreateUser("dave", "dave-pass", true, nil)
	if err != nil || dave.ID != 2 {
		t.Fatalf("dave reuses id 2: %+v %v", dave, err)
	}

	// Everything survives a reopen.
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	s, db = open(t, dir, clock)
	defer db.Close()
	if _, err := s.Authenticate("alice", "alice-new"); err != nil {
		t.Fatalf("alice after reopen: %v", err)
	}
	u, ok := s.UserByName("alice")
	if !ok || u.Permissions == nil || !u.Permissions.Global.PollMessages || u.Permissions.Global.SendMessages {
		t.Fatalf("alice's permissions after reopen: %+v", u)
	}
	if got := len(s.Users()); got != 3 {
		t.Fatalf("%d users after reopen, want 3", got)
	}
	erin, err := s.CreateUser("erin", "erin-pass", true, nil)
	if err != nil || erin.ID != 3 {
		t.Fatalf("next id after reopen: %+v %v", erin, err)
	}
}

func TestTokens(t *testing.T) {
	dir := t.TempDir()
	clock := &fakeClock{now: time.Unix(1_700_000_000, 0)}
	s, db := open(t, dir, clock)
	if _, _, err := s.EnsureRoot("iggy", "iggy-pass"); err != nil {
		t.Fatal(err)
	}
	tok, exp, err := s.CreateToken(RootID, "ci-token", time.Hour)
	if err != nil || len(tok) != 68 || !strings.HasSuffix(tok, "=") {
		t.Fatalf("token %q %v", tok, err)
	}
	if want := uint64(clock.now.Add(time.Hour).UnixMicro()); exp != want {
		t.Fatalf("expiry %d, want %d", exp, want)
	}
	forever, exp, err := s.CreateToken(RootID, "forever", 0)
	if err != nil || exp != 0 {
		t.Fatalf("never-expiring token: %d %v", exp, err)
	}
	_, _, err = s.CreateToken(RootID, "ci-token", 0)
	wantErr(t, "duplicate name", err, wire.ErrPersonalAccessTokenAlreadyExists)
	_, _, err = s.CreateToken(RootID, "ab", 0)
	wantErr(t, "short name", err, wire.ErrInvalidPersonalAccessTokenName)
	if _, _, err := s.CreateToken(RootID, "third", 0); err != nil {
		t.Fatal(err)
	}
	_, _, err = s.CreateToken(RootID, "fourth", 0)
	wantErr(t, "over the limit", err, wire.ErrPersonalAccessTokensLimitReached)

	if u, err := s.AuthenticateToken(tok); err != nil || u.ID != RootID {
		t.Fatalf("token login: %+v %v", u, err)
	}
	_, err = s.AuthenticateToken("not-a-token")
	wantErr(t, "unknown token", err, wire.ErrResourceNotFound)
	clock.Advance(time.Hour)
	_, err = s.AuthenticateToken(tok)
	wantErr(t, "expired token", err, wire.ErrPersonalAccessTokenExpired)

	wantErr(t, "delete unknown", s.DeleteToken(RootID, "nope"), wire.ErrResourceNotFound)
	if err := s.DeleteToken(RootID, "third"); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeJWT("jti-1", clock.now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	s, db = open(t, dir, clock)
	defer db.Close()
	if got := s.Tokens(RootID); len(got) != 2 || got[0].Name != "ci-token" || got[1].Name != "forever" {
		t.Fatalf("tokens after reopen: %+v", got)
	}
	if _, err := s.AuthenticateToken(forever); err != nil {
		t.Fatalf("token after reopen: %v", err)
	}
	if !s.JWTRevoked("jti-1") || s.JWTRevoked("jti-2") {
		t.Fatal("revocation not kept across reopen")
	}
	clock.Advance(time.Minute)
	if s.JWTRevoked("jti-1") {
		t.Fatal("revocation outlived the token's expiry")
	}
}

func TestPasswordHashes(t *testing.T) {
	h, err := HashPassword("secret-pass", TestHashParams)
	if err != nil || !strings.HasPrefix(h, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Fatalf("hash %q %v", h, err)
	}
	if !VerifyPassword(h, "secret-pass") || VerifyPassword(h, "secret-pasS") {
		t.Fatal("argon2id verify")
	}
	bc, err := bcrypt.GenerateFromPassword([]byte("secret-pass"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	if !VerifyPassword(string(bc), "secret-pass") || VerifyPassword(string(bc), "other-pass") {
		t.Fatal("bcrypt verify")
	}
	for _, bad := range []string{"", "$argon2id$", "$argon2id$v=19$m=1,t=0,p=1$AA$AA", "plain"} {
		if VerifyPassword(bad, "x") {
			t.Fatalf("accepted malformed hash %q", bad)
		}
	}
}

func TestConcurrentCreateUser(t *testing.T) {
	clock := &fakeClock{now: time.Unix(1_700_000_000, 0)}
	s, db := open(t, t.TempDir(), clock)
	defer db.Close()
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := "user-" + string(rune('a'+i%10)) // pairs collide on purpose
			_, err := s.CreateUser(name, "password", true, nil)
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	dup := 0
	for err := range errs {
		if errors.Is(err, wire.ErrUserAlreadyExists) {
			dup++
		} else if err != nil {
			t.Fatal(err)
		}
	}
	seen := map[uint32]bool{}
	for _, u := range s.Users() {
		if seen[u.ID] {
			t.Fatalf("id %d given twice", u.ID)
		}
		seen[u.ID] = true
	}
	if dup != 10 || len(seen) != 10 {
		t.Fatalf("%d duplicates, %d users; want 10 and 10", dup, len(seen))
	}
}
