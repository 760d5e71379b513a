package quic

import (
	"bytes"
	"encoding/binary"
	"errors"
	"net"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/net/ipv4"
	"golang.org/x/sys/unix"
)

// groPair is a receiving groConn and a sending socket on loopback.
func groPair(t testing.TB) (*groConn, *net.UDPConn) {
	t.Helper()
	rc, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rc.Close() })
	g, ok := withGRO(rc).(*groConn)
	if !ok {
		t.Skip("this kernel refuses UDP_GRO")
	}
	sc, err := net.DialUDP("udp", nil, rc.LocalAddr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sc.Close() })
	return g, sc
}

// sendGSO sends payload as one sendmsg cut into seg-byte datagrams by the
// kernel, the way quic-go sends a burst.
func sendGSO(t testing.TB, sc *net.UDPConn, payload []byte, seg int) {
	t.Helper()
	oob := make([]byte, unix.CmsgSpace(2))
	h := (*unix.Cmsghdr)(unsafe.Pointer(&oob[0]))
	h.Level = unix.IPPROTO_UDP
	h.Type = unix.UDP_SEGMENT
	h.SetLen(unix.CmsgLen(2))
	binary.NativeEndian.PutUint16(oob[unix.CmsgLen(0):], uint16(seg))
	if _, _, err := sc.WriteMsgUDP(payload, oob, nil); err != nil {
		t.Skipf("this kernel refuses UDP_SEGMENT: %v", err)
	}
}

func newMessages(n, size int) []ipv4.Message {
	ms := make([]ipv4.Message, n)
	for i := range ms {
		ms[i].Buffers = [][]byte{make([]byte, size)}
		ms[i].OOB = make([]byte, 128)
	}
	return ms
}

func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i * 7)
	}
	return b
}

// TestGROSplitsBursts: a burst sent with GSO comes out of ReadBatch as the
// packets it was made of, in order, with the sender's address, however the
// caller's batch cuts across it; a plain datagram after it stays whole.
func TestGROSplitsBursts(t *testing.T) {
	g, sc := groPair(t)
	const seg = 1000
	burst := pattern(5*seg + 123) // five full segments and a short last one
	sendGSO(t, sc, burst, seg)
	plain := []byte("a datagram on its own")
	if _, err := sc.Write(plain); err != nil {
		t.Fatal(err)
	}
	_ = g.SetReadDeadline(time.Now().Add(5 * time.Second))

	var got [][]byte
	ms := newMessages(4, 1452) // smaller than the burst: it spans calls
	for len(got) < 7 {
		n, err := g.ReadBatch(ms, 0)
		if err != nil {
			t.Fatalf("after %d packets: %v", len(got), err)
		}
		for _, m := range ms[:n] {
			if m.Addr.String() != sc.LocalAddr().String() {
				t.Errorf("sender %v, want %v", m.Addr, sc.LocalAddr())
			}
			got = append(got, bytes.Clone(m.Buffers[0][:m.N]))
		}
	}
	for i := range 6 {
		want := burst[i*seg : min((i+1)*seg, len(burst))]
		if !bytes.Equal(got[i], want) {
			t.Errorf("packet %d: %d bytes, want %d bytes of the burst", i, len(got[i]), len(want))
		}
	}
	if !bytes.Equal(got[6], plain) {
		t.Errorf("plain datagram came out as %q", got[6])
	}
}

// TestGROTruncatesOversizedPackets: a packet longer than the caller's buffer
// is cut to the buffer, as a plain read would cut it, and the next packet
// starts where it should.
func TestGROTruncatesOversizedPackets(t *testing.T) {
	g, sc := groPair(t)
	const seg = 1200
	burst := pattern(2 * seg)
	sendGSO(t, sc, burst, seg)
	_ = g.SetReadDeadline(time.Now().Add(5 * time.Second))
	ms := newMessages(2, 1000)
	got := 0
	for got < 2 {
		n, err := g.ReadBatch(ms[got:], 0)
		if err != nil {
			t.Fatal(err)
		}
		got += n
	}
	for i, m := range ms {
		if m.N != 1000 || !bytes.Equal(m.Buffers[0][:m.N], burst[i*seg:i*seg+1000]) {
			t.Errorf("packet %d: %d bytes, want the first 1000 of segment %d", i, m.N, i)
		}
	}
}

// TestGROReadHonoursDeadline: with nothing to read, ReadBatch returns the
// deadline error quic-go relies on to stop its read loop.
func TestGROReadHonoursDeadline(t *testing.T) {
	g, _ := groPair(t)
	_ = g.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	_, err := g.ReadBatch(newMessages(1, 1452), 0)
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("ReadBatch past its deadline: %v, want a timeout", err)
	}
}

// BenchmarkGROReadBatch: quic-go's read loop over bursts as its senders
// make them (14 packets of 1,436 bytes in one GSO send), in its batches of
// 8. What it costs beyond the kernel is the copy of each packet out of the
// burst; the allocations are x/net's, two per receive call.
func BenchmarkGROReadBatch(b *testing.B) {
	g, sc := groPair(b)
	const seg, segs = 1436, 14
	burst := pattern(seg * segs)
	ms := newMessages(8, 1452)
	b.SetBytes(int64(len(burst)))
	b.ReportAllocs()
	for b.Loop() {
		sendGSO(b, sc, burst, seg)
		for got := 0; got < segs; {
			n, err := g.ReadBatch(ms, 0)
			if err != nil {
				b.Fatal(err)
			}
			got += n
		}
	}
}
