package http

import (
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/shalemq/shale/broker"
	"github.com/shalemq/shale/broker/brokertest"
)

// serveLimited runs a real REST listener with the given broker limits and
// read timeout.
func serveLimited(t *testing.T, limits broker.Limits, readTimeout time.Duration) string {
	t.Helper()
	return serveEnv(t, brokertest.NewWithOptions(t, broker.Options{Limits: limits}), readTimeout)
}

// serveEnv runs a real REST listener over env's broker with the given
// read timeout, shut down when the test ends.
func serveEnv(t *testing.T, env *brokertest.Env, readTimeout time.Duration) string {
	t.Helper()
	srv, err := New(env.Broker, Options{Address: "127.0.0.1:0", ReadTimeout: readTimeout, JWT: testJWT()})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Listen(); err != nil {
		t.Fatal(err)
	}
	brokertest.Serve(t, srv.Serve, srv.Shutdown)
	return srv.Addr()
}

func dialFrom(t *testing.T, from, addr string) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// ping sends GET /ping on c and reports whether it was answered 200.
func ping(t *testing.T, c net.Conn) bool {
	t.Helper()
	if _, err := io.WriteString(c, "GET /ping HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		return false
	}
	_ = c.SetReadDeadline(time.Now().Add(20 * time.Second))
	var buf [512]byte
	n, _ := c.Read(buf[:])
	return strings.HasPrefix(string(buf[:n]), "HTTP/1.1 200")
}

// TestSlowlorisDropped: a client that sends its headers a byte at a time,
// never finishing them, is disconnected once the read timeout is up, while
// it is still sending.
func TestSlowlorisDropped(t *testing.T) {
	addr := serveLimited(t, broker.Limits{}, 200*time.Millisecond)
	c := dialFrom(t, "127.0.0.1", addr)
	if _, err := io.WriteString(c, "GET /ping HTTP/1.1\r\nHost: x\r\n"); err != nil {
		t.Fatal(err)
	}
	closed := make(chan error, 1)
	go func() {
		_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
		_, err := io.Copy(io.Discard, c)
		closed <- err
	}()
	for {
		select {
		case err := <-closed:
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				t.Fatal("the server never closed the slow connection")
			}
			if !ping(t, dialFrom(t, "127.0.0.1", addr)) {
				t.Error("a fresh connection was not served after the slowloris")
			}
			return
		case <-time.After(20 * time.Millisecond):
			_, _ = io.WriteString(c, "X") // fails once the server hung up
		}
	}
}

// TestHTTPConnectionLimits: past the per-address cap a connection is
// closed before any byte of HTTP; another address is still served.
func TestHTTPConnectionLimits(t *testing.T) {
	addr := serveLimited(t, broker.Limits{MaxConnectionsPerAddress: 2}, time.Minute)
	for range 2 {
		if !ping(t, dialFrom(t, "127.0.0.1", addr)) {
			t.Fatal("a connection within the cap was not served")
		}
	}
	if ping(t, dialFrom(t, "127.0.0.1", addr)) {
		t.Error("a third connection from one address was served (cap 2)")
	}
	if !ping(t, dialFrom(t, "127.0.0.2", addr)) {
		t.Error("another address was not served")
	}
}

// tcpPair is a connected pair of loopback TCP connections.
func tcpPair(t *testing.T) (server, client net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	if server, err = ln.Accept(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { server.Close(); client.Close() })
	return server, client
}

// TestWriteTimeoutIsProgress: an answer to a client that reads nothing
// fails once the write timeout passes without progress; the same answer
// to a client that reads slowly but steadily goes through, however long
// it takes in total.
func TestWriteTimeoutIsProgress(t *testing.T) {
	const timeout = 500 * time.Millisecond
	answer := make([]byte, 16<<20)

	server, _ := tcpPair(t)
	stalled := newTimedConn(server, func() {}, timeout)
	if _, err := stalled.Write(answer); err == nil {
		t.Fatal("16 MiB written to a client that reads nothing")
	} else if ne := (net.Error)(nil); !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("write to a stalled client: %v, want a timeout", err)
	}

	server, client := tcpPair(t)
	slow := newTimedConn(server, func() {}, timeout)
	read := make(chan int64, 1)
	start := time.Now()
	go func() {
		var n int64
		buf := make([]byte, 256<<10)
		for n < int64(len(answer)) {
			// 64 reads 20 ms apart: well over the timeout in total,
			// far under it between two.
			time.Sleep(20 * time.Millisecond)
			k, err := client.Read(buf)
			n += int64(k)
			if err != nil {
				break
			}
		}
		read <- n
	}()
	if _, err := slow.Write(answer); err != nil {
		t.Fatalf("write to a slow but steady reader: %v", err)
	}
	if n := <-read; n != int64(len(answer)) {
		t.Fatalf("the reader got %d bytes of %d", n, len(answer))
	}
	t.Logf("16 MiB to a slow reader took %v with a %v write timeout", time.Since(start).Round(time.Millisecond), timeout)
}
