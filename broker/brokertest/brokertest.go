package brokertest

import (
	"bytes"
	"testing"

	"github.com/shalemq/shale/broker"
	"github.com/shalemq/shale/broker/auth"
	"github.com/shalemq/shale/kv"
	"github.com/shalemq/shale/kv/kvtest"
	"github.com/shalemq/shale/log"
	"github.com/shalemq/shale/wire"
)

// Root credentials of the test broker.
const (
	RootUser     = "iggy"
	RootPassword = "iggy-secret"
)

// Env is a broker on an in-memory Pebble with a logged-in root session.
type Env struct {
	Broker *broker.Broker
	Log    *log.Log
	Users  *auth.Store
	Root   *broker.Session
	// DB is the database under them all, for tests that write records
	// directly (WriteLegacyAuth).
	DB *kv.DB

	close func() error // on-disk Envs only
}

// New builds an Env; everything is closed when the test ends.
func New(t testing.TB) *Env {
	t.Helper()
	return NewWithOptions(t, broker.Options{})
}

// NewWithOptions builds an Env with broker options (a fake clock, say).
func NewWithOptions(t testing.TB, opts broker.Options) *Env {
	t.Helper()
	db := kvtest.Open(t, kv.Options{})
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
	b := broker.New(l, users, opts)
	e := &Env{Broker: b, Log: l, Users: users, DB: db}
	e.Root = e.Session(t)
	if _, err := b.Login(e.Root, RootUser, RootPassword); err != nil {
		t.Fatal(err)
	}
	return e
}

// Session opens an unauthenticated TCP session, closed when the test ends.
func (e *Env) Session(t testing.TB) *broker.Session {
	t.Helper()
	s := e.Broker.OpenSession(broker.TransportTCP, "127.0.0.1:1")
	t.Cleanup(func() { e.Broker.CloseSession(s) })
	return s
}

// OnePartition creates stream "s" with topic "t" of one partition (ids 0).
func (e *Env) OnePartition(t testing.TB) {
	t.Helper()
	if _, err := e.Broker.CreateStream(e.Root, "s"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Broker.CreateTopic(e.Root, broker.ByID(0), broker.TopicSpec{Name: "t", PartitionsCount: 1, Compression: 1}); err != nil {
		t.Fatal(err)
	}
}

// Fill creates stream "s" with topic "t" of one partition (ids 0) and
// stores n messages of payload bytes each in it. It returns the bytes a
// poll of all of them answers (headers and payloads).
func (e *Env) Fill(t testing.TB, n, payload int) int64 {
	t.Helper()
	b := e.Broker
	e.OnePartition(t)
	var msgs []byte
	for range n {
		msgs = wire.AppendSendMessage(msgs, make([]byte, 16), 1, bytes.Repeat([]byte{'p'}, payload), nil)
	}
	if err := b.Send(e.Root, broker.ByID(0), broker.ByID(0), broker.Partitioning{Kind: broker.PartitionID}, msgs, n); err != nil {
		t.Fatal(err)
	}
	return int64(n * (wire.MessageHeaderSize + payload))
}
