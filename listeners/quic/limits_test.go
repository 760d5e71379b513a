package quic

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"testing"
	"time"

	quicgo "github.com/quic-go/quic-go"

	"github.com/shalemq/shale/broker"
	"github.com/shalemq/shale/broker/brokertest"
	"github.com/shalemq/shale/wire/wiretest"
)

func serveLimited(t *testing.T, limits broker.Limits, opts Options) string {
	t.Helper()
	return serve(t, brokertest.NewWithOptions(t, broker.Options{Limits: limits}), opts).Addr()
}

func dialRaw(t *testing.T, addr string) *quicgo.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := quicgo.DialAddr(ctx, addr, &tls.Config{InsecureSkipVerify: true, ServerName: "localhost"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.CloseWithError(0, "") })
	return c
}

// request sends frame on a new stream and returns the answer's status.
func request(t *testing.T, c *quicgo.Conn, frame []byte) (uint32, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	st, err := c.OpenStreamSync(ctx)
	if err != nil {
		return 0, err
	}
	_ = st.SetDeadline(time.Now().Add(20 * time.Second))
	if _, err := st.Write(frame); err != nil {
		return 0, err
	}
	_ = st.Close()
	var hdr [8]byte
	if _, err := io.ReadFull(st, hdr[:]); err != nil {
		return 0, err
	}
	return uint32(hdr[0]) | uint32(hdr[1])<<8 | uint32(hdr[2])<<16 | uint32(hdr[3])<<24, nil
}

// TestStalledStreamDropped: a stream that sends part of a frame and stops
// is reset after the frame timeout and its credit given back: with one
// stream allowed per connection, the next request on the same connection
// is served.
func TestStalledStreamDropped(t *testing.T) {
	addr := serveLimited(t, broker.Limits{}, Options{FrameTimeout: 100 * time.Millisecond, MaxStreams: 1})
	c := dialRaw(t, addr)
	ping, _ := wiretest.Request("ping")
	st, err := c.OpenStreamSync(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Write(ping[:5]); err != nil {
		t.Fatal(err)
	}
	_ = st.SetReadDeadline(time.Now().Add(20 * time.Second))
	_, err = io.ReadAll(st)
	var se *quicgo.StreamError
	if !errors.As(err, &se) {
		t.Fatalf("a stalled stream ended with %v, want the server's reset", err)
	}
	if status, err := request(t, c, ping); err != nil || status != 0 {
		t.Fatalf("ping on the same connection: %d %v", status, err)
	}
}

// TestQUICConnectionLimits: past the per-address cap the server closes a
// new connection at once, with a reason.
func TestQUICConnectionLimits(t *testing.T) {
	addr := serveLimited(t, broker.Limits{MaxConnectionsPerAddress: 1}, Options{})
	ping, _ := wiretest.Request("ping")
	first := dialRaw(t, addr)
	if status, err := request(t, first, ping); err != nil || status != 0 {
		t.Fatalf("ping within the cap: %d %v", status, err)
	}
	second := dialRaw(t, addr)
	_, err := request(t, second, ping)
	var ae *quicgo.ApplicationError
	if !errors.As(err, &ae) || ae.ErrorMessage != "connection limit reached" {
		t.Fatalf("a second connection: %v, want closed with \"connection limit reached\"", err)
	}
	if status, err := request(t, first, ping); err != nil || status != 0 {
		t.Fatalf("ping on the first connection afterwards: %d %v", status, err)
	}
}
