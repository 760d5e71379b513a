package client

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"time"

	quicgo "github.com/quic-go/quic-go"
)

// DialQUIC connects over QUIC. With opts.TLS nil it behaves like the Iggy
// Rust SDK's default: server name "localhost", certificate not verified.
func DialQUIC(ctx context.Context, addr string, opts Options) (*Client, error) {
	if opts.MaxResponse == 0 {
		opts.MaxResponse = 256 << 20
	}
	tc := opts.TLS
	if tc == nil {
		tc = &tls.Config{ServerName: "localhost", InsecureSkipVerify: true} //nolint:gosec // Iggy SDK default
	}
	conn, err := quicgo.DialAddr(ctx, addr, tc, rustSDKQUICConfig())
	if err != nil {
		return nil, fmt.Errorf("quic dial %s: %w", addr, err)
	}
	return newClient(&quicTransport{conn: conn, opts: opts}, opts), nil
}

// rustSDKQUICConfig mirrors the transport settings of the Iggy Rust SDK's
// QUIC client defaults (quinn): 1,200-byte initial packets, a 100,000-byte
// receive window for the whole connection, keep-alive every 5 s and a 10 s
// idle timeout. The small window means every large poll answer is paced by
// flow-control updates, so the tests exercise the server the way a real
// Iggy QUIC client does.
func rustSDKQUICConfig() *quicgo.Config {
	const window = 100_000
	return &quicgo.Config{
		InitialPacketSize:              1200,
		InitialStreamReceiveWindow:     window,
		MaxStreamReceiveWindow:         window,
		InitialConnectionReceiveWindow: window,
		MaxConnectionReceiveWindow:     window,
		KeepAlivePeriod:                5 * time.Second,
		MaxIdleTimeout:                 10 * time.Second,
	}
}

// quicTransport opens one bidirectional stream per request, as Iggy does.
type quicTransport struct {
	conn *quicgo.Conn
	opts Options
}

func (t *quicTransport) roundTrip(ctx context.Context, frame, tail, dst []byte) (uint32, []byte, error) {
	if t.opts.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, t.opts.Timeout)
		defer cancel()
	}
	st, err := t.conn.OpenStreamSync(ctx)
	if err != nil {
		return 0, nil, err
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = st.SetDeadline(dl)
	}
	_, err = st.Write(frame)
	if err == nil && tail != nil {
		_, err = st.Write(tail)
	}
	if err != nil {
		st.CancelRead(0)
		return 0, nil, err
	}
	if err := st.Close(); err != nil {
		return 0, nil, err
	}
	status, payload, err := readResponse(st, t.opts.MaxResponse, dst)
	if err != nil {
		return 0, nil, err
	}
	// The server finishes the stream after its one response.
	if n, _ := st.Read(make([]byte, 1)); n != 0 {
		return 0, nil, fmt.Errorf("quic: bytes after the response")
	}
	return status, payload, nil
}

func (t *quicTransport) close() error { return t.conn.CloseWithError(0, "") }

var _ io.Reader = (*quicgo.Stream)(nil)
