package http

import (
	"net"
	"sync"
	"time"

	"github.com/shalemq/shale/broker"
)

// limitListener applies the broker's connection limits (broker/limits.go)
// to the REST listener: a connection over a limit is closed as soon as it
// is accepted, before TLS or any byte of HTTP, and the broker counts and
// logs it. Connections it lets through get a write timeout measured as
// progress (timedConn), so a client that stops reading its answer frees
// the connection's goroutine and buffers without cutting a long download
// that keeps moving (a backup).
type limitListener struct {
	net.Listener
	b            *broker.Broker
	writeTimeout time.Duration
}

func (l *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		release, ok := l.b.AdmitConnection(broker.TransportHTTP, c.RemoteAddr().String())
		if !ok {
			_ = c.Close()
			continue
		}
		return &timedConn{Conn: c, release: release, timeout: l.writeTimeout}, nil
	}
}

// httpWriteChunk is the most one socket write is given at a time under
// the write timeout.
const httpWriteChunk = 256 << 10

type timedConn struct {
	net.Conn
	once    sync.Once
	release func()
	timeout time.Duration
	until   time.Time // the write deadline in force, moved when half gone
}

func (c *timedConn) Write(p []byte) (int, error) {
	if c.timeout <= 0 {
		return c.Conn.Write(p)
	}
	var n int
	for len(p) > 0 {
		chunk := p[:min(len(p), httpWriteChunk)]
		if now := time.Now(); c.until.Sub(now) < c.timeout/2 {
			c.until = now.Add(c.timeout)
			_ = c.Conn.SetWriteDeadline(c.until)
		}
		k, err := c.Conn.Write(chunk)
		n += k
		if err != nil {
			return n, err
		}
		p = p[k:]
	}
	return n, nil
}

func (c *timedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}
