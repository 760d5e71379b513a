package binprototest

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/shalemq/shale/broker/brokertest"
	"github.com/shalemq/shale/client"
	"github.com/shalemq/shale/wire"
	"github.com/shalemq/shale/wire/wiretest"
)

// Exercise runs a fixed conversation on c, a client connected to a
// listener over a brokertest broker, and fails t on any surprise:
//   - before login, ping answers 0 and a golden get_streams frame 40;
//   - after login as root, every golden request frame (but logout) is
//     answered 0 or a known error code and the connection lives on;
//   - a message sent to a new topic polls back unchanged.
func Exercise(t *testing.T, c *client.Client) {
	t.Helper()
	ctx := context.Background()
	raw := func(name string) uint32 {
		t.Helper()
		frame, err := wiretest.Request(name)
		if err != nil {
			t.Fatal(err)
		}
		status, _, err := c.Raw(ctx, frame)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return status
	}
	if st := raw("ping"); st != 0 {
		t.Errorf("ping before login: %d", st)
	}
	if st := raw("get_streams"); st != wire.ErrUnauthenticated.Code {
		t.Errorf("get_streams before login: %d, want 40", st)
	}
	if _, err := c.Login(ctx, brokertest.RootUser, brokertest.RootPassword); err != nil {
		t.Fatalf("login: %v", err)
	}
	frames, err := wiretest.Requests()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range frames {
		if _, code, _ := wire.ParseRequestHeader(f.Bytes); code == wire.CmdLogoutUser {
			continue
		}
		status, _, err := c.Raw(ctx, f.Bytes)
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		if status != 0 && strings.HasPrefix(wire.ErrorForCode(status).Name, "unknown_error") {
			t.Errorf("%s: unknown error code %d", f.Name, status)
		}
	}

	s, err := c.CreateStream(ctx, "binprototest")
	if err != nil {
		t.Fatalf("create stream: %v", err)
	}
	stream := wire.NumericID(s.ID)
	tp, err := c.CreateTopic(ctx, wire.CreateTopic{Stream: stream, Name: "t", PartitionsCount: 1,
		MessageExpiry: 0, MaxTopicSize: 0})
	if err != nil {
		t.Fatalf("create topic: %v", err)
	}
	topic := wire.NumericID(tp.ID)
	payload := []byte("through the listener")
	batch := wire.AppendSendMessage(nil, make([]byte, 16), 1, payload, nil)
	if err := c.Send(ctx, stream, topic, wire.PartitionID(tp.Partitions[0].ID), 1, batch); err != nil {
		t.Fatalf("send: %v", err)
	}
	polled, err := c.Poll(ctx, wire.PollMessages{Consumer: wire.Consumer{Kind: wire.ConsumerSingle, ID: wire.NumericID(1)},
		Stream: stream, Topic: topic, Partition: wire.OptPartition{Set: true, ID: tp.Partitions[0].ID},
		Strategy: wire.PollingStrategy{Kind: wire.PollFirst}, Count: 10})
	if err != nil {
		t.Fatalf("poll: %v", err)
	}
	it := wire.NewMessageIter(polled.Messages)
	m, ok := it.Next()
	if polled.Count != 1 || !ok || !bytes.Equal(m.Payload(), payload) {
		t.Fatalf("polled %d messages, first %q; want the one sent", polled.Count, m.Payload())
	}
}

// ServerTLS is a self-signed certificate for localhost, for a listener
// under test (clients of these tests do not verify it).
func ServerTLS(t testing.TB) *tls.Config {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "localhost"},
		DNSNames: []string{"localhost"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
}
