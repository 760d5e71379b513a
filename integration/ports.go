package integration

import (
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"testing"
)

// The ports a test picks for servers it starts later come from below the
// kernel's ephemeral range (Linux: 32768–60999), from which every outgoing
// connection takes its local port. A port taken from that range with
// "127.0.0.1:0" and released can be given to a connection one node opens
// to another before the node it was meant for binds it; below the range only
// another test's explicit bind can take it, and picking at random makes
// that unlikely.
const (
	pickLow  = 20000
	pickHigh = 32000
)

// pickPort binds a free loopback port below the ephemeral range on network
// ("tcp" or "udp") and returns it with the closer that releases it.
func pickPort(t testing.TB, network string) (int, io.Closer) {
	t.Helper()
	var last error
	for range 200 {
		p := pickLow + rand.IntN(pickHigh-pickLow)
		addr := loopback(p)
		if network == "udp" {
			pc, err := net.ListenPacket("udp", addr)
			if err == nil {
				return p, pc
			}
			last = err
			continue
		}
		ln, err := net.Listen("tcp", addr)
		if err == nil {
			return p, ln
		}
		last = err
	}
	t.Fatalf("no free %s port in %d–%d: %v", network, pickLow, pickHigh, last)
	return 0, nil
}

// FreeAddr is a loopback TCP address free when it returns, for a server the
// test starts next (see pickPort for why it is not "127.0.0.1:0").
func FreeAddr(t testing.TB) string {
	t.Helper()
	p, c := pickPort(t, "tcp")
	_ = c.Close()
	return fmt.Sprintf("127.0.0.1:%d", p)
}
