package tcp

import (
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shalemq/shale/broker"
	"github.com/shalemq/shale/listeners/binproto"
	"github.com/shalemq/shale/wire"
)

// Options configure a TCP listener.
type Options struct {
	// Address to listen on, host:port (port 0 picks a free one).
	Address string
	// Listener, when set, is an already bound socket to serve instead of
	// binding Address (cmd/shale binds every port before it touches the
	// data directory).
	Listener net.Listener
	// TLS, when set, wraps every connection (same address, no ALPN, as
	// Iggy's rustls listener).
	TLS *tls.Config
	// HandshakeTimeout bounds the TLS handshake; 0 means no limit.
	HandshakeTimeout time.Duration
	// NoDelay disables Nagle's algorithm (Iggy's tcp.socket.nodelay).
	NoDelay bool
	// KeepAlive is the TCP keep-alive period; 0 = the OS default.
	KeepAlive time.Duration
	// Logger receives connection events. Default slog.Default().
	Logger *slog.Logger
}

// Listener accepts Iggy binary connections and serves them through a
// binproto.Server.
type Listener struct {
	srv  *binproto.Server
	opts Options
	ln   net.Listener

	closing atomic.Bool
	wg      sync.WaitGroup
	mu      sync.Mutex
	conns   map[*conn]struct{}
}

type conn struct {
	net.Conn
	l       *Listener
	sess    *broker.Session
	release func()      // the broker's connection limit (AdmitConnection)
	dropped atomic.Bool // CloseConns (drop.go)

	// deadlineMu orders the request loop's deadline changes against
	// Shutdown's and CloseConns' wake-up: without it the loop could check
	// the flags, lose the CPU, and clear the wake-up deadline just set.
	deadlineMu sync.Mutex
}

// Draining reports whether Shutdown or CloseConns began ending the
// connection: the request loop then serves no further request.
func (c *conn) Draining() bool { return c.l.closing.Load() || c.dropped.Load() }

// SetReadDeadline is how the request loop applies its frame and idle
// timeouts; once Shutdown or CloseConns has set its own deadline, that one
// stands.
func (c *conn) SetReadDeadline(t time.Time) error {
	c.deadlineMu.Lock()
	defer c.deadlineMu.Unlock()
	if c.l.closing.Load() || c.dropped.Load() {
		return nil
	}
	return c.Conn.SetReadDeadline(t)
}

// wake sets a read deadline in the past, so a connection idle in a read
// returns at once and one busy with a request stops at its next read. The
// caller has set closing or dropped first.
func (c *conn) wake() {
	c.deadlineMu.Lock()
	defer c.deadlineMu.Unlock()
	_ = c.Conn.SetReadDeadline(time.Now())
}

// Listen binds the address. Serve starts accepting.
func Listen(srv *binproto.Server, opts Options) (*Listener, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	ln := opts.Listener
	if ln == nil {
		lc := net.ListenConfig{KeepAlive: opts.KeepAlive}
		var err error
		if ln, err = lc.Listen(context.Background(), "tcp", opts.Address); err != nil {
			return nil, fmt.Errorf("tcp listen %s: %w", opts.Address, err)
		}
	}
	return &Listener{srv: srv, opts: opts, ln: ln, conns: make(map[*conn]struct{})}, nil
}

// Addr is the bound address.
func (l *Listener) Addr() net.Addr { return l.ln.Addr() }

// Serve accepts connections until Shutdown. It returns nil after Shutdown.
func (l *Listener) Serve() error {
	var backoff time.Duration
	for {
		c, err := l.ln.Accept()
		if err != nil {
			if l.closing.Load() {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				// Out of file descriptors and similar: back off, keep serving.
				backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
				l.opts.Logger.Warn("tcp accept", "err", err, "retry_in", backoff)
				time.Sleep(backoff)
				continue
			}
			return err
		}
		backoff = 0
		l.accept(c)
	}
}

func (l *Listener) accept(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetNoDelay(l.opts.NoDelay)
	}
	// Over a connection limit (broker/limits.go): closed at once, before
	// any TLS handshake; the broker counts and logs it.
	release, ok := l.srv.Broker().AdmitConnection(broker.TransportTCP, c.RemoteAddr().String())
	if !ok {
		_ = c.Close()
		return
	}
	l.mu.Lock()
	if l.closing.Load() {
		l.mu.Unlock()
		release()
		_ = c.Close()
		return
	}
	if l.opts.TLS != nil {
		c = tls.Server(c, l.opts.TLS)
	}
	cc := &conn{Conn: c, l: l, release: release}
	l.conns[cc] = struct{}{}
	l.wg.Add(1)
	l.mu.Unlock()
	go l.serve(cc)
}

func (l *Listener) serve(c *conn) {
	defer l.wg.Done()
	b := l.srv.Broker()
	c.sess = b.OpenSession(broker.TransportTCP, c.RemoteAddr().String())
	log := l.opts.Logger.With("client", c.sess.ID(), "remote", c.sess.Addr())
	log.Debug("tcp connected")
	var err error
	if tc, ok := c.Conn.(*tls.Conn); ok && l.opts.HandshakeTimeout > 0 {
		// A client that starts a handshake and stalls must not hold the
		// connection (the request loop's timeouts start after it).
		_ = tc.SetDeadline(time.Now().Add(l.opts.HandshakeTimeout))
		err = tc.Handshake()
		_ = c.SetReadDeadline(time.Time{}) // unless Shutdown set one
		_ = tc.SetWriteDeadline(time.Time{})
	}
	if err == nil {
		err = l.srv.ServeConn(c, c.sess)
	}
	b.CloseSession(c.sess)
	if l.closing.Load() || c.dropped.Load() {
		// Iggy's shutdown notice: an unsolicited frame with status 8.
		var notice [wire.ResponseHeaderSize]byte
		binary.LittleEndian.PutUint32(notice[0:4], wire.ErrDisconnected.Code)
		_ = c.SetWriteDeadline(time.Now().Add(time.Second))
		_, _ = c.Write(notice[:])
	}
	_ = c.Close()
	c.release()
	l.mu.Lock()
	delete(l.conns, c)
	l.mu.Unlock()
	if err != nil && !l.closing.Load() && !isClosed(err) {
		log.Debug("tcp connection ended", "err", err)
	} else {
		log.Debug("tcp disconnected")
	}
}

// Shutdown stops accepting, lets every connection finish the request it is
// handling, sends each the shutdown notice and closes it. It returns when
// all connections are gone or ctx ends (then the rest are closed hard).
func (l *Listener) Shutdown(ctx context.Context) error {
	l.closing.Store(true)
	err := l.ln.Close()
	l.mu.Lock()
	for c := range l.conns {
		// Wakes the connections idle in a header read; one busy with a
		// request finishes it (writes are not affected) and stops at its
		// next read.
		c.wake()
	}
	l.mu.Unlock()
	done := make(chan struct{})
	go func() { l.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		l.mu.Lock()
		for c := range l.conns {
			_ = c.Close()
		}
		l.mu.Unlock()
		<-done
	}
	return err
}

func isClosed(err error) bool {
	var ne net.Error
	return errors.Is(err, net.ErrClosed) || errors.Is(err, binproto.ErrDraining) || (errors.As(err, &ne) && ne.Timeout())
}
