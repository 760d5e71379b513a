package quic

import (
	"encoding/binary"
	"net"

	"golang.org/x/net/ipv4"
	"golang.org/x/sys/unix"
)

// groConn lets the kernel hand over a whole burst of datagrams from one
// sender in one read (UDP generic receive offload, Linux 5.0+).
//
// quic-go sends with GSO: up to tens of packets in one sendmsg. Without GRO
// on the receiving socket the kernel splits that burst back into separate
// datagrams, and the server pays a receive, a wake-up and a copy for each
// 1,452-byte packet: a fifth of its CPU on a QUIC produce (measured, see
// docs/performance.md "QUIC"). With GRO the burst arrives as one datagram
// plus its segment size, and groConn cuts it into the per-packet messages
// quic-go expects. quic-go reads through ReadBatch when the connection has
// one, so it never sees the difference; every other method (writes with
// GSO, deadlines, socket options) is the embedded *net.UDPConn's.
type groConn struct {
	*net.UDPConn
	batch *ipv4.PacketConn

	// Datagrams read from the kernel and not yet handed out: msgs[next:n].
	// rest is the unread part of msgs[next-1], cut into seg-byte packets.
	msgs    []ipv4.Message
	n, next int
	rest    []byte
	seg     int
	oob     []byte
	addr    net.Addr
}

const (
	groBatch    = 8        // datagrams per receive call, as quic-go reads
	groDatagram = 64 << 10 // the largest a UDP datagram can be
	groOOB      = 128      // room for ECN, packet info and the GRO size
	solUDP      = 17       // SOL_UDP
)

// withGRO turns GRO on for c and wraps it, or returns c unchanged where the
// kernel refuses (then reads work exactly as before).
func withGRO(c *net.UDPConn) net.PacketConn {
	raw, err := c.SyscallConn()
	if err != nil {
		return c
	}
	var serr error
	if err := raw.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_UDP, unix.UDP_GRO, 1)
	}); err != nil || serr != nil {
		return c
	}
	g := &groConn{UDPConn: c, batch: ipv4.NewPacketConn(c), msgs: make([]ipv4.Message, groBatch)}
	for i := range g.msgs {
		g.msgs[i].Buffers = [][]byte{make([]byte, groDatagram)}
		g.msgs[i].OOB = make([]byte, groOOB)
	}
	return g
}

// ReadBatch fills ms with single packets, blocking only when it has none to
// give. Each message gets the datagram's control data (ECN bits, packet
// info) and sender; quic-go ignores the GRO entry among them.
func (g *groConn) ReadBatch(ms []ipv4.Message, _ int) (int, error) {
	filled := 0
	for filled < len(ms) {
		if len(g.rest) == 0 {
			if g.next == g.n {
				if filled > 0 {
					return filled, nil
				}
				n, err := g.batch.ReadBatch(g.msgs, 0)
				if err != nil {
					return 0, err
				}
				g.n, g.next = n, 0
				continue
			}
			m := &g.msgs[g.next]
			g.next++
			if m.N == 0 {
				continue // an empty datagram carries no QUIC packet
			}
			g.rest = m.Buffers[0][:m.N]
			g.oob = m.OOB[:m.NN]
			g.addr = m.Addr
			g.seg = groSegment(g.oob, m.N)
		}
		out := &ms[filled]
		k := min(g.seg, len(g.rest))
		// A packet longer than quic-go's buffer is cut short, as the kernel
		// would have: it then fails authentication and is dropped.
		out.N = copy(out.Buffers[0], g.rest[:k])
		out.NN = 0
		if len(g.oob) <= len(out.OOB) {
			out.NN = copy(out.OOB, g.oob)
		}
		out.Addr = g.addr
		out.Flags = 0
		g.rest = g.rest[k:]
		filled++
	}
	return filled, nil
}

// groSegment is the segment size the kernel reported for a coalesced
// datagram, or its whole length when it was not coalesced.
func groSegment(oob []byte, n int) int {
	for len(oob) > 0 {
		h, body, rest, err := unix.ParseOneSocketControlMessage(oob)
		if err != nil {
			break
		}
		if h.Level == solUDP && h.Type == unix.UDP_GRO && len(body) >= 2 {
			var seg int
			if len(body) >= 4 {
				seg = int(binary.NativeEndian.Uint32(body))
			} else {
				seg = int(binary.NativeEndian.Uint16(body))
			}
			if seg > 0 {
				return seg
			}
		}
		oob = rest
	}
	return n
}
