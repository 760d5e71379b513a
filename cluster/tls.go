package cluster

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"sync"
)

// Mutual TLS on the raft transport (docs/cluster.md "Transport"). Every
// node presents its certificate both when it dials a peer and when a peer
// dials it, and accepts the other side only if its certificate chains to
// the cluster's CA. The CA is the cluster's own: any certificate it signed
// is a member, so the peer's host name is not checked (nodes are reached
// by raft_address, which may be an IP the certificate does not name).

// TLSConfig loads this node's certificate and key and the CA that signs
// every node's certificate (PEM files) into the configuration
// Config.TLS takes.
func TLSConfig(certFile, keyFile, caFile string) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("cluster: raft TLS certificate: %w", err)
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("cluster: raft TLS CA: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("cluster: raft TLS CA %s: no PEM certificate in it", caFile)
	}
	return MutualTLS(cert, pool), nil
}

// MutualTLS is the configuration for a node presenting cert and accepting
// peers whose certificates chain to roots.
func MutualTLS(cert tls.Certificate, roots *x509.CertPool) *tls.Config {
	return &tls.Config{
		MinVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{cert},
		ClientAuth:   tls.RequireAnyClientCert,
		// The chain is checked below, on both sides, against the
		// cluster's CA only, and for any key usage (a node's one
		// certificate serves as client and as server).
		InsecureSkipVerify: true,
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return errors.New("the peer presented no certificate")
			}
			inter := x509.NewCertPool()
			for _, c := range cs.PeerCertificates[1:] {
				inter.AddCert(c)
			}
			_, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter,
				KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
			return err
		},
	}
}

// listen opens the transport's listener, under TLS when tc is set.
func listen(addr string, tc *tls.Config, log *slog.Logger) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil || tc == nil {
		return ln, err
	}
	return &tlsListener{Listener: ln, tc: tc, log: log}, nil
}

// dial connects to a peer, under TLS when tc is set (the handshake done
// before it returns).
func dial(addr string, tc *tls.Config) (net.Conn, error) {
	c, err := net.DialTimeout("tcp", addr, dialTimeout)
	if err != nil {
		return nil, err
	}
	if tcp, ok := c.(*net.TCPConn); ok {
		_ = tcp.SetNoDelay(true)
	}
	if tc == nil {
		return c, nil
	}
	tlc := tls.Client(c, tc)
	ctx, cancel := context.WithTimeout(context.Background(), dialTimeout)
	defer cancel()
	if err := tlc.HandshakeContext(ctx); err != nil {
		_ = c.Close()
		return nil, fmt.Errorf("raft TLS handshake with %s: %w", addr, err)
	}
	return tlc, nil
}

type tlsListener struct {
	net.Listener
	tc  *tls.Config
	log *slog.Logger
}

func (l *tlsListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &tlsServerConn{Conn: tls.Server(c, l.tc), log: l.log}, nil
}

// tlsServerConn completes its handshake on the first read (in the
// connection's own goroutine, bounded by dialTimeout) and logs a peer it
// refuses.
type tlsServerConn struct {
	*tls.Conn
	log  *slog.Logger
	once sync.Once
	err  error
}

func (c *tlsServerConn) Read(p []byte) (int, error) {
	c.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), dialTimeout)
		defer cancel()
		if c.err = c.HandshakeContext(ctx); c.err != nil {
			c.log.Warn("raft transport: TLS handshake refused; connection closed", "remote", c.RemoteAddr(), "err", c.err)
		}
	})
	if c.err != nil {
		return 0, c.err
	}
	return c.Conn.Read(p)
}
