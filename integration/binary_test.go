package integration

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/shalemq/shale/client"
	"github.com/shalemq/shale/wire"
	"github.com/shalemq/shale/wire/wiretest"
)

func dialTCP(t *testing.T, s *Server) *client.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, s.Ports.TCP, client.Options{Timeout: 30 * time.Second})
	if err != nil {
		t.Fatalf("dial %s: %v", s.Ports.TCP, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func login(t *testing.T, c *client.Client) {
	t.Helper()
	if _, err := c.Login(context.Background(), RootUser, RootPassword); err != nil {
		t.Fatalf("login: %v", err)
	}
}

func wantCode(t *testing.T, what string, err error, want *wire.Error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: got %v, want %s (%d)", what, err, want.Name, want.Code)
	}
}

var (
	id0 = wire.NumericID(0)
)

func dialQUIC(t *testing.T, s *Server) *client.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := client.DialQUIC(ctx, s.Ports.QUIC, client.Options{Timeout: 30 * time.Second})
	if err != nil {
		t.Fatalf("dial quic %s: %v", s.Ports.QUIC, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// binaryTransports are the transports that carry Iggy's binary frames.
var binaryTransports = []struct {
	name string
	dial func(t *testing.T, s *Server) *client.Client
}{
	{"tcp", dialTCP},
	{"quic", dialQUIC},
}

// TestProduceConsume runs the basic life of a stream over TCP and QUIC:
// login, create, send by every partitioning, poll by every strategy,
// offsets, and a restart that keeps it all.
func TestProduceConsume(t *testing.T) {
	for _, tr := range binaryTransports {
		t.Run(tr.name, func(t *testing.T) { testProduceConsume(t, tr.dial) })
	}
}

func testProduceConsume(t *testing.T, dial func(t *testing.T, s *Server) *client.Client) {
	s := Start(t, "")
	c := dial(t, s)
	ctx := context.Background()

	if err := c.Ping(ctx); err != nil {
		t.Fatalf("ping before login: %v", err)
	}
	_, err := c.CreateStream(ctx, "orders")
	wantCode(t, "create before login", err, wire.ErrUnauthenticated)
	_, err = c.Login(ctx, RootUser, "wrong-password")
	wantCode(t, "wrong password", err, wire.ErrInvalidCredentials)
	login(t, c)

	st, err := c.CreateStream(ctx, "orders")
	if err != nil || st.ID != 0 || st.Name != "orders" {
		t.Fatalf("create stream: %+v %v", st, err)
	}
	_, err = c.CreateStream(ctx, "orders")
	wantCode(t, "duplicate stream", err, wire.ErrStreamNameAlreadyExists)
	if _, ok, err := c.Stream(ctx, wire.NumericID(7)); ok || err != nil {
		t.Fatalf("missing stream: ok=%v err=%v, want empty OK", ok, err)
	}
	td, err := c.CreateTopic(ctx, wire.CreateTopic{Stream: wire.NamedID("orders"), PartitionsCount: 3, Name: "events"})
	if err != nil || len(td.Partitions) != 3 || td.MessageExpiry != wire.Unlimited || td.ReplicationFactor != 1 {
		t.Fatalf("create topic: %+v %v", td, err)
	}

	var batch []byte
	for i := range 5 {
		batch = wire.AppendSendMessage(batch, nil, uint64(i), []byte{byte('a' + i)}, nil)
	}
	if err := c.Send(ctx, id0, id0, wire.PartitionID(1), 5, batch); err != nil {
		t.Fatalf("send: %v", err)
	}
	err = c.Send(ctx, id0, id0, wire.PartitionID(9), 5, batch)
	wantCode(t, "send to missing partition", err, wire.ErrPartitionNotFound)
	if err := c.Send(ctx, wire.NamedID("orders"), wire.NamedID("events"), wire.MessagesKey([]byte("user-42")), 5, batch); err != nil {
		t.Fatalf("keyed send: %v", err)
	}

	consumer := wire.Consumer{Kind: wire.ConsumerSingle, ID: wire.NamedID("reader")}
	// Every poll goes through one reused response buffer, as a consumer
	// loop does: a response that fits must land in the same storage.
	var buf []byte
	poll := func(kind wire.PollKind, value uint64, count uint32, part uint32, auto bool) wire.PolledMessages {
		t.Helper()
		old := buf
		p, got, err := c.PollInto(ctx, wire.PollMessages{Consumer: consumer, Stream: id0, Topic: id0, Partition: wire.SomePartition(part),
			Strategy: wire.PollingStrategy{Kind: kind, Value: value}, Count: count, AutoCommit: auto}, buf)
		if err != nil {
			t.Fatalf("poll %d: %v", kind, err)
		}
		if size := 16 + len(p.Messages); len(p.Messages) > 0 && (cap(old) >= size && &old[:1][0] != &got[:1][0] || &got[:size][16] != &p.Messages[0]) {
			t.Fatalf("poll %d: a %d-byte response did not reuse the %d-byte buffer, or the returned buffer does not hold it", kind, size, cap(old))
		}
		buf = got
		return p
	}
	offsets := func(p wire.PolledMessages) []uint64 {
		var out []uint64
		it := wire.NewMessageIter(p.Messages)
		for m, ok := it.Next(); ok; m, ok = it.Next() {
			if m.Checksum() != m.ComputeChecksum() || m.IDIsZero() || m.Timestamp() == 0 {
				t.Fatalf("message %d not stamped: checksum %x id zero %v ts %d", m.Offset(), m.Checksum(), m.IDIsZero(), m.Timestamp())
			}
			out = append(out, m.Offset())
		}
		return out
	}
	if got := offsets(poll(wire.PollOffset, 1, 2, 1, false)); !equal(got, 1, 2) {
		t.Fatalf("poll offset: %v", got)
	}
	if got := offsets(poll(wire.PollLast, 0, 2, 1, false)); !equal(got, 3, 4) {
		t.Fatalf("poll last: %v", got)
	}
	if got := offsets(poll(wire.PollNext, 0, 3, 1, true)); !equal(got, 0, 1, 2) {
		t.Fatalf("poll next: %v", got)
	}
	if got := offsets(poll(wire.PollNext, 0, 3, 1, true)); !equal(got, 3, 4) {
		t.Fatalf("poll next after auto-commit: %v", got)
	}
	keyed := wire.PartitionForKey([]byte("user-42"), 3)
	if p := poll(wire.PollFirst, 0, 10, keyed, false); p.Count != 5 || p.CurrentOffset != 4 {
		t.Fatalf("keyed partition %d: count %d current %d", keyed, p.Count, p.CurrentOffset)
	}
	ref := wire.OffsetRef{Consumer: consumer, Stream: id0, Topic: id0, Partition: wire.SomePartition(1)}
	if o, ok, err := c.Offset(ctx, ref); err != nil || !ok || o.StoredOffset != 4 || o.CurrentOffset != 4 {
		t.Fatalf("stored offset after auto-commit: %+v %v %v", o, ok, err)
	}
	err = c.StoreOffset(ctx, ref, 99)
	wantCode(t, "offset past the end", err, wire.ErrInvalidOffset)

	// A restart keeps streams, messages and offsets, and root's password.
	s.Stop()
	s2 := Start(t, s.Dir)
	c2 := dial(t, s2)
	login(t, c2)
	td, ok, err := c2.Topic(ctx, id0, id0)
	if err != nil || !ok || td.MessagesCount != 10 || td.Partitions[1].CurrentOffset != 4 {
		t.Fatalf("topic after restart: %+v ok=%v err=%v", td, ok, err)
	}
	if o, ok, err := c2.Offset(ctx, ref); err != nil || !ok || o.StoredOffset != 4 {
		t.Fatalf("offset after restart: %+v %v %v", o, ok, err)
	}
}

func equal(got []uint64, want ...uint64) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if got[i] != want[i] {
			return false
		}
	}
	return true
}

// TestTCPBadFrames checks that malformed input gets Iggy's codes and never
// breaks the connection, except an oversized frame, which is answered and
// closed.
func TestTCPBadFrames(t *testing.T) {
	s := Start(t, "")
	c := dialTCP(t, s)
	ctx := context.Background()
	frame := func(code uint32, payload []byte, length uint32) []byte {
		b := binary.LittleEndian.AppendUint32(nil, length)
		b = binary.LittleEndian.AppendUint32(b, code)
		return append(b, payload...)
	}
	status := func(what string, b []byte, want *wire.Error) {
		t.Helper()
		st, _, err := c.Raw(ctx, b)
		if err != nil || st != want.Code {
			t.Fatalf("%s: status %d err %v, want %d", what, st, err, want.Code)
		}
		if err := c.Ping(ctx); err != nil {
			t.Fatalf("%s: connection broken afterwards: %v", what, err)
		}
	}
	status("length below 4", frame(1, nil, 3), wire.ErrInvalidCommand)
	status("unknown command", frame(9999, []byte{1, 2, 3}, 7), wire.ErrInvalidCommand)
	status("numeric id of 3 bytes, before login", frame(200, []byte{1, 3, 0, 0, 0}, 9), wire.ErrInvalidFormat)
	status("truncated payload", frame(202, []byte{6, 'a'}, 6), wire.ErrInvalidCommand)

	// An unauthenticated send is read to its end and answered 40, so the
	// next frame is parsed from the right place.
	send := wire.AppendRequest(nil, &wire.SendMessages{Stream: id0, Topic: id0, Partitioning: wire.Balanced(), Count: 1,
		Messages: wire.AppendSendMessage(nil, nil, 0, bytes.Repeat([]byte{0x04}, 100), nil)})
	status("send before login", send, wire.ErrUnauthenticated)

	login(t, c)
	status("send to a missing stream", send, wire.ErrStreamIDNotFound)

	// A control frame over 10 MiB is refused before it is read, and the
	// connection is closed since its remaining bytes cannot be trusted.
	conn, err := net.Dial("tcp", s.Ports.TCP)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write(frame(202, nil, 10<<20+5)); err != nil {
		t.Fatal(err)
	}
	var resp [8]byte
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := ioReadFull(conn, resp[:]); err != nil || binary.LittleEndian.Uint32(resp[:]) != wire.ErrInvalidCommand.Code {
		t.Fatalf("oversized frame: %x %v", resp, err)
	}
	if _, err := conn.Read(resp[:]); err == nil {
		t.Fatal("connection still open after an oversized frame")
	}
}

func ioReadFull(c net.Conn, b []byte) (int, error) {
	n := 0
	for n < len(b) {
		m, err := c.Read(b[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// TestTCPShutdownNotifiesClients checks SIGTERM: connected clients get an
// unsolicited status 8 and the server exits cleanly.
func TestTCPShutdownNotifiesClients(t *testing.T) {
	s := Start(t, "")
	conn, err := net.Dial("tcp", s.Ports.TCP)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// One ping round trip first: a connection still in the kernel's accept
	// backlog when the listener closes is reset, not notified, and that is
	// not what this test is about.
	var ping [8]byte
	binary.LittleEndian.PutUint32(ping[0:4], 4)
	binary.LittleEndian.PutUint32(ping[4:8], uint32(wire.CmdPing))
	var resp [8]byte
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := conn.Write(ping[:]); err != nil {
		t.Fatal(err)
	}
	if _, err := ioReadFull(conn, resp[:]); err != nil || binary.LittleEndian.Uint32(resp[:]) != 0 {
		t.Fatalf("ping: %x %v", resp, err)
	}
	s.Stop()
	if _, err := ioReadFull(conn, resp[:]); err != nil || binary.LittleEndian.Uint32(resp[:]) != wire.ErrDisconnected.Code {
		t.Fatalf("shutdown frame: %x %v", resp, err)
	}
}

// TestGoldenFramesAccepted replays every golden request frame, captured
// from the Iggy Go SDK or built from the Rust SDK's encoders, over TCP and
// QUIC: the server must decode each (no status 3, 4 or 6) and answer.
func TestGoldenFramesAccepted(t *testing.T) {
	frames, err := wiretest.Requests()
	if err != nil {
		t.Fatal(err)
	}
	s := Start(t, "")
	for _, tr := range binaryTransports {
		t.Run(tr.name, func(t *testing.T) {
			c := tr.dial(t, s)
			ctx := context.Background()
			for _, f := range frames {
				login(t, c) // some frames log out or in as someone else
				st, _, err := c.Raw(ctx, f.Bytes)
				if err != nil {
					t.Fatalf("%s: %v", f.Name, err)
				}
				switch st {
				case wire.ErrInvalidCommand.Code, wire.ErrInvalidFormat.Code, wire.ErrInvalidIdentifier.Code:
					t.Errorf("%s: status %d, the frame was not understood", f.Name, st)
				}
			}
		})
	}
}
