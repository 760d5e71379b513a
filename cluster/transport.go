package cluster

import (
	"bufio"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"

	pb "go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"
)

// The transport carries raft messages between nodes over TCP
// (docs/cluster.md "Transport"). Each node dials one connection to every
// peer and writes only on it; it reads the connections its peers dialled.
// A connection starts with the 8-byte hello "shraft" 0 1 (version 1); then
// frames follow, each a u32 little-endian length and a protobuf
// raftpb.Message. Everything one Ready produced for a peer is written and
// flushed at once.
var hello = [8]byte{'s', 'h', 'r', 'a', 'f', 't', 0, 1}

// maxFrame bounds one message (an entry holds a whole batch of messages;
// snapshots have their own stream, snapshot.go).
const maxFrame = 1 << 30

const dialTimeout = time.Second

type transport struct {
	id     uint64
	ln     net.Listener
	tc     *tls.Config // nil: plain TCP (tls.go)
	log    *slog.Logger
	recv   func([]*pb.Message)
	report func(to uint64, snap bool, err error)

	peers map[uint64]*peerConn

	mu      sync.Mutex
	inbound map[net.Conn]struct{}
	closed  bool
	snap    func(net.Conn, *bufio.Reader) // serves a snapshot stream
	wg      sync.WaitGroup
}

type peerConn struct {
	t    *transport
	id   uint64
	addr string
	ch   chan []*pb.Message
	stop chan struct{}
}

// newTransport listens on addr and starts one sender per peer. recv gets
// every batch read from a peer; report learns of each failed send and each
// snapshot sent.
func newTransport(id uint64, addr string, peers map[uint64]string, tc *tls.Config, log *slog.Logger,
	recv func([]*pb.Message), report func(to uint64, snap bool, err error)) (*transport, error) {
	ln, err := listen(addr, tc, log)
	if err != nil {
		return nil, fmt.Errorf("cluster: raft transport: %w", err)
	}
	t := &transport{id: id, ln: ln, tc: tc, log: log, recv: recv, report: report,
		peers: map[uint64]*peerConn{}, inbound: map[net.Conn]struct{}{}}
	for pid, paddr := range peers {
		p := &peerConn{t: t, id: pid, addr: paddr, ch: make(chan []*pb.Message, 256), stop: make(chan struct{})}
		t.peers[pid] = p
		t.wg.Add(1)
		go p.run()
	}
	t.wg.Add(1)
	go t.accept()
	return t, nil
}

// Addr is the bound listen address.
func (t *transport) Addr() string { return t.ln.Addr().String() }

// send queues msgs for peer to without blocking; a full queue drops them
// (raft retries) and reports the peer unreachable.
func (t *transport) send(to uint64, msgs []*pb.Message) {
	p := t.peers[to]
	if p == nil {
		return
	}
	select {
	case p.ch <- msgs:
	default:
		t.report(to, hasSnap(msgs), errors.New("send queue full"))
	}
}

func hasSnap(msgs []*pb.Message) bool {
	for _, m := range msgs {
		if m.GetType() == pb.MessageType_MsgSnap {
			return true
		}
	}
	return false
}

func (p *peerConn) run() {
	defer p.t.wg.Done()
	var conn net.Conn
	var w *bufio.Writer
	defer func() {
		if conn != nil {
			_ = conn.Close()
		}
	}()
	var frame []byte
	for {
		var msgs []*pb.Message
		select {
		case <-p.stop:
			return
		case msgs = <-p.ch:
		}
		if conn == nil {
			c, err := p.t.dial(p.addr)
			if err != nil {
				p.t.report(p.id, hasSnap(msgs), err)
				continue
			}
			conn, w = c, bufio.NewWriterSize(c, 64<<10)
			if _, err := w.Write(hello[:]); err != nil {
				p.t.report(p.id, hasSnap(msgs), err)
				_ = conn.Close()
				conn = nil
				continue
			}
		}
		err := func() error {
			for _, m := range msgs {
				var err error
				frame, err = proto.MarshalOptions{}.MarshalAppend(frame[:0], m)
				if err != nil {
					return err
				}
				var n [4]byte
				binary.LittleEndian.PutUint32(n[:], uint32(len(frame)))
				if _, err := w.Write(n[:]); err != nil {
					return err
				}
				if _, err := w.Write(frame); err != nil {
					return err
				}
			}
			return w.Flush()
		}()
		if err != nil {
			p.t.report(p.id, hasSnap(msgs), err)
			_ = conn.Close()
			conn = nil
			continue
		}
		if hasSnap(msgs) {
			p.t.report(p.id, true, nil)
		}
	}
}

func (t *transport) accept() {
	defer t.wg.Done()
	for {
		c, err := t.ln.Accept()
		if err != nil {
			return
		}
		t.mu.Lock()
		if t.closed {
			t.mu.Unlock()
			_ = c.Close()
			return
		}
		t.inbound[c] = struct{}{}
		t.wg.Add(1)
		t.mu.Unlock()
		go t.read(c)
	}
}

// read delivers the frames of one inbound connection, as many at a time as
// have arrived together.
func (t *transport) read(c net.Conn) {
	defer t.wg.Done()
	defer func() {
		t.mu.Lock()
		delete(t.inbound, c)
		t.mu.Unlock()
		_ = c.Close()
	}()
	r := bufio.NewReaderSize(c, 64<<10)
	var h [8]byte
	_, err := io.ReadFull(r, h[:])
	if err == nil && h == snapHello {
		t.mu.Lock()
		serve := t.snap
		t.mu.Unlock()
		if serve != nil {
			serve(c, r)
		}
		return
	}
	if err != nil || h != hello {
		if err == nil {
			t.log.Warn("raft transport: connection without the shale raft hello; closed", "remote", c.RemoteAddr())
		}
		return
	}
	var buf []byte
	for {
		var batch []*pb.Message
		for {
			var n [4]byte
			if _, err := io.ReadFull(r, n[:]); err != nil {
				return
			}
			size := binary.LittleEndian.Uint32(n[:])
			if size > maxFrame {
				t.log.Warn("raft transport: oversized frame; connection closed", "remote", c.RemoteAddr(), "bytes", size)
				return
			}
			if cap(buf) < int(size) {
				buf = make([]byte, size)
			}
			buf = buf[:size]
			if _, err := io.ReadFull(r, buf); err != nil {
				return
			}
			m := &pb.Message{}
			if err := proto.Unmarshal(buf, m); err != nil {
				t.log.Warn("raft transport: undecodable message; connection closed", "remote", c.RemoteAddr(), "err", err)
				return
			}
			if m.GetType() == pb.MessageType_MsgSnap {
				// Only the snapshot stream delivers one, with its data.
				t.log.Warn("raft transport: snapshot message outside a snapshot stream; dropped", "remote", c.RemoteAddr())
			} else {
				batch = append(batch, m)
			}
			if r.Buffered() < 4 {
				break
			}
		}
		if len(batch) > 0 {
			t.recv(batch)
		}
	}
}

// onSnapshot sets what serves the snapshot streams peers open.
func (t *transport) onSnapshot(serve func(net.Conn, *bufio.Reader)) {
	t.mu.Lock()
	t.snap = serve
	t.mu.Unlock()
}

// dial opens a connection to a peer's transport (under TLS when it is on:
// tls.go).
func (t *transport) dial(addr string) (net.Conn, error) { return dial(addr, t.tc) }

// close stops the senders and the listener and closes every connection.
func (t *transport) close() {
	t.mu.Lock()
	t.closed = true
	for c := range t.inbound {
		_ = c.Close()
	}
	t.mu.Unlock()
	_ = t.ln.Close()
	for _, p := range t.peers {
		close(p.stop)
	}
	t.wg.Wait()
}
