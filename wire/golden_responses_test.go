package wire_test

import (
	"bytes"
	"testing"

	"github.com/shalemq/shale/wire"
	"github.com/shalemq/shale/wire/wiretest"
)

type codec interface {
	AppendTo([]byte) []byte
	Decode([]byte) error
}

type appender interface{ AppendTo([]byte) []byte }

// list re-encodes a decoded list payload item by item.
func list[T any](decode func([]byte) ([]T, error), check func(t *testing.T, items []T)) func(t *testing.T, b []byte) []byte {
	return func(t *testing.T, b []byte) []byte {
		items, err := decode(b)
		if err != nil {
			t.Fatalf("decode: %v", err)
		}
		check(t, items)
		var out []byte
		for i := range items {
			out = any(&items[i]).(appender).AppendTo(out)
		}
		return out
	}
}

func one[T any, P interface {
	*T
	codec
}](check func(t *testing.T, v *T)) func(t *testing.T, b []byte) []byte {
	return func(t *testing.T, b []byte) []byte {
		v := P(new(T))
		if err := v.Decode(b); err != nil {
			t.Fatalf("decode: %v", err)
		}
		check(t, (*T)(v))
		return v.AppendTo(nil)
	}
}

func eq[T comparable](t *testing.T, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

// checkPolled verifies every polled message's checksum and offsets.
func checkPolled(partition uint32, current uint64, first uint64, count int) func(t *testing.T, p *wire.PolledMessages) {
	return func(t *testing.T, p *wire.PolledMessages) {
		eq(t, "partition", p.PartitionID, partition)
		eq(t, "current offset", p.CurrentOffset, current)
		eq(t, "count", int(p.Count), count)
		it := wire.NewMessageIter(p.Messages)
		n := 0
		for m, ok := it.Next(); ok; m, ok = it.Next() {
			if m.Checksum() != m.ComputeChecksum() {
				t.Errorf("message %d: checksum %x, computed %x", n, m.Checksum(), m.ComputeChecksum())
			}
			eq(t, "offset", m.Offset(), first+uint64(n))
			n++
		}
		if it.Err() != nil {
			t.Fatal(it.Err())
		}
		eq(t, "messages walked", n, count)
	}
}

var goldenResponses = map[string]func(t *testing.T, b []byte) []byte{
	"login_user":                       one(func(t *testing.T, v *wire.IdentityInfo) { eq(t, "user", v.UserID, 0) }),
	"login_with_personal_access_token": one(func(t *testing.T, v *wire.IdentityInfo) { eq(t, "user", v.UserID, 0) }),
	"get_cluster_metadata": one(func(t *testing.T, v *wire.ClusterMetadata) {
		eq(t, "name", v.Name, "single-node")
		eq(t, "nodes", len(v.Nodes), 1)
		n := v.Nodes[0]
		eq(t, "ports", [4]uint16{n.TCPPort, n.QUICPort, n.HTTPPort, n.WebSocketPort}, [4]uint16{8090, 8080, 3000, 8092})
	}),
	"get_stats": one(func(t *testing.T, v *wire.Stats) {
		eq(t, "semver", v.ServerSemver, 8000)
		eq(t, "cache entries", len(v.CacheMetrics), 1)
		eq(t, "os", v.OSName, "Debian GNU/Linux")
	}),
	"get_clients": list(wire.DecodeClients, func(t *testing.T, c []wire.ClientInfo) {
		eq(t, "clients", len(c), 2)
		eq(t, "second user", c[1].UserID, wire.NoUserID)
	}),
	"get_client": one(func(t *testing.T, v *wire.ClientDetails) {
		eq(t, "client", v.ClientID, 2846712387)
		eq(t, "groups", len(v.Groups), 1)
	}),
	"create_stream": one(func(t *testing.T, v *wire.StreamInfo) { eq(t, "name", v.Name, "orders") }),
	"get_stream": one(func(t *testing.T, v *wire.StreamDetails) {
		eq(t, "topics", len(v.Topics), 1)
		eq(t, "topic", v.Topics[0].Name, "events")
	}),
	"get_stream_by_name": one(func(t *testing.T, v *wire.StreamDetails) { eq(t, "name", v.Name, "orders") }),
	"get_streams": list(wire.DecodeStreams, func(t *testing.T, s []wire.StreamInfo) {
		eq(t, "streams", len(s), 2)
		eq(t, "second", s[1].Name, "payments")
	}),
	"create_topic": one(func(t *testing.T, v *wire.TopicDetails) {
		eq(t, "partitions", len(v.Partitions), 3)
		eq(t, "max size", v.MaxTopicSize, wire.Unlimited)
		eq(t, "replication", v.ReplicationFactor, 1)
	}),
	"get_topic": one(func(t *testing.T, v *wire.TopicDetails) {
		eq(t, "partitions", len(v.Partitions), 3)
		eq(t, "p0 offset", v.Partitions[0].CurrentOffset, 2)
	}),
	"get_topics": list(wire.DecodeTopics, func(t *testing.T, s []wire.TopicInfo) {
		eq(t, "topics", len(s), 2)
		eq(t, "second", s[1].Name, "audit")
	}),
	"create_consumer_group": one(func(t *testing.T, v *wire.ConsumerGroupInfo) { eq(t, "name", v.Name, "billing") }),
	"get_consumer_group": one(func(t *testing.T, v *wire.ConsumerGroupDetails) {
		eq(t, "members", len(v.Members), 2)
		eq(t, "member 0 partitions", len(v.Members[0].Partitions), 2)
	}),
	"get_consumer_groups": list(wire.DecodeConsumerGroups, func(t *testing.T, g []wire.ConsumerGroupInfo) {
		eq(t, "groups", len(g), 2)
	}),
	"get_consumer_offset": one(func(t *testing.T, v *wire.ConsumerOffset) {
		eq(t, "offsets", [2]uint64{v.CurrentOffset, v.StoredOffset}, [2]uint64{2, 2})
	}),
	"create_user": one(func(t *testing.T, v *wire.UserDetails) {
		eq(t, "name", v.Username, "alice")
		if v.Permissions == nil || !v.Permissions.Streams[0].Topics[0].ManageTopic {
			t.Errorf("permissions %+v", v.Permissions)
		}
	}),
	"create_user_no_permissions": one(func(t *testing.T, v *wire.UserDetails) {
		eq(t, "status", v.Status, wire.UserInactive)
		eq(t, "no permissions", v.Permissions == nil, true)
	}),
	"get_user":         one(func(t *testing.T, v *wire.UserDetails) { eq(t, "id", v.ID, 1) }),
	"get_user_by_name": one(func(t *testing.T, v *wire.UserDetails) { eq(t, "name", v.Username, "bob") }),
	"get_users": list(wire.DecodeUsers, func(t *testing.T, u []wire.UserInfo) {
		eq(t, "users", len(u), 3)
		eq(t, "root", u[0].Username, "iggy")
	}),
	"create_personal_access_token": one(func(t *testing.T, v *wire.RawPersonalAccessToken) { eq(t, "len", len(v.Token), 68) }),
	"get_personal_access_tokens": list(wire.DecodePersonalAccessTokens, func(t *testing.T, p []wire.PersonalAccessTokenInfo) {
		eq(t, "tokens", len(p), 2)
		eq(t, "never", p[1].ExpiresAt, 0)
	}),
	"poll_messages_first":     one(checkPolled(0, 2, 0, 1)),
	"poll_messages_offset":    one(checkPolled(0, 2, 0, 3)),
	"poll_messages_last":      one(checkPolled(0, 2, 1, 2)),
	"poll_messages_timestamp": one(checkPolled(0, 2, 1, 2)),
	"poll_messages_next":      one(checkPolled(0, 2, 0, 0)),
	"poll_messages_group":     one(checkPolled(2, 1, 0, 2)),
}

func TestGoldenResponses(t *testing.T) {
	frames, err := wiretest.Responses()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range frames {
		t.Run(f.Name, func(t *testing.T) {
			rt, ok := goldenResponses[f.Name]
			if !ok {
				t.Fatalf("no decoder for golden response %s", f.Name)
			}
			if enc := rt(t, f.Bytes); !bytes.Equal(enc, f.Bytes) {
				t.Fatalf("re-encoded\n %x\nwant\n %x", enc, f.Bytes)
			}
		})
	}
	if len(frames) != len(goldenResponses) {
		t.Errorf("%d golden responses, %d expectations", len(frames), len(goldenResponses))
	}
}
