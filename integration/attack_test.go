package integration

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	quicgo "github.com/quic-go/quic-go"

	"github.com/shalemq/shale/wire"
	"github.com/shalemq/shale/wire/wiretest"
)

// TestAttacks runs each attack of docs/reliability.md ("Resource limits")
// against the built binary while a well-behaved client on 127.0.0.1 keeps
// sending and polling over TCP: a connection flood, a slowloris over HTTP,
// partial binary frames, clients that never read their poll answers, a
// QUIC stream flood and huge frames in parallel. Attackers connect from
// other loopback addresses (127.0.x.y), so the per-address limit tells
// them apart. For each attack it checks what the limit promises, that the
// well-behaved client was served while the attack held, and that the
// server's goroutines came back to near their baseline afterwards; it
// logs the peak resident memory (VmRSS sampled every 50 ms, and VmHWM)
// and goroutines (go_goroutines) seen during the attack. Sizes are
// hundreds; TEST_SHALE_ATTACK_SCALE multiplies them.
func TestAttacks(t *testing.T) {
	n := attackScale()
	for _, at := range []struct {
		name   string
		attack func(a *attacks, t *testing.T) (end func())
	}{
		{"connection flood", (*attacks).connectionFlood},
		{"http slowloris", (*attacks).slowloris},
		{"partial frames", (*attacks).partialFrames},
		{"stalled readers", (*attacks).stalledReaders},
		{"quic stream flood", (*attacks).quicStreamFlood},
		{"huge frames in parallel", (*attacks).hugeFrames},
	} {
		t.Run(strings.ReplaceAll(at.name, " ", "_"), func(t *testing.T) {
			a := startAttacked(t, n)
			a.run(t, at.name, at.attack)
		})
	}
}

// startAttacked starts a server with small limits (each attack gets a
// fresh one, so its VmHWM is that attack's peak), a stream with the
// topics the attacks use, and the well-behaved client.
func startAttacked(t *testing.T, n int) *attacks {
	s := Start(t, "",
		"SHALE_SYSTEM_LOGGING_LEVEL=info",
		fmt.Sprintf("SHALE_TCP_MAX_CONNECTIONS=%d", 300*n),
		"SHALE_LIMITS_MAX_CONNECTIONS_PER_ADDRESS=100",
		"SHALE_LIMITS_BINARY_FRAME_TIMEOUT=1 s",
		"SHALE_LIMITS_BINARY_WRITE_TIMEOUT=1 s",
		"SHALE_LIMITS_HTTP_READ_TIMEOUT=1 s",
		"SHALE_QUIC_MAX_CONCURRENT_BIDI_STREAMS=100",
		"SHALE_SYSTEM_LIMITS_MAX_MESSAGE_SIZE=8 MB",
		"SHALE_LIMITS_REQUEST_MEMORY=16 MiB",
		"SHALE_LIMITS_REQUEST_MEMORY_WAIT=2 m",
	)
	ctx := context.Background()
	root := dialTCP(t, s)
	login(t, root)
	st, err := root.CreateStream(ctx, "attack")
	if err != nil {
		t.Fatal(err)
	}
	// Each topic has one partition, whose id is attackPartition.
	topic := func(name string) uint32 {
		tp, err := root.CreateTopic(ctx, wire.CreateTopic{Stream: wire.NumericID(st.ID), Name: name, PartitionsCount: 1})
		if err != nil {
			t.Fatal(err)
		}
		if tp.Partitions[0].ID != attackPartition {
			t.Fatalf("the partition's id is %d, want %d", tp.Partitions[0].ID, attackPartition)
		}
		return tp.ID
	}
	good, big, huge := topic("good"), topic("big"), topic("huge")
	for range 4 {
		batch := wire.AppendSendMessage(nil, make([]byte, 16), 1, bytes.Repeat([]byte{'b'}, 1<<20), nil)
		if err := root.Send(ctx, wire.NumericID(st.ID), wire.NumericID(big), wire.PartitionID(attackPartition), 1, batch); err != nil {
			t.Fatal(err)
		}
	}
	gc := startGoodClient(t, s, st.ID, good)
	gc.served(t, 5, "warm-up")
	return &attacks{s: s, n: n, gc: gc, stream: st.ID, big: big, huge: huge}
}

// attackPartition is the id of a new topic's only partition.
const attackPartition = 0

type attacks struct {
	s                 *Server
	n                 int
	gc                *goodClient
	stream, big, huge uint32
}

// run measures one attack: attack sets it up and returns once the server
// is under it; the well-behaved client must then complete rounds; end
// waits for the limit to act (or tears the attack down).
func (a *attacks) run(t *testing.T, name string, attack func(a *attacks, t *testing.T) (end func())) {
	hc := newHTTPClient()
	base, baseRSS := goroutines(hc, a.s), procStatus(a.s.Pid(), "VmRSS")
	p := startProbe(a.s)
	end := attack(a, t)
	a.gc.served(t, 3, name)
	if err := pingHTTP(hc, a.s); err != nil {
		t.Errorf("GET /ping from 127.0.0.1 during %s: %v", name, err)
	}
	end()
	_, peak := p.finish()
	// Near the baseline: the sampler's and this test's own connections
	// come and go.
	var after int
	waitFor(t, 120*time.Second, func() error {
		if after = goroutines(hc, a.s); after < 0 || after > base+25 {
			return fmt.Errorf("%d goroutines after %s, baseline %d", after, name, base)
		}
		return nil
	})
	t.Logf("%s: RSS before %d MiB, peak (VmHWM) %d MiB; goroutines: before %d, peak %d, after %d",
		name, baseRSS/1024, procStatus(a.s.Pid(), "VmHWM")/1024, base, peak, after)
}

func pingHTTP(hc *http.Client, s *Server) error {
	resp, err := hc.Get("http://" + s.Ports.HTTP + "/ping")
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return errors.New(resp.Status)
	}
	return nil
}

// attacker is the source address of attacker i of a group: 100 per
// address, so each address sits exactly at the per-address cap.
func attacker(group, i int) string {
	return fmt.Sprintf("127.%d.%d.%d", 10+group, i/100/250, 2+(i/100)%250)
}

// closedByServer waits (bounded) until the server closes c.
func closedByServer(c net.Conn) error {
	_ = c.SetReadDeadline(time.Now().Add(60 * time.Second))
	_, err := io.Copy(io.Discard, c)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return errors.New("the server did not close the connection")
	}
	return nil
}

// served reports whether c answers a ping (an admitted connection) or is
// closed (a refused one).
func pingTCP(c net.Conn) bool {
	ping, _ := wiretest.Request("ping")
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := c.Write(ping); err != nil {
		return false
	}
	var hdr [8]byte
	_, err := io.ReadFull(c, hdr[:])
	return err == nil && binary.LittleEndian.Uint32(hdr[:4]) == 0
}

// connectionFlood: 150 connections from one address (the cap is 100)
// and then 100 from each of three more, past tcp.max_connections. The
// extra ones are closed at once, counted by reason, and logged at most
// once a second; the admitted ones answer.
func (a *attacks) connectionFlood(t *testing.T) func() {
	var conns []net.Conn
	dial := func(from string) {
		c, err := dialFrom(from, a.s.Ports.TCP)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	for j := range a.n {
		for range 150 {
			dial(attacker(0, j*100))
		}
	}
	for i := range 300 * a.n {
		dial(attacker(1, i))
	}
	admitted, refused := 0, 0
	for _, c := range conns {
		if pingTCP(c) {
			admitted++
		} else if err := closedByServer(c); err != nil {
			t.Fatal(err)
		} else {
			refused++
		}
	}
	fams := scrape(t, a.s)
	perAddr, _ := value(fams, "shale_connections_refused_total", map[string]string{"transport": "tcp", "reason": "per_address"})
	maxConns, _ := value(fams, "shale_connections_refused_total", map[string]string{"transport": "tcp", "reason": "max_connections"})
	if perAddr != float64(50*a.n) {
		t.Errorf("refused per address: %v, want %d", perAddr, 50*a.n)
	}
	if maxConns < 1 || int(perAddr+maxConns) != refused {
		t.Errorf("refused over max_connections: %v; %d connections were closed, %v counted", maxConns, refused, perAddr+maxConns)
	}
	if lines := len(a.s.Lines("connection refused")); lines < 1 || lines >= refused {
		t.Errorf("%d log lines for %d refusals: want at least one and fewer than the refusals", lines, refused)
	}
	t.Logf("connection flood: %d connections, %d admitted, %d refused (%v per address, %v over tcp.max_connections)",
		len(conns), admitted, refused, perAddr, maxConns)
	return func() {
		for _, c := range conns {
			c.Close()
		}
	}
}

// slowloris: 200 HTTP connections send a request's headers a byte at a
// time and never finish them; each is closed once limits.http.read_timeout
// is up, while it is still sending.
func (a *attacks) slowloris(t *testing.T) func() {
	count := 200 * a.n
	conns := make([]net.Conn, count)
	closed := make(chan error, count)
	for i := range conns {
		c, err := dialFrom(attacker(2, i), a.s.Ports.HTTP)
		if err != nil {
			t.Fatal(err)
		}
		conns[i] = c
		if _, err := io.WriteString(c, "GET /ping HTTP/1.1\r\nHost: shale\r\n"); err != nil {
			t.Fatal(err)
		}
		go func() { closed <- closedByServer(c) }()
	}
	stop := make(chan struct{})
	trickled := make(chan struct{})
	go func() {
		defer close(trickled)
		for {
			for _, c := range conns {
				select {
				case <-stop:
					return
				default:
				}
				_ = c.SetWriteDeadline(time.Now().Add(time.Second))
				_, _ = io.WriteString(c, "X") // fails once the server hung up
			}
			time.Sleep(100 * time.Millisecond)
		}
	}()
	return func() {
		for range count {
			if err := <-closed; err != nil {
				t.Error(err)
			}
		}
		close(stop)
		<-trickled
		for _, c := range conns {
			c.Close()
		}
	}
}

// partialFrames: 200 TCP connections each send part of a frame (half a
// header, or a header and part of its payload) and stop; each is closed
// once limits.binary.frame_timeout is up.
func (a *attacks) partialFrames(t *testing.T) func() {
	count := 200 * a.n
	conns := make([]net.Conn, count)
	closed := make(chan error, count)
	login := wire.AppendRequest(nil, &wire.LoginUser{Username: RootUser, Password: RootPassword})
	for i := range conns {
		c, err := dialFrom(attacker(3, i), a.s.Ports.TCP)
		if err != nil {
			t.Fatal(err)
		}
		conns[i] = c
		part := login[:5]
		if i%2 == 1 {
			part = login[:len(login)-3]
		}
		if _, err := c.Write(part); err != nil {
			t.Fatal(err)
		}
		go func() { closed <- closedByServer(c) }()
	}
	return func() {
		for range count {
			if err := <-closed; err != nil {
				t.Error(err)
			}
		}
		for _, c := range conns {
			c.Close()
		}
	}
}

// stalledReaders: 10 clients log in and send polls of 4 MiB answers as
// fast as they can without ever reading one; the server's writes stall
// and limits.binary.write_timeout ends each connection, freeing its
// handler and buffers.
func (a *attacks) stalledReaders(t *testing.T) func() {
	count := 10 * a.n
	login := wire.AppendRequest(nil, &wire.LoginUser{Username: RootUser, Password: RootPassword})
	poll := wire.AppendRequest(nil, &wire.PollMessages{Consumer: wire.Consumer{Kind: wire.ConsumerSingle, ID: wire.NumericID(9)},
		Stream: wire.NumericID(a.stream), Topic: wire.NumericID(a.big), Partition: wire.OptPartition{Set: true, ID: attackPartition},
		Strategy: wire.PollingStrategy{Kind: wire.PollFirst}, Count: 4})
	ended := make(chan struct{}, count)
	var conns []net.Conn
	for i := range count {
		c, err := dialFrom(attacker(4, i), a.s.Ports.TCP)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		_ = c.(*net.TCPConn).SetReadBuffer(4 << 10)
		if _, err := c.Write(login); err != nil {
			t.Fatal(err)
		}
		go func() {
			defer func() { ended <- struct{}{} }()
			_ = c.SetWriteDeadline(time.Now().Add(120 * time.Second))
			for {
				if _, err := c.Write(poll); err != nil {
					return
				}
			}
		}()
	}
	return func() {
		for range count {
			<-ended // the server hung up, so the writes failed
		}
		for _, c := range conns {
			c.Close()
		}
	}
}

// quicStreamFlood: 5 QUIC connections each open as many streams as the
// server allows (quic.max_concurrent_bidi_streams) and send part of a
// frame on each; every stream is reset once limits.binary.frame_timeout
// is up, and a well-behaved QUIC client on another connection is served
// meanwhile.
func (a *attacks) quicStreamFlood(t *testing.T) func() {
	count := 5 * a.n
	ping, _ := wiretest.Request("ping")
	var streams sync.WaitGroup
	var mu sync.Mutex
	var failures []error
	var conns []*quicgo.Conn
	var trs []*quicgo.Transport
	opened := 0
	for i := range count {
		udp, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.ParseIP(attacker(5, i))})
		if err != nil {
			t.Fatal(err)
		}
		tr := &quicgo.Transport{Conn: udp}
		trs = append(trs, tr)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		raddr, _ := net.ResolveUDPAddr("udp", a.s.Ports.QUIC)
		c, err := tr.Dial(ctx, raddr, &tls.Config{InsecureSkipVerify: true, ServerName: "localhost"}, nil)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		for {
			st, err := c.OpenStream()
			if err != nil {
				break // the server's stream limit
			}
			opened++
			if _, err := st.Write(ping[:5]); err != nil {
				t.Fatal(err)
			}
			streams.Add(1)
			go func() {
				defer streams.Done()
				_ = st.SetReadDeadline(time.Now().Add(60 * time.Second))
				_, err := io.ReadAll(st)
				var se *quicgo.StreamError
				if !errors.As(err, &se) {
					mu.Lock()
					failures = append(failures, fmt.Errorf("a stalled stream ended with %v, want the server's reset", err))
					mu.Unlock()
				}
			}()
		}
	}
	if opened != count*100 {
		t.Errorf("opened %d streams on %d connections, want %d (100 each)", opened, count, count*100)
	}
	good := dialQUIC(t, a.s)
	if err := good.Ping(context.Background()); err != nil {
		t.Errorf("a QUIC ping from 127.0.0.1 during the stream flood: %v", err)
	}
	return func() {
		streams.Wait()
		for _, err := range failures {
			t.Error(err)
		}
		for _, c := range conns {
			_ = c.CloseWithError(0, "")
		}
		for _, tr := range trs {
			_ = tr.Close()
		}
		_ = good.Close()
	}
}

// hugeFrames: 8 clients each send one 7.5 MB message at once; the
// request memory limit (16 MiB) lets two be read and handled at a time
// and the others wait their turn. Every send is answered (0, or 1 had
// one waited past limits.request_memory_wait), and the wait is counted.
func (a *attacks) hugeFrames(t *testing.T) func() {
	count := 8 * a.n
	send := wire.AppendRequest(nil, &wire.SendMessages{Stream: wire.NumericID(a.stream), Topic: wire.NumericID(a.huge),
		Partitioning: wire.PartitionID(attackPartition), Count: 1,
		Messages: wire.AppendSendMessage(nil, make([]byte, 16), 1, bytes.Repeat([]byte{'h'}, 7_500_000), nil)})
	login := wire.AppendRequest(nil, &wire.LoginUser{Username: RootUser, Password: RootPassword})
	type result struct {
		status uint32
		err    error
	}
	results := make(chan result, count)
	// Log every client in first (logins are slow on purpose), then send
	// all the frames at once.
	conns := make([]net.Conn, count)
	for i := range conns {
		c, err := dialFrom(attacker(6, i), a.s.Ports.TCP)
		if err != nil {
			t.Fatal(err)
		}
		conns[i] = c
		_ = c.SetDeadline(time.Now().Add(5 * time.Minute))
		if _, err := c.Write(login); err != nil {
			t.Fatal(err)
		}
		if st, err := readStatus(c); err != nil || st != 0 {
			t.Fatalf("login: %d %v", st, err)
		}
	}
	for _, c := range conns {
		go func() {
			defer c.Close()
			if _, err := c.Write(send); err != nil {
				results <- result{err: err}
				return
			}
			st, err := readStatus(c)
			results <- result{st, err}
		}()
	}
	return func() {
		answered := map[uint32]int{}
		for range count {
			r := <-results
			if r.err != nil {
				t.Errorf("a huge send: %v", r.err)
				continue
			}
			answered[r.status]++
		}
		for st := range answered {
			if st != 0 && st != wire.ErrError.Code {
				t.Errorf("huge sends answered %v, want only 0 (or 1 after waiting too long)", answered)
			}
		}
		waits, _ := value(scrape(t, a.s), "shale_request_memory_waits_total", nil)
		if waits < 1 {
			t.Errorf("shale_request_memory_waits_total = %v after %d parallel 7.5 MB sends under a 16 MiB limit", waits, count)
		}
		t.Logf("huge frames: answers by status %v, %v waited for room", answered, waits)
	}
}

func readStatus(c net.Conn) (uint32, error) {
	var hdr [8]byte
	if _, err := io.ReadFull(c, hdr[:]); err != nil {
		return 0, err
	}
	if _, err := io.CopyN(io.Discard, c, int64(binary.LittleEndian.Uint32(hdr[4:]))); err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint32(hdr[:4]), nil
}
