package integration

import (
	"context"
	"testing"

	"github.com/shalemq/shale/client"
	"github.com/shalemq/shale/wire"
)

// TestSameCodeOnEveryTransport runs one table of bad requests over the
// binary protocol (TCP) and the REST API (the HTTP client turns the JSON
// error back into its code) and wants the same code from both: the broker,
// not the listener, decides every validation and its order.
func TestSameCodeOnEveryTransport(t *testing.T) {
	s := Start(t, "")
	ctx := context.Background()
	setup := dialTCP(t, s)
	login(t, setup)
	readUsers := &wire.Permissions{Global: wire.GlobalPermissions{ReadUsers: true}}
	if _, err := setup.Do(ctx, &wire.CreateUser{Username: "reader", Password: "reader-pass", Status: wire.UserActive, Permissions: readUsers}); err != nil {
		t.Fatal(err)
	}
	st, err := setup.CreateStream(ctx, "taken")
	if err != nil {
		t.Fatal(err)
	}
	stream := wire.NumericID(st.ID)
	tp, err := setup.CreateTopic(ctx, wire.CreateTopic{Stream: stream, Name: "t", PartitionsCount: 1})
	if err != nil {
		t.Fatal(err)
	}
	topic := wire.NumericID(tp.ID)
	bad, good := uint8(9), uint8(wire.UserActive)
	short := "ab"
	one := wire.AppendSendMessage(nil, make([]byte, 16), 1, []byte("m"), nil)

	shortID := wire.Partitioning{Kind: wire.PartitionByID, Value: []byte{1, 0}}
	cases := []struct {
		name   string
		asRoot bool
		req    wire.Request
		want   *wire.Error
		// reqFor, when set, builds the request per transport (for a
		// request that succeeds, so the second does not find the name
		// taken).
		reqFor func(transport string) wire.Request
	}{
		{"create user, bad status, read_users only", false,
			&wire.CreateUser{Username: "someone", Password: "secret", Status: bad}, wire.ErrUnauthorized, nil},
		{"create user, read_users only", false,
			&wire.CreateUser{Username: "someone", Password: "secret", Status: good}, wire.ErrUnauthorized, nil},
		{"create user, bad status", true,
			&wire.CreateUser{Username: "someone", Password: "secret", Status: bad}, wire.ErrInvalidCommand, nil},
		{"create user, short username before bad status", true,
			&wire.CreateUser{Username: short, Password: "secret", Status: bad}, wire.ErrInvalidUsername, nil},
		{"create user, short password", true,
			&wire.CreateUser{Username: "someone", Password: short, Status: good}, wire.ErrInvalidPassword, nil},
		{"update user, bad status", true,
			&wire.UpdateUser{User: wire.NamedID("reader"), Status: &bad}, wire.ErrInvalidCommand, nil},
		{"update user, short username", true,
			&wire.UpdateUser{User: wire.NamedID("reader"), Username: &short}, wire.ErrInvalidUsername, nil},
		{"update user, bad status, read_users only", false,
			&wire.UpdateUser{User: wire.NamedID("reader"), Status: &bad}, wire.ErrUnauthorized, nil},
		{"send with an empty messages key", true,
			&wire.SendMessages{Stream: stream, Topic: topic, Partitioning: wire.Partitioning{Kind: wire.PartitionByMessageKey},
				Count: 1, Messages: one}, wire.ErrInvalidKeyValueLength, nil},
		{"create stream, name taken", true, &wire.CreateStream{NameRef: wire.NameRef{Name: "taken"}}, wire.ErrStreamNameAlreadyExists, nil},
		{"create stream, read_users only", false, &wire.CreateStream{NameRef: wire.NameRef{Name: "other"}}, wire.ErrUnauthorized, nil},
		{"delete a missing stream", true, &wire.DeleteStream{StreamRef: wire.StreamRef{Stream: wire.NumericID(999)}}, wire.ErrStreamIDNotFound, nil},
		{"create topic, too many partitions", true,
			&wire.CreateTopic{Stream: stream, Name: "big", PartitionsCount: 1001, Compression: wire.CompressionNone}, wire.ErrTooManyPartitions, nil},
		{"create topic, unknown compression", true,
			&wire.CreateTopic{Stream: stream, Name: "odd", PartitionsCount: 1, Compression: 9}, wire.ErrInvalidCommand, nil},
		{"create topic, name taken", true,
			&wire.CreateTopic{Stream: stream, Name: "t", PartitionsCount: 1, Compression: wire.CompressionNone}, wire.ErrTopicNameAlreadyExists, nil},
		{"change password, short new one", true,
			&wire.ChangePassword{User: wire.NamedID("reader"), CurrentPassword: "reader-pass", NewPassword: short}, wire.ErrInvalidPassword, nil},
		{"create consumer group, missing topic", true,
			&wire.CreateConsumerGroup{Stream: stream, Topic: wire.NumericID(77), Name: "g"}, wire.ErrTopicIDNotFound, nil},
		// The parse-level rules: a partition id that is not 4 bytes (an
		// empty one differs in Iggy itself: key-length code over HTTP, see
		// listeners/http/badinput_test.go), deleting 0 partitions, and a
		// replication factor of 0, which both clients send as "none".
		{"send with a 2-byte partition id", true,
			&wire.SendMessages{Stream: stream, Topic: topic, Partitioning: shortID, Count: 1, Messages: one}, wire.ErrInvalidCommand, nil},
		{"delete 0 partitions", true,
			&wire.DeletePartitions{PartitionsChange: wire.PartitionsChange{Stream: stream, Topic: topic}}, wire.ErrTooManyPartitions, nil},
		{"create topic, replication factor 0 is the default", true, nil, &wire.Error{Name: "ok"},
			func(tr string) wire.Request {
				return &wire.CreateTopic{Stream: stream, Name: "rf0-" + tr, PartitionsCount: 1, Compression: wire.CompressionNone}
			}},
	}
	transports := []struct {
		name string
		dial func(t *testing.T, s *Server) *client.Client
	}{{"tcp", dialTCP}, {"http", dialHTTP}}
	sessions := map[string]map[bool]*client.Client{}
	for _, tr := range transports {
		sessions[tr.name] = map[bool]*client.Client{}
		for _, asRoot := range []bool{true, false} {
			c := tr.dial(t, s)
			user, pass := RootUser, RootPassword
			if !asRoot {
				user, pass = "reader", "reader-pass"
			}
			if _, err := c.Login(ctx, user, pass); err != nil {
				t.Fatalf("%s: login %s: %v", tr.name, user, err)
			}
			sessions[tr.name][asRoot] = c
		}
	}
	for _, tc := range cases {
		codes := map[string]uint32{}
		for _, tr := range transports {
			req := tc.req
			if tc.reqFor != nil {
				req = tc.reqFor(tr.name)
			}
			_, err := sessions[tr.name][tc.asRoot].Do(ctx, req)
			codes[tr.name] = wire.CodeOf(err)
			if err == nil {
				codes[tr.name] = 0
			}
		}
		if codes["tcp"] != codes["http"] || codes["tcp"] != tc.want.Code {
			t.Errorf("%s: tcp %d, http %d; want %d (%s) from both", tc.name, codes["tcp"], codes["http"], tc.want.Code, tc.want.Name)
		}
	}
}
