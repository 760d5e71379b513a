package http

import (
	"net"
	"sync"
	"time"

	"github.com/shalemq/shale/broker"
	"github.com/shalemq/shale/listeners/deadline"
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
		return newTimedConn(c, release, l.writeTimeout), nil
	}
}

type timedConn struct {
	net.Conn
	once    sync.Once
	release func()
	w       deadline.Writer // over Conn; its Timeout is 0 when writes have none
}

func newTimedConn(c net.Conn, release func(), writeTimeout time.Duration) *timedConn {
	return &timedConn{Conn: c, release: release, w: deadline.Writer{W: c, D: c, Timeout: writeTimeout}}
}

func (c *timedConn) Write(p []byte) (int, error) {
	if c.w.Timeout <= 0 {
		return c.Conn.Write(p)
	}
	return c.w.Write(p)
}

func (c *timedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}
