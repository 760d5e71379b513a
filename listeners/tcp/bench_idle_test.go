package tcp_test

import (
	"io"
	"net"
	"runtime"
	"testing"
	"time"

	"github.com/shalemq/shale/wire"
)

// BenchmarkIdleConnections reports what the server keeps for a connection
// that has served a request and gone idle: Go heap (buffers, session) and
// goroutine stack per connection, as heap-B/conn and stack-B/conn. The
// clients are bare sockets that send one Ping, so what the figures hold is
// the server's side (the benchmark's own sockets add a few hundred bytes).
//
//	go test -run '^$' -bench IdleConnections ./listeners/tcp/
func BenchmarkIdleConnections(b *testing.B) {
	addr, _ := benchServer(b, 1)
	const n = 500
	ping := wire.AppendRequest(nil, &wire.Ping{})
	base := runtime.NumGoroutine()
	var heap, stack float64
	for range b.N {
		h0, s0 := memInUse()
		conns := make([]net.Conn, 0, n)
		for range n {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				b.Fatal(err)
			}
			conns = append(conns, c)
			var resp [wire.ResponseHeaderSize]byte
			if _, err := c.Write(ping); err != nil {
				b.Fatal(err)
			}
			if _, err := io.ReadFull(c, resp[:]); err != nil {
				b.Fatal(err)
			}
		}
		h1, s1 := memInUse()
		heap += float64(h1-h0) / n
		stack += float64(s1-s0) / n
		for _, c := range conns {
			_ = c.Close()
		}
		// The next round starts once the server has let these go.
		for deadline := time.Now().Add(10 * time.Second); runtime.NumGoroutine() > base && time.Now().Before(deadline); {
			time.Sleep(10 * time.Millisecond)
		}
	}
	b.ReportMetric(heap/float64(b.N), "heap-B/conn")
	b.ReportMetric(stack/float64(b.N), "stack-B/conn")
}

func memInUse() (heap, stack int64) {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapInuse), int64(m.StackInuse)
}
