package broker_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/shalemq/shale/broker"
	"github.com/shalemq/shale/broker/brokertest"
	"github.com/shalemq/shale/wire"
)

func wantCode(t *testing.T, err error, want *wire.Error) {
	t.Helper()
	if want == nil {
		if err != nil {
			t.Fatalf("unexpected error %v", err)
		}
		return
	}
	if !errors.Is(err, want) {
		t.Fatalf("got %v (code %d), want %s (%d)", err, wire.CodeOf(err), want.Name, want.Code)
	}
}

// message builds one message in wire form with an empty id.
func message(payload string) []byte {
	m := make([]byte, 64+len(payload))
	m[52] = byte(len(payload))
	copy(m[64:], payload)
	return m
}

func TestUnauthenticated(t *testing.T) {
	e := brokertest.New(t)
	s := e.Session(t)
	wantCode(t, e.Broker.Ping(s), nil)
	_, err := e.Broker.CreateStream(s, "orders")
	wantCode(t, err, wire.ErrUnauthenticated)
	_, _, err = e.Broker.Stream(s, broker.ByID(0))
	wantCode(t, err, wire.ErrUnauthenticated)
	wantCode(t, e.Broker.Logout(s), wire.ErrUnauthenticated)
	_, err = e.Broker.Login(s, brokertest.RootUser, "wrong-password")
	wantCode(t, err, wire.ErrInvalidCredentials)
}

func TestPermissionOrder(t *testing.T) {
	e := brokertest.New(t)
	b := e.Broker
	if _, err := b.CreateStream(e.Root, "orders"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.CreateUser(e.Root, "reader", "secret", wire.UserActive, nil); err != nil {
		t.Fatal(err)
	}
	s := e.Session(t)
	if _, err := b.Login(s, "reader", "secret"); err != nil {
		t.Fatal(err)
	}
	// A missing entity is reported before the permission check.
	wantCode(t, b.DeleteStream(s, broker.ByID(7)), wire.ErrStreamIDNotFound)
	wantCode(t, b.DeleteStream(s, broker.ByID(0)), wire.ErrUnauthorized)
	// Reads of missing entities are an empty OK, even without permission.
	_, ok, err := b.Stream(s, broker.ByName("nope"))
	if ok || err != nil {
		t.Fatalf("missing stream: ok=%v err=%v, want empty OK", ok, err)
	}
	_, _, err = b.Stream(s, broker.ByName("orders"))
	wantCode(t, err, wire.ErrUnauthorized)
	// CreateTopic checks the partition count before the stream.
	_, err = b.CreateTopic(s, broker.ByID(9), broker.TopicSpec{Name: "t", PartitionsCount: 1001, Compression: 1})
	wantCode(t, err, wire.ErrTooManyPartitions)
	_, err = b.CreateTopic(s, broker.ByID(9), broker.TopicSpec{Name: "t", PartitionsCount: 1, Compression: 1})
	wantCode(t, err, wire.ErrStreamIDNotFound)
	_, err = b.CreateTopic(s, broker.ByID(0), broker.TopicSpec{Name: "t", PartitionsCount: 1, Compression: 1})
	wantCode(t, err, wire.ErrUnauthorized)

	// Granting read_streams lets the user read but not manage.
	perms := &wire.Permissions{Global: wire.GlobalPermissions{ReadStreams: true}}
	wantCode(t, b.UpdatePermissions(e.Root, broker.ByName("reader"), perms), nil)
	if _, ok, err := b.Stream(s, broker.ByName("orders")); !ok || err != nil {
		t.Fatalf("read with read_streams: ok=%v err=%v", ok, err)
	}
	wantCode(t, b.UpdateStream(s, broker.ByID(0), "renamed"), wire.ErrUnauthorized)

	// A deleted user's session keeps failing with 41, and is gone from the
	// client table.
	wantCode(t, b.DeleteUser(e.Root, broker.ByName("reader")), nil)
	_, _, err = b.Stream(s, broker.ByName("orders"))
	wantCode(t, err, wire.ErrUnauthorized)
	clients, err := b.Clients(e.Root)
	wantCode(t, err, nil)
	for _, c := range clients {
		if c.ID == s.ID() {
			t.Fatalf("deleted user's client %d still listed", c.ID)
		}
	}
}

func TestGroupsAcrossSessions(t *testing.T) {
	e := brokertest.New(t)
	b := e.Broker
	if _, err := b.CreateStream(e.Root, "s"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.CreateTopic(e.Root, broker.ByID(0), broker.TopicSpec{Name: "t", PartitionsCount: 4, Compression: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.CreateGroup(e.Root, broker.ByID(0), broker.ByID(0), "g"); err != nil {
		t.Fatal(err)
	}
	a, c := e.Session(t), e.Session(t)
	for _, s := range []*broker.Session{a, c} {
		if _, err := b.Login(s, brokertest.RootUser, brokertest.RootPassword); err != nil {
			t.Fatal(err)
		}
		wantCode(t, b.JoinGroup(s, broker.ByID(0), broker.ByID(0), broker.ByName("g")), nil)
	}
	g, ok, err := b.Group(e.Root, broker.ByID(0), broker.ByID(0), broker.ByID(0))
	if !ok || err != nil || len(g.Members) != 2 {
		t.Fatalf("group: %+v ok=%v err=%v", g, ok, err)
	}
	if got := g.Members[0].Partitions; len(got) != 2 || got[0] != 0 || got[1] != 2 {
		t.Errorf("first member partitions %v, want [0 2]", got)
	}
	if got := g.Members[1].Partitions; len(got) != 2 || got[0] != 1 || got[1] != 3 {
		t.Errorf("second member partitions %v, want [1 3]", got)
	}
	me, err := b.Me(a)
	if err != nil || len(me.Groups) != 1 {
		t.Fatalf("GetMe groups: %+v %v", me, err)
	}

	// Each member sends to and polls its own partitions round-robin.
	for p := uint32(0); p < 4; p++ {
		msgs := message("hello")
		wantCode(t, b.Send(e.Root, broker.ByID(0), broker.ByID(0), broker.Partitioning{Kind: broker.PartitionID, ID: p}, msgs, 1), nil)
	}
	group := broker.Consumer{Group: true, ID: broker.ByName("g")}
	var seen []uint32
	for range 2 {
		res, _, err := b.PollMessages(a, broker.Poll{Consumer: group, Stream: broker.ByID(0), Topic: broker.ByID(0),
			Strategy: broker.StrategyNext, Count: 10, AutoCommit: true}, nil)
		wantCode(t, err, nil)
		seen = append(seen, res.PartitionID)
	}
	if seen[0] != 0 || seen[1] != 2 {
		t.Errorf("member polled partitions %v, want [0 2]", seen)
	}
	// A partition owned by the other member answers an empty result.
	p1 := uint32(1)
	res, _, err := b.PollMessages(a, broker.Poll{Consumer: group, Stream: broker.ByID(0), Topic: broker.ByID(0),
		Partition: &p1, Strategy: broker.StrategyFirst, Count: 10}, nil)
	if err != nil || res.Count != 0 || res.PartitionID != 0 {
		t.Errorf("poll of another member's partition: %+v %v", res, err)
	}
	wantCode(t, b.StoreConsumerOffset(a, group, broker.ByID(0), broker.ByID(0), &p1, 0), wire.ErrNotResolvedConsumer)

	// Disconnecting rebalances: the remaining member gets everything.
	b.CloseSession(a)
	g, _, _ = b.Group(e.Root, broker.ByID(0), broker.ByID(0), broker.ByID(0))
	if len(g.Members) != 1 || len(g.Members[0].Partitions) != 4 {
		t.Fatalf("after disconnect: %+v", g)
	}
	wantCode(t, b.LeaveGroup(e.Root, broker.ByID(0), broker.ByID(0), broker.ByID(0)), wire.ErrConsumerGroupMemberNotFound)
}

func TestOffsetsAndPoll(t *testing.T) {
	e := brokertest.New(t)
	b := e.Broker
	if _, err := b.CreateStream(e.Root, "s"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.CreateTopic(e.Root, broker.ByID(0), broker.TopicSpec{Name: "t", PartitionsCount: 1, Compression: 1}); err != nil {
		t.Fatal(err)
	}
	consumer := broker.Consumer{ID: broker.ByName("worker-1")}
	_, ok, err := b.ConsumerOffset(e.Root, consumer, broker.ByID(0), broker.ByID(0), nil)
	if ok || err != nil {
		t.Fatalf("offset before store: ok=%v err=%v", ok, err)
	}
	wantCode(t, b.StoreConsumerOffset(e.Root, consumer, broker.ByID(0), broker.ByID(0), nil, 0), wire.ErrInvalidOffset)
	var batch []byte
	for range 3 {
		batch = append(batch, message("m")...)
	}
	wantCode(t, b.Send(e.Root, broker.ByName("s"), broker.ByName("t"), broker.Partitioning{Kind: broker.PartitionBalanced}, batch, 3), nil)
	wantCode(t, b.StoreConsumerOffset(e.Root, consumer, broker.ByID(0), broker.ByID(0), nil, 1), nil)
	off, ok, err := b.ConsumerOffset(e.Root, consumer, broker.ByID(0), broker.ByID(0), nil)
	if !ok || err != nil || off.StoredOffset != 1 || off.CurrentOffset != 2 {
		t.Fatalf("offset: %+v ok=%v err=%v", off, ok, err)
	}
	res, out, err := b.PollMessages(e.Root, broker.Poll{Consumer: consumer, Stream: broker.ByID(0), Topic: broker.ByID(0),
		Strategy: broker.StrategyNext, Count: 10}, nil)
	if err != nil || res.Count != 1 || len(out) != 65 {
		t.Fatalf("poll next: %+v len=%d err=%v", res, len(out), err)
	}
	wantCode(t, b.DeleteConsumerOffset(e.Root, consumer, broker.ByID(0), broker.ByID(0), nil), nil)
	wantCode(t, b.DeleteConsumerOffset(e.Root, consumer, broker.ByID(0), broker.ByID(0), nil), wire.ErrConsumerOffsetNotFound)
	p9 := uint32(9)
	_, _, err = b.PollMessages(e.Root, broker.Poll{Consumer: consumer, Stream: broker.ByID(0), Topic: broker.ByID(0),
		Partition: &p9, Strategy: broker.StrategyFirst, Count: 1}, nil)
	wantCode(t, err, wire.ErrPartitionNotFound)
}

func TestEvictStale(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	e := brokertest.NewWithOptions(t, broker.Options{Clock: clock})
	quiet := e.Session(t)
	pinger := e.Session(t)
	advance(4 * time.Second)
	wantCode(t, e.Broker.Ping(pinger), nil)
	wantCode(t, e.Broker.Ping(e.Root), nil)
	advance(3 * time.Second)
	// 6 s is 1.2 × a 5 s heartbeat interval: quiet (7 s since its last
	// sign of life) goes; pinger and root (3 s) stay.
	if n := e.Broker.EvictStale(6 * time.Second); n != 1 {
		t.Fatalf("evicted %d sessions, want 1", n)
	}
	if !quiet.Stale() || pinger.Stale() || e.Root.Stale() {
		t.Fatalf("stale flags: quiet %v pinger %v root %v", quiet.Stale(), pinger.Stale(), e.Root.Stale())
	}
	_, ok, err := e.Broker.Client(e.Root, quiet.ID())
	wantCode(t, err, nil)
	if ok {
		t.Fatal("evicted session still listed")
	}
}
