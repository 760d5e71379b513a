package integration

import (
	"bufio"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// echoServer echoes every line back until the listener closes.
func echoServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { _, _ = io.Copy(c, c); _ = c.Close() }()
		}
	}()
	return ln.Addr().String()
}

func newProxy(t *testing.T, target string) *LinkProxy {
	t.Helper()
	p, err := NewLinkProxy(target)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

type lineConn struct {
	net.Conn
	r *bufio.Reader
}

func dialLine(t *testing.T, addr string) *lineConn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return &lineConn{c, bufio.NewReader(c)}
}

// roundTrip sends a line and waits up to wait for its echo.
func (c *lineConn) roundTrip(line string, wait time.Duration) (string, error) {
	_ = c.SetDeadline(time.Now().Add(wait))
	if _, err := io.WriteString(c, line+"\n"); err != nil {
		return "", err
	}
	s, err := c.r.ReadString('\n')
	return strings.TrimSuffix(s, "\n"), err
}

func TestLinkProxyForwards(t *testing.T) {
	p := newProxy(t, echoServer(t))
	c := dialLine(t, p.Addr())
	for _, s := range []string{"one", "two", strings.Repeat("x", 100_000)} {
		if got, err := c.roundTrip(s, 10*time.Second); err != nil || got != s {
			t.Fatalf("echo of %d bytes: %d bytes back, %v", len(s), len(got), err)
		}
	}
	if p.Accepted() != 1 || p.Forwarded() != 2*(4+4+100_001) {
		t.Fatalf("accepted %d, forwarded %d", p.Accepted(), p.Forwarded())
	}
}

func TestLinkProxyCutAndHeal(t *testing.T) {
	p := newProxy(t, echoServer(t))
	c := dialLine(t, p.Addr())
	if _, err := c.roundTrip("before", 10*time.Second); err != nil {
		t.Fatal(err)
	}
	p.Set(LinkCut)
	// The open connection is closed: the next exchange ends in an error
	// (EOF or reset), never in an echo and never in a hang.
	if got, err := c.roundTrip("during", 10*time.Second); err == nil || isTimeout(err) {
		t.Fatalf("open connection across a cut link: %q %v", got, err)
	}
	// A new connection is accepted and closed at once.
	d := dialLine(t, p.Addr())
	if got, err := d.roundTrip("new", 10*time.Second); err == nil || isTimeout(err) {
		t.Fatalf("new connection across a cut link: %q %v", got, err)
	}
	p.Set(LinkUp)
	e := dialLine(t, p.Addr())
	if got, err := e.roundTrip("after", 10*time.Second); err != nil || got != "after" {
		t.Fatalf("after heal: %q %v", got, err)
	}
}

func TestLinkProxyStall(t *testing.T) {
	p := newProxy(t, echoServer(t))
	c := dialLine(t, p.Addr())
	if _, err := c.roundTrip("before", 10*time.Second); err != nil {
		t.Fatal(err)
	}
	p.Set(LinkStall)
	// The connection stays open and silent: the read times out. (The wait
	// is how long silence is checked, not a speed assertion.)
	if got, err := c.roundTrip("held", 300*time.Millisecond); !isTimeout(err) {
		t.Fatalf("across a stall: %q %v, want a timeout", got, err)
	}
	if p.Held() == 0 {
		t.Fatal("stall held nothing")
	}
	// A new connection is accepted and stalls too.
	d := dialLine(t, p.Addr())
	if got, err := d.roundTrip("new", 300*time.Millisecond); !isTimeout(err) {
		t.Fatalf("new connection across a stall: %q %v, want a timeout", got, err)
	}
	p.Set(LinkUp)
	// Healed, the held bytes arrive in order, as retransmission would
	// deliver them.
	for _, lc := range []*lineConn{c, d} {
		_ = lc.SetDeadline(time.Now().Add(10 * time.Second))
		if s, err := lc.r.ReadString('\n'); err != nil || (s != "held\n" && s != "new\n") {
			t.Fatalf("held line after heal: %q %v", s, err)
		}
		if got, err := lc.roundTrip("after", 10*time.Second); err != nil || got != "after" {
			t.Fatalf("after heal: %q %v", got, err)
		}
	}
}

func TestLinkProxyTargetDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	p := newProxy(t, addr)
	c := dialLine(t, p.Addr())
	if got, err := c.roundTrip("x", 10*time.Second); err == nil || isTimeout(err) {
		t.Fatalf("to a stopped target: %q %v", got, err)
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
