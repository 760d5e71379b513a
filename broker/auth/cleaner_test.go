package auth

import (
	"errors"
	"testing"
	"time"

	"github.com/shalemq/shale/wire"
)

// TestDeleteExpired: expired tokens and expired JWT revocations go, on
// disk too (a reopened store does not see them); live ones stay; a
// second run finds nothing.
func TestDeleteExpired(t *testing.T) {
	dir := t.TempDir()
	clock := &fakeClock{now: time.Unix(1_700_000_000, 0)}
	s, db := open(t, dir, clock)
	if _, _, err := s.EnsureRoot("iggy", "secret"); err != nil {
		t.Fatal(err)
	}
	short, _, err := s.CreateToken(RootID, "short", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	long, _, err := s.CreateToken(RootID, "long", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.CreateToken(RootID, "forever", 0); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeJWT("old-jti", clock.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeJWT("new-jti", clock.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if tok, rev, err := s.DeleteExpired(); err != nil || tok != 0 || rev != 0 {
		t.Fatalf("nothing expired yet: deleted %d tokens, %d revocations, err %v", tok, rev, err)
	}
	clock.Advance(2 * time.Minute)
	if tok, rev, err := s.DeleteExpired(); err != nil || tok != 1 || rev != 1 {
		t.Fatalf("deleted %d tokens and %d revocations (err %v), want 1 and 1", tok, rev, err)
	}
	if tok, rev, err := s.DeleteExpired(); err != nil || tok != 0 || rev != 0 {
		t.Fatalf("second run: deleted %d tokens, %d revocations, err %v", tok, rev, err)
	}
	check := func(s *Store) {
		t.Helper()
		var names []string
		for _, ti := range s.Tokens(RootID) {
			names = append(names, ti.Name)
		}
		if len(names) != 2 || names[0] != "forever" || names[1] != "long" {
			t.Fatalf("tokens left: %v, want [forever long]", names)
		}
		if _, err := s.AuthenticateToken(short); !errors.Is(err, wire.ErrResourceNotFound) {
			t.Fatalf("deleted token: %v, want not found", err)
		}
		if _, err := s.AuthenticateToken(long); err != nil {
			t.Fatalf("live token: %v", err)
		}
		if !s.JWTRevoked("new-jti") {
			t.Fatal("a live revocation was lost")
		}
		n := 0
		if err := s.scan(metaRevoked, func(_, _ []byte) error { n++; return nil }); err != nil || n != 1 {
			t.Fatalf("%d revocation records on disk (err %v), want 1", n, err)
		}
	}
	check(s)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	s, db = open(t, dir, clock)
	defer db.Close()
	check(s)
}
