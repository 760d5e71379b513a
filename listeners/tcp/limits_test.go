package tcp

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	"github.com/shalemq/shale/broker"
	"github.com/shalemq/shale/broker/brokertest"
	"github.com/shalemq/shale/client"
	"github.com/shalemq/shale/kv/kvtest"
	"github.com/shalemq/shale/listeners/binproto"
	"github.com/shalemq/shale/wire"
	"github.com/shalemq/shale/wire/wiretest"
)

// serveLimited runs a TCP listener over a broker with the given limits.
func serveLimited(t *testing.T, limits broker.Limits, opts binproto.Options) (*brokertest.Env, string) {
	t.Helper()
	env := brokertest.NewWithOptions(t, broker.Options{Limits: limits})
	opts.Transport = "tcp"
	ln, err := Listen(binproto.NewServer(env.Broker, opts), Options{Address: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	brokertest.Serve(t, ln.Serve, ln.Shutdown)
	return env, ln.Addr().String()
}

// closedByServer waits (bounded) until the server closes c: a read ends
// in EOF or a reset rather than this side's own deadline.
func closedByServer(t *testing.T, c net.Conn, what string) {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(20 * time.Second))
	_, err := io.Copy(io.Discard, c)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("%s: the server did not close the connection", what)
	}
}

// tcpConns counts the listener's sessions (brokertest's root session is
// one more TCP session, without a connection).
func tcpConns(env *brokertest.Env) int { return env.Broker.Connections()[broker.TransportTCP] - 1 }

func waitConns(t *testing.T, env *brokertest.Env, want int) {
	t.Helper()
	kvtest.WaitFor(t, 20*time.Second, func() error {
		if n := tcpConns(env); n != want {
			return fmt.Errorf("%d TCP connections open, want %d", n, want)
		}
		return nil
	})
}

// TestPartialFrameTimesOut: a client that sends part of a header, or a
// header and part of its payload, and stops is disconnected after the
// frame timeout; one that sends nothing at all is not (no idle timeout),
// and goes on being served.
func TestPartialFrameTimesOut(t *testing.T) {
	env, addr := serveLimited(t, broker.Limits{}, binproto.Options{FrameTimeout: 50 * time.Millisecond})
	ping, err := wiretest.Request("ping")
	if err != nil {
		t.Fatal(err)
	}
	idle, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	for _, part := range [][]byte{ping[:5], append(binary.LittleEndian.AppendUint32(nil, 104), 1, 0, 0, 0, 'x')} {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Write(part); err != nil {
			t.Fatal(err)
		}
		closedByServer(t, c, "partial frame")
		c.Close()
	}
	waitConns(t, env, 1)
	// The idle one outlived two frame timeouts and is still served.
	if _, err := idle.Write(ping); err != nil {
		t.Fatal(err)
	}
	var resp [8]byte
	_ = idle.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.ReadFull(idle, resp[:]); err != nil || binary.LittleEndian.Uint32(resp[:4]) != 0 {
		t.Fatalf("ping on the idle connection: %x %v", resp, err)
	}
}

// TestIdleTimeout: with an idle timeout, a silent connection is closed.
func TestIdleTimeout(t *testing.T) {
	env, addr := serveLimited(t, broker.Limits{}, binproto.Options{IdleTimeout: 50 * time.Millisecond})
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	closedByServer(t, c, "idle connection")
	waitConns(t, env, 0)
}

var stalledWriteTimeout = 100 * time.Millisecond

// TestStalledReaderReleased: a client that sends polls and never reads
// the answers fills the socket buffers; the write timeout then ends the
// connection, releasing its handler goroutine and buffers.
func TestStalledReaderReleased(t *testing.T) {
	env, addr := serveLimited(t, broker.Limits{}, binproto.Options{WriteTimeout: stalledWriteTimeout})
	ctx := context.Background()
	c, err := client.Dial(ctx, addr, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Login(ctx, brokertest.RootUser, brokertest.RootPassword); err != nil {
		t.Fatal(err)
	}
	s, err := c.CreateStream(ctx, "s")
	if err != nil {
		t.Fatal(err)
	}
	tp, err := c.CreateTopic(ctx, wire.CreateTopic{Stream: wire.NumericID(s.ID), Name: "t", PartitionsCount: 1})
	if err != nil {
		t.Fatal(err)
	}
	payload := bytes.Repeat([]byte{'m'}, 512<<10)
	batch := wire.AppendSendMessage(nil, make([]byte, 16), 1, payload, nil)
	if err := c.Send(ctx, wire.NumericID(s.ID), wire.NumericID(tp.ID), wire.PartitionID(tp.Partitions[0].ID), 1, batch); err != nil {
		t.Fatal(err)
	}
	poll := wire.AppendRequest(nil, &wire.PollMessages{Consumer: wire.Consumer{Kind: wire.ConsumerSingle, ID: wire.NumericID(1)},
		Stream: wire.NumericID(s.ID), Topic: wire.NumericID(tp.ID), Partition: wire.OptPartition{Set: true, ID: tp.Partitions[0].ID},
		Strategy: wire.PollingStrategy{Kind: wire.PollFirst}, Count: 1})
	login := wire.AppendRequest(nil, &wire.LoginUser{Username: brokertest.RootUser, Password: brokertest.RootPassword})

	raw, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	_ = raw.(*net.TCPConn).SetReadBuffer(4 << 10)
	if _, err := raw.Write(login); err != nil {
		t.Fatal(err)
	}
	waitConns(t, env, 2)
	// Polls of half a MiB each, never read: the server's writes stall
	// once the buffers are full. Our own writes stall too once the
	// server stops reading, so they run until the server hangs up.
	go func() {
		for {
			if _, err := raw.Write(poll); err != nil {
				return
			}
		}
	}()
	waitConns(t, env, 1)
}

// readStatus reads one response and returns its status.
func readStatus(t *testing.T, c net.Conn) uint32 {
	t.Helper()
	var hdr [8]byte
	_ = c.SetReadDeadline(time.Now().Add(20 * time.Second))
	if _, err := io.ReadFull(c, hdr[:]); err != nil {
		t.Fatalf("read response: %v", err)
	}
	if _, err := io.CopyN(io.Discard, c, int64(binary.LittleEndian.Uint32(hdr[4:]))); err != nil {
		t.Fatalf("read response: %v", err)
	}
	return binary.LittleEndian.Uint32(hdr[:4])
}

// TestRequestMemoryRefused: while the request memory budget is held, a
// large send waits, is answered 1 and its connection closed without its
// payload being read; once the room is back the same send is read and
// decided (here: stream not found).
func TestRequestMemoryRefused(t *testing.T) {
	env, addr := serveLimited(t, broker.Limits{RequestMemory: 1 << 20, RequestMemoryWait: 50 * time.Millisecond}, binproto.Options{})
	hold, ok := env.Broker.ReserveRequestMemory(context.Background(), 1<<20)
	if !ok {
		t.Fatal("reserve")
	}
	login := wire.AppendRequest(nil, &wire.LoginUser{Username: brokertest.RootUser, Password: brokertest.RootPassword})
	send := wire.AppendRequest(nil, &wire.SendMessages{Stream: wire.NumericID(7), Topic: wire.NumericID(1),
		Partitioning: wire.Balanced(), Count: 1,
		Messages: wire.AppendSendMessage(nil, make([]byte, 16), 1, bytes.Repeat([]byte{'x'}, 200<<10), nil)})
	try := func() (uint32, net.Conn) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Write(login); err != nil {
			t.Fatal(err)
		}
		if st := readStatus(t, c); st != 0 {
			t.Fatalf("login: %d", st)
		}
		if _, err := c.Write(send); err != nil {
			t.Fatal(err)
		}
		return readStatus(t, c), c
	}
	st, c := try()
	if st != wire.ErrError.Code {
		t.Errorf("a large send with no room answered %d, want 1", st)
	}
	closedByServer(t, c, "a refused large send")
	c.Close()
	hold()
	st, c = try()
	defer c.Close()
	if st != wire.ErrStreamIDNotFound.Code {
		t.Errorf("the send with room answered %d, want %d (stream not found)", st, wire.ErrStreamIDNotFound.Code)
	}
	if held := env.Broker.RequestMemoryHeld(); held != 0 {
		t.Errorf("%d bytes still held after the answers", held)
	}
}

// TestConnectionLimits: past the per-address cap a new connection is
// closed at once; another address is still served.
func TestConnectionLimits(t *testing.T) {
	env, addr := serveLimited(t, broker.Limits{MaxConnectionsPerAddress: 2}, binproto.Options{})
	ping, _ := wiretest.Request("ping")
	dial := func(from string) net.Conn {
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}
		c, err := d.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	for range 2 {
		c := dial("127.0.0.1")
		if _, err := c.Write(ping); err != nil {
			t.Fatal(err)
		}
		if st := readStatus(t, c); st != 0 {
			t.Fatalf("ping: %d", st)
		}
	}
	closedByServer(t, dial("127.0.0.1"), "a third connection from one address")
	other := dial("127.0.0.2")
	if _, err := other.Write(ping); err != nil {
		t.Fatal(err)
	}
	if st := readStatus(t, other); st != 0 {
		t.Fatalf("ping from another address: %d", st)
	}
	waitConns(t, env, 3)
}
