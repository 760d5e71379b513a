package integration

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/shalemq/shale/wire"
)

// attackScale multiplies the size of every attack in attack_test.go:
// TEST_SHALE_ATTACK_SCALE=10 for a long form; make test runs 1
// (hundreds of connections and streams).
func attackScale() int {
	if n, err := strconv.Atoi(os.Getenv("TEST_SHALE_ATTACK_SCALE")); err == nil && n > 0 {
		return n
	}
	return 1
}

// procStatus reads a field of /proc/<pid>/status in KiB (VmRSS, VmHWM).
func procStatus(pid int, field string) int64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return n
		}
	}
	return 0
}

// goroutines is the server's go_goroutines from /metrics, or -1 when
// /metrics did not answer.
func goroutines(hc *http.Client, s *Server) int {
	resp, err := hc.Get("http://" + s.Ports.HTTP + "/metrics")
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		return -1
	}
	v, ok := value(fams, "go_goroutines", nil)
	if !ok {
		return -1
	}
	return int(v)
}

// probe samples the server's resident memory and goroutines while an
// attack runs, and keeps the peaks.
type probe struct {
	s        *Server
	hc       *http.Client
	stop     chan struct{}
	done     chan struct{}
	peakRSS  atomic.Int64 // KiB
	peakGors atomic.Int64
}

func newHTTPClient() *http.Client {
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
}

func startProbe(s *Server) *probe {
	p := &probe{s: s, hc: newHTTPClient(), stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(p.done)
		for {
			if rss := procStatus(s.Pid(), "VmRSS"); rss > p.peakRSS.Load() {
				p.peakRSS.Store(rss)
			}
			if g := int64(goroutines(p.hc, s)); g > p.peakGors.Load() {
				p.peakGors.Store(g)
			}
			select {
			case <-p.stop:
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
	}()
	return p
}

// finish stops sampling and returns the peaks: RSS in MiB, goroutines.
func (p *probe) finish() (rssMiB float64, gors int) {
	close(p.stop)
	<-p.done
	return float64(p.peakRSS.Load()) / 1024, int(p.peakGors.Load())
}

// goodClient produces and polls over TCP from 127.0.0.1 in a loop, as a
// well-behaved client does, and counts its successful rounds.
type goodClient struct {
	rounds atomic.Int64
	mu     sync.Mutex
	err    error
	stop   chan struct{}
	done   chan struct{}
}

func startGoodClient(t *testing.T, s *Server, stream, topic uint32) *goodClient {
	t.Helper()
	c := dialTCP(t, s)
	login(t, c)
	g := &goodClient{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(g.done)
		ctx := context.Background()
		var offset uint64
		for {
			select {
			case <-g.stop:
				return
			default:
			}
			batch := wire.AppendSendMessage(nil, make([]byte, 16), 1, []byte("well-behaved"), nil)
			err := c.Send(ctx, wire.NumericID(stream), wire.NumericID(topic), wire.PartitionID(attackPartition), 1, batch)
			if err == nil {
				var polled wire.PolledMessages
				polled, err = c.Poll(ctx, wire.PollMessages{Consumer: wire.Consumer{Kind: wire.ConsumerSingle, ID: wire.NumericID(1)},
					Stream: wire.NumericID(stream), Topic: wire.NumericID(topic), Partition: wire.OptPartition{Set: true, ID: attackPartition},
					Strategy: wire.PollingStrategy{Kind: wire.PollOffset, Value: offset}, Count: 1})
				if err == nil && polled.Count != 1 {
					err = fmt.Errorf("polled %d messages at offset %d, want 1", polled.Count, offset)
				}
			}
			if err != nil {
				g.mu.Lock()
				g.err = err
				g.mu.Unlock()
				return
			}
			offset++
			g.rounds.Add(1)
		}
	}()
	t.Cleanup(func() { g.halt() })
	return g
}

func (g *goodClient) halt() {
	select {
	case <-g.stop:
	default:
		close(g.stop)
	}
	<-g.done
}

// served waits (bounded) until the client completes n more rounds,
// failing the test if it reports an error or makes no progress.
func (g *goodClient) served(t *testing.T, n int64, during string) {
	t.Helper()
	want := g.rounds.Load() + n
	waitFor(t, 120*time.Second, func() error {
		g.mu.Lock()
		err := g.err
		g.mu.Unlock()
		if err != nil {
			t.Fatalf("the well-behaved client failed during %s: %v", during, err)
		}
		if g.rounds.Load() < want {
			return fmt.Errorf("the well-behaved client did %d rounds during %s, want %d", g.rounds.Load(), during, want)
		}
		return nil
	})
}

// dialFrom opens a TCP connection to addr from a loopback source address
// of its own, so per-address limits tell attackers from the well-behaved
// client (127.0.0.1).
func dialFrom(from, addr string) (net.Conn, error) {
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}, Timeout: 20 * time.Second}
	return d.Dial("tcp", addr)
}

// Pid is the server process's id.
func (s *Server) Pid() int { return s.cmd.Process.Pid }
