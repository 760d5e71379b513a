package auth_test

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/shalemq/shale/broker/auth"
	"github.com/shalemq/shale/broker/brokertest"
	"github.com/shalemq/shale/kv"
	"github.com/shalemq/shale/kv/kvtest"
)

// firstBytes returns the first byte of every record WriteLegacyAuth wrote.
func firstBytes(t *testing.T, db *kv.DB) []byte {
	t.Helper()
	var out []byte
	for _, k := range brokertest.LegacyKeys() {
		v, ok, err := db.Get(nil, k)
		if err != nil || !ok || len(v) == 0 {
			t.Fatalf("record %x: ok %v, err %v", k, ok, err)
		}
		out = append(out, v[0])
	}
	return out
}

func checkLegacyUsers(t *testing.T, s *auth.Store) {
	t.Helper()
	users := s.Users()
	if len(users) != 3 || users[0].Name != brokertest.RootUser || users[1].Name != brokertest.LegacyReader ||
		users[2].Name != brokertest.LegacyInactive || users[2].ID != 3 {
		t.Fatalf("users = %+v", users)
	}
	if users[1].CreatedAt != 1700000000000001 || users[2].Active || users[2].Permissions != nil {
		t.Errorf("fields lost: %+v", users)
	}
	if p := users[1].Permissions; p == nil || !p.Global.ReadStreams || !p.Global.PollMessages || p.Global.ManageUsers {
		t.Errorf("reader's permissions = %+v", p)
	}
	if _, err := s.Authenticate(brokertest.LegacyReader, brokertest.LegacyReaderPassword); err != nil {
		t.Errorf("reader's password: %v", err)
	}
	if _, err := s.Authenticate(brokertest.RootUser, brokertest.RootPassword); err != nil {
		t.Errorf("root's password: %v", err)
	}
	if u, err := s.AuthenticateToken(brokertest.LegacyToken); err != nil || u.Name != brokertest.LegacyReader {
		t.Errorf("token: user %+v, err %v", u, err)
	}
	if toks := s.Tokens(1); len(toks) != 1 || toks[0].Name != brokertest.LegacyTokenName {
		t.Errorf("reader's tokens = %+v", toks)
	}
}

func openKV(t *testing.T, dir string, readOnly bool) *kv.DB {
	t.Helper()
	db, err := kv.Open(dir, kv.Options{MinFreeDisk: 0, ReadOnly: readOnly})
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// TestLegacyJSONRecords opens a database whose users and tokens an earlier
// shale wrote as JSON: read-only it is read as it is; writable, the records
// are rewritten once in the record encoding, logged, and read back the same.
func TestLegacyJSONRecords(t *testing.T) {
	dir := t.TempDir()
	db := openKV(t, dir, false)
	brokertest.WriteLegacyAuth(t, db)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	// Read-only (how a backup describes its checkpoint): readable, untouched.
	ro := openKV(t, dir, true)
	s, err := auth.Open(ro, auth.Options{Hash: auth.TestHashParams})
	if err != nil {
		t.Fatalf("open JSON records read-only: %v", err)
	}
	checkLegacyUsers(t, s)
	if got := firstBytes(t, ro); !bytes.Equal(got, []byte("{{{{{")) {
		t.Errorf("read-only open changed records: first bytes %q", got)
	}
	if err := ro.Close(); err != nil {
		t.Fatal(err)
	}

	// Writable: migrated once, with a log line.
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	db = openKV(t, dir, false)
	s, err = auth.Open(db, auth.Options{Hash: auth.TestHashParams, Logger: logger})
	if err != nil {
		t.Fatalf("open JSON records: %v", err)
	}
	if !strings.Contains(logs.String(), "rewrote user and token records from JSON") || !strings.Contains(logs.String(), "records=5") {
		t.Errorf("migration not logged: %q", logs.String())
	}
	checkLegacyUsers(t, s)
	if got := firstBytes(t, db); !bytes.Equal(got, bytes.Repeat([]byte{kv.RecordVersion}, 5)) {
		t.Errorf("after migration, first bytes %q", got)
	}
	// The allocator came across: the freed id 2 is handed out first.
	if u, err := s.CreateUser("dave", "dave-secret", true, nil); err != nil || u.ID != 2 {
		t.Errorf("new user: %+v, %v; want id 2", u, err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	// A second open finds nothing to migrate and the same users.
	logs.Reset()
	db = openKV(t, dir, false)
	defer db.Close()
	s, err = auth.Open(db, auth.Options{Hash: auth.TestHashParams, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(logs.String(), "rewrote") {
		t.Errorf("second open migrated again: %q", logs.String())
	}
	if u, ok := s.UserByName("dave"); !ok || u.ID != 2 {
		t.Errorf("dave = %+v, %v", u, ok)
	}
	if u, err := s.CreateUser("erin", "erin-secret", true, nil); err != nil || u.ID != 4 {
		t.Errorf("next user: %+v, %v; want id 4", u, err)
	}
}

// TestCorruptRecordsRefused: a user record that is neither JSON nor the
// record encoding fails Open with an error naming it, never a panic.
func TestCorruptRecordsRefused(t *testing.T) {
	for name, value := range map[string][]byte{
		"truncated binary": kv.NewRecord(nil).Str("alice")[:4],
		"bad JSON":         []byte(`{"name":`),
		"unknown version":  {9, 0, 0},
	} {
		t.Run(name, func(t *testing.T) {
			db := openKV(t, t.TempDir(), false)
			defer db.Close()
			kvtest.Set(t, db, kv.NewKey(nil, kv.TagMeta).U8(kv.MetaUser).U32(7), value)
			if _, err := auth.Open(db, auth.Options{Hash: auth.TestHashParams}); err == nil || !strings.Contains(err.Error(), "user 7") {
				t.Errorf("Open = %v, want an error naming user 7", err)
			}
		})
	}
}
