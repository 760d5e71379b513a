package wire_test

import (
	"bytes"
	"encoding/hex"
	"reflect"
	"testing"

	"github.com/shalemq/shale/wire"
	"github.com/shalemq/shale/wire/wiretest"
)

const t0 = 1767225600000000 // 2026-01-01T00:00:00Z in µs, the captures' base time

func ptr[T any](v T) *T { return &v }

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

var (
	s0   = wire.NumericID(0)
	t0id = wire.NumericID(0)
)

// goldenSend builds the three-message batch of send_messages.hex.
func goldenSend() []byte {
	var b []byte
	b = wire.AppendSendMessage(b, mustHex("0102030405060708090a0b0c0d0e0f10"), t0+10000001,
		[]byte(`{"order_id":1001,"amount":25.5}`), wire.AppendUserHeaders(nil,
			wire.UserHeader{Key: wire.StringHeader("content-type"), Value: wire.StringHeader("application/json")},
			wire.UserHeader{Key: wire.StringHeader("retries"), Value: wire.Uint32Header(3)}))
	b = wire.AppendSendMessage(b, nil, t0+10000002,
		[]byte(`{"order_id":1002,"amount":13.0}`), wire.AppendUserHeaders(nil,
			wire.UserHeader{Key: wire.StringHeader("content-type"), Value: wire.StringHeader("application/json")},
			wire.UserHeader{Key: wire.StringHeader("urgent"), Value: wire.HeaderValue{Kind: wire.HeaderBool, Bytes: []byte{1}}}))
	b = wire.AppendSendMessage(b, nil, t0+10000003, []byte("plain text payload"), wire.AppendUserHeaders(nil,
		wire.UserHeader{Key: wire.HeaderValue{Kind: wire.HeaderRaw, Bytes: mustHex("cafe")},
			Value: wire.HeaderValue{Kind: wire.HeaderInt64, Bytes: mustHex("ffffffffffffffff")}}))
	return b
}

func withIndexes(s *wire.SendMessages) *wire.SendMessages {
	// Decoding keeps the index block; build it the way AppendTo would.
	enc := (&wire.SendMessages{Stream: s.Stream, Topic: s.Topic, Partitioning: s.Partitioning, Count: s.Count, Messages: s.Messages}).AppendTo(nil)
	out := *s
	out.Indexes = enc[len(enc)-len(s.Messages)-16*int(s.Count) : len(enc)-len(s.Messages)]
	return &out
}

func permsCreateUser() *wire.Permissions {
	return &wire.Permissions{
		Global: wire.GlobalPermissions{ReadStreams: true, ReadTopics: true, PollMessages: true},
		Streams: map[uint32]*wire.StreamPermissions{0: {ReadStream: true, PollMessages: true, SendMessages: true,
			Topics: map[uint32]*wire.TopicPermissions{0: {ManageTopic: true, ReadTopic: true, PollMessages: true, SendMessages: true}}}},
	}
}

// goldenRequests is what every golden request frame must decode to, and
// what the encoder must turn back into the same bytes.
var goldenRequests = map[string]wire.Request{
	"ping":                 &wire.Ping{},
	"get_stats":            &wire.GetStats{},
	"get_cluster_metadata": &wire.GetClusterMetadata{},
	"get_clients":          &wire.GetClients{},
	"get_client":           &wire.GetClient{ClientID: 2846712387},
	"login_user":           &wire.LoginUser{Username: "iggy", Password: "iggy", Version: "0.8.0"},
	"logout_user":          &wire.LogoutUser{},
	"create_stream":        &wire.CreateStream{NameRef: wire.NameRef{Name: "orders"}},
	"get_stream":           &wire.GetStream{StreamRef: wire.StreamRef{Stream: s0}},
	"get_stream_by_name":   &wire.GetStream{StreamRef: wire.StreamRef{Stream: wire.NamedID("orders")}},
	"get_stream_missing":   &wire.GetStream{StreamRef: wire.StreamRef{Stream: wire.NumericID(7)}},
	"get_streams":          &wire.GetStreams{},
	"update_stream":        &wire.UpdateStream{Stream: s0, Name: "orders-eu"},
	"delete_stream":        &wire.DeleteStream{StreamRef: wire.StreamRef{Stream: s0}},
	"delete_stream_error":  &wire.DeleteStream{StreamRef: wire.StreamRef{Stream: wire.NumericID(7)}},
	"create_topic": &wire.CreateTopic{Stream: s0, PartitionsCount: 3, Compression: wire.CompressionNone,
		MessageExpiry: 3_600_000_000, Name: "events"},
	"get_topic":  &wire.GetTopic{TopicRef: wire.TopicRef{Stream: s0, Topic: t0id}},
	"get_topics": &wire.GetTopics{StreamRef: wire.StreamRef{Stream: s0}},
	"update_topic": &wire.UpdateTopic{Stream: s0, Topic: t0id, Compression: wire.CompressionGzip,
		MessageExpiry: wire.Unlimited, MaxTopicSize: 10 << 30, ReplicationFactor: 1, Name: "events"},
	"delete_topic":      &wire.DeleteTopic{TopicRef: wire.TopicRef{Stream: s0, Topic: wire.NamedID("events")}},
	"create_partitions": &wire.CreatePartitions{PartitionsChange: wire.PartitionsChange{Stream: s0, Topic: t0id, Count: 2}},
	"delete_partitions": &wire.DeletePartitions{PartitionsChange: wire.PartitionsChange{Stream: s0, Topic: t0id, Count: 1}},
	"send_messages": withIndexes(&wire.SendMessages{Stream: s0, Topic: t0id, Partitioning: wire.PartitionID(0),
		Count: 3, Messages: goldenSend()}),
	"send_messages_key": withIndexes(&wire.SendMessages{Stream: s0, Topic: t0id,
		Partitioning: wire.MessagesKey([]byte("user-42")), Count: 2,
		Messages: wire.AppendSendMessage(wire.AppendSendMessage(nil, nil, t0+10000004, []byte("key-msg-1"), nil),
			nil, t0+10000005, []byte("key-msg-2"), nil)}),
	"send_messages_balanced": withIndexes(&wire.SendMessages{Stream: wire.NamedID("orders"), Topic: wire.NamedID("events"),
		Partitioning: wire.Balanced(), Count: 1, Messages: wire.AppendSendMessage(nil, nil, t0+10000006, []byte("balanced"), nil)}),
	"poll_messages_first":     poll(wire.PollFirst, 0, 1, false),
	"poll_messages_last":      poll(wire.PollLast, 0, 2, false),
	"poll_messages_offset":    poll(wire.PollOffset, 0, 10, false),
	"poll_messages_timestamp": poll(wire.PollTimestamp, t0+10100000, 2, false),
	"poll_messages_next": &wire.PollMessages{Consumer: wire.Consumer{Kind: wire.ConsumerSingle, ID: wire.NamedID("worker-1")},
		Stream: s0, Topic: t0id, Partition: wire.SomePartition(0), Strategy: wire.PollingStrategy{Kind: wire.PollNext},
		Count: 10, AutoCommit: true},
	"poll_messages_group": &wire.PollMessages{Consumer: wire.Consumer{Kind: wire.ConsumerGroup, ID: wire.NamedID("billing")},
		Stream: s0, Topic: t0id, Strategy: wire.PollingStrategy{Kind: wire.PollNext}, Count: 5, AutoCommit: true},
	"store_consumer_offset": &wire.StoreConsumerOffset{OffsetRef: offsetRef(true), Offset: 2},
	"get_consumer_offset":   &wire.GetConsumerOffset{OffsetRef: offsetRef(true)},
	"get_consumer_offset_group_missing": &wire.GetConsumerOffset{OffsetRef: wire.OffsetRef{
		Consumer: wire.Consumer{Kind: wire.ConsumerGroup, ID: wire.NumericID(0)}, Stream: s0, Topic: t0id}},
	"delete_consumer_offset": &wire.DeleteConsumerOffset{OffsetRef: offsetRef(true)},
	"create_consumer_group":  &wire.CreateConsumerGroup{Stream: s0, Topic: t0id, Name: "billing"},
	"get_consumer_group":     &wire.GetConsumerGroup{GroupRef: wire.GroupRef{Stream: s0, Topic: t0id, Group: wire.NumericID(0)}},
	"get_consumer_groups":    &wire.GetConsumerGroups{TopicRef: wire.TopicRef{Stream: s0, Topic: t0id}},
	"join_consumer_group":    &wire.JoinConsumerGroup{GroupRef: wire.GroupRef{Stream: s0, Topic: t0id, Group: wire.NamedID("billing")}},
	"leave_consumer_group":   &wire.LeaveConsumerGroup{GroupRef: wire.GroupRef{Stream: s0, Topic: t0id, Group: wire.NamedID("billing")}},
	"delete_consumer_group":  &wire.DeleteConsumerGroup{GroupRef: wire.GroupRef{Stream: s0, Topic: t0id, Group: wire.NumericID(0)}},
	"create_user": &wire.CreateUser{Username: "alice", Password: "s3cret-pass", Status: wire.UserActive,
		Permissions: permsCreateUser()},
	"create_user_no_permissions": &wire.CreateUser{Username: "bob", Password: "bob-pass", Status: wire.UserInactive},
	"get_user":                   &wire.GetUser{UserRef: wire.UserRef{User: wire.NumericID(1)}},
	"get_user_by_name":           &wire.GetUser{UserRef: wire.UserRef{User: wire.NamedID("bob")}},
	"get_users":                  &wire.GetUsers{},
	"update_user": &wire.UpdateUser{User: wire.NumericID(1), Username: ptr("alice2"),
		Status: ptr[uint8](wire.UserInactive), Pad: true},
	"update_permissions": &wire.UpdatePermissions{User: wire.NumericID(1),
		Permissions: &wire.Permissions{Global: wire.GlobalPermissions{PollMessages: true, SendMessages: true}}},
	"change_password":              &wire.ChangePassword{User: wire.NumericID(1), CurrentPassword: "s3cret-pass", NewPassword: "n3w-pass"},
	"delete_user":                  &wire.DeleteUser{UserRef: wire.UserRef{User: wire.NamedID("bob")}},
	"create_personal_access_token": &wire.CreatePersonalAccessToken{Name: "ci-token", Expiry: 3600 << 32},
	"get_personal_access_tokens":   &wire.GetPersonalAccessTokens{},
	"delete_personal_access_token": &wire.DeletePersonalAccessToken{NameRef: wire.NameRef{Name: "laptop"}},
	"login_with_personal_access_token": &wire.LoginWithPersonalAccessToken{NameRef: wire.NameRef{
		Name: "AwoRGB8mLTQ7QklQV15lbHN6gYiPlp2kq7K5wMfO1dzj6vH4/wYNFBsiKTA3PkVMU1o="}},

	"constructed/create_personal_access_token_u64": &wire.CreatePersonalAccessToken{Name: "ci-token", Expiry: 3_600_000_000},
	"constructed/delete_segments":                  &wire.DeleteSegments{Stream: s0, Topic: t0id, PartitionID: 0, SegmentsCount: 2},
	"constructed/flush_unsaved_buffer":             &wire.FlushUnsavedBuffer{Stream: s0, Topic: t0id, PartitionID: 1, Fsync: true},
	"constructed/get_me":                           &wire.GetMe{},
	"constructed/get_snapshot":                     &wire.GetSnapshot{Compression: wire.SnapshotDeflated, Types: []uint8{1, 6}},
	"constructed/login_user_rust_sdk":              &wire.LoginUser{Username: "iggy", Password: "iggy", Version: "0.10.0"},
	"constructed/purge_stream":                     &wire.PurgeStream{StreamRef: wire.StreamRef{Stream: s0}},
	"constructed/purge_topic":                      &wire.PurgeTopic{TopicRef: wire.TopicRef{Stream: s0, Topic: wire.NamedID("events")}},
	"constructed/update_user_username_only":        &wire.UpdateUser{User: wire.NumericID(1), Username: ptr("alice2")},
}

func poll(kind wire.PollKind, value uint64, count uint32, auto bool) *wire.PollMessages {
	return &wire.PollMessages{Consumer: wire.Consumer{Kind: wire.ConsumerSingle, ID: wire.NumericID(1)},
		Stream: s0, Topic: t0id, Partition: wire.SomePartition(0),
		Strategy: wire.PollingStrategy{Kind: kind, Value: value}, Count: count, AutoCommit: auto}
}

func offsetRef(single bool) wire.OffsetRef {
	return wire.OffsetRef{Consumer: wire.Consumer{Kind: wire.ConsumerSingle, ID: wire.NumericID(1)},
		Stream: s0, Topic: t0id, Partition: wire.SomePartition(0)}
}

func TestGoldenRequests(t *testing.T) {
	frames, err := wiretest.Requests()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, f := range frames {
		t.Run(f.Name, func(t *testing.T) {
			want, ok := goldenRequests[f.Name]
			if !ok {
				t.Fatalf("no expected value for golden request %s", f.Name)
			}
			seen[f.Name] = true
			n, code, err := wire.ParseRequestHeader(f.Bytes)
			if err != nil {
				t.Fatal(err)
			}
			if int(n) != len(f.Bytes)-wire.RequestHeaderSize {
				t.Fatalf("length field %d, frame payload %d", n, len(f.Bytes)-8)
			}
			if code != want.Code() {
				t.Fatalf("code %v, want %v", code, want.Code())
			}
			got, ok := wire.NewRequest(code)
			if !ok {
				t.Fatalf("NewRequest(%d) unknown", code)
			}
			if err := got.Decode(f.Bytes[wire.RequestHeaderSize:]); err != nil {
				t.Fatalf("decode: %v", err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("decoded\n %+v\nwant\n %+v", got, want)
			}
			if enc := wire.AppendRequest(nil, want); !bytes.Equal(enc, f.Bytes) {
				t.Fatalf("encoded\n %x\nwant\n %x", enc, f.Bytes)
			}
			// A client's vectored form: head then tail is the same frame,
			// with the index block given or computed from the messages.
			split := []wire.Request{want}
			if s, ok := want.(*wire.SendMessages); ok {
				noIdx := *s
				noIdx.Indexes = nil
				split = append(split, &noIdx)
			}
			for _, r := range split {
				head, tail := wire.AppendRequestSplit([]byte("x"), r)
				if enc := append(head[1:], tail...); !bytes.Equal(enc, f.Bytes) {
					t.Fatalf("split encoded\n %x\nwant\n %x", enc, f.Bytes)
				}
			}
		})
	}
	for name := range goldenRequests {
		if !seen[name] {
			t.Errorf("expected value for %s but no golden file", name)
		}
	}
}
