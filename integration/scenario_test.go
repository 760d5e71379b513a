package integration

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"testing"
	"time"

	"github.com/shalemq/shale/client"
	"github.com/shalemq/shale/wire"
)

// The scenario suite drives every binary command through client/ and
// checks results and error codes. It runs over plain TCP, TCP with TLS and
// QUIC against one server each.

type scenario struct {
	t    *testing.T
	s    *Server
	dial func(t *testing.T, s *Server) *client.Client
	root *client.Client
	// binary is false over HTTP, which has no sessions: no GetMe, no
	// client listing of HTTP callers, no joining consumer groups.
	binary bool
}

func (sc *scenario) do(c *client.Client, req wire.Request) []byte {
	sc.t.Helper()
	b, err := c.Do(context.Background(), req)
	if err != nil {
		sc.t.Fatalf("%v: %v", req.Code(), err)
	}
	return b
}

func (sc *scenario) fails(c *client.Client, req wire.Request, want *wire.Error) {
	sc.t.Helper()
	_, err := c.Do(context.Background(), req)
	if !errors.Is(err, want) {
		sc.t.Fatalf("%v: got %v, want %s (%d)", req.Code(), err, want.Name, want.Code)
	}
}

func (sc *scenario) decode(v interface{ Decode([]byte) error }, b []byte) {
	sc.t.Helper()
	if err := v.Decode(b); err != nil {
		sc.t.Fatalf("decode %T: %v", v, err)
	}
}

func (sc *scenario) connect(user, password string) *client.Client {
	sc.t.Helper()
	c := sc.dial(sc.t, sc.s)
	if _, err := c.Login(context.Background(), user, password); err != nil {
		sc.t.Fatalf("login %s: %v", user, err)
	}
	return c
}

func dialTLS(t *testing.T, s *Server) *client.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// The server's certificate is self-signed for localhost.
	c, err := client.Dial(ctx, s.Ports.TCP, client.Options{Timeout: 30 * time.Second,
		TLS: &tls.Config{ServerName: "localhost", InsecureSkipVerify: true}}) //nolint:gosec // test server
	if err != nil {
		t.Fatalf("dial tls %s: %v", s.Ports.TCP, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func dialHTTP(t *testing.T, s *Server) *client.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := client.DialHTTP(ctx, "http://"+s.Ports.HTTP, client.Options{Timeout: 30 * time.Second})
	if err != nil {
		t.Fatalf("dial http %s: %v", s.Ports.HTTP, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func TestScenario(t *testing.T) {
	transports := []struct {
		name string
		env  []string
		dial func(t *testing.T, s *Server) *client.Client
	}{
		{"tcp", nil, dialTCP},
		{"tcp-tls", []string{"SHALE_TCP_TLS_ENABLED=true", "SHALE_TCP_TLS_CERT_FILE=", "SHALE_TCP_TLS_SELF_SIGNED=true"}, dialTLS},
		{"quic", nil, dialQUIC},
		{"http", nil, dialHTTP},
	}
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			s := Start(t, "", tr.env...)
			sc := &scenario{t: t, s: s, dial: tr.dial, binary: tr.name != "http"}
			sc.root = sc.connect(RootUser, RootPassword)
			t.Run("system", sc.system)
			t.Run("streams and topics", sc.streamsAndTopics)
			t.Run("messages and offsets", sc.messagesAndOffsets)
			t.Run("consumer groups", sc.consumerGroups)
			t.Run("users and permissions", sc.usersAndPermissions)
			t.Run("personal access tokens", sc.tokens)
		})
	}
}

func (sc *scenario) system(t *testing.T) {
	sc.t = t
	c := sc.root
	sc.do(c, &wire.Ping{})
	if !sc.binary {
		sc.fails(c, &wire.GetMe{}, wire.ErrFeatureUnavailable)
		// A binary client shows up in the client list; HTTP callers never do.
		tcp := dialTCP(t, sc.s)
		sc.do(tcp, &wire.Ping{})
		clients, err := wire.DecodeClients(sc.do(c, &wire.GetClients{}))
		if err != nil || len(clients) != 1 || clients[0].Transport != wire.TransportTCP {
			t.Fatalf("clients seen over http: %+v %v", clients, err)
		}
		var cd wire.ClientDetails
		sc.decode(&cd, sc.do(c, &wire.GetClient{ClientID: clients[0].ClientID}))
		if cd.UserID != wire.NoUserID {
			t.Fatalf("anonymous client: %+v", cd)
		}
	}
	var st wire.Stats
	sc.decode(&st, sc.do(c, &wire.GetStats{}))
	if st.ServerSemver != 8000 || st.ProcessID == 0 || st.Hostname == "" || st.AvailableMemory == 0 {
		t.Fatalf("stats: %+v", st)
	}
	if !sc.binary {
		sc.systemCommon(t)
		return
	}
	var me wire.ClientDetails
	sc.decode(&me, sc.do(c, &wire.GetMe{}))
	if me.UserID != 0 || me.ClientID == 0 {
		t.Fatalf("me: %+v", me)
	}
	var other wire.ClientDetails
	sc.decode(&other, sc.do(c, &wire.GetClient{ClientID: me.ClientID}))
	if other.ClientID != me.ClientID {
		t.Fatalf("client: %+v", other)
	}
	if b := sc.do(c, &wire.GetClient{ClientID: me.ClientID + 1}); len(b) != 0 {
		t.Fatalf("unknown client: %d bytes, want empty OK", len(b))
	}
	sc.fails(c, &wire.GetClient{ClientID: 0}, wire.ErrInvalidClientID)
	anon := sc.dial(t, sc.s)
	sc.do(anon, &wire.Ping{}) // registered once it answered
	clients, err := wire.DecodeClients(sc.do(c, &wire.GetClients{}))
	if err != nil || len(clients) < 2 {
		t.Fatalf("clients: %+v %v", clients, err)
	}
	sc.fails(anon, &wire.GetStats{}, wire.ErrUnauthenticated)
	sc.systemCommon(t)
}

// systemCommon are the system checks every transport passes.
func (sc *scenario) systemCommon(t *testing.T) {
	c := sc.root
	var md wire.ClusterMetadata
	sc.decode(&md, sc.do(c, &wire.GetClusterMetadata{}))
	if len(md.Nodes) != 1 || md.Nodes[0].Role != wire.NodeLeader || md.Nodes[0].TCPPort == 0 {
		t.Fatalf("cluster metadata: %+v", md)
	}
	zip := sc.do(c, &wire.GetSnapshot{Compression: wire.SnapshotDeflated, Types: []uint8{wire.SnapshotAll}})
	if !bytes.HasPrefix(zip, []byte("PK\x03\x04")) {
		t.Fatalf("snapshot is not a zip: %x", zip[:min(8, len(zip))])
	}
	sc.fails(c, &wire.GetSnapshot{Compression: 1, Types: []uint8{1, 100}}, wire.ErrInvalidCommand)
}

func (sc *scenario) streamsAndTopics(t *testing.T) {
	sc.t = t
	c := sc.root
	var si wire.StreamInfo
	sc.decode(&si, sc.do(c, &wire.CreateStream{NameRef: wire.NameRef{Name: "alpha"}}))
	sc.decode(&si, sc.do(c, &wire.CreateStream{NameRef: wire.NameRef{Name: "beta"}}))
	if si.ID != 1 {
		t.Fatalf("second stream id %d", si.ID)
	}
	sc.do(c, &wire.UpdateStream{Stream: wire.NumericID(1), Name: "gamma"})
	sc.fails(c, &wire.UpdateStream{Stream: wire.NumericID(1), Name: "alpha"}, wire.ErrStreamNameAlreadyExists)
	sc.fails(c, &wire.DeleteStream{StreamRef: wire.StreamRef{Stream: wire.NumericID(9)}}, wire.ErrStreamIDNotFound)
	streams, err := wire.DecodeStreams(sc.do(c, &wire.GetStreams{}))
	if err != nil || len(streams) != 2 || streams[1].Name != "gamma" {
		t.Fatalf("streams: %+v %v", streams, err)
	}
	sc.do(c, &wire.DeleteStream{StreamRef: wire.StreamRef{Stream: wire.NamedID("gamma")}})
	// Freed ids are reused.
	sc.decode(&si, sc.do(c, &wire.CreateStream{NameRef: wire.NameRef{Name: "delta"}}))
	if si.ID != 1 {
		t.Fatalf("reused stream id %d, want 1", si.ID)
	}

	var td wire.TopicDetails
	sc.decode(&td, sc.do(c, &wire.CreateTopic{Stream: wire.NumericID(0), PartitionsCount: 2, Compression: wire.CompressionNone, Name: "events"}))
	if len(td.Partitions) != 2 || td.Partitions[0].SegmentsCount != 0 {
		t.Fatalf("create topic: %+v", td)
	}
	sc.fails(c, &wire.CreateTopic{Stream: wire.NumericID(0), PartitionsCount: 1001, Compression: 1, Name: "big"}, wire.ErrTooManyPartitions)
	sc.fails(c, &wire.CreateTopic{Stream: wire.NumericID(0), PartitionsCount: 1, Compression: 1, Name: "events"}, wire.ErrTopicNameAlreadyExists)
	sc.fails(c, &wire.CreateTopic{Stream: wire.NumericID(0), PartitionsCount: 1, Compression: 9, Name: "x"}, wire.ErrInvalidCommand)
	sc.do(c, &wire.CreatePartitions{PartitionsChange: wire.PartitionsChange{Stream: wire.NumericID(0), Topic: wire.NumericID(0), Count: 2}})
	sc.do(c, &wire.DeletePartitions{PartitionsChange: wire.PartitionsChange{Stream: wire.NumericID(0), Topic: wire.NumericID(0), Count: 1}})
	sc.fails(c, &wire.DeletePartitions{PartitionsChange: wire.PartitionsChange{Stream: wire.NumericID(0), Topic: wire.NumericID(0), Count: 9}}, wire.ErrInvalidPartitionsCount)
	sc.do(c, &wire.UpdateTopic{Stream: wire.NumericID(0), Topic: wire.NumericID(0), Compression: wire.CompressionGzip,
		MessageExpiry: wire.Unlimited, MaxTopicSize: wire.Unlimited, Name: "events"})
	sc.decode(&td, sc.do(c, &wire.GetTopic{TopicRef: wire.TopicRef{Stream: wire.NumericID(0), Topic: wire.NamedID("events")}}))
	if len(td.Partitions) != 3 || td.Compression != wire.CompressionGzip || td.Partitions[2].SegmentsCount != 1 {
		t.Fatalf("topic after partition changes: %+v", td)
	}
	if b := sc.do(c, &wire.GetTopic{TopicRef: wire.TopicRef{Stream: wire.NumericID(0), Topic: wire.NumericID(5)}}); len(b) != 0 {
		t.Fatal("missing topic: want empty OK")
	}
	sc.fails(c, &wire.DeleteTopic{TopicRef: wire.TopicRef{Stream: wire.NumericID(0), Topic: wire.NumericID(5)}}, wire.ErrTopicIDNotFound)
	sc.do(c, &wire.DeleteSegments{Stream: wire.NumericID(0), Topic: wire.NumericID(0), PartitionID: 0, SegmentsCount: 1})
	sc.fails(c, &wire.DeleteSegments{Stream: wire.NumericID(0), Topic: wire.NumericID(0), PartitionID: 7, SegmentsCount: 1}, wire.ErrPartitionNotFound)
	topics, err := wire.DecodeTopics(sc.do(c, &wire.GetTopics{StreamRef: wire.StreamRef{Stream: wire.NumericID(0)}}))
	if err != nil || len(topics) != 1 {
		t.Fatalf("topics: %+v %v", topics, err)
	}
	var sd wire.StreamDetails
	sc.decode(&sd, sc.do(c, &wire.GetStream{StreamRef: wire.StreamRef{Stream: wire.NamedID("alpha")}}))
	if len(sd.Topics) != 1 || sd.TopicsCount != 1 {
		t.Fatalf("stream details: %+v", sd)
	}
}

// batch builds n messages whose payloads are prefix-i, with an explicit id
// on the first and a header on each.
func batch(prefix string, n int) []byte {
	var b []byte
	for i := range n {
		var id []byte
		if i == 0 {
			id = bytes.Repeat([]byte{byte(len(prefix))}, 16)
		}
		h := wire.AppendUserHeaders(nil, wire.UserHeader{Key: wire.StringHeader("n"), Value: wire.Uint32Header(uint32(i))})
		b = wire.AppendSendMessage(b, id, uint64(time.Now().UnixMicro()), []byte(prefix+string(rune('a'+i))), h)
	}
	return b
}

func (sc *scenario) messagesAndOffsets(t *testing.T) {
	sc.t = t
	c := sc.root
	s0, t0 := wire.NumericID(0), wire.NumericID(0)
	sc.do(c, &wire.SendMessages{Stream: s0, Topic: t0, Partitioning: wire.PartitionID(0), Count: 3, Messages: batch("m", 3)})
	before := uint64(time.Now().UnixMicro())
	sc.do(c, &wire.SendMessages{Stream: s0, Topic: t0, Partitioning: wire.PartitionID(0), Count: 2, Messages: batch("n", 2)})
	sc.do(c, &wire.FlushUnsavedBuffer{Stream: s0, Topic: t0, PartitionID: 0, Fsync: true})
	sc.fails(c, &wire.FlushUnsavedBuffer{Stream: s0, Topic: t0, PartitionID: 9}, wire.ErrPartitionNotFound)

	single := wire.Consumer{Kind: wire.ConsumerSingle, ID: wire.NumericID(42)}
	var pm wire.PolledMessages
	sc.decode(&pm, sc.do(c, &wire.PollMessages{Consumer: single, Stream: s0, Topic: t0, Partition: wire.SomePartition(0),
		Strategy: wire.PollingStrategy{Kind: wire.PollTimestamp, Value: before}, Count: 10}))
	it := wire.NewMessageIter(pm.Messages)
	m, ok := it.Next()
	if !ok || pm.Count != 2 || m.Offset() != 3 || string(m.Payload()) != "na" {
		t.Fatalf("poll by timestamp: count %d first %v", pm.Count, m)
	}
	hs, err := wire.DecodeUserHeaders(m.UserHeaders())
	if err != nil || len(hs) != 1 || string(hs[0].Key.Bytes) != "n" {
		t.Fatalf("headers: %+v %v", hs, err)
	}
	sc.decode(&pm, sc.do(c, &wire.PollMessages{Consumer: single, Stream: s0, Topic: t0, Partition: wire.SomePartition(0),
		Strategy: wire.PollingStrategy{Kind: wire.PollFirst}, Count: 1}))
	it = wire.NewMessageIter(pm.Messages)
	first, _ := it.Next()
	if !bytes.Equal(first.ID(), bytes.Repeat([]byte{1}, 16)) {
		t.Fatalf("explicit id not kept: %x", first.ID())
	}

	ref := wire.OffsetRef{Consumer: single, Stream: s0, Topic: t0, Partition: wire.SomePartition(0)}
	sc.do(c, &wire.StoreConsumerOffset{OffsetRef: ref, Offset: 2})
	var co wire.ConsumerOffset
	sc.decode(&co, sc.do(c, &wire.GetConsumerOffset{OffsetRef: ref}))
	if co.StoredOffset != 2 || co.CurrentOffset != 4 {
		t.Fatalf("offset: %+v", co)
	}
	sc.decode(&pm, sc.do(c, &wire.PollMessages{Consumer: single, Stream: s0, Topic: t0, Partition: wire.SomePartition(0),
		Strategy: wire.PollingStrategy{Kind: wire.PollNext}, Count: 10}))
	if pm.Count != 2 {
		t.Fatalf("next after stored offset 2: %d messages", pm.Count)
	}
	sc.do(c, &wire.DeleteConsumerOffset{OffsetRef: ref})
	sc.fails(c, &wire.DeleteConsumerOffset{OffsetRef: ref}, wire.ErrConsumerOffsetNotFound)
	sc.fails(c, &wire.StoreConsumerOffset{OffsetRef: wire.OffsetRef{Consumer: single, Stream: s0, Topic: t0, Partition: wire.SomePartition(1)}, Offset: 0}, wire.ErrInvalidOffset)

	// Purge keeps the topic and resets it.
	sc.do(c, &wire.PurgeTopic{TopicRef: wire.TopicRef{Stream: s0, Topic: t0}})
	var td wire.TopicDetails
	sc.decode(&td, sc.do(c, &wire.GetTopic{TopicRef: wire.TopicRef{Stream: s0, Topic: t0}}))
	if td.MessagesCount != 0 || td.Partitions[0].CurrentOffset != 0 {
		t.Fatalf("after purge: %+v", td)
	}
}

func (sc *scenario) consumerGroups(t *testing.T) {
	sc.t = t
	c := sc.root
	var si wire.StreamInfo
	sc.decode(&si, sc.do(c, &wire.CreateStream{NameRef: wire.NameRef{Name: "groups"}}))
	sid := wire.NumericID(si.ID)
	sc.do(c, &wire.CreateTopic{Stream: sid, PartitionsCount: 4, Compression: 1, Name: "work"})
	tid := wire.NumericID(0)
	for p := range uint32(4) {
		sc.do(c, &wire.SendMessages{Stream: sid, Topic: tid, Partitioning: wire.PartitionID(p), Count: 2, Messages: batch("g", 2)})
	}
	var g wire.ConsumerGroupInfo
	sc.decode(&g, sc.do(c, &wire.CreateConsumerGroup{Stream: sid, Topic: tid, Name: "workers"}))
	sc.fails(c, &wire.CreateConsumerGroup{Stream: sid, Topic: tid, Name: "workers"}, wire.ErrConsumerGroupNameAlreadyExists)
	ref := wire.GroupRef{Stream: sid, Topic: tid, Group: wire.NamedID("workers")}
	if !sc.binary {
		// HTTP can create, list, read and delete groups but not join them.
		sc.fails(c, &wire.JoinConsumerGroup{GroupRef: ref}, wire.ErrFeatureUnavailable)
		var gd wire.ConsumerGroupDetails
		sc.decode(&gd, sc.do(c, &wire.GetConsumerGroup{GroupRef: ref}))
		if gd.Name != "workers" || gd.PartitionsCount != 4 || len(gd.Members) != 0 {
			t.Fatalf("group over http: %+v", gd)
		}
		groups, err := wire.DecodeConsumerGroups(sc.do(c, &wire.GetConsumerGroups{TopicRef: wire.TopicRef{Stream: sid, Topic: tid}}))
		if err != nil || len(groups) != 1 {
			t.Fatalf("groups over http: %+v %v", groups, err)
		}
		sc.do(c, &wire.DeleteConsumerGroup{GroupRef: ref})
		if b := sc.do(c, &wire.GetConsumerGroup{GroupRef: ref}); len(b) != 0 {
			t.Fatal("deleted group: want empty OK")
		}
		sc.do(c, &wire.PurgeStream{StreamRef: wire.StreamRef{Stream: sid}})
		return
	}
	sc.fails(c, &wire.JoinConsumerGroup{GroupRef: wire.GroupRef{Stream: sid, Topic: tid, Group: wire.NumericID(9)}}, wire.ErrConsumerGroupIDNotFound)

	a := sc.connect(RootUser, RootPassword)
	b := sc.connect(RootUser, RootPassword)
	sc.do(a, &wire.JoinConsumerGroup{GroupRef: ref})
	sc.do(b, &wire.JoinConsumerGroup{GroupRef: ref})
	var gd wire.ConsumerGroupDetails
	sc.decode(&gd, sc.do(c, &wire.GetConsumerGroup{GroupRef: ref}))
	if len(gd.Members) != 2 || len(gd.Members[0].Partitions) != 2 || len(gd.Members[1].Partitions) != 2 {
		t.Fatalf("group: %+v", gd)
	}
	want := map[uint32]bool{0: true, 2: true}
	if got := gd.Members[0].Partitions; !want[got[0]] || !want[got[1]] {
		t.Fatalf("first member's partitions %v, want [0 2]", got)
	}
	group := wire.Consumer{Kind: wire.ConsumerGroup, ID: wire.NamedID("workers")}
	seen := map[uint32]int{}
	for _, cl := range []*client.Client{a, b, a, b} {
		var pm wire.PolledMessages
		sc.decode(&pm, sc.do(cl, &wire.PollMessages{Consumer: group, Stream: sid, Topic: tid,
			Strategy: wire.PollingStrategy{Kind: wire.PollNext}, Count: 10, AutoCommit: true}))
		seen[pm.PartitionID] += int(pm.Count)
	}
	if len(seen) != 4 {
		t.Fatalf("group polls reached partitions %v, want all four", seen)
	}
	sc.fails(c, &wire.PollMessages{Consumer: group, Stream: sid, Topic: tid, Strategy: wire.PollingStrategy{Kind: wire.PollNext}, Count: 1},
		wire.ErrConsumerGroupMemberNotFound)
	var me wire.ClientDetails
	sc.decode(&me, sc.do(a, &wire.GetMe{}))
	if len(me.Groups) != 1 {
		t.Fatalf("me after join: %+v", me)
	}
	sc.do(a, &wire.LeaveConsumerGroup{GroupRef: ref})
	sc.fails(a, &wire.LeaveConsumerGroup{GroupRef: ref}, wire.ErrConsumerGroupMemberNotFound)
	groups, err := wire.DecodeConsumerGroups(sc.do(c, &wire.GetConsumerGroups{TopicRef: wire.TopicRef{Stream: sid, Topic: tid}}))
	if err != nil || len(groups) != 1 || groups[0].MembersCount != 1 {
		t.Fatalf("groups after leave: %+v %v", groups, err)
	}
	sc.do(c, &wire.DeleteConsumerGroup{GroupRef: ref})
	if b := sc.do(c, &wire.GetConsumerGroup{GroupRef: ref}); len(b) != 0 {
		t.Fatal("deleted group: want empty OK")
	}
	sc.do(c, &wire.PurgeStream{StreamRef: wire.StreamRef{Stream: sid}})
}

func (sc *scenario) usersAndPermissions(t *testing.T) {
	sc.t = t
	c := sc.root
	perms := &wire.Permissions{Streams: map[uint32]*wire.StreamPermissions{0: {ReadStream: true, PollMessages: true}}}
	var ud wire.UserDetails
	sc.decode(&ud, sc.do(c, &wire.CreateUser{Username: "reader", Password: "reader-pass", Status: wire.UserActive, Permissions: perms}))
	if ud.ID != 1 || ud.Permissions == nil {
		t.Fatalf("create user: %+v", ud)
	}
	sc.fails(c, &wire.CreateUser{Username: "reader", Password: "reader-pass", Status: 1}, wire.ErrUserAlreadyExists)
	sc.fails(c, &wire.CreateUser{Username: "rd", Password: "reader-pass", Status: 1}, wire.ErrInvalidUsername)
	sc.fails(c, &wire.CreateUser{Username: "other", Password: "reader-pass", Status: 7}, wire.ErrInvalidCommand)

	r := sc.connect("reader", "reader-pass")
	var sd wire.StreamDetails
	sc.decode(&sd, sc.do(r, &wire.GetStream{StreamRef: wire.StreamRef{Stream: wire.NumericID(0)}}))
	sc.fails(r, &wire.GetStreams{}, wire.ErrUnauthorized)
	sc.fails(r, &wire.CreateStream{NameRef: wire.NameRef{Name: "nope"}}, wire.ErrUnauthorized)
	sc.fails(r, &wire.SendMessages{Stream: wire.NumericID(0), Topic: wire.NumericID(0), Partitioning: wire.Balanced(), Count: 1, Messages: batch("x", 1)}, wire.ErrUnauthorized)
	// Resolution comes before permission.
	sc.fails(r, &wire.DeleteStream{StreamRef: wire.StreamRef{Stream: wire.NumericID(77)}}, wire.ErrStreamIDNotFound)
	sc.fails(r, &wire.GetUsers{}, wire.ErrUnauthorized)
	sc.decode(&ud, sc.do(r, &wire.GetUser{UserRef: wire.UserRef{User: wire.NamedID("reader")}}))

	sc.do(c, &wire.UpdatePermissions{User: wire.NamedID("reader"), Permissions: &wire.Permissions{Global: wire.GlobalPermissions{ReadStreams: true}}})
	sc.do(r, &wire.GetStreams{})
	sc.fails(c, &wire.UpdatePermissions{User: wire.NumericID(0)}, wire.ErrCannotChangePermissions)
	sc.do(r, &wire.ChangePassword{User: wire.NamedID("reader"), CurrentPassword: "reader-pass", NewPassword: "reader-new"})
	sc.fails(r, &wire.ChangePassword{User: wire.NumericID(0), CurrentPassword: RootPassword, NewPassword: "whatever"}, wire.ErrUnauthorized)
	inactive := uint8(wire.UserInactive)
	newName := "reader2"
	sc.do(c, &wire.UpdateUser{User: wire.NumericID(1), Username: &newName, Status: &inactive})
	if _, err := sc.dial(t, sc.s).Login(context.Background(), "reader2", "reader-new"); !errors.Is(err, wire.ErrUserInactive) {
		t.Fatalf("inactive login: %v", err)
	}
	users, err := wire.DecodeUsers(sc.do(c, &wire.GetUsers{}))
	if err != nil || len(users) != 2 || users[1].Status != wire.UserInactive {
		t.Fatalf("users: %+v %v", users, err)
	}
	sc.fails(c, &wire.DeleteUser{UserRef: wire.UserRef{User: wire.NumericID(0)}}, wire.ErrCannotDeleteUser)
	sc.do(c, &wire.DeleteUser{UserRef: wire.UserRef{User: wire.NamedID("reader2")}})
	// The deleted user's connection stays open but loses its rights.
	sc.fails(r, &wire.GetStreams{}, wire.ErrUnauthorized)
	sc.do(r, &wire.LogoutUser{})
	sc.fails(r, &wire.GetStreams{}, wire.ErrUnauthenticated)
}

func (sc *scenario) tokens(t *testing.T) {
	sc.t = t
	c := sc.root
	var raw wire.RawPersonalAccessToken
	sc.decode(&raw, sc.do(c, &wire.CreatePersonalAccessToken{Name: "ci-token", Expiry: 0}))
	sc.fails(c, &wire.CreatePersonalAccessToken{Name: "ci-token"}, wire.ErrPersonalAccessTokenAlreadyExists)
	sc.fails(c, &wire.CreatePersonalAccessToken{Name: "ci"}, wire.ErrInvalidPersonalAccessTokenName)
	list, err := wire.DecodePersonalAccessTokens(sc.do(c, &wire.GetPersonalAccessTokens{}))
	if err != nil || len(list) != 1 || list[0].ExpiresAt != 0 {
		t.Fatalf("tokens: %+v %v", list, err)
	}
	p := sc.dial(t, sc.s)
	if id, err := p.LoginWithToken(context.Background(), raw.Token); err != nil || id != 0 {
		t.Fatalf("token login: %d %v", id, err)
	}
	if _, err := p.LoginWithToken(context.Background(), "bogus"); !errors.Is(err, wire.ErrResourceNotFound) {
		t.Fatalf("bogus token: %v", err)
	}
	sc.do(c, &wire.DeletePersonalAccessToken{NameRef: wire.NameRef{Name: "ci-token"}})
	sc.fails(c, &wire.DeletePersonalAccessToken{NameRef: wire.NameRef{Name: "ci-token"}}, wire.ErrResourceNotFound)
}
