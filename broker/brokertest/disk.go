package brokertest

import (
	"path/filepath"
	"testing"

	"github.com/shalemq/shale/broker"
	"github.com/shalemq/shale/broker/auth"
	"github.com/shalemq/shale/kv"
	"github.com/shalemq/shale/log"
)

// NewOnDisk builds an Env whose database lives on the real filesystem in
// dataDir/db, as shale serve lays it out, for what needs real files
// (checkpoints, backups). Everything is closed when the test ends; Close
// closes it earlier.
func NewOnDisk(t testing.TB, dataDir string) *Env {
	t.Helper()
	db, err := kv.Open(filepath.Join(dataDir, "db"), kv.Options{CacheSize: 8 << 20, MemTableSize: 4 << 20})
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, db)
	e.close = db.Close
	t.Cleanup(func() { _ = e.Close() })
	return e
}

// Close closes an on-disk Env's database (once).
func (e *Env) Close() error {
	if e.close == nil {
		return nil
	}
	c := e.close
	e.close = nil
	return c()
}

func newEnv(t testing.TB, db *kv.DB) *Env {
	t.Helper()
	l, err := log.Open(db, log.Options{})
	if err != nil {
		t.Fatal(err)
	}
	users, err := auth.Open(db, auth.Options{Hash: auth.TestHashParams})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := users.EnsureRoot(RootUser, RootPassword); err != nil {
		t.Fatal(err)
	}
	b := broker.New(l, users, broker.Options{})
	e := &Env{Broker: b, Log: l, Users: users, DB: db}
	e.Root = e.Session(t)
	if _, err := b.Login(e.Root, RootUser, RootPassword); err != nil {
		t.Fatal(err)
	}
	return e
}
