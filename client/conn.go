package client

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/shalemq/shale/wire"
)

// Options configure a connection.
type Options struct {
	// TLS, when set, wraps a TCP connection (Iggy's TLS is on the same port).
	// For QUIC a nil TLS means "localhost, certificate not verified", as the
	// Iggy SDKs default.
	TLS *tls.Config
	// Timeout bounds each request/response exchange; 0 = none.
	Timeout time.Duration
	// MaxResponse bounds a response payload, protecting the client from a
	// broken peer. Default 256 MiB.
	MaxResponse uint32
}

// transport carries one request frame, frame followed by tail (nil for all
// but large message batches, wire.AppendRequestSplit), and returns the
// status and payload of its response, read into dst when it has the
// capacity. Implementations serialise as their protocol requires.
type transport interface {
	roundTrip(ctx context.Context, frame, tail, dst []byte) (status uint32, payload []byte, err error)
	close() error
}

// Client speaks the Iggy binary protocol over TCP or QUIC. It is safe for
// concurrent use: TCP requests are serialised (the protocol is strictly
// request/response per connection), QUIC requests run on their own streams.
type Client struct {
	t    transport
	opts Options
	pool sync.Pool
}

// Dial connects over TCP (plain, or TLS when opts.TLS is set).
func Dial(ctx context.Context, addr string, opts Options) (*Client, error) {
	if opts.MaxResponse == 0 {
		opts.MaxResponse = 256 << 20
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetNoDelay(true)
	}
	if opts.TLS != nil {
		tconn := tls.Client(conn, opts.TLS)
		if err := tconn.HandshakeContext(ctx); err != nil {
			_ = conn.Close()
			return nil, fmt.Errorf("tls handshake: %w", err)
		}
		conn = tconn
	}
	return newClient(&tcpTransport{conn: conn, r: bufio.NewReaderSize(conn, 64<<10), opts: opts}, opts), nil
}

func newClient(t transport, opts Options) *Client {
	c := &Client{t: t, opts: opts}
	c.pool.New = func() any { b := make([]byte, 0, 4096); return &b }
	return c
}

// Close closes the connection.
func (c *Client) Close() error { return c.t.close() }

// ErrDisconnected reports that the server announced its shutdown (status 8)
// or closed the connection.
var ErrDisconnected = errors.New("client: server disconnected")

// Do sends a request and returns the response payload, which the caller
// owns. A non-zero status comes back as the matching *wire.Error.
func (c *Client) Do(ctx context.Context, req wire.Request) ([]byte, error) {
	return c.DoInto(ctx, req, nil)
}

// DoInto is Do reading the response payload into dst's storage when it is
// large enough, so a caller polling in a loop reuses one buffer instead of
// allocating (and zeroing) a fresh one per response.
func (c *Client) DoInto(ctx context.Context, req wire.Request, dst []byte) ([]byte, error) {
	bp := c.pool.Get().(*[]byte)
	frame, tail := wire.AppendRequestSplit((*bp)[:0], req)
	if len(tail) < splitMin {
		frame, tail = append(frame, tail...), nil
	}
	status, payload, err := c.t.roundTrip(ctx, frame, tail, dst)
	*bp = frame[:0]
	c.pool.Put(bp)
	if err != nil {
		return nil, err
	}
	if status != 0 {
		return nil, wire.ErrorForCode(status)
	}
	return payload, nil
}

// splitMin is the smallest message block a request leaves out of its frame
// buffer and writes on its own: copying a smaller one costs less than
// writing from two buffers.
const splitMin = 16 << 10

// Raw sends arbitrary bytes as one request frame and returns the response
// status and payload: for tests of malformed input.
func (c *Client) Raw(ctx context.Context, frame []byte) (uint32, []byte, error) {
	return c.t.roundTrip(ctx, frame, nil, nil)
}

type tcpTransport struct {
	mu   sync.Mutex
	conn net.Conn
	r    *bufio.Reader
	iov  net.Buffers // a frame's head and tail over iovs, under mu
	iovs [2][]byte
	opts Options
}

func (t *tcpTransport) roundTrip(ctx context.Context, frame, tail, dst []byte) (uint32, []byte, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	deadline, ok := ctx.Deadline()
	if t.opts.Timeout > 0 {
		if d := time.Now().Add(t.opts.Timeout); !ok || d.Before(deadline) {
			deadline, ok = d, true
		}
	}
	if ok {
		_ = t.conn.SetDeadline(deadline)
	} else {
		_ = t.conn.SetDeadline(time.Time{})
	}
	var err error
	if tail == nil {
		_, err = t.conn.Write(frame)
	} else {
		// One writev on a plain TCP connection; TLS writes each in turn.
		// WriteTo consumes iov, so it is laid over the array afresh.
		t.iovs = [2][]byte{frame, tail}
		t.iov = t.iovs[:]
		_, err = t.iov.WriteTo(t.conn)
	}
	if err != nil {
		return 0, nil, err
	}
	return readResponse(t.r, t.opts.MaxResponse, dst)
}

func (t *tcpTransport) close() error { return t.conn.Close() }

// readResponse reads one response frame: status u32, length u32, payload
// (into dst when it has room).
func readResponse(r io.Reader, max uint32, dst []byte) (uint32, []byte, error) {
	var hdr [wire.ResponseHeaderSize]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		if errors.Is(err, io.EOF) {
			return 0, nil, ErrDisconnected
		}
		return 0, nil, err
	}
	status := binary.LittleEndian.Uint32(hdr[0:4])
	n := binary.LittleEndian.Uint32(hdr[4:8])
	if n > max {
		return 0, nil, fmt.Errorf("client: response of %d bytes over the %d limit", n, max)
	}
	if n == 0 {
		return status, nil, nil
	}
	var payload []byte
	if cap(dst) >= int(n) {
		payload = dst[:n]
	} else {
		payload = make([]byte, n)
	}
	if _, err := io.ReadFull(r, payload); err != nil {
		return 0, nil, err
	}
	return status, payload, nil
}
