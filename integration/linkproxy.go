package integration

import (
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
)

// LinkState is what a LinkProxy does with the bytes of its link.
type LinkState int32

const (
	// LinkUp forwards bytes both ways.
	LinkUp LinkState = iota
	// LinkCut closes every connection of the link and refuses new ones at
	// once (accepted, then closed): the peer sees a reset, as when a host
	// goes away.
	LinkCut
	// LinkStall keeps connections open and accepts new ones, but holds
	// every byte in both directions: the peers see silence, as when a
	// switch drops packets. Healed, the held bytes go through, as TCP's
	// retransmission would deliver them.
	LinkStall
)

func (s LinkState) String() string {
	switch s {
	case LinkUp:
		return "up"
	case LinkCut:
		return "cut"
	case LinkStall:
		return "stall"
	}
	return "?"
}

// LinkProxy is a TCP proxy for one direction of dialling between two
// nodes: node A is configured to reach node B at the proxy's address, and
// the proxy forwards to B's real address. A cluster test puts one between
// every ordered pair of raft ports, so it can cut a single link (both
// proxies of a pair) or isolate a node (every proxy touching it) without
// root or network namespaces.
type LinkProxy struct {
	ln     net.Listener
	target string
	state  atomic.Int32

	mu      sync.Mutex
	conns   map[*proxiedConn]struct{}
	closed  bool
	changed chan struct{} // closed and replaced at every change of state
	wg      sync.WaitGroup

	accepted  atomic.Int64
	forwarded atomic.Int64 // bytes passed on, both directions
	held      atomic.Int64 // reads held back by a stall
}

type proxiedConn struct{ client, server net.Conn }

func (c *proxiedConn) close() {
	_ = c.client.Close()
	_ = c.server.Close()
}

// NewLinkProxy listens on a free loopback port and forwards every
// connection to target.
func NewLinkProxy(target string) (*LinkProxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &LinkProxy{ln: ln, target: target, conns: map[*proxiedConn]struct{}{}, changed: make(chan struct{})}
	p.wg.Add(1)
	go p.acceptLoop()
	return p, nil
}

// Addr is the address to dial instead of the target.
func (p *LinkProxy) Addr() string { return p.ln.Addr().String() }

// Target is where the proxy forwards.
func (p *LinkProxy) Target() string { return p.target }

// State is the link's current state.
func (p *LinkProxy) State() LinkState { return LinkState(p.state.Load()) }

// Set changes the link's state. Cutting closes the open connections.
func (p *LinkProxy) Set(s LinkState) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.state.Store(int32(s))
	if s == LinkCut {
		for c := range p.conns {
			c.close()
		}
	}
	close(p.changed)
	p.changed = make(chan struct{})
}

// waitChange returns a channel closed at the next change of state.
func (p *LinkProxy) waitChange() <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.changed
}

// Accepted is the number of connections accepted so far.
func (p *LinkProxy) Accepted() int64 { return p.accepted.Load() }

// Forwarded is the number of bytes passed on so far, both directions.
func (p *LinkProxy) Forwarded() int64 { return p.forwarded.Load() }

// Held is the number of reads a stall has held back so far.
func (p *LinkProxy) Held() int64 { return p.held.Load() }

// Close stops the proxy and closes its connections.
func (p *LinkProxy) Close() error {
	p.mu.Lock()
	p.closed = true
	for c := range p.conns {
		c.close()
	}
	close(p.changed)
	p.changed = make(chan struct{})
	p.mu.Unlock()
	err := p.ln.Close()
	p.wg.Wait()
	return err
}

func (p *LinkProxy) acceptLoop() {
	defer p.wg.Done()
	for {
		conn, err := p.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		p.accepted.Add(1)
		if p.State() == LinkCut {
			_ = conn.Close()
			continue
		}
		p.wg.Add(1)
		go p.serve(conn)
	}
}

func (p *LinkProxy) serve(client net.Conn) {
	defer p.wg.Done()
	server, err := net.Dial("tcp", p.target)
	if err != nil {
		_ = client.Close()
		return
	}
	c := &proxiedConn{client: client, server: server}
	p.mu.Lock()
	if p.closed || p.State() == LinkCut {
		p.mu.Unlock()
		c.close()
		return
	}
	p.conns[c] = struct{}{}
	p.mu.Unlock()

	done := make(chan struct{}, 2)
	go func() { p.pump(server, client); done <- struct{}{} }()
	go func() { p.pump(client, server); done <- struct{}{} }()
	<-done // either side ending ends the connection
	c.close()
	<-done
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
}

// pump copies src to dst while the link is up, and holds what it read
// while the link is stalled.
func (p *LinkProxy) pump(dst io.Writer, src io.Reader) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 && !p.deliver(dst, buf[:n]) {
			return
		}
		if err != nil {
			return
		}
	}
}

// deliver writes b once the link is up; false when the link was cut, the
// proxy closed or the write failed.
func (p *LinkProxy) deliver(dst io.Writer, b []byte) bool {
	counted := false
	for {
		ch := p.waitChange()
		p.mu.Lock()
		closed := p.closed
		p.mu.Unlock()
		if closed {
			return false
		}
		switch p.State() {
		case LinkUp:
			p.forwarded.Add(int64(len(b))) // before: the peer may look at once
			_, err := dst.Write(b)
			return err == nil
		case LinkCut:
			return false
		case LinkStall:
			if !counted {
				p.held.Add(1)
				counted = true
			}
			<-ch
		}
	}
}
