package quic

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	quicgo "github.com/quic-go/quic-go"

	"github.com/shalemq/shale/broker"
	"github.com/shalemq/shale/listeners/binproto"
)

// Options configure a QUIC listener. Defaults are Iggy's (docs/protocol/quic.md §4).
type Options struct {
	// Address is the UDP address, host:port (port 0 picks a free one).
	Address string
	// Conn, when set, is an already bound UDP socket to serve instead of
	// binding Address. Shutdown closes it, and so does a failed Listen.
	Conn net.PacketConn
	// TLS holds the certificate. NextProtos must stay empty: Iggy clients
	// send no ALPN and quic-go rejects them when the server names any.
	TLS *tls.Config
	// MaxStreams caps concurrent request streams per connection. Default
	// 10,000.
	MaxStreams int64
	// KeepAlive is the keep-alive period. Default 5 s.
	KeepAlive time.Duration
	// IdleTimeout closes a silent connection. Default 10 s.
	IdleTimeout time.Duration
	// ReceiveWindow is the per-stream flow-control window. Default 100 KB,
	// growing as quic-go auto-tunes it.
	ReceiveWindow uint64
	// FrameTimeout: each read of a request must return within it, so a
	// stream that stalls mid-frame is dropped. 0 means no limit.
	FrameTimeout time.Duration
	// WriteTimeout: each write of an answer must make progress within it.
	// 0 means no limit.
	WriteTimeout time.Duration
	// Logger receives connection events. Default slog.Default().
	Logger *slog.Logger
}

func (o *Options) ensureDefaults() {
	if o.MaxStreams == 0 {
		o.MaxStreams = 10_000
	}
	if o.KeepAlive == 0 {
		o.KeepAlive = 5 * time.Second
	}
	if o.IdleTimeout == 0 {
		o.IdleTimeout = 10 * time.Second
	}
	if o.ReceiveWindow == 0 {
		o.ReceiveWindow = 100_000
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
}

// Listener accepts QUIC connections. Each connection is one Iggy session;
// each bidirectional stream carries one request and its response, and the
// streams of a connection are served concurrently.
type Listener struct {
	srv  *binproto.Server
	opts Options
	ln   *quicgo.Listener

	closing  atomic.Bool
	conns    sync.WaitGroup // connection goroutines
	requests sync.WaitGroup // in-flight streams
	mu       sync.Mutex
	live     map[*quicgo.Conn]*liveConn
}

// liveConn is one connection's state, under Listener.mu.
type liveConn struct {
	streams  sync.WaitGroup // in-flight request streams
	draining bool           // CloseConns: no new streams (drop.go)
}

// Listen binds the UDP address. Serve starts accepting.
func Listen(srv *binproto.Server, opts Options) (*Listener, error) {
	opts.ensureDefaults()
	if opts.TLS == nil {
		return nil, errors.New("quic: a TLS configuration is required")
	}
	if len(opts.TLS.NextProtos) != 0 {
		return nil, errors.New("quic: ALPN must not be set (Iggy clients send none)")
	}
	tc := opts.TLS.Clone()
	tc.MinVersion = tls.VersionTLS13
	qc := &quicgo.Config{
		MaxIncomingStreams:             opts.MaxStreams,
		MaxIncomingUniStreams:          -1,
		KeepAlivePeriod:                opts.KeepAlive,
		MaxIdleTimeout:                 opts.IdleTimeout,
		InitialStreamReceiveWindow:     opts.ReceiveWindow,
		InitialConnectionReceiveWindow: opts.ReceiveWindow * 4,
	}
	if opts.Conn == nil {
		addr, err := net.ResolveUDPAddr("udp", opts.Address)
		if err != nil {
			return nil, fmt.Errorf("quic listen %s: %w", opts.Address, err)
		}
		if opts.Conn, err = net.ListenUDP("udp", addr); err != nil {
			return nil, fmt.Errorf("quic listen %s: %w", opts.Address, err)
		}
	}
	conn := opts.Conn
	if uc, ok := conn.(*net.UDPConn); ok {
		conn = withGRO(uc)
	}
	ln, err := quicgo.Listen(conn, tc, qc)
	if err != nil {
		_ = opts.Conn.Close()
		return nil, fmt.Errorf("quic listen %s: %w", opts.Address, err)
	}
	return &Listener{srv: srv, opts: opts, ln: ln, live: make(map[*quicgo.Conn]*liveConn)}, nil
}

// Addr is the bound UDP address.
func (l *Listener) Addr() string { return l.ln.Addr().String() }

// Serve accepts connections until Shutdown, then returns nil.
func (l *Listener) Serve() error {
	for {
		c, err := l.ln.Accept(context.Background())
		if err != nil {
			if l.closing.Load() {
				return nil
			}
			return err
		}
		// Over a connection limit (broker/limits.go): closed at once; the
		// broker counts and logs it.
		release, ok := l.srv.Broker().AdmitConnection(broker.TransportQUIC, c.RemoteAddr().String())
		if !ok {
			_ = c.CloseWithError(0, "connection limit reached")
			continue
		}
		l.mu.Lock()
		if l.closing.Load() {
			l.mu.Unlock()
			release()
			_ = c.CloseWithError(0, "server shutting down")
			continue
		}
		lc := &liveConn{}
		l.live[c] = lc
		l.conns.Add(1)
		l.mu.Unlock()
		go func() {
			defer release()
			l.serveConn(c, lc)
		}()
	}
}

func (l *Listener) serveConn(c *quicgo.Conn, lc *liveConn) {
	defer l.conns.Done()
	b := l.srv.Broker()
	sess := b.OpenSession(broker.TransportQUIC, c.RemoteAddr().String())
	log := l.opts.Logger.With("client", sess.ID(), "remote", sess.Addr())
	log.Debug("quic connected")
	for {
		st, err := c.AcceptStream(context.Background())
		if err != nil {
			break
		}
		l.mu.Lock()
		if l.closing.Load() || lc.draining {
			l.mu.Unlock()
			st.CancelRead(0)
			st.CancelWrite(0)
			continue
		}
		l.requests.Add(1)
		lc.streams.Add(1)
		l.mu.Unlock()
		go func() {
			defer l.requests.Done()
			defer lc.streams.Done()
			if err := l.srv.ServeStream(timedStream{st, l.opts.FrameTimeout, l.opts.WriteTimeout}, sess); err != nil {
				log.Debug("quic stream", "err", err)
				// Both sides, so quic-go forgets the stream and gives its
				// credit back even if the client never finishes it.
				st.CancelRead(0)
				st.CancelWrite(0)
				return
			}
			// FIN: the Rust SDK reads the response to the end of the stream.
			_ = st.Close()
		}()
	}
	lc.streams.Wait()
	b.CloseSession(sess)
	l.mu.Lock()
	delete(l.live, c)
	l.mu.Unlock()
	log.Debug("quic disconnected")
}

// Shutdown stops accepting connections and streams, waits for in-flight
// requests (until ctx ends) and closes every connection.
func (l *Listener) Shutdown(ctx context.Context) error {
	l.mu.Lock()
	l.closing.Store(true)
	l.mu.Unlock()
	done := make(chan struct{})
	go func() { l.requests.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
	}
	l.mu.Lock()
	for c := range l.live {
		_ = c.CloseWithError(0, "server shutting down")
	}
	l.mu.Unlock()
	// The listener and its socket close only now, after the in-flight
	// responses went out. quic-go leaves a socket it was given open.
	err := l.ln.Close()
	if cerr := l.opts.Conn.Close(); err == nil && !errors.Is(cerr, net.ErrClosed) {
		err = cerr
	}
	l.conns.Wait()
	return err
}

// timedStream gives every read and write of a request stream its own
// deadline, so a stalled client frees the stream's goroutine and buffers
// while one that keeps sending, however slowly, is served.
type timedStream struct {
	*quicgo.Stream
	read, write time.Duration
}

func (s timedStream) Read(p []byte) (int, error) {
	if s.read > 0 {
		_ = s.SetReadDeadline(time.Now().Add(s.read))
	}
	return s.Stream.Read(p)
}

func (s timedStream) Write(p []byte) (int, error) {
	if s.write > 0 {
		_ = s.SetWriteDeadline(time.Now().Add(s.write))
	}
	return s.Stream.Write(p)
}
